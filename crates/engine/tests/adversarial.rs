//! Attacks on the engine from hostile input (issue 22): each test tries one and checks the
//! safe outcome. Files are real, the store is a real SQLite project.

use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::review::benchmark::{export, import, TextMode};
use engine::review::{derive_from_field, BenchmarkField, FieldBenchmarkSpec};
use engine::store::Store;

mod common;

/// Report text and category values a spreadsheet would run, and category names that hold
/// the list separator: exported to CSV they open as text, and import gives them back.
#[test]
fn a_benchmark_csv_runs_no_formula_and_keeps_labels_with_separators() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    let csv = dir.path().join("reports.csv");
    let mut text = String::from("id,date,category,description\n");
    let categories = ["Medication; prescribing", "=1+1", "[draft] falls", "-harm", "plain"];
    for i in 0..60 {
        let description = match i % 4 {
            0 => "=HYPERLINK(\"http://evil.example\",\"click\")".to_string(),
            1 => "@SUM(1+1)*cmd|' /C calc'!A0".to_string(),
            2 => "+44 phone number given".to_string(),
            _ => format!("Ordinary report {i}"),
        };
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        text.push_str(&format!("R{i},2024-01-{:02},{},{}\n", 1 + i % 28, quote(categories[i % 5]), quote(&description)));
    }
    std::fs::write(&csv, text).unwrap();
    let report = ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(report.succeeded(), "{:?}", report.bad_rows);
    let mut spec = FieldBenchmarkSpec::new(BenchmarkField::Category);
    spec.min_per_label = 1;
    let bench = derive_from_field(&mut store, "hostile", &spec, "cat").unwrap().benchmark;
    assert_eq!(bench.header.items, 60);

    let path = dir.path().join("hostile.csv");
    export(&store, &bench, &path, TextMode::Full).unwrap();
    // No cell of the file starts with a character a spreadsheet treats as a formula.
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&path).unwrap();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(!matches!(cell.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')), "{cell:?}");
        }
    }
    let mut other = Store::create(&dir.path().join("q")).unwrap();
    // The file claims to be reviewer-made; imported, it is an import.
    let claimed = std::fs::read_to_string(&path).unwrap().replacen("\"\"source\"\":\"\"field\"\"", "\"\"source\"\":\"\"reviewers\"\"", 1);
    assert!(claimed.contains("\"\"source\"\":\"\"reviewers\"\""));
    std::fs::write(&path, claimed).unwrap();
    let copy = import(&mut other, &path, "dan").unwrap();
    assert_eq!(copy.header.source, "import");
    assert_eq!(engine::review::benchmark::load_benchmark(&other, "hostile", None).unwrap().header.source, "import");
    // A file larger than any benchmark is refused before it is read.
    let huge = dir.path().join("huge.jsonl");
    std::fs::File::create(&huge).unwrap().set_len(engine::review::benchmark::MAX_IMPORT_BYTES + 1).unwrap();
    let err = import(&mut other, &huge, "dan").unwrap_err().to_string();
    assert!(err.contains("more than a benchmark file may be"), "{err}");
    assert_eq!(copy.header.content_sha256, bench.header.content_sha256);
    assert_eq!(copy.items, bench.items);
    assert!(copy.items.iter().any(|i| i.labels == vec!["Medication; prescribing".to_string()]));
    assert!(copy.items.iter().any(|i| i.labels == vec!["=1+1".to_string()]));

    // An export that fails leaves no half-written file of report text behind.
    let blocked = dir.path().join("blocked.csv");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), b"").unwrap();
    assert!(export(&store, &bench, &blocked, TextMode::Full).is_err());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Two writers editing one run at once (two windows, the app and the CLI): each edit lands
/// whole or is refused with nothing changed, never one overwriting the other.
#[test]
fn concurrent_edits_of_one_run_never_lose_or_mix_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::baseline_project(dir.path(), 1200);
    common::kmeans(&mut store, engine::encode::BASELINE, 6);
    let run = engine::cluster::list_runs(&store).unwrap()[0].id;
    let project = store.dir().to_path_buf();
    drop(store);
    let outcomes: Vec<Vec<Result<(), String>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let project = project.clone();
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for round in 0..4 {
                        let mut store = Store::open(&project).unwrap();
                        let clusters: Vec<i64> = engine::triage::cluster_triage(&store, run).unwrap().iter().map(|r| r.cluster_id).collect();
                        // Each worker splits a different cluster each round.
                        let cluster = clusters[(w * 3 + round) % clusters.len()];
                        let how = engine::cluster::SplitHow::from_request(Some(2), None).unwrap();
                        out.push(engine::cluster::split_cluster(&mut store, run, cluster, &how, &format!("worker{w}")).map(|_| ()).map_err(|e| e.to_string()));
                    }
                    out
                })
            })
            .collect();
        workers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut landed = 0;
    for result in outcomes.iter().flatten() {
        match result {
            Ok(()) => landed += 1,
            Err(e) => assert!(
                e.contains("changed while this edit was prepared") || e.contains("locked") || e.contains("busy") || e.contains("is not in run"),
                "{e}"
            ),
        }
    }
    assert!(landed >= 1);
    let store = Store::open(&project).unwrap();
    let edits: i64 = store.conn().query_row("SELECT count(*) FROM cluster_edits WHERE run_id = ?1", [run], |r| r.get(0)).unwrap();
    assert_eq!(edits, landed, "every edit that reported success is logged, and only those");
    // The stored clusters agree with the members: each active cluster's size is its count,
    // every member's cluster is active, and no id is used twice.
    let bad: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM clusters c WHERE c.run_id = ?1 AND c.active = 1
               AND c.size != (SELECT count(*) FROM cluster_members m WHERE m.run_id = c.run_id AND m.cluster = c.cluster_id)",
            [run],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0, "a cluster's size disagrees with its members");
    let orphans: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM cluster_members m WHERE m.run_id = ?1 AND m.cluster >= 0
               AND NOT EXISTS (SELECT 1 FROM clusters c WHERE c.run_id = m.run_id AND c.cluster_id = m.cluster AND c.active = 1)",
            [run],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "reports in a cluster that is not active");
    let audit = engine::store::audit::verify(store.conn()).unwrap();
    assert!(audit.broken_at.is_none());
}

/// Every write a person acknowledged and the audit chain records commits with a full fsync
/// (an acknowledged decision must not vanish on power loss as an undetectable tail).
#[test]
fn audited_writes_commit_with_a_full_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::baseline_project(dir.path(), 300);
    common::kmeans(&mut store, engine::encode::BASELINE, 3);
    let run = engine::cluster::list_runs(&store).unwrap()[0].id;
    let synchronous = |store: &Store| -> i64 { store.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap() };
    assert_eq!(synchronous(&store), 1, "bulk writes keep NORMAL");
    engine::triage::set_status(&mut store, run, 0, engine::triage::Status::Escalated, "", "cat").unwrap();
    assert_eq!(synchronous(&store), 2, "a triage decision");
    let mut store = Store::open(store.dir()).unwrap();
    engine::cluster::merge_clusters(&mut store, run, &[0, 1], "cat").unwrap();
    assert_eq!(synchronous(&store), 2, "a clustering edit");
}

/// Two reviewers saving a label on the same report at the same moment in a single-coded
/// session: one takes the report's only place, the other is told it is taken; never both.
#[test]
fn two_reviewers_cannot_both_take_a_reports_last_coding_place() {
    use engine::review::{self, LabelDef, Role, SessionSpec, Strategy, Target};
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::baseline_project(dir.path(), 200);
    for name in ["ana", "ben"] {
        review::add_reviewer(&mut store, name, Role::Reviewer).unwrap();
    }
    let labels: Vec<LabelDef> =
        ["falls", "other"].iter().map(|n| LabelDef { name: n.to_string(), guideline: String::new() }).collect();
    let schema = review::save_schema(&mut store, "kind", false, &labels, "ana").unwrap();
    let spec = SessionSpec {
        name: "single".into(),
        schema_id: schema.id,
        target: Target::All,
        strategy: Strategy::Random,
        count: 30,
        coders_per_item: 1,
        seed: 3,
        model: None,
        proposed: None,
    };
    let session = review::create_session(&mut store, &spec, "ana").unwrap();
    let items: Vec<String> = store
        .conn()
        .prepare("SELECT i.external_id FROM session_items s JOIN incidents i ON i.id = s.incident_id WHERE s.session_id = ?1")
        .unwrap()
        .query_map([session.id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 30);
    let project = store.dir().to_path_buf();
    drop(store);
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<Vec<Result<bool, String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["ana", "ben"]
            .iter()
            .map(|who| {
                let (project, items, barrier) = (&project, &items, &barrier);
                scope.spawn(move || {
                    let mut store = Store::open(project).unwrap();
                    items
                        .iter()
                        .map(|id| {
                            barrier.wait();
                            // Errors are checked after both threads finish: a panic here
                            // would leave the other waiting at the barrier.
                            review::record_label(&mut store, session.id, id, who, &["falls".to_string()], "", None)
                                .map(|_| true)
                                .map_err(|e| e.to_string())
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for result in results.iter().flatten() {
        if let Err(e) = result {
            assert!(e.contains("already has its 1 coder") || e.contains("locked") || e.contains("busy"), "{e}");
        }
    }
    for (i, id) in items.iter().enumerate() {
        let took = |r: &Result<bool, String>| r.as_ref().is_ok_and(|t| *t);
        assert!(!(took(&results[0][i]) && took(&results[1][i])), "both reviewers were told {id}'s only place was theirs");
    }
    let store = Store::open(&project).unwrap();
    let per_report: i64 = store
        .conn()
        .query_row(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(DISTINCT reviewer_id) AS n FROM labels WHERE session_id = ?1 AND kind = 'label' GROUP BY incident_id)",
            [session.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(per_report, 1, "a report holds labels of two reviewers in a single-coded session");
    assert!(engine::store::audit::verify(store.conn()).unwrap().broken_at.is_none());
}
