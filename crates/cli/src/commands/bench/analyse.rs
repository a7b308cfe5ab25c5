//! `bench analyse`: the whole pipeline on generated reports, stage by stage, beside
//! BERTopic's default pipeline on the same texts and vectors.

use super::memory::{peak_rss_mib, reset_peak_rss};
use anyhow::Context;
use engine::cluster::{self, AnalyseOptions};
use engine::encode::{encode_project, registry, EncodeOptions};
use engine::evaluate::clustering;
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress, Progress};
use synth::{generate, SynthConfig};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Records the peak resident memory of each phase the engine reports, resetting the
/// high-water mark at every phase change.
#[derive(Default)]
pub(super) struct StageMemory {
    current: Mutex<Option<String>>,
    peaks: Mutex<Vec<(String, f64)>>,
}

impl StageMemory {
    fn close(&self) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(name) = current.take() {
            let peak = peak_rss_mib().unwrap_or(0.0);
            self.peaks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((name, peak));
        }
    }
}

impl StageMemory {
    /// Each stage's seconds beside its peak resident memory.
    pub(super) fn stages(self, timings: &[(String, f64)]) -> Vec<(String, f64, f64)> {
        self.close();
        let peaks: HashMap<String, f64> = self.peaks.into_inner().unwrap_or_default().into_iter().collect();
        timings
            .iter()
            .map(|(name, secs)| (name.clone(), *secs, peaks.get(name).copied().unwrap_or(0.0)))
            .collect()
    }
}

impl Progress for StageMemory {
    fn set_phase(&self, phase: &str) {
        self.close();
        reset_peak_rss();
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(phase.to_string());
    }
}

#[derive(Serialize)]
pub struct AnalyseFigures {
    pub incidents: usize,
    pub model: String,
    pub encode_seconds: Option<f64>,
    pub encode_docs_per_second: Option<f64>,
    pub encode_peak_rss_mib: Option<f64>,
    /// (stage, seconds, peak RSS MiB)
    pub stages: Vec<(String, f64, f64)>,
    pub analyse_seconds: f64,
    pub clusters: u64,
    pub noise: u64,
    pub min_cluster_size: usize,
    pub scores: clustering::ClusteringScores,
    pub peer: Option<serde_json::Value>,
    pub peer_scores: Option<clustering::ClusteringScores>,
    /// Our analysis time / the peer's pipeline time (BERTopic fit + its 2-d map), vectors given.
    pub ratio_encode_excluded: Option<f64>,
    /// The same with each side's encoding added (the peer's measured on a sample).
    pub ratio_encode_included: Option<f64>,
}

pub fn analyse_bench(
    rows: usize,
    dir: &Path,
    model: &str,
    peer_python: Option<&Path>,
    peer_encode_sample: usize,
) -> anyhow::Result<AnalyseFigures> {
    let mut store = prepared_project(rows, dir)?;
    let spec = registry::resolve(store.dir(), model)?;
    reset_peak_rss();
    let encoded = encode_project(&mut store, &spec, &EncodeOptions::default(), &NoProgress, &CancelToken::new())?;
    let (encode_seconds, encode_rate, encode_peak) = if encoded.encoded as usize == rows {
        (Some(encoded.seconds), Some(encoded.docs_per_second), peak_rss_mib())
    } else {
        eprintln!("(vectors reused from an earlier run: encoding not timed in this run)");
        (None, None, None)
    };
    // Every analysis starts without an index or earlier runs, so the index build is counted.
    engine::bench::reset_analysis(&store)?;

    let memory = StageMemory::default();
    let started = Instant::now();
    let summary = cluster::analyse(&mut store, &AnalyseOptions::hdbscan(&encoded.model, 0), &memory, &CancelToken::new())?;
    let analyse_seconds = started.elapsed().as_secs_f64();
    let stages = memory.stages(&summary.run.timings.stages);
    let min_cluster_size = summary.run.params["method"]["min_cluster_size"].as_u64().unwrap_or(0) as usize;

    let members = cluster::cluster_members(&store, summary.run.id)?;
    let truth = engine::bench::hidden_types(&store)?;
    let truth_labels: Vec<&str> = members
        .iter()
        .map(|m| truth.get(&m.incident_id).map_or("", String::as_str))
        .collect();
    let ours: Vec<i64> = members.iter().map(|m| m.cluster).collect();
    let mut figures = AnalyseFigures {
        incidents: members.len(),
        model: encoded.model.clone(),
        encode_seconds,
        encode_docs_per_second: encode_rate,
        encode_peak_rss_mib: encode_peak,
        stages,
        analyse_seconds,
        clusters: summary.run.clusters,
        noise: summary.run.noise,
        min_cluster_size,
        scores: clustering::score(&truth_labels, &ours),
        peer: None,
        peer_scores: None,
        ratio_encode_excluded: None,
        ratio_encode_included: None,
    };
    if let Some(python) = peer_python {
        let peer_dir = match &spec {
            registry::ModelSpec::Transformer { dir, .. } if peer_encode_sample > 0 => Some(dir.as_path()),
            _ => None,
        };
        let run = PeerRun { python, dir, encoder: peer_dir.map(|d| (d, peer_encode_sample)), min_cluster_size };
        let (ids, peer) = run_bertopic(&store, &encoded.model, &run)?;
        compare_with_peer(&mut figures, peer, &ids, &truth, rows);
    }
    Ok(figures)
}

/// The generated CSV and its project, made once per size in `dir` and kept between runs:
/// encoding 100k reports takes long.
fn prepared_project(rows: usize, dir: &Path) -> anyhow::Result<engine::Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let csv_path = dir.join(format!("analyse-{rows}.csv"));
    if !csv_path.exists() {
        let file = std::fs::File::create(&csv_path)
            .with_context(|| format!("cannot create {}", csv_path.display()))?;
        generate(&SynthConfig { rows, ..Default::default() }, BufWriter::with_capacity(1 << 20, file))?;
    }
    let project = dir.join(format!("analyse-project-{rows}"));
    if !project.join(engine::store::DB_FILE).exists() {
        let mut store = engine::Store::create(&project)?;
        ingest_file(&mut store, &csv_path, &IngestOptions::default(), &NoProgress, &CancelToken::new())?;
    }
    Ok(engine::Store::open(&project)?)
}

/// How to run the BERTopic peer: its Python, a scratch folder, the encoder folder and
/// sample size when it should time its own encoding, and our minimum cluster size.
pub(super) struct PeerRun<'a> {
    pub python: &'a Path,
    pub dir: &'a Path,
    pub encoder: Option<(&'a Path, usize)>,
    pub min_cluster_size: usize,
}

/// Runs BERTopic's default pipeline on our texts and vectors; returns the incident ids in
/// the order it saw them and what it printed.
fn run_bertopic(store: &engine::Store, model: &str, run: &PeerRun) -> anyhow::Result<(Vec<i64>, serde_json::Value)> {
    match run_bertopic_within(store, model, run, None)? {
        (ids, PeerOutcome::Finished(value)) => Ok((ids, value)),
        (_, other) => anyhow::bail!("the BERTopic peer failed: {}", other.describe()),
    }
}

/// How a peer run ended.
pub(super) enum PeerOutcome {
    /// It printed its figures.
    Finished(serde_json::Value),
    /// Stopped at the time limit, after `seconds`, having reached `peak_rss_mib`.
    TimedOut { seconds: f64, peak_rss_mib: Option<f64> },
    /// It exited with an error or was killed (by the kernel when out of memory).
    Failed { why: String, seconds: f64, peak_rss_mib: Option<f64> },
}

impl PeerOutcome {
    pub(super) fn describe(&self) -> String {
        let peak = |p: &Option<f64>| p.map_or(String::new(), |p| format!(", peak RSS {p:.0} MiB"));
        match self {
            PeerOutcome::Finished(v) => format!("finished in {:.1} s", v["pipeline_seconds"].as_f64().unwrap_or(0.0)),
            PeerOutcome::TimedOut { seconds, peak_rss_mib } => {
                format!("did not finish within {seconds:.0} s and was stopped{}", peak(peak_rss_mib))
            }
            PeerOutcome::Failed { why, seconds, peak_rss_mib } => format!("failed after {seconds:.0} s: {why}{}", peak(peak_rss_mib)),
        }
    }
}

/// As `run_bertopic`, stopping the peer after `timeout` (None: no limit).
pub(super) fn run_bertopic_within(
    store: &engine::Store,
    model: &str,
    run: &PeerRun,
    timeout: Option<std::time::Duration>,
) -> anyhow::Result<(Vec<i64>, PeerOutcome)> {
    let (record, ids, data) = store.vectors(model)?.context("vectors vanished")?;
    let texts = engine::bench::descriptions(store, &ids)?;
    let texts_path = run.dir.join("peer-texts.json");
    std::fs::write(&texts_path, serde_json::to_vec(&texts)?)?;
    drop(texts);
    let vectors_path = run.dir.join("peer-vectors.f32");
    let mut w = BufWriter::new(std::fs::File::create(&vectors_path)?);
    for v in &data {
        w.write_all(&v.to_le_bytes())?;
    }
    w.flush()?;
    drop(w);
    drop(data);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench/bertopic_pipeline.py");
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let mut cmd = std::process::Command::new(run.python);
    cmd.arg(&script)
        .arg(&texts_path)
        .arg(&vectors_path)
        .arg(record.dimension.to_string())
        .arg(threads.to_string())
        .arg(run.min_cluster_size.to_string());
    if let Some((dir, sample)) = run.encoder {
        cmd.arg(dir).arg(sample.to_string());
    }
    // Output to files, not pipes: a peer that writes a lot must not block on a full pipe
    // while this process waits on the clock.
    let (out_path, err_path) = (run.dir.join("peer-stdout.txt"), run.dir.join("peer-stderr.txt"));
    cmd.stdout(std::fs::File::create(&out_path)?).stderr(std::fs::File::create(&err_path)?);
    let outcome = wait_for_peer(&mut cmd, timeout, run.python);
    let _ = std::fs::remove_file(&texts_path);
    let _ = std::fs::remove_file(&vectors_path);
    let (status, seconds, peak_rss_mib) = outcome?;
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    let Some(status) = status else {
        return Ok((ids, PeerOutcome::TimedOut { seconds, peak_rss_mib }));
    };
    if !status.success() {
        use std::os::unix::process::ExitStatusExt;
        let tail = stderr.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
        let why = match status.signal() {
            Some(9) => format!("killed by signal 9 (the kernel's out-of-memory killer, most likely) {tail}"),
            Some(sig) => format!("killed by signal {sig} {tail}"),
            None if stderr.contains("MemoryError") => format!("out of memory: {tail}"),
            None => format!("exit status {status}: {tail}"),
        };
        return Ok((ids, PeerOutcome::Failed { why, seconds, peak_rss_mib }));
    }
    let line = stdout.lines().last().context("the peer printed nothing")?;
    Ok((ids, PeerOutcome::Finished(serde_json::from_str(line)?)))
}

/// Runs the peer to its end or to `timeout`; returns its exit status (None when stopped at
/// the limit), its seconds and its peak resident memory as last seen.
fn wait_for_peer(
    cmd: &mut std::process::Command,
    timeout: Option<std::time::Duration>,
    python: &Path,
) -> anyhow::Result<(Option<std::process::ExitStatus>, f64, Option<f64>)> {
    let started = std::time::Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("cannot run {}", python.display()))?;
    let pid = child.id().to_string();
    let mut peak = None;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((Some(status), started.elapsed().as_secs_f64(), peak));
        }
        peak = super::memory::peak_rss_of(&pid).or(peak);
        if timeout.is_some_and(|t| started.elapsed() > t) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((None, started.elapsed().as_secs_f64(), peak));
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Scores the peer's labels (one per id of `ids`, in its order) against the hidden types,
/// and drops them from its figures, which are kept without a million labels.
pub(super) fn take_peer_scores(
    peer: &mut serde_json::Value,
    ids: &[i64],
    truth: &HashMap<i64, String>,
) -> Option<clustering::ClusteringScores> {
    let labels = peer.as_object_mut()?.remove("labels")?;
    let labels: Vec<i64> = labels.as_array()?.iter().map(|l| l.as_i64().unwrap_or(-1)).collect();
    let truth_by_row: Vec<&str> = ids.iter().map(|id| truth.get(id).map_or("", String::as_str)).collect();
    Some(clustering::score(&truth_by_row, &labels))
}

/// The peer's clustering scores against the same hidden types, and our time over its.
fn compare_with_peer(
    figures: &mut AnalyseFigures,
    mut peer: serde_json::Value,
    ids: &[i64],
    truth: &HashMap<i64, String>,
    rows: usize,
) {
    figures.peer_scores = take_peer_scores(&mut peer, ids, truth);
    let peer_seconds = peer["pipeline_seconds"].as_f64();
    figures.ratio_encode_excluded = peer_seconds.map(|p| figures.analyse_seconds / p);
    let peer_rate = peer["encode"]["docs_per_second"].as_f64();
    if let (Some(p), Some(rate), Some(ours_encode)) = (peer_seconds, peer_rate, figures.encode_seconds) {
        let peer_total = p + rows as f64 / rate;
        figures.ratio_encode_included = Some((figures.analyse_seconds + ours_encode) / peer_total);
    }
    figures.peer = Some(peer);
}

pub fn print_analyse(f: &AnalyseFigures) {
    println!(
        "analyse {} reports with {} (min cluster size {}):",
        f.incidents, f.model, f.min_cluster_size
    );
    if let (Some(s), Some(r)) = (f.encode_seconds, f.encode_docs_per_second) {
        println!(
            "  {:<12} {:>8.1} s  peak RSS {:>6.0} MiB  ({r:.1} docs/s)",
            "encode",
            s,
            f.encode_peak_rss_mib.unwrap_or(0.0)
        );
    }
    for (name, secs, peak) in &f.stages {
        println!("  {name:<12} {secs:>8.1} s  peak RSS {peak:>6.0} MiB");
    }
    println!(
        "  {:<12} {:>8.1} s  -> {} clusters, {} noise; ARI {:.3}, V {:.3} (homogeneity {:.3}, completeness {:.3}) vs hidden types",
        "analyse",
        f.analyse_seconds,
        f.clusters,
        f.noise,
        f.scores.adjusted_rand,
        f.scores.v_measure,
        f.scores.homogeneity,
        f.scores.completeness
    );
    if let Some(peer) = &f.peer {
        let s = &peer["stages"];
        let g = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "  peer BERTopic {} (umap-learn {}, hdbscan {}): UMAP 5-d {:.1} s, HDBSCAN {:.1} s, c-TF-IDF and rest {:.1} s, \
             2-d map UMAP {:.1} s = {:.1} s; {} clusters, {} noise; peak RSS {:.0} MiB",
            peer["versions"]["bertopic"].as_str().unwrap_or("?"),
            peer["versions"]["umap-learn"].as_str().unwrap_or("?"),
            peer["versions"]["hdbscan"].as_str().unwrap_or("?"),
            g("umap_5d"),
            g("hdbscan"),
            g("ctfidf_and_rest"),
            g("umap_2d_map"),
            peer["pipeline_seconds"].as_f64().unwrap_or(f64::NAN),
            peer["clusters"],
            peer["noise"],
            peer["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
        );
        if let Some(ps) = &f.peer_scores {
            println!(
                "  peer vs hidden types: ARI {:.3}, V {:.3}",
                ps.adjusted_rand, ps.v_measure
            );
        }
        if let Some(e) = peer.get("encode") {
            println!(
                "  peer encode: sentence-transformers {:.1} docs/s on a sample of {}",
                e["docs_per_second"].as_f64().unwrap_or(f64::NAN),
                e["sample"]
            );
        }
        if let Some(r) = f.ratio_encode_excluded {
            println!("  our time / BERTopic's, vectors given: {r:.2}");
        }
        if let Some(r) = f.ratio_encode_included {
            println!("  our time / BERTopic's, encoding included (peer encoding extrapolated from its sample): {r:.2}");
        }
    }
}

pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/incident-atlas/bench")
}

