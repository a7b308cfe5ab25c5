//! Benchmarks with figures printed (never timed assertions in tests).

use crate::Ui;
use anyhow::Context;
use engine::encode::Encoder;
use engine::ingest::{ingest_file, IngestOptions, Outcome};
use engine::jobs::{CancelToken, NoProgress};
use engine::synth::{generate, SynthConfig};
use serde::Serialize;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Subcommand)]
pub enum Bench {
    /// Ingest throughput (rows/s) and peak memory on generated files of several sizes,
    /// beside the sqlite3 shell's `.import` of the same file when `sqlite3` is installed.
    Ingest {
        /// File sizes in rows; repeat for several.
        #[arg(long = "rows", default_values_t = [100_000usize, 1_000_000])]
        rows: Vec<usize>,
        /// Scratch folder (default: a temporary one, removed afterwards).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Encoder throughput (docs/s, tokens/s, share of the machine's matmul rate) on demo
    /// texts, beside sentence-transformers on the same texts, model, threads and batch size.
    Encode {
        /// Model name or folder.
        #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
        model: String,
        #[arg(long, default_value_t = 5000)]
        docs: usize,
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        /// The demo CSV the texts come from.
        #[arg(long, default_value = "assets/demo/incidents.csv")]
        demo: PathBuf,
        /// Python with sentence-transformers installed (the peer); skipped when absent.
        #[arg(long)]
        peer_python: Option<PathBuf>,
    },
    /// Fine-tuning throughput (examples/s) of SimCSE or MLM adaptation on demo texts,
    /// beside the same training step in PyTorch on the same texts, model and settings.
    Train {
        #[arg(long, default_value = "simcse", value_parser = ["simcse", "mlm"])]
        method: String,
        #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
        model: String,
        #[arg(long, default_value_t = 256)]
        docs: usize,
        #[arg(long, default_value_t = 16)]
        batch_size: usize,
        #[arg(long, default_value_t = 64)]
        max_tokens: usize,
        #[arg(long, default_value = "assets/demo/incidents.csv")]
        demo: PathBuf,
        /// Python with sentence-transformers installed (the peer); skipped when absent.
        #[arg(long)]
        peer_python: Option<PathBuf>,
    },
    /// The whole analysis (index, neighbours, UMAP, HDBSCAN, keywords) on generated reports,
    /// time and peak memory per stage, beside BERTopic's default pipeline on the same texts
    /// and vectors.
    Analyse {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
        model: String,
        /// Working folder; the encoded project is kept there for later runs
        /// (default: ~/.cache/incident-atlas/bench).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Python with bertopic, umap-learn, hdbscan (and sentence-transformers) installed.
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Reports the peer encodes to measure its docs/s (0: skip).
        #[arg(long, default_value_t = 5000)]
        peer_encode_sample: usize,
    },
    /// Search latency (p50/p99) and recall@10 of the HNSW index on random unit vectors.
    Search {
        #[arg(long, default_value_t = 1_000_000)]
        vectors: usize,
        #[arg(long, default_value_t = 384)]
        dimension: usize,
        #[arg(long, default_value_t = 10_000)]
        queries: usize,
        /// Build-time search width (HNSW's ef_construction); the project default is 128.
        /// Random vectors build slowly, so a 1M-vector run may want less.
        #[arg(long, default_value_t = 128)]
        expansion_add: usize,
    },
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

pub fn run(bench: &Bench, ui: &Ui) -> anyhow::Result<ExitCode> {
    match bench {
        Bench::Ingest { rows, dir } => {
            let scratch = match dir {
                Some(d) => {
                    std::fs::create_dir_all(d)
                        .with_context(|| format!("cannot create {}", d.display()))?;
                    None
                }
                None => Some(tempfile::tempdir().context("cannot create a scratch folder")?),
            };
            let base = dir
                .clone()
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
        Bench::Analyse {
            rows,
            model,
            dir,
            peer_python,
            peer_encode_sample,
        } => {
            let dir = dir
                .clone()
                .unwrap_or_else(super::bench_analyse::default_dir);
            let figures = super::bench_analyse::analyse_bench(
                *rows,
                &dir,
                model,
                peer_python.as_deref(),
                *peer_encode_sample,
            )?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                super::bench_analyse::print_analyse(&figures);
            }
            Ok(ExitCode::SUCCESS)
        }
        Bench::Search {
            vectors,
            dimension,
            queries,
            expansion_add,
        } => {
            let figures = super::bench_analyse::search_bench(
                *vectors,
                *dimension,
                *queries,
                *expansion_add,
                7,
            )?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                super::bench_analyse::print_search(&figures);
            }
            Ok(ExitCode::SUCCESS)
        }
        Bench::Train {
            method,
            model,
            docs,
            batch_size,
            max_tokens,
            demo,
            peer_python,
        } => {
            let figures = super::bench_train::train_bench(
                method,
                model,
                *docs,
                *batch_size,
                *max_tokens,
                demo,
                peer_python.clone(),
            )?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                super::bench_train::print_train(&figures);
            }
            Ok(ExitCode::SUCCESS)
        }
        Bench::Encode {
            model,
            docs,
            batch_size,
            demo,
            peer_python,
        } => {
            let figures = encode_bench(model, *docs, *batch_size, demo, peer_python.clone())?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&figures)?);
            } else {
                print_encode(&figures);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Serialize)]
struct EncodeFigures {
    model: String,
    docs: usize,
    tokens: usize,
    threads: usize,
    batch_size: usize,
    seconds: f64,
    docs_per_second: f64,
    tokens_per_second: f64,
    matmul_gflops: f64,
    /// Dense-layer FLOP/s reached, as a share of the measured matmul rate.
    share_of_matmul_peak: f64,
    peer: Option<serde_json::Value>,
    /// Our docs/s divided by sentence-transformers' (above 1: we are faster).
    speed_ratio_vs_peer: Option<f64>,
}

fn encode_bench(
    model: &str,
    docs: usize,
    batch_size: usize,
    demo: &Path,
    peer_python: Option<PathBuf>,
) -> anyhow::Result<EncodeFigures> {
    let texts = demo_texts(demo, docs)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let spec = engine::encode::registry::resolve(Path::new("."), model)?;
    let engine::encode::ModelSpec::Transformer { dir, .. } = &spec else {
        anyhow::bail!("bench encode measures transformer encoders; {model} is the baseline");
    };
    let encoder = engine::encode::open_transformer(dir, batch_size)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    encoder.encode(&refs[..refs.len().min(64)], &mut |_| {})?; // warm-up, as the peer does
    let started = Instant::now();
    let (_, stats) = encoder.encode(&refs, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    let gflops = engine::encode::cpu_matmul_gflops()?;
    let achieved = encoder.dense_flops_per_token() * stats.tokens as f64 / seconds / 1e9;
    let python = peer_python.or_else(default_peer_python);
    let peer = match python {
        Some(python) => Some(run_peer(&python, dir, &texts, threads, batch_size)?),
        None => None,
    };
    let docs_per_second = texts.len() as f64 / seconds;
    let ratio = peer
        .as_ref()
        .and_then(|p| p["docs_per_second"].as_f64())
        .map(|p| docs_per_second / p);
    Ok(EncodeFigures {
        model: model.to_string(),
        docs: texts.len(),
        tokens: stats.tokens,
        threads,
        batch_size,
        seconds,
        docs_per_second,
        tokens_per_second: stats.tokens as f64 / seconds,
        matmul_gflops: gflops,
        share_of_matmul_peak: achieved / gflops,
        peer,
        speed_ratio_vs_peer: ratio,
    })
}

fn run_peer(
    python: &Path,
    model_dir: &Path,
    texts: &[String],
    threads: usize,
    batch: usize,
) -> anyhow::Result<serde_json::Value> {
    run_python_peer(python, "st_encode.py", texts, |texts_path| {
        vec![
            model_dir.as_os_str().to_owned(),
            texts_path.as_os_str().to_owned(),
            threads.to_string().into(),
            batch.to_string().into(),
        ]
    })
}

/// Runs `scripts/bench/SCRIPT` with `python` on `texts` (written to a scratch JSON file whose
/// path `args` places among the arguments), offline, and parses the JSON line it prints last.
pub(crate) fn run_python_peer(
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

fn print_encode(f: &EncodeFigures) {
    println!(
        "encode {}: {} docs ({} tokens) in {:.1} s = {:.1} docs/s, {:.0} tokens/s ({} threads, batch {})",
        f.model, f.docs, f.tokens, f.seconds, f.docs_per_second, f.tokens_per_second, f.threads, f.batch_size
    );
    println!(
        "  matmul rate {:.0} GFLOP/s; dense layers reached {:.1}% of it",
        f.matmul_gflops,
        100.0 * f.share_of_matmul_peak
    );
    match (&f.peer, f.speed_ratio_vs_peer) {
        (Some(p), Some(r)) => println!(
            "  peer: sentence-transformers (torch {}) {:.1} docs/s; ours / peer = {r:.2}",
            p["torch"].as_str().unwrap_or("?"),
            p["docs_per_second"].as_f64().unwrap_or(0.0)
        ),
        _ => println!("  peer: not run (no Python with sentence-transformers; see --peer-python)"),
    }
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

/// Linux lets a process reset its own high-water mark, so the figure covers the ingest
/// alone and not the file generation before it.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The Python environment the test set-up installs sentence-transformers into, if there.
pub fn default_peer_python() -> Option<PathBuf> {
    let default = std::env::var_os("INCIDENT_ATLAS_ST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/incident-atlas/st-venv/bin/python")
        });
    default.is_file().then_some(default)
}

/// Texts for benchmarks: the descriptions of `n` demo reports spread evenly over the file.
pub fn demo_texts(csv_path: &Path, n: usize) -> anyhow::Result<Vec<String>> {
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
