//! `bench scale`: the whole pipeline at the size of a national dataset on this machine:
//! ingest, encode (TF-IDF/LSA on every report; the transformer's rate measured on a subset
//! and its time at full size extrapolated), the analysis (fit on a sample, assign the rest,
//! keywords), next month's reports assigned into the run, and the model's search index.
//! Each stage prints its time and peak resident memory.

use super::analyse::{run_bertopic_within, take_peer_scores, PeerOutcome, PeerRun, StageMemory};
use super::memory::{peak_rss_mib, reset_peak_rss};
use super::peers::demo_texts;
use anyhow::Context;
use engine::cluster::{self, AnalyseOptions};
use engine::encode::{encode_project, registry, EncodeOptions, Encoder, BASELINE, DEFAULT_TRANSFORMER};
use engine::evaluate::clustering;
use engine::index;
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use serde::Serialize;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;
use synth::{generate, SynthConfig};

#[derive(Serialize, Default)]
pub struct ScaleFigures {
    pub rows: usize,
    pub new_reports: usize,
    pub fit_sample: usize,
    /// (stage, seconds, peak RSS MiB), in order.
    pub stages: Vec<(String, f64, f64)>,
    /// The analysis's own stages (fit index, neighbours, layout, clustering, assigning,
    /// keywords, saving).
    pub analysis: Vec<(String, f64, f64)>,
    /// Everything after encoding: the search index and the analysis.
    pub after_encoding_seconds: f64,
    pub transformer_sample: usize,
    pub transformer_docs_per_second: Option<f64>,
    /// `rows` divided by the rate measured on the sample.
    pub transformer_full_seconds_extrapolated: Option<f64>,
    pub clusters: u64,
    pub noise: u64,
    pub fitted: u64,
    pub scores: Option<clustering::ClusteringScores>,
    pub assigned: u64,
    pub assigned_unplaced: u64,
    pub assign_seconds: f64,
    /// BERTopic's default pipeline on the same texts and vectors (all `rows`), when asked:
    /// how it ended, its figures when it finished, and its scores.
    pub peer_outcome: Option<String>,
    pub peer: Option<serde_json::Value>,
    pub peer_scores: Option<clustering::ClusteringScores>,
    /// Our analysis time / BERTopic's pipeline time (fit + its 2-d map), vectors given.
    pub ratio_analysis_vs_peer: Option<f64>,
}

pub struct ScaleRequest<'a> {
    pub rows: usize,
    pub new_reports: usize,
    pub dir: &'a Path,
    pub fit_sample: usize,
    pub transformer_sample: usize,
    /// Python with BERTopic installed: the peer is run on the same data, stopped after
    /// `peer_timeout`.
    pub peer_python: Option<&'a Path>,
    pub peer_timeout: std::time::Duration,
}

pub fn scale_bench(request: &ScaleRequest) -> anyhow::Result<ScaleFigures> {
    let dir = request.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (main_csv, next_csv) = generated_files(dir, request.rows, request.new_reports)?;
    let project = dir.join(format!("scale-project-{}", request.rows));
    if project.exists() {
        std::fs::remove_dir_all(&project).with_context(|| format!("cannot clear {}", project.display()))?;
    }
    let mut figures = ScaleFigures {
        rows: request.rows,
        new_reports: request.new_reports,
        fit_sample: request.fit_sample,
        transformer_sample: request.transformer_sample,
        ..ScaleFigures::default()
    };
    let stage = |name: &str, figures: &mut ScaleFigures, started: Instant| {
        let seconds = started.elapsed().as_secs_f64();
        let peak = peak_rss_mib().unwrap_or(0.0);
        eprintln!("  {name}: {seconds:.1} s, peak RSS {peak:.0} MiB");
        figures.stages.push((name.to_string(), seconds, peak));
    };

    let mut store = engine::Store::create(&project)?;
    reset_peak_rss();
    let t = Instant::now();
    let imported = ingest_file(&mut store, &main_csv, &IngestOptions::default(), &NoProgress, &CancelToken::new())?;
    anyhow::ensure!(imported.succeeded(), "the generated file did not import: {:?}", imported.bad_rows);
    stage("ingest", &mut figures, t);

    reset_peak_rss();
    let t = Instant::now();
    let baseline = registry::resolve(store.dir(), BASELINE)?;
    encode_project(&mut store, &baseline, &EncodeOptions::default(), &NoProgress, &CancelToken::new())?;
    stage("encode tfidf-lsa", &mut figures, t);

    if request.transformer_sample > 0 {
        reset_peak_rss();
        let t = Instant::now();
        let rate = transformer_rate(&main_csv, request.transformer_sample)?;
        figures.transformer_docs_per_second = Some(rate);
        figures.transformer_full_seconds_extrapolated = Some(request.rows as f64 / rate);
        stage("encode transformer (sample)", &mut figures, t);
    }

    let after_encoding = Instant::now();
    let memory = StageMemory::default();
    let t = Instant::now();
    let analysis_options = AnalyseOptions {
        fit_sample: request.fit_sample,
        ..AnalyseOptions::hdbscan(BASELINE, 0)
    };
    let summary = cluster::analyse(&mut store, &analysis_options, &memory, &CancelToken::new())?;
    figures.analysis = memory.stages(&summary.run.timings.stages);
    stage("analysis", &mut figures, t);
    let analysis_seconds = after_encoding.elapsed().as_secs_f64();
    figures.clusters = summary.run.clusters;
    figures.noise = summary.run.noise;
    figures.fitted = summary.run.fitted;
    let members = cluster::cluster_members(&store, summary.run.id)?;
    let truth = engine::bench::hidden_types(&store)?;
    let truth_labels: Vec<&str> = members.iter().map(|m| truth.get(&m.incident_id).map_or("", String::as_str)).collect();
    let ours: Vec<i64> = members.iter().map(|m| m.cluster).collect();
    figures.scores = Some(clustering::score(&truth_labels, &ours));
    drop(members);

    if request.new_reports > 0 {
        ingest_file(&mut store, &next_csv, &IngestOptions::default(), &NoProgress, &CancelToken::new())?;
        encode_project(&mut store, &baseline, &EncodeOptions::default(), &NoProgress, &CancelToken::new())?;
        reset_peak_rss();
        let t = Instant::now();
        let report = cluster::assign_to_run(&mut store, summary.run.id, &NoProgress, &CancelToken::new())?;
        figures.assign_seconds = t.elapsed().as_secs_f64();
        figures.assigned = report.assigned;
        figures.assigned_unplaced = report.unassigned;
        stage("assign new reports", &mut figures, t);
    }

    // Last, so a search index that takes long at this size still leaves the figures above.
    // The analysis fitted on a sample does not need it; search does.
    reset_peak_rss();
    let t = Instant::now();
    let options = index::stored_options(&store, BASELINE)?;
    index::update_index(&store, BASELINE, &options, &NoProgress, &CancelToken::new())?;
    stage("search index", &mut figures, t);
    figures.after_encoding_seconds = analysis_seconds + t.elapsed().as_secs_f64();

    if let Some(python) = request.peer_python {
        let min_cluster_size = summary.run.params["method"]["min_cluster_size"].as_u64().unwrap_or(0) as usize;
        let run = PeerRun { python, dir, encoder: None, min_cluster_size };
        let (ids, outcome) = run_bertopic_within(&store, BASELINE, &run, Some(request.peer_timeout))?;
        eprintln!("  BERTopic: {}", outcome.describe());
        figures.peer_outcome = Some(outcome.describe());
        if let PeerOutcome::Finished(mut peer) = outcome {
            figures.peer_scores = take_peer_scores(&mut peer, &ids, &truth);
            figures.ratio_analysis_vs_peer = peer["pipeline_seconds"].as_f64().map(|p| analysis_seconds / p);
            figures.peer = Some(peer);
        }
    }
    Ok(figures)
}

/// The generated reports, the last `new_reports` of them (the most recent days) in a file
/// of their own: next month's import. Made once per size and kept.
fn generated_files(dir: &Path, rows: usize, new_reports: usize) -> anyhow::Result<(PathBuf, PathBuf)> {
    let main = dir.join(format!("scale-{rows}.csv"));
    let next = dir.join(format!("scale-{rows}-next-{new_reports}.csv"));
    if main.exists() && next.exists() {
        return Ok((main, next));
    }
    let all = dir.join(format!("scale-{rows}-all.csv"));
    let file = std::fs::File::create(&all).with_context(|| format!("cannot create {}", all.display()))?;
    generate(
        &SynthConfig {
            rows: rows + new_reports,
            ..Default::default()
        },
        BufWriter::with_capacity(1 << 20, file),
    )?;
    let mut reader = csv::Reader::from_path(&all)?;
    let headers = reader.headers()?.clone();
    let mut first = csv::Writer::from_path(&main)?;
    let mut second = csv::Writer::from_path(&next)?;
    first.write_record(&headers)?;
    second.write_record(&headers)?;
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        if i < rows { first.write_record(&record)? } else { second.write_record(&record)? }
    }
    first.flush()?;
    second.flush()?;
    std::fs::remove_file(&all)?;
    Ok((main, next))
}

/// The default transformer's docs/s on the first `sample` descriptions of the file.
fn transformer_rate(csv: &Path, sample: usize) -> anyhow::Result<f64> {
    let texts = demo_texts(csv, sample)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let spec = registry::resolve(Path::new("."), DEFAULT_TRANSFORMER)?;
    let engine::encode::ModelSpec::Transformer { dir, .. } = &spec else {
        anyhow::bail!("{DEFAULT_TRANSFORMER} is not installed as a transformer");
    };
    let encoder = engine::encode::open_transformer(dir, 32, engine::encode::Precision::Auto)?;
    let started = Instant::now();
    encoder.encode(&refs, &mut |_| {})?;
    Ok(texts.len() as f64 / started.elapsed().as_secs_f64())
}

pub fn print_scale(f: &ScaleFigures) {
    println!("scale: {} generated reports, then {} more assigned into the run", f.rows, f.new_reports);
    for (name, secs, peak) in &f.stages {
        println!("  {name:<28} {secs:>8.1} s  peak RSS {peak:>6.0} MiB");
        if name == "analysis" {
            for (inner, s, p) in &f.analysis {
                println!("    {inner:<26} {s:>8.1} s  peak RSS {p:>6.0} MiB");
            }
        }
    }
    println!("  everything after encoding (search index + analysis): {:.1} s", f.after_encoding_seconds);
    if let (Some(rate), Some(full)) = (f.transformer_docs_per_second, f.transformer_full_seconds_extrapolated) {
        println!(
            "  transformer: {rate:.1} docs/s on {} reports -> {:.0} s ({:.1} h) for {} (extrapolated)",
            f.transformer_sample, full, full / 3600.0, f.rows
        );
    }
    println!(
        "  run: fitted on {} of {} (fit sample {}), {} clusters, {} noise",
        f.fitted, f.rows, f.fit_sample, f.clusters, f.noise
    );
    if let Some(s) = &f.scores {
        println!("  vs hidden types: ARI {:.3}, V {:.3}", s.adjusted_rand, s.v_measure);
    }
    if f.new_reports > 0 {
        println!(
            "  assign {} new reports into the run: {:.1} s ({} not close to any cluster)",
            f.assigned, f.assign_seconds, f.assigned_unplaced
        );
    }
    if let Some(outcome) = &f.peer_outcome {
        println!("  peer BERTopic on all {} reports, vectors given: {outcome}", f.rows);
        if let Some(peer) = &f.peer {
            println!("    stages: {}; peak RSS {:.0} MiB", peer["stages"], peer["peak_rss_mib"].as_f64().unwrap_or(0.0));
        }
        if let Some(s) = &f.peer_scores {
            println!("    vs hidden types: ARI {:.3}, V {:.3}", s.adjusted_rand, s.v_measure);
        }
        if let Some(r) = f.ratio_analysis_vs_peer {
            println!("    our analysis time / BERTopic's: {r:.2}");
        }
    }
}
