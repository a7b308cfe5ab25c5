//! Evaluation on a real project: 1,500 demo reports encoded by the TF-IDF/LSA baseline
//! and the default transformer, a k-means run, benchmark sets derived from the reports'
//! fields, and the full evaluation with its report. The index-based scores are checked
//! against a brute-force recomputation, and the same seed must give identical numbers.

mod common;

use common::{demo_slice, ingest_and_encode};
use engine::encode::{BASELINE, DEFAULT_TRANSFORMER};
use engine::evaluate::{self, cv, retrieval, EvaluateError, EvaluationSpec};
use engine::jobs::{CancelToken, NoProgress};
use engine::review::{self, BenchmarkField, FieldBenchmarkSpec};
use engine::store::Store;
use std::collections::HashMap;

const ROWS: usize = 1500;

fn project(dir: &std::path::Path) -> Store {
    let csv = demo_slice(dir, "part.csv", 0, ROWS);
    let mut store = Store::create(&dir.join("project")).unwrap();
    ingest_and_encode(&mut store, &csv, BASELINE);
    common::encode(&mut store, DEFAULT_TRANSFORMER);
    common::kmeans(&mut store, DEFAULT_TRANSFORMER, 12);
    store
}

fn spec(name: &str) -> EvaluationSpec {
    EvaluationSpec {
        resamples: 300,
        ..EvaluationSpec::new(name)
    }
}

#[test]
fn field_benchmarks_evaluation_report_and_determinism() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = project(dir.path());

    // A benchmark from the incident category: every report with a category, stratified
    // below the limit, labels that are too rare left out; deriving again changes nothing.
    let mut fspec = FieldBenchmarkSpec::new(BenchmarkField::Category);
    fspec.limit = Some(1200);
    let derived = review::derive_from_field(&mut store, "category", &fspec, "tester").unwrap();
    let b = &derived.benchmark;
    assert_eq!(b.header.source, "field");
    assert_eq!(b.header.derived_from.as_deref(), Some("category"));
    assert_eq!(b.header.version, 1);
    assert!(
        b.items.len() <= 1200 && b.items.len() >= 1150,
        "{}",
        b.items.len()
    );
    assert!(b.header.labels.len() >= 5, "{:?}", b.header.labels);
    assert!(derived.rare_labels.iter().all(|(_, n)| *n < 10));
    let again = review::derive_from_field(&mut store, "category", &fspec, "tester").unwrap();
    assert_eq!(again.benchmark.header.version, 1);
    assert_eq!(
        again.benchmark.header.content_sha256,
        b.header.content_sha256
    );
    let severe = review::derive_from_field(
        &mut store,
        "severe",
        &FieldBenchmarkSpec::new(BenchmarkField::HarmSevere),
        "tester",
    )
    .unwrap();
    assert_eq!(
        severe.benchmark.header.labels,
        vec![
            review::HARM_LOW.to_string(),
            review::HARM_SEVERE.to_string()
        ]
    );
    let listed = review::benchmark::list_benchmarks(&store).unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|l| l.source == "field"));

    // The evaluation, stored with its report.
    let stored = evaluate::evaluate_and_report(
        &mut store,
        &spec("category"),
        "tester",
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    let r = &stored.results;
    assert_eq!(r.items, b.items.len());
    assert_eq!(r.models.len(), 2);
    for m in &r.models {
        for e in [
            Some(m.precision_at_k),
            Some(m.map_at_k),
            m.knn_macro_f1,
            m.knn_accuracy,
            m.logistic_macro_f1,
            m.logistic_accuracy,
        ] {
            let e = e.unwrap_or_else(|| panic!("{}: a score is missing: {m:?}", m.model));
            assert!((0.0..=1.0).contains(&e.value), "{e:?}");
            assert!(e.low <= e.value && e.value <= e.high, "{}: {e:?}", m.model);
            assert!(
                e.high - e.low > 0.0 && e.high - e.low < 0.2,
                "{}: {e:?}",
                m.model
            );
        }
        let chance = 1.0 / r.benchmark.labels.len() as f64;
        assert!(
            m.knn_macro_f1.unwrap().value > 2.0 * chance,
            "{}: kNN macro-F1 {:?} is near chance {chance}",
            m.model,
            m.knn_macro_f1
        );
        assert_eq!(m.confusion.len(), r.benchmark.labels.len());
        let confused: u64 = m.confusion.iter().flatten().sum();
        assert_eq!(confused as usize, r.items);
    }
    let minilm = r
        .models
        .iter()
        .find(|m| m.model == DEFAULT_TRANSFORMER)
        .unwrap();
    assert_eq!(minilm.runs.len(), 1);
    let run = &minilm.runs[0];
    assert_eq!(run.method, "kmeans");
    assert_eq!(run.noise_fraction, 0.0);
    assert!(
        run.v_measure.value > 0.1 && run.v_measure.value < 1.0,
        "{run:?}"
    );
    assert_eq!(minilm.cluster_sizes.iter().sum::<usize>(), ROWS);
    assert!(r.slices.iter().any(|s| s.dimension == "care_setting"));
    assert!(r.slices.iter().any(|s| s.dimension == "harm"));
    assert!(r
        .slices
        .iter()
        .all(|s| s.items >= 30 && s.models.len() == 2));
    let metrics: Vec<&str> = r.paired.iter().map(|t| t.metric.as_str()).collect();
    assert_eq!(metrics, ["knn_macro_f1", "map_at_k", "precision_at_k"]);
    let verdict = r.verdict().unwrap();
    assert!(
        verdict.contains(r.best_model.as_deref().unwrap())
            && (verdict.starts_with("Preferred: ") || verdict.starts_with("No clear preference")),
        "{verdict}"
    );
    for t in &r.paired {
        assert!(t.p_value > 0.0 && t.p_value <= 1.0, "{t:?}");
        assert_eq!(Some(&t.better), r.best_model.as_ref());
    }

    // The index-based kNN and retrieval scores agree with an exact recomputation from the
    // stored vectors (HNSW is approximate, so within a small tolerance).
    let pos: HashMap<String, usize> = r
        .benchmark
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), i))
        .collect();
    let (_, ids, data) = store.vectors(DEFAULT_TRANSFORMER).unwrap().unwrap();
    let d = minilm.dimension;
    let row_of: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut truth = Vec::new();
    let mut rows = Vec::new();
    for item in &b.items {
        let id: i64 = store
            .conn()
            .query_row(
                "SELECT id FROM incidents WHERE external_id = ?1",
                [&item.external_id],
                |r| r.get(0),
            )
            .unwrap();
        truth.push(pos[&item.labels[0]]);
        rows.push(row_of[&id]);
    }
    let folds = cv::stratified_folds(&truth, 5, engine::DEFAULT_SEED);
    let sim = |a: usize, b: usize| -> f32 {
        let (x, y) = (&data[rows[a] * d..][..d], &data[rows[b] * d..][..d]);
        x.iter().zip(y).map(|(p, q)| p * q).sum()
    };
    let n = truth.len();
    let mut predicted = Vec::new();
    let mut precision = 0.0;
    for i in 0..n {
        let mut others: Vec<(usize, f32)> = (0..n)
            .filter(|&j| j != i && folds[j] != folds[i])
            .map(|j| (j, sim(i, j)))
            .collect();
        others.sort_by(|a, b| b.1.total_cmp(&a.1));
        let votes: Vec<(usize, f32)> = others[..10].iter().map(|&(j, s)| (truth[j], s)).collect();
        predicted.push(cv::knn_vote(&votes, r.benchmark.labels.len()).unwrap());
        let mut all: Vec<(usize, f32)> =
            (0..n).filter(|&j| j != i).map(|j| (j, sim(i, j))).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        let relevant: Vec<bool> = all[..10]
            .iter()
            .map(|&(j, _)| truth[j] == truth[i])
            .collect();
        precision += retrieval::precision_at(&relevant, 10);
    }
    let exact_f1 = evaluate::classification::score(&truth, &predicted).macro_f1;
    let exact_precision = precision / n as f64;
    assert!(
        (exact_f1 - minilm.knn_macro_f1.unwrap().value).abs() < 0.03,
        "kNN macro-F1 through the index {:?}, exact {exact_f1}",
        minilm.knn_macro_f1
    );
    assert!(
        (exact_precision - minilm.precision_at_k.value).abs() < 0.03,
        "precision@10 through the index {:?}, exact {exact_precision}",
        minilm.precision_at_k
    );

    // The report: one self-contained HTML file, charts as SVG and PNG beside it.
    let html = std::fs::read_to_string(&stored.report_html).unwrap();
    assert!(html.contains("data:image/svg+xml;base64,"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("src=\"/") && !html.contains("<script"));
    assert!(html.contains(&r.provenance.dataset_sha256));
    assert!(html.contains(&verdict.replace('\'', "&#39;")) || html.contains(&verdict));
    assert!(html.contains(&b.header.content_sha256));
    for m in &r.models {
        assert!(html.contains(&m.index_sha256));
    }
    // Shared reports name no folder of the evaluator's disk and no account (issue 22).
    let models_dir = std::env::var("INCIDENT_ATLAS_MODELS").unwrap_or_else(|_| "/.local/share/incident-atlas".into());
    assert!(!html.contains(&models_dir) && !html.contains("/home/") && !html.contains("/root/"), "a path in the report");
    if let Ok(user) = std::env::var("USER") {
        assert!(!html.contains(&format!(" by {user}")), "the user name in the report");
    }
    // Nor any report's text (issue 24: the report leaves with numbers only, so no personal
    // data in the text can leave with it).
    let descriptions: Vec<String> = {
        let mut texts = store.conn().prepare("SELECT description FROM incidents").unwrap();
        let rows = texts.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(descriptions.len(), ROWS);
    for text in &descriptions {
        let opening: String = text.chars().take(40).collect();
        assert!(!html.contains(&opening), "report text in the report: {opening}");
    }
    for chart in ["metrics", "slices", "confusion", "cluster_sizes"] {
        let svg = std::fs::read_to_string(stored.report_dir.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("<text"), "{chart}.svg");
        let png = std::fs::read(stored.report_dir.join(format!("{chart}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{chart}.png");
        assert!(png.len() > 5_000, "{chart}.png is {} bytes", png.len());
    }
    let listed = evaluate::list_evaluations(&store).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].best_model, r.best_model);
    assert_eq!(
        &evaluate::load_evaluation(&store, stored.id)
            .unwrap()
            .results,
        r
    );

    // Same inputs and seed: identical numbers; another seed moves only the intervals.
    let second =
        evaluate::evaluate(&store, &spec("category"), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(&second, r);
    let reseeded = evaluate::evaluate(
        &store,
        &EvaluationSpec {
            seed: 7,
            ..spec("category")
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_ne!(reseeded.models[0].map_at_k, r.models[0].map_at_k);

    // Cancelled: an error, and nothing stored.
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = evaluate::evaluate_and_report(&mut store, &spec("severe"), "t", &NoProgress, &cancel)
        .unwrap_err();
    assert!(matches!(err, EvaluateError::Cancelled), "{err}");
    assert_eq!(evaluate::list_evaluations(&store).unwrap().len(), 1);

    // An unknown benchmark or model is a clear error.
    let err =
        evaluate::evaluate(&store, &spec("nope"), &NoProgress, &CancelToken::new()).unwrap_err();
    assert!(err.to_string().contains("no benchmark named"), "{err}");
    let err = evaluate::evaluate(
        &store,
        &EvaluationSpec {
            models: vec!["word2vec".into()],
            ..spec("category")
        },
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no model \"word2vec\""), "{err}");

    representation_follows_the_newest_clear_evaluation(&store, stored.id, r);
}

/// The analysis's default representation: the newest evaluation's clear preference, else
/// the benchmark's best; a named model is kept and told what the evaluation prefers.
fn representation_follows_the_newest_clear_evaluation(store: &Store, evaluation: i64, real: &evaluate::EvaluationResults) {
    use engine::representation::{choose_representation, BENCHMARK_BEST};
    // The evaluation above: followed when its paired test is clear, else the benchmark's.
    let (model, why) = choose_representation(store, None).unwrap();
    match real.clear_preference() {
        Some(best) => {
            assert_eq!((model.as_str(), why.chosen_by.as_str(), why.evaluation_id), (best, "evaluation", Some(evaluation)));
            assert!(why.reason.contains(&real.verdict().unwrap()), "{why:?}");
        }
        None => assert_eq!((model.as_str(), why.chosen_by.as_str()), (BENCHMARK_BEST, "benchmark")),
    }
    // Stored evaluations crafted on the real one: the newest decides, whichever way.
    let add = |better: &str, other: &str, p: f64| {
        let mut r = real.clone();
        r.best_model = Some(better.to_string());
        r.paired = vec![evaluate::PairedTest { metric: r.ranking_metric().to_string(), better: better.into(), other: other.into(), p_value: p, ..real.paired[0].clone() }];
        store
            .conn()
            .execute(
                "INSERT INTO evaluations (set_id, params, results, report_dir, created_by, created_at)
                 SELECT set_id, params, ?1, report_dir, 'crafted', created_at FROM evaluations WHERE id = ?2",
                rusqlite::params![serde_json::to_string(&r).unwrap(), evaluation],
            )
            .unwrap();
        store.conn().last_insert_rowid()
    };
    let clear = add(BASELINE, DEFAULT_TRANSFORMER, 0.001);
    let (model, why) = choose_representation(store, None).unwrap();
    assert_eq!((model.as_str(), why.chosen_by.as_str(), why.evaluation_id), (BASELINE, "evaluation", Some(clear)));
    assert!(why.reason.starts_with(&format!("The project's evaluation {clear} (benchmark category v1): Preferred: {BASELINE}")), "{why:?}");
    // Named: kept, with what the evaluation prefers said beside it.
    let (model, why) = choose_representation(store, Some(DEFAULT_TRANSFORMER)).unwrap();
    assert_eq!((model.as_str(), why.chosen_by.as_str()), (DEFAULT_TRANSFORMER, "asked"));
    assert!(why.reason.contains(&format!("prefers {BASELINE}")), "{why:?}");
    // A newer evaluation that cannot tell them apart stands: the benchmark's best again.
    add(BASELINE, DEFAULT_TRANSFORMER, 0.4);
    let (model, why) = choose_representation(store, None).unwrap();
    assert_eq!((model.as_str(), why.chosen_by.as_str(), why.evaluation_id), (BENCHMARK_BEST, "benchmark", None));
    // An evaluation whose results cannot be read is an error, not a silent default.
    store
        .conn()
        .execute("INSERT INTO evaluations (set_id, params, results, report_dir, created_by, created_at) SELECT set_id, params, '{\"models\": 3}', report_dir, 'x', created_at FROM evaluations WHERE id = ?1", [evaluation])
        .unwrap();
    let err = choose_representation(store, None).unwrap_err().to_string();
    assert!(err.contains("evaluations cannot be read"), "{err}");
}
