//! Labelling through the real binary: labels acknowledged on a stream survive a SIGKILL of
//! the process, and tampering with the audit log makes `audit verify` fail and name the row.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Output, Stdio};

mod common;

use common::{bin, json};

fn run(project: &Path, args: &[&str]) -> Output {
    let out = bin()
        .arg("--project")
        .arg(project)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success() || args.contains(&"verify"),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A project with the first 300 demo reports, two reviewers, a schema and a 120-report session.
fn project(dir: &Path) -> std::path::PathBuf {
    let project = common::demo_project(dir, 300);
    run(&project, &["review", "reviewer", "add", "ana"]);
    run(
        &project,
        &["review", "reviewer", "add", "sam", "--role", "adjudicator"],
    );
    run(
        &project,
        &[
            "review",
            "schema",
            "harm-check",
            "--label",
            "agree=The recorded harm fits the text",
            "--label",
            "disagree",
        ],
    );
    run(
        &project,
        &[
            "review",
            "session",
            "--name",
            "kill test",
            "--schema",
            "harm-check",
            "--count",
            "120",
        ],
    );
    project
}

#[test]
fn labels_acknowledged_before_a_sigkill_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    let items: Vec<String> = json(&run(&project, &["--json", "review", "finals", "1"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["external_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(items.len(), 120);

    let mut child = bin()
        .arg("--project")
        .arg(&project)
        .args(["review", "label", "1", "--reviewer", "ana", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // Send every label at once, so the process is busy committing when it is killed.
    for (i, id) in items.iter().enumerate() {
        writeln!(
            input,
            "{id}\t{}",
            if i % 3 == 0 { "disagree" } else { "agree" }
        )
        .unwrap();
    }
    input.flush().unwrap();
    let mut acks = BufReader::new(child.stdout.take().unwrap());
    let mut acknowledged = Vec::new();
    let mut line = String::new();
    while acknowledged.len() < 40 {
        line.clear();
        assert!(
            acks.read_line(&mut line).unwrap() > 0,
            "the stream ended early"
        );
        let mut parts = line.split_whitespace();
        assert_eq!(parts.next(), Some("ok"), "{line}");
        acknowledged.push(parts.next().unwrap().to_string());
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let finals = json(&run(&project, &["--json", "review", "finals", "1"]));
    let labelled: Vec<String> = finals
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["coded"].as_array().is_some_and(|c| !c.is_empty()))
        .map(|f| f["external_id"].as_str().unwrap().to_string())
        .collect();
    for id in &acknowledged {
        assert!(labelled.contains(id), "acknowledged label on {id} was lost");
    }
    assert!(
        labelled.len() < items.len(),
        "the kill came after every label; nothing was tested"
    );
    // What survived is consistent: the audit chain is intact and matches the labels.
    let verify = bin()
        .arg("--project")
        .arg(&project)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let log = json(&run(&project, &["--json", "audit", "log", "-n", "1000"]));
    let label_entries = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "label")
        .count();
    assert_eq!(label_entries, labelled.len());
    // The labels freeze into a benchmark whose export imports back with the same hash.
    let frozen = json(&run(
        &project,
        &["--json", "benchmark", "freeze", "1", "--name", "harm check"],
    ));
    assert_eq!(frozen["items"].as_u64(), Some(labelled.len() as u64));
    let out = dir.path().join("harm.csv");
    run(
        &project,
        &[
            "benchmark",
            "export",
            "harm check",
            "--out",
            out.to_str().unwrap(),
            "--text",
            "masked",
        ],
    );
    let fresh = dir.path().join("fresh");
    assert!(bin()
        .args(["init"])
        .arg(&fresh)
        .output()
        .unwrap()
        .status
        .success());
    let imported = json(&run(
        &fresh,
        &["--json", "benchmark", "import", out.to_str().unwrap()],
    ));
    assert_eq!(imported["content_sha256"], frozen["content_sha256"]);
    // The session carries on where it stopped.
    let next = json(&run(
        &project,
        &["--json", "review", "next", "1", "--reviewer", "ana"],
    ));
    assert_eq!(
        next["external_id"].as_str(),
        Some(items[labelled.len()].as_str())
    );
}

#[test]
fn tampering_with_one_audit_row_is_found_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path());
    for id in ["IA-0000001", "IA-0000002", "IA-0000003"] {
        let _ = bin()
            .arg("--project")
            .arg(&project)
            .args(["review", "label", "1", "--reviewer", "ana", id, "agree"])
            .output();
    }
    let intact = bin()
        .arg("--project")
        .arg(&project)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(intact.status.success());
    assert!(String::from_utf8_lossy(&intact.stdout).contains("intact"));
    // The sealed head, kept outside the project, checks out against the chain.
    let head = project.parent().unwrap().join("head.json");
    let cli = |args: &[&str]| bin().arg("--project").arg(&project).args(args).output().unwrap();
    assert!(cli(&["audit", "head", "--out", head.to_str().unwrap()]).status.success());
    let exported: serde_json::Value = serde_json::from_slice(&std::fs::read(&head).unwrap()).unwrap();
    assert!(exported["mac"].as_str().is_some_and(|m| m.len() == 64), "{exported}");
    assert!(cli(&["audit", "verify", "--against", head.to_str().unwrap()]).status.success());

    let conn = rusqlite::Connection::open(project.join("atlas.sqlite")).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert!(rows >= 5, "{rows} audit rows");
    // The triggers stop a plain edit; a tamperer drops them first.
    assert!(conn
        .execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 4", [])
        .is_err());
    conn.execute_batch("DROP TRIGGER audit_append_only_update")
        .unwrap();
    conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 4", [])
        .unwrap();
    drop(conn);
    let broken = bin()
        .arg("--project")
        .arg(&project)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(4));
    let said = String::from_utf8_lossy(&broken.stderr);
    assert!(said.contains("entry 4"), "{said}");
    let as_json = json(
        &bin()
            .arg("--project")
            .arg(&project)
            .args(["--json", "audit", "verify"])
            .output()
            .unwrap(),
    );
    assert_eq!(as_json["chain"]["broken_at"][0], 4);
    // A head edited by hand fails its own seal.
    let mut forged = exported.clone();
    forged["entry"] = serde_json::json!(1);
    std::fs::write(&head, forged.to_string()).unwrap();
    let refused = cli(&["audit", "verify", "--against", head.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not sealed by the key"), "{}", String::from_utf8_lossy(&refused.stderr));
}
