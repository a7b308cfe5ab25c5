//! The evaluation metrics against scikit-learn on fixed inputs: the committed fixture
//! `fixtures/sklearn_metrics.json` holds label vectors and scikit-learn's scores for them,
//! written by `scripts/fixtures/sklearn_metrics.py`. Every score must match to 1e-6: the
//! clustering and classification scores, the confusion matrix, precision@k and AP@k of
//! ranked lists, and the percentiles behind the bootstrap intervals (numpy).

use engine::evaluate::{classification, clustering, percentile, retrieval};

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

#[test]
fn confusion_matrix_matches_scikit_learn() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sklearn_metrics.json")).unwrap();
    for case in fixture["confusion"].as_array().unwrap() {
        let v = |k: &str| -> Vec<usize> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect()
        };
        let expected: Vec<Vec<u64>> = serde_json::from_value(case["matrix"].clone()).unwrap();
        let labels = case["labels"].as_u64().unwrap() as usize;
        assert_eq!(
            classification::confusion_matrix(&v("truth"), &v("pred"), labels),
            expected
        );
    }
}

#[test]
fn retrieval_scores_match_scikit_learn() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sklearn_metrics.json")).unwrap();
    let cases = fixture["retrieval"].as_array().unwrap();
    assert!(cases.len() >= 9);
    for case in cases {
        let relevant: Vec<bool> = case["relevant"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap() == 1)
            .collect();
        let k = case["k"].as_u64().unwrap() as usize;
        let total = case["total_relevant"].as_u64().unwrap() as usize;
        let p = retrieval::precision_at(&relevant, k);
        let ap = retrieval::average_precision_at(&relevant, k, total);
        let (p_ref, ap_ref) = (
            case["precision_at_k"].as_f64().unwrap(),
            case["average_precision_at_k"].as_f64().unwrap(),
        );
        assert!((p - p_ref).abs() < 1e-6, "{case}: precision {p} vs {p_ref}");
        assert!((ap - ap_ref).abs() < 1e-6, "{case}: AP {ap} vs {ap_ref}");
    }
}

#[test]
fn bootstrap_percentiles_match_numpy() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/sklearn_metrics.json")).unwrap();
    for case in fixture["percentiles"].as_array().unwrap() {
        let mut values: Vec<f64> = serde_json::from_value(case["values"].clone()).unwrap();
        values.sort_by(f64::total_cmp);
        let qs: Vec<f64> = serde_json::from_value(case["q"].clone()).unwrap();
        let expected: Vec<f64> = serde_json::from_value(case["percentiles"].clone()).unwrap();
        for (q, e) in qs.iter().zip(expected) {
            let ours = percentile(&values, *q);
            assert!((ours - e).abs() < 1e-9, "q {q}: ours {ours} vs numpy {e}");
        }
    }
}
