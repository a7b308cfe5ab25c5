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
    export(&store, &bench, &path, TextMode::Full, "test").unwrap();
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
    assert!(export(&store, &bench, &blocked, TextMode::Full, "test").is_err());
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

/// Reviewers ana and ben, a two-label schema and a session of `count` reports coded by
/// `coders` each: the session and its reports' external ids.
fn two_reviewer_session(store: &mut Store, count: usize, coders: usize, seed: u64) -> (engine::review::Session, Vec<String>) {
    use engine::review::{self, LabelDef, Role, SessionSpec, Strategy, Target};
    for name in ["ana", "ben"] {
        review::add_reviewer(store, name, Role::Reviewer).unwrap();
    }
    let labels: Vec<LabelDef> = ["falls", "other"].iter().map(|n| LabelDef { name: n.to_string(), guideline: String::new() }).collect();
    let schema = review::save_schema(store, "kind", false, &labels, "ana").unwrap();
    let spec = SessionSpec {
        name: "s".into(),
        schema_id: schema.id,
        target: Target::All,
        strategy: Strategy::Random,
        count,
        coders_per_item: coders,
        seed,
        model: None,
        proposed: None,
    };
    let session = review::create_session(store, &spec, "ana").unwrap();
    let items: Vec<String> = store
        .conn()
        .prepare("SELECT i.external_id FROM session_items s JOIN incidents i ON i.id = s.incident_id WHERE s.session_id = ?1")
        .unwrap()
        .query_map([session.id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (session, items)
}

/// Two reviewers saving a label on the same report at the same moment in a single-coded
/// session: one takes the report's only place, the other is told it is taken; never both.
#[test]
fn two_reviewers_cannot_both_take_a_reports_last_coding_place() {
    use engine::review;
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::baseline_project(dir.path(), 200);
    let (session, items) = two_reviewer_session(&mut store, 30, 1, 3);
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

/// The one shard of the baseline's index in `store`'s project.
fn baseline_shard(store: &Store) -> std::path::PathBuf {
    engine::index::index_path(store.dir(), engine::encode::BASELINE).join("shard-000.usearch")
}

/// Byte ranges of a shard written by usearch: where its graph starts (after the vectors and
/// the 64-byte head), read from the file's own first 8 bytes.
fn graph_start(bytes: &[u8]) -> usize {
    let rows = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let columns = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    8 + rows * columns + 64
}

/// Damaged index shards of every kind: readers (search, the memory-mapped path) refuse them
/// with an error, even when the project's record was made to match the damaged folder, and
/// never crash; the next writer rebuilds the index, which then answers as before.
#[test]
fn damaged_index_shards_are_refused_by_readers_and_rebuilt_by_writers() {
    use engine::index::{dir_digest, index_path, open_index, open_index_with, update_index, IndexError, IndexOptions};
    let dir = tempfile::tempdir().unwrap();
    let store = common::baseline_project(dir.path(), 1200);
    let model = engine::encode::BASELINE;
    let shard = baseline_shard(&store);
    let good = std::fs::read(&shard).unwrap();
    let query_id = "IA-0000007";
    let before = engine::index::similar(&store, model, query_id, 5).unwrap();
    let g = graph_start(&good);
    let size = u64::from_le_bytes(good[g..g + 8].try_into().unwrap()) as usize;
    let levels_end = g + 40 + 2 * size;
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("cut in the vectors", good[..good.len() / 3].to_vec()),
        ("cut in the graph", good[..good.len() - 7].to_vec()),
        ("one byte more", [good.as_slice(), &[0]].concat()),
    ];
    let mut set = |name: &'static str, at: usize, value: &[u8]| {
        let mut b = good.clone();
        b[at..at + value.len()].copy_from_slice(value);
        cases.push((name, b));
    };
    set("absurd vector count", 0, &u32::MAX.to_le_bytes());
    set("absurd node count", g, &(1u64 << 60).to_le_bytes());
    set("connectivity zero", g + 8, &0u64.to_le_bytes());
    set("entry node past the end", g + 32, &(size as u64 + 5).to_le_bytes());
    set("absurd level", g + 40, &i16::MAX.to_le_bytes());
    // The first node's first neighbour list: its count, then a slot far past the last node.
    set("neighbour count past the list", levels_end + 10, &u32::MAX.to_le_bytes());
    set("neighbour past the last node", levels_end + 14, &0x7fff_fff0u32.to_le_bytes());
    set("not an index", g - 64, b"notusea");
    for (name, bytes) in cases {
        std::fs::write(&shard, &bytes).unwrap();
        // The record still names the good folder: the digest alone refuses it.
        assert!(matches!(open_index(&store, model), Err(IndexError::Unusable(_))), "{name}");
        // Recorded as if it were good (a bug, a restored backup, an edited database): the
        // structure check refuses it before usearch reads it, loaded or memory-mapped.
        let (_, sha) = dir_digest(shard.parent().unwrap()).unwrap();
        store.conn().execute("UPDATE vector_indexes SET file_sha256 = ?1", [&sha]).unwrap();
        for view_over in [u64::MAX, 0] {
            match open_index_with(&store, model, view_over) {
                Err(e) => assert!(e.to_string().contains("damaged or not an index shard"), "{name}: {e}"),
                Ok(_) => panic!("{name}: a damaged shard opened"),
            }
        }
        // A writer rebuilds what does not check out.
        let report = update_index(&store, model, &IndexOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
        assert!(report.rebuilt, "{name}: {report:?}");
        assert_eq!(engine::index::similar(&store, model, query_id, 5).unwrap(), before, "{name}");
        std::fs::write(&shard, &good).unwrap();
        let (_, sha) = dir_digest(shard.parent().unwrap()).unwrap();
        store.conn().execute("UPDATE vector_indexes SET file_sha256 = ?1", [&sha]).unwrap();
    }
    assert!(index_path(store.dir(), model).is_dir());
}

/// Searches and the incident panel read the index and never write it: with the folder gone
/// they say how to rebuild it, and no folder appears; only a writer builds it again.
#[test]
fn searches_never_write_the_index() {
    use engine::index::{index_dir, index_path, IndexError};
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::baseline_project(dir.path(), 600);
    let model = engine::encode::BASELINE;
    std::fs::remove_dir_all(index_path(store.dir(), model)).unwrap();
    let listing = || -> Vec<_> { std::fs::read_dir(index_dir(store.dir())).unwrap().map(|e| e.unwrap().file_name()).collect() };
    let empty = listing();
    let err = engine::index::similar(&store, model, "IA-0000001", 5).unwrap_err();
    assert!(matches!(err, IndexError::Unusable(_)), "{err}");
    assert!(err.to_string().contains("incident-atlas index --model tfidf-lsa"), "{err}");
    let cache = engine::explore::Cache::default();
    let found = engine::explore::search(&store, &cache, model, "insulin", &Default::default(), 5);
    assert!(found.is_err());
    assert_eq!(listing(), empty, "a search wrote in indexes/");
    // Encoding more reports (nothing new here) brings it back, as the app's encode job does.
    let spec = engine::encode::registry::resolve(store.dir(), model).unwrap();
    let options = engine::encode::EncodeOptions::default();
    engine::index::encode_indexed(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(engine::explore::search(&store, &cache, model, "insulin", &Default::default(), 5).unwrap().len(), 5);
}

/// Four builds of one model's index at once in one process (jobs of the app): one holds the
/// project and the others are told it is busy (before, they shared one staging folder and
/// deleted each other's files); the index opens and no staging folder is left behind.
#[test]
fn two_index_builds_at_once_do_not_delete_each_others_staging() {
    use engine::index::{index_dir, open_index, update_index, IndexOptions, Quantisation};
    let dir = tempfile::tempdir().unwrap();
    let store = common::baseline_project(dir.path(), 3000);
    let project = store.dir().to_path_buf();
    let model = engine::encode::BASELINE;
    std::thread::scope(|scope| {
        let builds: Vec<_> = [Quantisation::F16, Quantisation::F32, Quantisation::F16, Quantisation::F32]
            .into_iter()
            .map(|quantisation| {
                let project = project.clone();
                scope.spawn(move || {
                    let store = Store::open(&project).unwrap();
                    let options = IndexOptions { quantisation, ..IndexOptions::default() };
                    update_index(&store, model, &options, &NoProgress, &CancelToken::new())
                })
            })
            .collect();
        let mut built = 0;
        for build in builds {
            match build.join().unwrap() {
                Ok(_) => built += 1,
                Err(e) => assert!(e.to_string().contains("busy with an index build for tfidf-lsa"), "{e}"),
            }
        }
        assert!(built >= 1);
    });
    let index = open_index(&store, model).unwrap();
    assert_eq!(index.len(), 3000);
    let left: Vec<_> = std::fs::read_dir(index_dir(&project))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains('~'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A project with 8 labels by two reviewers, an undo, and a field-derived benchmark: every
/// kind of audited record the cross-check covers but triage (added by the test itself).
fn labelled_project(dir: &std::path::Path) -> Store {
    use engine::review;
    let csv = common::demo_slice(dir, "part.csv", 0, 80);
    let mut store = Store::create(&dir.join("project")).unwrap();
    ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    let (session, items) = two_reviewer_session(&mut store, 4, 2, 1);
    for who in ["ana", "ben"] {
        for id in &items {
            review::record_label(&mut store, session.id, id, who, &["falls".to_string()], "", None).unwrap();
        }
    }
    review::undo_last(&mut store, session.id, "ben").unwrap();
    let mut bench = FieldBenchmarkSpec::new(BenchmarkField::Category);
    bench.min_per_label = 1;
    derive_from_field(&mut store, "cats", &bench, "ana").unwrap();
    store
}

/// Runs `sql` on the project's file as someone with the file (and sqlite3) would: the
/// append-only triggers dropped first.
fn tamper(store: &Store, sql: &str) {
    store
        .conn()
        .execute_batch(&format!(
            "DROP TRIGGER IF EXISTS audit_append_only_update; DROP TRIGGER IF EXISTS audit_append_only_delete;
             DROP TRIGGER IF EXISTS labels_append_only_update; DROP TRIGGER IF EXISTS labels_append_only_delete; {sql}"
        ))
        .unwrap();
}

/// Recomputes every hash from entry `from` on, as a forger without the key would.
fn rehash_from(store: &Store, from: i64) {
    let rows: Vec<(i64, String, String, String, String)> = store
        .conn()
        .prepare("SELECT id, created_at, actor, action, detail FROM audit_log WHERE id >= ?1 ORDER BY id")
        .unwrap()
        .query_map([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut prev: String = store
        .conn()
        .query_row("SELECT coalesce((SELECT hash FROM audit_log WHERE id = ?1 - 1), ?2)", rusqlite_params(from), |r| r.get(0))
        .unwrap();
    for (id, at, actor, action, detail) in rows {
        let hash = engine::store::audit::entry_hash(&prev, id, &at, &actor, &action, &detail);
        tamper(store, &format!("UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {id}"));
        prev = hash;
    }
}

fn rusqlite_params(from: i64) -> [String; 2] {
    [from.to_string(), engine::store::audit::GENESIS.to_string()]
}

/// Every kind of tampering the issue names, by someone with the project file but not the
/// key: a rewritten entry with its hashes recomputed, the seals stripped, the tail cut
/// (caught by an exported head), an edited head, label, triage and benchmark rows written
/// or removed beside the chain. The intact project passes and records the OS account.
#[test]
fn tampering_with_the_audit_trail_is_found() {
    use engine::store::audit::{head, head_is_authentic, verify};
    let fresh = || {
        let dir = tempfile::tempdir().unwrap();
        let store = labelled_project(dir.path());
        (dir, store)
    };
    let (_d, store) = fresh();
    let report = engine::audit::check(&store, None).unwrap();
    assert!(report.intact(), "{report:?}");
    let entries = report.chain.entries as i64;
    assert!(entries >= 12 && report.chain.sealed == entries as u64, "{report:?}");
    let detail: String = store.conn().query_row("SELECT detail FROM audit_log WHERE action = 'label' LIMIT 1", [], |r| r.get(0)).unwrap();
    assert!(detail.contains(&format!("\"os_account\":\"{}\"", engine::store::audit_key::os_account())), "{detail}");

    // A label entry rewritten (ana's label made 'other'), every later hash recomputed:
    // the chain of hashes holds, the seal does not.
    let (_d, store) = fresh();
    tamper(&store, "UPDATE audit_log SET detail = replace(detail, '\"falls\"', '\"other\"') WHERE id = (SELECT min(id) FROM audit_log WHERE action = 'label')");
    let first_label: i64 = store.conn().query_row("SELECT min(id) FROM audit_log WHERE action = 'label'", [], |r| r.get(0)).unwrap();
    rehash_from(&store, first_label);
    let (at, why) = verify(store.conn()).unwrap().broken_at.expect("a rewritten chain verified");
    assert_eq!(at, first_label);
    assert!(why.contains("seal does not match"), "{why}");

    // The same, with every seal stripped so the chain looks older than keying.
    let (_d, store) = fresh();
    tamper(&store, "UPDATE audit_log SET key_id = NULL, mac = NULL");
    rehash_from(&store, 1);
    let (_, why) = verify(store.conn()).unwrap().broken_at.expect("a stripped chain verified");
    assert!(why.contains("not sealed"), "{why}");

    // The tail cut: the chain alone cannot tell, the head exported before can; a head
    // edited to match fails its own seal.
    let (d, store) = fresh();
    let exported = head(store.conn()).unwrap().unwrap();
    assert_eq!(head_is_authentic(&exported), Some(true));
    assert!(engine::audit::check(&store, Some(&exported)).unwrap().intact());
    tamper(&store, &format!("DELETE FROM audit_log WHERE id > {}", entries - 2));
    assert!(verify(store.conn()).unwrap().broken_at.is_none());
    let report = engine::audit::check(&store, Some(&exported)).unwrap();
    assert!(report.chain.broken_at.as_ref().is_some_and(|(_, why)| why.contains("entries were removed")), "{report:?}");
    let mut forged = exported.clone();
    forged.entry = entries - 2;
    forged.hash = head(store.conn()).unwrap().unwrap().hash;
    assert_eq!(head_is_authentic(&forged), Some(false));
    drop(d);

    // Records beside the chain: a label row written straight into the file, one removed,
    // a triage decision without its entry, a benchmark's items changed.
    let (_d, store) = fresh();
    tamper(&store, "INSERT INTO labels (session_id, incident_id, reviewer_id, kind, value, note, created_at)
                    SELECT session_id, incident_id, reviewer_id, kind, value, note, created_at FROM labels LIMIT 1");
    tamper(&store, "DELETE FROM labels WHERE id = (SELECT max(id) FROM labels WHERE kind = 'undo')");
    tamper(&store, "INSERT INTO models (name, kind, text_fields, dimension, provenance, created_at) VALUES ('m', 'trained', 'description', 2, '{}', 'now')");
    tamper(&store, "INSERT INTO cluster_triage_history (model_id, method, cluster_id, run_id, status, note, author, created_at)
                    VALUES ((SELECT max(id) FROM models), 'hdbscan', 3, 1, 'confirmed', '', 'ana', 'now')");
    tamper(&store, "UPDATE benchmark_items SET labels = '[\"forged\"]' WHERE (set_id, external_id) IN (SELECT set_id, external_id FROM benchmark_items LIMIT 1)");
    let report = engine::audit::check(&store, None).unwrap();
    assert!(report.chain.broken_at.is_none(), "the chain itself is untouched: {report:?}");
    let all = report.mismatches.join("\n");
    for says in ["has no audit entry (written outside the app)", "which is not in the project (removed)", "triage decision", "items were changed"] {
        assert!(all.contains(says), "{says}: {all}");
    }
    assert_eq!(report.mismatch_count, 4, "{all}");
}

/// A file without a header row has a report where the column names should be: the error
/// says the first line looks like data and shows none of it.
#[test]
fn a_missing_header_row_is_named_without_showing_the_report_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    let csv = dir.path().join("no-header.csv");
    let secret = "Patient Jane Roe given 10x dose of insulin by agency nurse on ward 7";
    std::fs::write(&csv, format!("R1,2024-03-01,Medication,{secret}\nR2,2024-03-02,Falls,Found on floor\n")).unwrap();
    let err = ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap_err().to_string();
    assert!(err.contains("not a header row") && err.contains("column 4 (not shown"), "{err}");
    for part in ["Jane", "insulin", "agency"] {
        assert!(!err.contains(part), "the error shows report text: {err}");
    }
    let check = engine::ingest::check_file(&csv, &IngestOptions::default()).unwrap_err().to_string();
    assert!(!check.contains("Jane"), "{check}");
}
