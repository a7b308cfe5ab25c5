//! `privacy mask` through the real binary: lines in, the same lines masked out, with the
//! spans as JSON when asked; no project needed.

use std::io::Write;
use std::process::{Command, Stdio};

fn mask(args: &[&str], input: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_incident-atlas"))
        .args(args)
        .args(["privacy", "mask"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
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
