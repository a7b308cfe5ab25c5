//! `bench analyse` (the whole pipeline on generated reports, stage by stage, beside
//! BERTopic's default pipeline on the same texts and vectors) and `bench search` (latency
//! and recall of the HNSW index on random unit vectors).

use super::bench::{peak_rss_mib, reset_peak_rss};
use anyhow::Context;
use engine::cluster::{self, AnalyseOptions};
use engine::encode::{encode_project, registry, EncodeOptions};
use engine::evaluate::clustering;
use engine::index::{IndexOptions, MemoryIndex};
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress, Progress};
use engine::synth::{generate, SynthConfig};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Records the peak resident memory of each phase the engine reports, resetting the
/// high-water mark at every phase change.
#[derive(Default)]
struct StageMemory {
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
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let csv_path = dir.join(format!("analyse-{rows}.csv"));
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
    // The project (and its vectors) is kept between runs: encoding 100k reports takes long.
    let project = dir.join(format!("analyse-project-{rows}"));
    if !project.join(engine::store::DB_FILE).exists() {
        let mut store = engine::Store::create(&project)?;
        ingest_file(
            &mut store,
            &csv_path,
            &IngestOptions::default(),
            &NoProgress,
            &CancelToken::new(),
        )?;
    }
    let mut store = engine::Store::open(&project)?;
    let spec = registry::resolve(&project, model)?;
    reset_peak_rss();
    let encoded = encode_project(
        &mut store,
        &spec,
        &EncodeOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )?;
    let (encode_seconds, encode_rate, encode_peak) = if encoded.encoded as usize == rows {
        (
            Some(encoded.seconds),
            Some(encoded.docs_per_second),
            peak_rss_mib(),
        )
    } else {
        eprintln!("(vectors reused from an earlier run: encoding not timed in this run)");
        (None, None, None)
    };
    // Every analysis starts without an index or earlier runs, so the index build is counted.
    store
        .conn()
        .execute_batch("DELETE FROM cluster_runs; DELETE FROM vector_indexes;")?;
    let _ = std::fs::remove_dir_all(engine::index::index_dir(&project));

    let options = AnalyseOptions::hdbscan(&encoded.model, 0);
    let memory = StageMemory::default();
    let started = Instant::now();
    let summary = cluster::analyse(&mut store, &options, &memory, &CancelToken::new())?;
    let analyse_seconds = started.elapsed().as_secs_f64();
    memory.close();
    let peaks: HashMap<String, f64> = memory
        .peaks
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let stages: Vec<(String, f64, f64)> = summary
        .run
        .timings
        .stages
        .iter()
        .map(|(name, secs)| (name.clone(), *secs, peaks.get(name).copied().unwrap_or(0.0)))
        .collect();
    let min_cluster_size = summary.run.params["method"]["min_cluster_size"]
        .as_u64()
        .unwrap_or(0) as usize;

    let members = cluster::cluster_members(&store, summary.run.id)?;
    let truth = hidden_types(&store)?;
    let truth_labels: Vec<&str> = members
        .iter()
        .map(|m| truth.get(&m.incident_id).map_or("", String::as_str))
        .collect();
    let ours: Vec<i64> = members.iter().map(|m| m.cluster).collect();
    let scores = clustering::score(&truth_labels, &ours);

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
        scores,
        peer: None,
        peer_scores: None,
        ratio_encode_excluded: None,
        ratio_encode_included: None,
    };
    if let Some(python) = peer_python {
        let (record, ids, data) = store.vectors(&encoded.model)?.context("vectors vanished")?;
        let texts = texts_in_order(&store, &ids)?;
        let texts_path = dir.join("peer-texts.json");
        std::fs::write(&texts_path, serde_json::to_vec(&texts)?)?;
        let vectors_path = dir.join("peer-vectors.f32");
        let mut w = BufWriter::new(std::fs::File::create(&vectors_path)?);
        for v in &data {
            w.write_all(&v.to_le_bytes())?;
        }
        w.flush()?;
        drop(w);
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench/bertopic_pipeline.py");
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let mut cmd = std::process::Command::new(python);
        cmd.arg(&script)
            .arg(&texts_path)
            .arg(&vectors_path)
            .arg(record.dimension.to_string())
            .arg(threads.to_string())
            .arg(min_cluster_size.to_string());
        if peer_encode_sample > 0 {
            if let registry::ModelSpec::Transformer { dir, .. } = &spec {
                cmd.arg(dir).arg(peer_encode_sample.to_string());
            }
        }
        let output = cmd
            .output()
            .with_context(|| format!("cannot run {}", python.display()))?;
        anyhow::ensure!(
            output.status.success(),
            "the BERTopic peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().last().context("the peer printed nothing")?;
        let mut peer: serde_json::Value = serde_json::from_str(line)?;
        if let Some(labels) = peer.get("labels").and_then(|l| l.as_array()) {
            let labels: Vec<i64> = labels.iter().map(|l| l.as_i64().unwrap_or(-1)).collect();
            let truth_by_row: Vec<&str> = ids
                .iter()
                .map(|id| truth.get(id).map_or("", String::as_str))
                .collect();
            figures.peer_scores = Some(clustering::score(&truth_by_row, &labels));
        }
        if let Some(obj) = peer.as_object_mut() {
            obj.remove("labels");
        }
        let peer_seconds = peer["pipeline_seconds"].as_f64();
        figures.ratio_encode_excluded = peer_seconds.map(|p| analyse_seconds / p);
        let peer_rate = peer["encode"]["docs_per_second"].as_f64();
        if let (Some(p), Some(rate), Some(ours_encode)) = (peer_seconds, peer_rate, encode_seconds)
        {
            let peer_total = p + rows as f64 / rate;
            figures.ratio_encode_included = Some((analyse_seconds + ours_encode) / peer_total);
        }
        let _ = std::fs::remove_file(&texts_path);
        let _ = std::fs::remove_file(&vectors_path);
        figures.peer = Some(peer);
    }
    Ok(figures)
}

fn hidden_types(store: &engine::Store) -> anyhow::Result<HashMap<i64, String>> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, json_extract(extra, '$.ground_truth_type') FROM incidents")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn texts_in_order(store: &engine::Store, ids: &[i64]) -> anyhow::Result<Vec<String>> {
    let mut stmt = store
        .conn()
        .prepare("SELECT description FROM incidents WHERE id = ?1")?;
    ids.iter()
        .map(|id| Ok(stmt.query_row([id], |r| r.get::<_, String>(0))?))
        .collect()
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

#[derive(Serialize)]
pub struct SearchFigures {
    pub vectors: usize,
    pub dimension: usize,
    pub threads: usize,
    pub expansion_add: usize,
    pub build_seconds: f64,
    pub index_mib: f64,
    pub queries: usize,
    /// (expansion, p50 ms, p99 ms, recall@10 against exact search)
    pub by_expansion: Vec<(usize, f64, f64, f64)>,
    /// One exact (brute-force) query, for scale.
    pub exact_ms: f64,
}

pub fn search_bench(
    n: usize,
    dimension: usize,
    queries: usize,
    expansion_add: usize,
    seed: u64,
) -> anyhow::Result<SearchFigures> {
    let mut rng = ml::rng::SplitMix64::new(seed);
    let mut data = rng.gaussian(n * dimension);
    for row in data.chunks_exact_mut(dimension) {
        let norm = row
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let started = Instant::now();
    let options = IndexOptions {
        expansion_add,
        ..IndexOptions::default()
    };
    let index = MemoryIndex::build(&data, dimension, &options, threads)?;
    let build_seconds = started.elapsed().as_secs_f64();
    // Queries: fresh random unit vectors, not indexed points.
    let mut qs = rng.gaussian(queries * dimension);
    for row in qs.chunks_exact_mut(dimension) {
        let norm = row
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    let exact_n = queries.min(100);
    let exact_started = Instant::now();
    let exact: Vec<Vec<u64>> = (0..exact_n)
        .map(|q| {
            let qv = &qs[q * dimension..(q + 1) * dimension];
            let mut scored: Vec<(f32, u64)> = data
                .chunks_exact(dimension)
                .enumerate()
                .map(|(i, row)| {
                    (
                        -row.iter().zip(qv).map(|(a, b)| a * b).sum::<f32>(),
                        i as u64,
                    )
                })
                .collect();
            scored.select_nth_unstable_by(10, |a, b| a.0.total_cmp(&b.0));
            scored[..10].iter().map(|s| s.1).collect()
        })
        .collect();
    let exact_ms = exact_started.elapsed().as_secs_f64() * 1000.0 / exact_n.max(1) as f64;
    let mut by_expansion = Vec::new();
    for expansion in [64usize, 128, 256] {
        index.set_expansion(expansion);
        let mut latencies = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for q in 0..queries {
            let qv = &qs[q * dimension..(q + 1) * dimension];
            let t = Instant::now();
            let found = index.search(qv, 10)?;
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            if q < exact_n {
                hits += found.iter().filter(|(k, _)| exact[q].contains(k)).count();
            }
        }
        latencies.sort_by(f64::total_cmp);
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        by_expansion.push((
            expansion,
            pct(0.50),
            pct(0.99),
            hits as f64 / (10 * exact_n) as f64,
        ));
    }
    Ok(SearchFigures {
        vectors: n,
        dimension,
        threads,
        expansion_add,
        build_seconds,
        index_mib: index.memory_bytes() as f64 / (1 << 20) as f64,
        queries,
        by_expansion,
        exact_ms,
    })
}

pub fn print_search(f: &SearchFigures) {
    println!(
        "search: {} random unit vectors of {} dimensions; HNSW (M=16, ef_add={}) built in {:.1} s on {} threads, {:.0} MiB",
        f.vectors, f.dimension, f.expansion_add, f.build_seconds, f.threads, f.index_mib
    );
    for (ef, p50, p99, recall) in &f.by_expansion {
        println!(
            "  ef {ef:>3}: p50 {p50:.3} ms, p99 {p99:.3} ms over {} queries, recall@10 {recall:.3}",
            f.queries
        );
    }
    println!(
        "  peer: exact brute-force search {:.1} ms per query (one thread)",
        f.exact_ms
    );
}

pub fn default_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".cache/incident-atlas/bench")
}
