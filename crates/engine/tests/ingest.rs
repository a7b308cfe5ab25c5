//! Ingest against real SQLite files: the demo set, malformed files, JSONL, duplicates,
//! conflicts and cancellation.

use engine::ingest::{ingest_file, Format, IngestOptions, MapOverride, Outcome};
use engine::jobs::{CancelToken, NoProgress, Progress};
use engine::store::Store;
use std::path::{Path, PathBuf};

fn demo_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv")
}

fn ingest(store: &mut Store, path: &Path, options: &IngestOptions) -> engine::ingest::ImportReport {
    ingest_file(store, path, options, &NoProgress, &CancelToken::new()).expect("ingest runs")
}

/// Everything the store holds, as text, to prove a rejected import changed nothing.
fn dump(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for table in ["datasets", "incidents", "import_rejects"] {
        let mut stmt = store
            .conn()
            .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).map(|v| format!("{v:?}"))))
                    .collect();
                Ok(format!("{table}: {}", cells.join("|")))
            })
            .unwrap();
        out.extend(rows.map(|r| r.unwrap()));
    }
    out
}

#[test]
fn demo_file_imports_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let expected = std::fs::read_to_string(demo_csv()).unwrap();
    let expected_rows = csv::Reader::from_reader(expected.as_bytes())
        .records()
        .count() as u64;
    assert_eq!(expected_rows, synth::DEMO_ROWS as u64);

    let first = ingest(&mut store, &demo_csv(), &IngestOptions::default());
    assert_eq!(first.outcome, Outcome::Imported, "{:?}", first.bad_rows);
    assert_eq!(first.counts.imported, expected_rows);
    assert_eq!(store.incident_count().unwrap(), expected_rows);

    let second = ingest(&mut store, &demo_csv(), &IngestOptions::default());
    assert!(matches!(second.outcome, Outcome::AlreadyImported { .. }));
    assert_eq!(store.incident_count().unwrap(), expected_rows);
    assert_eq!(store.datasets().unwrap().len(), 1);

    // The same reports in a file with other bytes (rows reversed): all duplicates, none new.
    let mut reader = csv::Reader::from_reader(expected.as_bytes());
    let header = reader.headers().unwrap().clone();
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let reordered = dir.path().join("reordered.csv");
    let mut w = csv::Writer::from_path(&reordered).unwrap();
    w.write_record(&header).unwrap();
    for r in records.iter().rev() {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let third = ingest(&mut store, &reordered, &IngestOptions::default());
    assert_eq!(third.outcome, Outcome::Imported);
    assert_eq!(third.counts.imported, 0);
    assert_eq!(third.counts.duplicate, expected_rows);
    assert_eq!(store.incident_count().unwrap(), expected_rows);

    // The NRLS-coded headers were recognised, and the hidden truth kept as an extra field.
    let (category, harm, extra): (String, i64, String) = store
        .conn()
        .query_row(
            "SELECT category, harm, extra FROM incidents WHERE external_id = 'IA-0000001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(engine::fields::NRLS_CATEGORIES.contains(&category.as_str()));
    assert!((1..=5).contains(&harm));
    assert!(extra.contains("ground_truth_type"), "{extra}");
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

/// A CSV with one good row between each kind of bad row, and the lines they start on.
fn malformed_csv(dir: &Path) -> PathBuf {
    let mut data: Vec<u8> = Vec::new();
    data.extend_from_slice(b"id,date,description,harm,care_setting\n"); // line 1
    data.extend_from_slice(b"A1,2024-01-05,Patient fell in bay,2,Acute\n"); // 2 good
    data.extend_from_slice(b"A2,2024-01-06,Too few fields\n"); // 3 wrong column count
    data.extend_from_slice(b"A3,2024-01-07,Wrong dose given,1,Acute\n"); // 4 good
    data.extend_from_slice(b"A4,31/31/2024,Bad date here,1,Acute\n"); // 5 bad date
    data.extend_from_slice(b"A5,2024-01-08,   ,1,Acute\n"); // 6 empty text
    data.extend_from_slice(b"A6,2024-01-09,Caf\xe9 \xff\xfe bytes,1,Acute\n"); // 7 invalid UTF-8
    data.extend_from_slice(b"A7,2024-01-10,\""); // 8: a 10 MB field
    data.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    data.extend_from_slice(b"\",1,Acute\n");
    data.extend_from_slice(b"A8,2024-01-11,Nul\0byte,1,Acute\n"); // 9 NUL byte
    data.extend_from_slice(b"A9,2024-01-12,\"Multi-line\nreport, quoted\",3,Acute\n"); // 10 good, two lines
    data.extend_from_slice(b"A10,2024-01-13,Harm unknown,7,Acute\n"); // 12 bad harm
    data.extend_from_slice(b"A11,2024-01-14,Extra field,1,Acute,surplus\n"); // 13 wrong column count
    data.extend_from_slice(b",2024-01-15,No id,1,Acute\n"); // 14 empty id
    data.extend_from_slice(b"A12,2099-01-01,From the future,1,Acute\n"); // 15 future date
    let path = dir.join("malformed.csv");
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn malformed_rows_are_each_reported_and_reject_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    ingest(&mut store, &demo_csv(), &IngestOptions::default());
    let before = dump(&store);
    let path = malformed_csv(dir.path());

    let report = ingest(&mut store, &path, &IngestOptions::default());
    assert_eq!(report.outcome, Outcome::Rejected);
    assert_eq!(
        dump(&store),
        before,
        "a rejected import leaves the store exactly as it was"
    );
    let bad: Vec<(u64, Option<String>, String)> = report
        .bad_rows
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| (r.line, p.column.clone(), p.reason.clone()))
        })
        .collect();
    let lines: Vec<u64> = report.bad_rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 5, 6, 7, 8, 9, 12, 13, 14, 15], "{bad:#?}");
    assert_eq!(report.bad_rows_total, 10);
    let reason = |line: u64| -> String {
        bad.iter()
            .filter(|b| b.0 == line)
            .map(|b| format!("{:?} {}", b.1, b.2))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    assert!(
        reason(3).contains("has 3 fields, the header has 5"),
        "{}",
        reason(3)
    );
    assert!(
        reason(5).contains("\"date\"") && reason(5).contains("not a date"),
        "{}",
        reason(5)
    );
    assert!(
        reason(6).contains("\"description\"") && reason(6).contains("empty"),
        "{}",
        reason(6)
    );
    assert!(
        reason(7).contains("invalid UTF-8 at byte 3"),
        "{}",
        reason(7)
    );
    assert!(reason(8).contains("10485760 bytes"), "{}", reason(8));
    assert!(reason(9).contains("NUL"), "{}", reason(9));
    assert!(
        // The column and the reason, never the value: reasons reach terminals and logs.
        reason(12).contains("\"harm\"") && reason(12).contains("not a degree of harm") && !reason(12).contains("\"7\""),
        "{}",
        reason(12)
    );
    assert!(reason(13).contains("has 6 fields"), "{}", reason(13));
    assert!(
        reason(14).contains("\"id\"") && reason(14).contains("empty"),
        "{}",
        reason(14)
    );
    assert!(reason(15).contains("future"), "{}", reason(15));

    // With skip_bad only the three good rows land, and the bad ones are kept aside.
    let report = ingest(
        &mut store,
        &path,
        &IngestOptions {
            skip_bad: true,
            ..Default::default()
        },
    );
    assert_eq!(report.outcome, Outcome::Imported);
    assert_eq!(report.counts.imported, 3);
    assert_eq!(report.counts.rejected, 10);
    let ids: Vec<String> = store
        .conn()
        .prepare("SELECT external_id FROM incidents WHERE dataset_id = ?1 ORDER BY source_line")
        .unwrap()
        .query_map([report.dataset_id.unwrap()], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(ids, ["A1", "A3", "A9"]);
    let multi_line: String = store
        .conn()
        .query_row(
            "SELECT description FROM incidents WHERE external_id='A9'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(multi_line, "Multi-line\nreport, quoted");
    let (rejects, longest): (i64, i64) = store
        .conn()
        .query_row(
            "SELECT count(*), max(length(raw_fields)) FROM import_rejects",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(rejects, 10);
    assert!(
        longest < 100_000,
        "rejected cells are truncated, not stored whole ({longest})"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn repair_utf8_keeps_the_row_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let path = dir.path().join("latin1.csv");
    std::fs::write(
        &path,
        b"id,date,description\nB1,2024-02-01,Temp 38\xb0C and \xa3 cost\nB2,2024-02-02,Fine\n",
    )
    .unwrap();
    let report = ingest(
        &mut store,
        &path,
        &IngestOptions {
            repair_utf8: true,
            ..Default::default()
        },
    );
    assert_eq!(report.outcome, Outcome::Imported);
    assert_eq!(report.counts.imported, 2);
    assert_eq!(report.counts.lossy, 1);
    assert_eq!(report.lossy_rows[0].line, 2);
    let text: String = store
        .conn()
        .query_row(
            "SELECT description FROM incidents WHERE external_id='B1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(text, "Temp 38\u{FFFD}C and \u{FFFD} cost");
}

#[test]
fn jsonl_with_mapping_overrides_and_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let path = dir.path().join("reports.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"ref\": \"J1\", \"when\": \"05/03/2024\", \"what\": \"Syringe driver alarm failed\", \"PD09\": \"3 - Moderate\", \"ward\": \"AMU\", \"tags\": [\"device\"]}\n",
            "\n",
            "[1, 2]\n",
            "{\"ref\": \"J2\", \"when\": \"2024-03-06T10:00:00Z\", \"what\": \"Fall\", \"PD09\": null}\n",
            "{not json\n",
            "{\"ref\": \"J3\", \"when\": \"2024-03-07\", \"what\": \"\", \"PD09\": 1}\n",
        ),
    )
    .unwrap();
    let overrides: Vec<MapOverride> = ["when=date", "what=description", "ward=location"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let options = IngestOptions {
        overrides,
        ..Default::default()
    };
    let report = ingest(&mut store, &path, &options);
    assert_eq!(report.format, "jsonl");
    assert_eq!(report.outcome, Outcome::Rejected);
    let lines: Vec<u64> = report.bad_rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![3, 5, 6], "{:#?}", report.bad_rows);
    assert!(report.bad_rows[0].problems[0].reason.contains("an array"));
    assert!(report.bad_rows[1].problems[0]
        .reason
        .contains("invalid JSON"));
    assert_eq!(store.incident_count().unwrap(), 0);

    let report = ingest(
        &mut store,
        &path,
        &IngestOptions {
            skip_bad: true,
            ..options
        },
    );
    assert_eq!(report.counts.imported, 2);
    let (date, harm, location, extra): (String, Option<i64>, String, String) = store
        .conn()
        .query_row(
            "SELECT occurred_on, harm, location, extra FROM incidents WHERE external_id='J1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (date.as_str(), harm, location.as_str()),
        ("2024-03-05", Some(3), "AMU")
    );
    assert_eq!(extra, r#"{"tags":"[\"device\"]"}"#);
    let harm: Option<i64> = store
        .conn()
        .query_row(
            "SELECT harm FROM incidents WHERE external_id='J2'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(harm, None);
}

#[test]
fn conflicting_ids_are_bad_rows_and_identical_ones_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let first = dir.path().join("a.csv");
    std::fs::write(
        &first,
        "id,date,description\nC1,2024-01-01,Original text\nC2,2024-01-02,Other\n",
    )
    .unwrap();
    assert_eq!(
        ingest(&mut store, &first, &IngestOptions::default())
            .counts
            .imported,
        2
    );
    let second = dir.path().join("b.csv");
    std::fs::write(&second, "id;date;description\nC1;2024-01-01;Edited text\nC2;2024-01-02;Other\nC3;2024-01-03;New\nC3;2024-01-03;New\n").unwrap();
    let report = ingest(&mut store, &second, &IngestOptions::default());
    assert_eq!(
        report.outcome,
        Outcome::Rejected,
        "semicolon file sniffed, conflict found"
    );
    assert_eq!(report.bad_rows.len(), 1);
    assert!(
        report.bad_rows[0].problems[0]
            .reason
            .contains("different content"),
        "{:?}",
        report.bad_rows
    );
    let report = ingest(
        &mut store,
        &second,
        &IngestOptions {
            skip_bad: true,
            ..Default::default()
        },
    );
    assert_eq!(
        (
            report.counts.imported,
            report.counts.duplicate,
            report.counts.rejected
        ),
        (1, 2, 1)
    );
    let text: String = store
        .conn()
        .query_row(
            "SELECT description FROM incidents WHERE external_id='C1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(text, "Original text", "a conflicting row never overwrites");
}

#[test]
fn files_without_an_id_column_deduplicate_on_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let a = dir.path().join("a.csv");
    std::fs::write(
        &a,
        "date,description\n2024-01-01,Same report\n2024-01-02,Another\n",
    )
    .unwrap();
    let b = dir.path().join("b.csv");
    std::fs::write(&b, "description,date\nSame report,2024-01-01\n").unwrap();
    assert_eq!(
        ingest(&mut store, &a, &IngestOptions::default())
            .counts
            .imported,
        2
    );
    let report = ingest(&mut store, &b, &IngestOptions::default());
    assert_eq!((report.counts.imported, report.counts.duplicate), (0, 1));
}

#[test]
fn mapping_errors_name_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    let path = dir.path().join("odd.csv");
    std::fs::write(&path, "when,what\n2024-01-01,x\n").unwrap();
    let err = ingest_file(
        &mut store,
        &path,
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("odd.csv") && text.contains("\"when\", \"what\"") && text.contains("--map"),
        "{text}"
    );
    assert_eq!(store.datasets().unwrap().len(), 0);
    let err = ingest_file(
        &mut store,
        Path::new("/nonexistent/x.csv"),
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.csv"));
    assert_eq!(IngestOptions::default().format, None);
    assert_eq!(Format::from_path(Path::new("a.NDJSON")), Format::Jsonl);
}

#[test]
fn cancelling_half_way_leaves_the_store_as_it_was() {
    let size = std::fs::metadata(demo_csv()).unwrap().len();
    let dir2 = tempfile::tempdir().unwrap();
    let mut store2 = Store::create(dir2.path()).unwrap();
    let cancel = CancelToken::new();
    let progress = Halfway {
        cancel: cancel.clone(),
        importing: std::sync::atomic::AtomicBool::new(false),
        at: size / 2,
    };
    let report = ingest_file(
        &mut store2,
        &demo_csv(),
        &IngestOptions::default(),
        &progress,
        &cancel,
    )
    .unwrap();
    assert_eq!(report.outcome, Outcome::Cancelled);
    assert!(report.counts.read > 0 && report.counts.read < synth::DEMO_ROWS as u64);
    assert_eq!(store2.incident_count().unwrap(), 0);
    assert_eq!(store2.datasets().unwrap().len(), 0);
}

struct Halfway {
    cancel: CancelToken,
    importing: std::sync::atomic::AtomicBool,
    at: u64,
}
impl Progress for Halfway {
    fn set_phase(&self, phase: &str) {
        self.importing
            .store(phase == "importing", std::sync::atomic::Ordering::Relaxed);
    }
    fn set_position(&self, position: u64) {
        if self.importing.load(std::sync::atomic::Ordering::Relaxed) && position > self.at {
            self.cancel.cancel();
        }
    }
}

#[test]
fn a_reporting_date_is_stored_when_the_source_has_one_and_checked_against_the_incident_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    let path = dir.path().join("reported.csv");
    std::fs::write(
        &path,
        "id,incident date,Date reported,description\n\
         A1,2024-03-01,2024-03-04,Fall on the ward\n\
         A2,2024-03-02,02/03/2024,Same-day report\n\
         A3,2024-03-05,2024-03-01,Reported before it happened\n\
         A4,2024-03-05,soon,Not a date\n\
         A5,2024-03-06,,No reporting date given\n",
    )
    .unwrap();
    let report = ingest(&mut store, &path, &IngestOptions { skip_bad: true, ..IngestOptions::default() });
    let bad: Vec<(u64, String)> =
        report.bad_rows.iter().flat_map(|r| r.problems.iter().map(move |p| (r.line, format!("{:?} {}", p.column, p.reason)))).collect();
    assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![4, 5], "{bad:#?}");
    assert!(bad[0].1.contains("Date reported") && bad[0].1.contains("before the incident date") && !bad[0].1.contains("2024-03-01"), "{}", bad[0].1);
    assert!(bad[1].1.contains("not a date") && !bad[1].1.contains("soon"), "{}", bad[1].1);
    let stored: Vec<(String, Option<String>)> = store
        .conn()
        .prepare("SELECT external_id, reported_on FROM incidents ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        stored,
        vec![
            ("A1".to_string(), Some("2024-03-04".to_string())),
            ("A2".to_string(), Some("2024-03-02".to_string())),
            ("A5".to_string(), None),
        ]
    );
    // The column is the reporting date, not an extra field or a second incident date.
    let extra: String = store.conn().query_row("SELECT extra FROM incidents WHERE external_id = 'A1'", [], |r| r.get(0)).unwrap();
    assert_eq!(extra, "{}");
}
