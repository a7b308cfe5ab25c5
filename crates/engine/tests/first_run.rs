//! The first-run path on real files: the preview (columns, detected fields, chosen
//! fields, first rows, mapping problems naming the columns, every row checked) and the one
//! job that makes a project from a file — refused whole, with no project left behind, when
//! a row is bad or the folder is not a new one.

use engine::first_run::{first_run, FirstRunError};
use engine::ingest::{overrides_from_choices, preview_file, IngestOptions, PREVIEW_ROWS};
use engine::jobs::{CancelToken, NoProgress};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const NRLS: &str = "RP01 Report id,IN01 Incident date,IN07 Description,PD09 Degree of harm,Ward name\n\
R1,2024-01-02,Patient fell from bed at night,2,Ward 7\n\
R2,2024-01-03,Wrong dose of insulin given,3,Ward 9\n\
R3,2024-01-04,Pump alarm ignored for an hour,1,ICU\n";

#[test]
fn the_preview_shows_detected_fields_the_first_rows_and_counts_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "export.csv", NRLS);
    let p = preview_file(&file, &IngestOptions::default()).unwrap();
    assert_eq!(p.file_name, "export.csv");
    let targets: Vec<(&str, &str)> = p.columns.iter().map(|c| (c.name.as_str(), c.target.as_str())).collect();
    assert_eq!(
        targets,
        [("RP01 Report id", "id"), ("IN01 Incident date", "date"), ("IN07 Description", "description"), ("PD09 Degree of harm", "harm"), ("Ward name", "extra")]
    );
    assert_eq!(p.columns[3].detected.as_deref(), Some("harm"));
    assert!(p.columns.iter().all(|c| !c.chosen));
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.rows[1][2], "Wrong dose of insulin given");
    assert!(p.mapping_problem.is_none());
    let check = p.check.unwrap();
    assert_eq!((check.good, check.bad), (3, 0));
    assert!(p.choices.iter().any(|c| c.target == "description" && c.required));
    assert!(p.choices.iter().any(|c| c.target == "ignore"));
}

#[test]
fn the_preview_shows_only_the_first_rows_and_lists_bad_rows_with_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("id,date,description\n");
    for i in 0..50 {
        // Rows 10, 20, 30 have an impossible date; row 40 has no description.
        let date = if i % 10 == 0 && i > 0 && i < 40 { "2024-13-45" } else { "2024-02-01" };
        let desc = if i == 40 { "" } else { "A report of something that went wrong" };
        text.push_str(&format!("N{i},{date},{desc}\n"));
    }
    let file = write(tmp.path(), "bad.csv", &text);
    let p = preview_file(&file, &IngestOptions::default()).unwrap();
    assert_eq!(p.rows.len(), PREVIEW_ROWS);
    let check = p.check.unwrap();
    assert_eq!((check.good, check.bad), (46, 4));
    let lines: Vec<u64> = check.problems.iter().map(|r| r.line).collect();
    assert_eq!(lines, [12, 22, 32, 42]);
    assert_eq!(check.problems[0].external_id.as_deref(), Some("N10"));
    assert!(check.problems[0].problems[0].reason.contains("date"), "{:?}", check.problems[0]);
}

#[test]
fn an_ambiguous_mapping_is_a_problem_naming_both_columns_until_the_user_chooses() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(
        tmp.path(),
        "two.csv",
        "id,date,description,Incident description\nA1,2024-01-01,first text,second text\n",
    );
    let p = preview_file(&file, &IngestOptions::default()).unwrap();
    let problem = p.mapping_problem.expect("two description columns are ambiguous");
    assert!(problem.contains("\"description\"") && problem.contains("\"Incident description\""), "{problem}");
    assert!(!problem.contains("--map"), "the app's words, not the CLI's: {problem}");
    assert!(p.check.is_none(), "no row is checked against an unusable mapping");
    // Every column is still shown, the second one set aside.
    assert_eq!(p.columns.len(), 4);
    assert_eq!(p.columns[3].target, "extra");

    let choices = overrides_from_choices(&[("Incident description".into(), "ignore".into())]).unwrap();
    let options = IngestOptions { overrides: choices, ..IngestOptions::default() };
    let p = preview_file(&file, &options).unwrap();
    assert!(p.mapping_problem.is_none(), "{:?}", p.mapping_problem);
    assert!(p.columns[3].chosen);
    assert_eq!(p.columns[3].target, "ignore");
    assert_eq!(p.check.unwrap().good, 1);

    // A required field left without a column names the columns there are.
    let choices = overrides_from_choices(&[("description".into(), "extra".into()), ("Incident description".into(), "extra".into())]).unwrap();
    let p = preview_file(&file, &IngestOptions { overrides: choices, ..IngestOptions::default() }).unwrap();
    let problem = p.mapping_problem.unwrap();
    assert!(problem.contains("'description'") && problem.contains("\"Incident description\""), "{problem}");
    // Two columns the user set to one field.
    let choices = overrides_from_choices(&[("id".into(), "description".into()), ("description".into(), "description".into())]).unwrap();
    let p = preview_file(&file, &IngestOptions { overrides: choices, ..IngestOptions::default() }).unwrap();
    assert!(p.mapping_problem.unwrap().contains("both set to description"));
    assert!(overrides_from_choices(&[("id".into(), "favourite colour".into())]).is_err());
}

#[test]
fn hostile_files_are_errors_or_previews_never_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = write(tmp.path(), "empty.csv", "");
    assert!(preview_file(&empty, &IngestOptions::default()).is_err());
    let binary = tmp.path().join("noise.csv");
    std::fs::write(&binary, (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect::<Vec<u8>>()).unwrap();
    let _ = preview_file(&binary, &IngestOptions::default());
    let jsonl = write(tmp.path(), "r.jsonl", "{\"id\":\"J1\",\"date\":\"2024-01-01\",\"description\":\"text\"}\n[1,2]\nnot json\n");
    let p = preview_file(&jsonl, &IngestOptions::default()).unwrap();
    assert_eq!(p.rows.len(), 3);
    let check = p.check.unwrap();
    assert_eq!((check.good, check.bad), (1, 2));
    // A long cell is cut in the preview.
    let long = write(tmp.path(), "long.csv", &format!("id,date,description\nL1,2024-01-01,{}\n", "x".repeat(5000)));
    let p = preview_file(&long, &IngestOptions::default()).unwrap();
    assert!(p.rows[0][2].chars().count() < 300);
    assert!(preview_file(&tmp.path().join("missing.csv"), &IngestOptions::default()).is_err());
}

#[test]
fn a_bad_file_makes_no_project_and_a_used_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(tmp.path(), "bad.csv", "id,date,description\nB1,2024-01-01,fine\nB2,not a date,also fine\nB3,2024-01-02,\n");
    let dir = tmp.path().join("new-project");
    let err = first_run(&dir, &bad, &IngestOptions::default(), Some("tfidf-lsa"), &NoProgress, &CancelToken::new()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FirstRunError::BadRows { bad: 2, total: 3, .. }), "{text}");
    assert!(text.contains("line 3 (id B2)") && text.contains("line 4 (id B3)"), "every bad row listed: {text}");
    assert!(!dir.exists(), "nothing was made");

    let used = tmp.path().join("used");
    std::fs::create_dir_all(&used).unwrap();
    std::fs::write(used.join("notes.txt"), "mine").unwrap();
    let good = write(tmp.path(), "good.csv", NRLS);
    let err = first_run(&used, &good, &IngestOptions::default(), Some("tfidf-lsa"), &NoProgress, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, FirstRunError::FolderNotEmpty(_)), "{err}");
    assert_eq!(std::fs::read_dir(&used).unwrap().count(), 1);
    let err = first_run(&dir, &good, &IngestOptions::default(), Some("no-such-model"), &NoProgress, &CancelToken::new()).unwrap_err();
    assert!(err.to_string().contains("no-such-model"), "{err}");
    assert!(!dir.exists());
}

#[test]
fn a_good_file_becomes_an_analysed_project_in_one_job() {
    let tmp = tempfile::tempdir().unwrap();
    // 600 demo reports: enough for clusters.
    let mut reader = csv::Reader::from_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv")).unwrap();
    let file = tmp.path().join("reports.csv");
    let mut w = csv::Writer::from_path(&file).unwrap();
    w.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().take(600) {
        w.write_record(&r.unwrap()).unwrap();
    }
    w.flush().unwrap();
    let dir = tmp.path().join("project");
    let report = first_run(&dir, &file, &IngestOptions::default(), Some("tfidf-lsa"), &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(report.import.counts.imported, 600);
    assert_eq!(report.encoded, 600);
    assert!(report.clusters >= 2, "{} clusters", report.clusters);
    let store = engine::Store::open(&dir).unwrap();
    assert_eq!(engine::explore::latest_run_id(&store).unwrap(), Some(report.run));
    // The run's index and map exist, so the app opens straight onto the map.
    assert!(dir.join("maps").read_dir().unwrap().count() >= 1);
}
