//! The evaluation metrics against scikit-learn on fixed inputs: the committed fixture
//! `fixtures/sklearn_metrics.json` holds label vectors and scikit-learn's scores for them,
//! written by `scripts/fixtures/sklearn_metrics.py`. Every score must match to 1e-6.

use engine::evaluate::{classification, clustering};

#[test]
fn every_metric_matches_scikit_learn() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sklearn_metrics.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let labels = |k: &str| -> Vec<i64> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        };
        let (truth, pred) = (labels("truth"), labels("pred"));
        let c = clustering::score(&truth, &pred);
        let k = classification::score(&truth, &pred);
        for (metric, ours) in [
            ("adjusted_rand", c.adjusted_rand),
            ("homogeneity", c.homogeneity),
            ("completeness", c.completeness),
            ("v_measure", c.v_measure),
            ("nmi", c.nmi),
            ("accuracy", k.accuracy),
            ("macro_f1", k.macro_f1),
        ] {
            let theirs = case[metric].as_f64().unwrap();
            assert!(
                (ours - theirs).abs() < 1e-6,
                "{name}: {metric} ours {ours} vs scikit-learn {theirs}"
            );
        }
    }
}
