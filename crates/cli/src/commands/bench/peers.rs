//! The Python peers the benchmarks run beside ours, and the texts they share.

use anyhow::Context;
use std::path::{Path, PathBuf};

/// Runs `scripts/bench/SCRIPT` with `python` on `texts` (written to a scratch JSON file whose
/// path `args` places among the arguments), offline, and parses the JSON line it prints last.
pub(super) fn run_python_peer(
    python: &Path,
    script: &str,
    texts: &[String],
    args: impl FnOnce(&Path) -> Vec<std::ffi::OsString>,
) -> anyhow::Result<serde_json::Value> {
    let scratch = tempfile::tempdir()?;
    let texts_path = scratch.path().join("texts.json");
    std::fs::write(&texts_path, serde_json::to_string(texts)?)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/bench")
        .join(script);
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(args(&texts_path))
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_OFFLINE", "1")
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "the peer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    serde_json::from_str(&line).with_context(|| format!("unexpected peer output {line:?}"))
}

/// The Python environment the test set-up installs sentence-transformers into, if there.
pub(super) fn default_peer_python() -> Option<PathBuf> {
    let default = std::env::var_os("INCIDENT_ATLAS_ST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/incident-atlas/st-venv/bin/python")
        });
    default.is_file().then_some(default)
}

/// Texts for benchmarks: the descriptions of `n` demo reports spread evenly over the file.
pub(super) fn demo_texts(csv_path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
    let mut reader = csv::Reader::from_path(csv_path)
        .with_context(|| format!("cannot read {}", csv_path.display()))?;
    let headers = reader.headers()?.clone();
    let column = headers
        .iter()
        .position(|h| engine::ingest::detect(h) == Some(engine::fields::Field::Description))
        .context("the demo file has no description column")?;
    let all: Vec<String> = reader
        .records()
        .filter_map(|r| r.ok().map(|r| r[column].to_string()))
        .collect();
    let step = (all.len() / n.max(1)).max(1);
    Ok(all.into_iter().step_by(step).take(n).collect())
}

/// Our rate over the peer's `key` rate (above 1: we are faster), when the peer ran.
pub(super) fn ratio_vs_peer(peer: Option<&serde_json::Value>, key: &str, ours: f64) -> Option<f64> {
    peer.and_then(|p| p[key].as_f64()).map(|p| ours / p)
}
