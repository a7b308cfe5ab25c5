//! `privacy mask` through the real binary: lines in, the same lines masked out, with the
//! spans as JSON when asked; no project needed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-atlas"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn mask(args: &[&str], input: &str) -> String {
    let (global, own): (Vec<&str>, Vec<&str>) = args.iter().partition(|a| **a == "--json");
    let all: Vec<&str> = global.into_iter().chain(["privacy", "mask"]).chain(own).collect();
    let out = run(&all, input.as_bytes());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn each_line_comes_back_masked_in_order() {
    let input = "Mrs Jane Smith, NHS 401 023 2137, lives at LS1 4AP.\nNothing personal: 10 mg given at 14:30.\n\nCall 0113 496 0123 or j.smith@example.nhs.uk\n";
    assert_eq!(
        mask(&[], input),
        "Mrs [PERSON], NHS [NHS_NUMBER], lives at [POSTCODE].\nNothing personal: 10 mg given at 14:30.\n\nCall [PHONE] or [EMAIL]\n"
    );
    let lines: Vec<serde_json::Value> = mask(&["--json"], input).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    let first = &lines[0]["spans"];
    assert_eq!(first.as_array().map(Vec::len), Some(3));
    assert_eq!(first[1]["kind"], "nhs_number");
    assert_eq!(first[1]["rule"], "nhs-number");
    assert_eq!(&input[first[1]["start"].as_u64().unwrap() as usize..first[1]["end"].as_u64().unwrap() as usize], "401 023 2137");
    assert_eq!(lines[1]["spans"].as_array().map(Vec::len), Some(0));
}

#[test]
fn pseudonyms_and_an_organisations_numbers() {
    let input = "Jane Smith (RX11234567) fell.\nMrs Smith's RX11234567 label was wrong; Paul Jones saw it.\n";
    assert_eq!(
        mask(&["--pseudonyms", "--hospital-number", r"rx1=RX1\d{7}"], input),
        "[PERSON_1] ([HOSPITAL_NUMBER_1]) fell.\nMrs [PERSON_1]'s [HOSPITAL_NUMBER_1] label was wrong; [PERSON_2] saw it.\n"
    );
    // Without the organisation's pattern its numbers are not known for what they are.
    assert!(mask(&[], input).contains("RX11234567"));
}

#[test]
fn bad_input_and_bad_patterns_are_refused_clearly() {
    let out = run(&["privacy", "mask"], b"fine line\nNHS 401 023 2137 \xff\xfe secret\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2 is not UTF-8"), "{err}");
    assert!(!err.contains("401") && !err.contains("secret"), "the line's text is not echoed: {err}");
    for pattern in ["rx1=(", "rx1=\\d*", "no-equals-sign"] {
        let out = run(&["privacy", "mask", "--hospital-number", pattern], b"x\n");
        assert!(!out.status.success(), "{pattern}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
}

#[test]
fn a_projects_patterns_are_added_listed_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    let p = p.to_str().unwrap();
    assert!(run(&["init", p], b"").status.success());
    let out = run(&["--project", p, "privacy", "rules", "add", "k", r"K\d{6}", "--author", "ana"], b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!run(&["--project", p, "privacy", "rules", "add", "bad", "("], b"").status.success());
    let listed = run(&["--project", p, "--json", "privacy", "rules", "list"], b"");
    let rules: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rules, serde_json::json!([{ "name": "k", "pattern": r"K\d{6}" }]));
    let out = run(&["--project", p, "privacy", "mask", "--project-rules"], b"sticker K123456\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sticker [HOSPITAL_NUMBER]\n");
}

fn run_env(args: &[&str], input: &[u8], passphrase: Option<&str>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_incident-atlas"));
    command.args(args).env_remove("INCIDENT_ATLAS_PASSPHRASE").env_remove("INCIDENT_ATLAS_ENCRYPT_NEW");
    if let Some(p) = passphrase {
        command.env("INCIDENT_ATLAS_PASSPHRASE", p);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn encrypted_projects_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, "id,date,category,description\nR1,2024-01-02,Medication,Daughter Siobhan rang\n").unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // A new encrypted project, its passphrase from the environment.
    let made = run_env(&["init", a, "--encrypt"], b"", Some("long enough passphrase"));
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(String::from_utf8_lossy(&made.stdout).contains("indexes"), "says what is not encrypted");
    assert!(!run_env(&["init", b, "--encrypt"], b"", Some("short")).status.success(), "a short passphrase is refused");
    assert!(run_env(&["--project", a, "--quiet", "ingest", csv.to_str().unwrap()], b"", Some("long enough passphrase")).status.success());
    let without = run_env(&["--project", a, "stats"], b"", None);
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("is encrypted: give its passphrase"), "{}", String::from_utf8_lossy(&without.stderr));
    let wrong = run_env(&["--project", a, "stats"], b"", Some("not the passphrase"));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("does not open it"), "{}", String::from_utf8_lossy(&wrong.stderr));
    assert!(run_env(&["--project", a, "stats"], b"", Some("long enough passphrase")).status.success());
    // A plain project encrypted in place, the passphrase on standard input.
    assert!(run_env(&["init", b], b"", None).status.success());
    assert!(run_env(&["--project", b, "--quiet", "ingest", csv.to_str().unwrap()], b"", None).status.success());
    let enc = run_env(&["--project", b, "encrypt", "--passphrase-stdin"], b"another long passphrase\n", None);
    assert!(enc.status.success(), "{}", String::from_utf8_lossy(&enc.stderr));
    let bytes = std::fs::read(Path::new(b).join("atlas.sqlite")).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3") && !bytes.windows(7).any(|w| w == b"Siobhan"));
    let again = run_env(&["--project", b, "encrypt", "--passphrase-stdin"], b"another long passphrase\n", None);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already encrypted"));
    assert!(run_env(&["--project", b, "stats"], b"", Some("another long passphrase")).status.success());
}
