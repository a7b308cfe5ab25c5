//! Shared by the CLI's integration tests: the real binary, and projects made from slices
//! of the demo data.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_incident-atlas"));
    cmd.env_remove("INCIDENT_ATLAS_PROJECT");
    cmd
}

/// Runs `incident-atlas --project PROJECT ARGS...`, which must succeed.
pub fn run(project: &Path, args: &[&str]) -> Output {
    let out = bin()
        .arg("--project")
        .arg(project)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// A project `dir/p` with the first `rows` demo reports imported.
pub fn demo_project(dir: &Path, rows: usize) -> PathBuf {
    let mut reader = csv::Reader::from_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv"),
    )
    .unwrap();
    let csv = dir.join("part.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    w.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().take(rows) {
        w.write_record(&r.unwrap()).unwrap();
    }
    w.flush().unwrap();
    let project = dir.join("p");
    assert!(bin()
        .arg("init")
        .arg(&project)
        .output()
        .unwrap()
        .status
        .success());
    run(&project, &["ingest", csv.to_str().unwrap()]);
    project
}
