//! `bench ingest`: generated CSV files of each size imported into a fresh project, beside
//! the sqlite3 shell's `.import --csv` of the same file.

use super::memory::{peak_rss_mib, reset_peak_rss};
use crate::output::Ui;
use anyhow::Context;
use engine::ingest::{ingest_file, IngestOptions, Outcome};
use engine::jobs::{CancelToken, NoProgress};
use synth::{generate, SynthConfig};
use serde::Serialize;
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub(super) fn run(rows: &[usize], dir: Option<&Path>, ui: &Ui) -> anyhow::Result<ExitCode> {
    let scratch = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            None
        }
        None => Some(tempfile::tempdir().context("cannot create a scratch folder")?),
    };
    let base = dir
        .map(Path::to_path_buf)
        .or_else(|| scratch.as_ref().map(|s| s.path().to_path_buf()))
        .unwrap_or_default();
    let mut all = Vec::new();
    for &n in rows {
        let figures = ingest_once(&base, n)?;
        if !ui.json {
            print_figures(&figures);
        }
        all.push(figures);
    }
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct IngestFigures {
    rows: usize,
    file_mib: f64,
    seconds: f64,
    rows_per_second: f64,
    mib_per_second: f64,
    /// Peak resident memory of this process during the ingest alone.
    peak_rss_mib: Option<f64>,
    /// The sqlite3 shell's `.import --csv` into a bare table: no validation, no indexes.
    peer_sqlite3_seconds: Option<f64>,
    /// Our time divided by the peer's (below 1: we are faster).
    time_ratio_vs_peer: Option<f64>,
}

fn ingest_once(base: &Path, rows: usize) -> anyhow::Result<IngestFigures> {
    let csv_path = base.join(format!("bench-{rows}.csv"));
    if !csv_path.exists() {
        let file = std::fs::File::create(&csv_path)
            .with_context(|| format!("cannot create {}", csv_path.display()))?;
        generate(
            &SynthConfig {
                rows,
                ..Default::default()
            },
            BufWriter::with_capacity(1 << 20, file),
        )?;
    }
    let project = base.join(format!("bench-project-{rows}"));
    let _ = std::fs::remove_dir_all(&project);
    let mut store = engine::Store::create(&project)?;
    reset_peak_rss();
    let started = Instant::now();
    let report = ingest_file(
        &mut store,
        &csv_path,
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    anyhow::ensure!(
        report.outcome == Outcome::Imported && report.counts.imported == rows as u64,
        "benchmark import did not import every row: {:?} {:?}",
        report.outcome,
        report.counts
    );
    drop(store);
    let file_mib = std::fs::metadata(&csv_path)?.len() as f64 / (1 << 20) as f64;
    let peer = peer_sqlite3(base, &csv_path)?;
    let _ = std::fs::remove_dir_all(&project);
    Ok(IngestFigures {
        rows,
        file_mib,
        seconds,
        rows_per_second: rows as f64 / seconds,
        mib_per_second: file_mib / seconds,
        peak_rss_mib: peak,
        peer_sqlite3_seconds: peer,
        time_ratio_vs_peer: peer.map(|p| seconds / p),
    })
}

fn print_figures(f: &IngestFigures) {
    println!(
        "ingest {:>9} rows ({:.0} MiB): {:.2} s, {:.0} rows/s, {:.1} MiB/s, peak RSS {}",
        f.rows,
        f.file_mib,
        f.seconds,
        f.rows_per_second,
        f.mib_per_second,
        f.peak_rss_mib
            .map_or("n/a".into(), |m| format!("{m:.0} MiB"))
    );
    if let (Some(p), Some(r)) = (f.peer_sqlite3_seconds, f.time_ratio_vs_peer) {
        println!("  peer: sqlite3 shell .import --csv (no validation, no index) {p:.2} s; our time / peer time = {r:.2}");
    }
}

/// Times the sqlite3 shell importing the same CSV into a fresh database, if the shell exists.
fn peer_sqlite3(base: &Path, csv: &Path) -> anyhow::Result<Option<f64>> {
    let db = base.join("peer.sqlite");
    let _ = std::fs::remove_file(&db);
    let started = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(format!(".import --csv '{}' incidents", csv.display()))
        .status();
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&db);
    Ok(match status {
        Ok(s) if s.success() => Some(seconds),
        _ => None,
    })
}

