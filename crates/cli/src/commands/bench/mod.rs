//! Benchmarks with figures printed (never timed assertions in tests), each beside its peer
//! tool where one exists: `ingest` (the sqlite3 shell), `encode` (sentence-transformers),
//! `analyse` (BERTopic's pipeline), `search` (exact search) and `train` (PyTorch); `scale`
//! runs the whole pipeline at national size.

mod analyse;
mod corpora;
mod encode;
mod ingest;
mod memory;
mod peers;
mod privacy;
mod quality;
mod scale;
mod search;
mod signals;
mod train;

use crate::output::Ui;
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Precisions to measure besides f32 (always measured: the others are compared
        /// with it); int8 runs once per integer kernel this CPU has. Repeatable.
        #[arg(long = "precision", default_values = ["auto"], value_parser = parse_precision)]
        precisions: Vec<engine::encode::Precision>,
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
    /// The pipeline at national size: ingest, encode (the transformer on a sample, its full
    /// time extrapolated), search index, analysis (fit on a sample, assign the rest,
    /// keywords) and next month's reports assigned into the run, with time and peak memory
    /// per stage.
    Scale {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Reports imported after the analysis and assigned into its run.
        #[arg(long, default_value_t = 10_000)]
        new_reports: usize,
        #[arg(long, default_value_t = engine::cluster::DEFAULT_FIT_SAMPLE)]
        fit_sample: usize,
        /// Reports the transformer encodes to measure its rate (0: skip).
        #[arg(long, default_value_t = 5_000)]
        transformer_sample: usize,
        /// Working folder (default: ~/.cache/incident-atlas/bench); the generated files are
        /// kept there, the project is made afresh.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Python with bertopic, umap-learn and hdbscan: BERTopic's pipeline is run on the
        /// same reports and vectors as the peer (skipped when absent).
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Seconds after which the peer is stopped and reported as not finishing.
        #[arg(long, default_value_t = 3600)]
        peer_timeout: u64,
    },
    /// Cluster quality on public, human-written labelled corpora (and the demo): the
    /// default analysis and any other configuration beside BERTopic's defaults on the same
    /// vectors; V-measure, ARI, NMI with bootstrap intervals, and paired differences.
    /// The corpora: `bash -c 'source scripts/lib/common.sh && ensure_quality_corpora'`.
    Quality {
        /// Corpora to run (default: all): genai-incidents, hpo, 20newsgroups, bbc-news, demo.
        #[arg(long = "corpus")]
        corpora: Vec<String>,
        /// Documents per corpus at most (an even pick over larger ones).
        #[arg(long, default_value_t = 4000)]
        max_docs: usize,
        #[arg(long, default_value_t = 1000)]
        resamples: usize,
        #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
        model: String,
        /// Another configuration to score, METHOD[:SIZE[:MIN_SAMPLES]][@NEIGHBOURS][+noise[=A]]
        /// (hdbscan:10 = minimum cluster size 10, kmeans:20 = k 20, hdbscan@30 = UMAP
        /// neighbourhood 30, +noise = noise given to nearby clusters). Repeatable.
        #[arg(long)]
        also: Vec<String>,
        /// Python with BERTopic (default: the benchmarks' environment when installed, by
        /// `ensure_bertopic_peer` in scripts/lib/common.sh).
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// Encode whole reports, as before boilerplate was taken out (for before/after).
        #[arg(long)]
        keep_boilerplate: bool,
        /// Also score a hybrid of the model with TF-IDF/LSA (unit vectors side by side), this
        /// the weight of TF-IDF/LSA (0.3: cosine = 0.7 x the model's + 0.3 x LSA's). Repeatable
        #[arg(long)]
        hybrid: Vec<f32>,
        /// Also adapt the model to each corpus (METHOD[:LEARNING_RATE[:EPOCHS]], e.g. declutr
        /// or simcse:1e-5), as `train` does by default (held-out reports, early stopping),
        /// and score the default analysis on the adapted vectors. Repeatable.
        #[arg(long)]
        adapt: Vec<String>,
    },
    /// Outbreak detection: sensitivity, delay and false alarms of each method on simulated
    /// weekly series with injected outbreaks, and the time to run a whole run's signals at
    /// two sizes.
    Signals {
        /// Outbreak sizes in standard deviations of the baseline. Repeatable.
        #[arg(long = "size", default_values_t = [2.0f64, 4.0, 8.0])]
        sizes: Vec<f64>,
        /// Series per baseline and shape.
        #[arg(long, default_value_t = 20)]
        replicates: usize,
        /// Run sizes (reports) for the speed figures. Repeatable.
        #[arg(long = "reports", default_values_t = [100_000usize, 1_000_000])]
        reports: Vec<usize>,
        #[arg(long, default_value_t = 500)]
        clusters: usize,
        /// Score detection on this analysed demo project instead (its injected outbreaks
        /// and emerging problem, from the generator's ground truth).
        #[arg(long, value_name = "DIR")]
        demo_project: Option<PathBuf>,
    },
    /// Personal-data detection: span-level recall and precision per kind on reports with
    /// fake personal data written by templates the rules were not written against (a seed
    /// other than the demo's), and on the hand-written hard cases; and its speed at two sizes.
    Privacy {
        #[arg(long, default_value_t = 2000)]
        reports: usize,
        #[arg(long, default_value_t = 7_700_900)]
        seed: u64,
        /// The hand-written hard cases (JSON lines).
        #[arg(long, default_value = "crates/engine/tests/fixtures/privacy/hard_cases.jsonl")]
        hard_cases: PathBuf,
        /// An organisation's hospital-number format, NAME=REGEX, used with the built-in
        /// rules; repeatable (the hard cases' organisation writes "RX1" and seven digits).
        #[arg(long = "hospital-number", value_name = "NAME=REGEX")]
        hospital_numbers: Vec<String>,
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

pub fn run(bench: &Bench, ui: &Ui) -> anyhow::Result<ExitCode> {
    match bench {
        Bench::Ingest { rows, dir } => ingest::run(rows, dir.as_deref(), ui),
        Bench::Analyse { rows, model, dir, peer_python, peer_encode_sample } => {
            let dir = dir.clone().unwrap_or_else(analyse::default_dir);
            let figures = analyse::analyse_bench(*rows, &dir, model, peer_python.as_deref(), *peer_encode_sample)?;
            show(ui, &figures, analyse::print_analyse)
        }
        Bench::Scale { rows, new_reports, fit_sample, transformer_sample, dir, peer_python, peer_timeout } => {
            let dir = dir.clone().unwrap_or_else(analyse::default_dir);
            let figures = scale::scale_bench(&scale::ScaleRequest {
                rows: *rows,
                new_reports: *new_reports,
                dir: &dir,
                fit_sample: *fit_sample,
                transformer_sample: *transformer_sample,
                peer_python: peer_python.as_deref(),
                peer_timeout: std::time::Duration::from_secs(*peer_timeout),
            })?;
            show(ui, &figures, scale::print_scale)
        }
        Bench::Quality { corpora, max_docs, resamples, model, also, peer_python, keep_boilerplate, hybrid, adapt } => {
            let peer = peer_python.clone().or_else(peers::default_peer_python);
            let figures = quality::quality_bench(&quality::QualityRequest {
                corpora,
                max_docs: *max_docs,
                resamples: *resamples,
                model,
                also,
                peer_python: peer.as_deref(),
                keep_boilerplate: *keep_boilerplate,
                hybrid,
                adapt,
            })?;
            show(ui, &figures, quality::print_quality)
        }
        Bench::Signals { demo_project: Some(project), .. } => signals::run_demo(project, ui),
        Bench::Signals { sizes, replicates, reports, clusters, demo_project: None } => signals::run(sizes, *replicates, reports, *clusters, ui),
        Bench::Privacy { reports, seed, hard_cases, hospital_numbers } => {
            anyhow::ensure!(*reports > 0, "--reports must be at least 1");
            let rules = crate::commands::privacy::rules_from(hospital_numbers)?;
            let figures = privacy::privacy_bench(*reports, *seed, hard_cases, &rules)?;
            show(ui, &figures, privacy::print_privacy)
        }
        Bench::Search { vectors, dimension, queries, expansion_add } => {
            // The vectors' seed: any fixed one gives a repeatable benchmark.
            let figures = search::search_bench(*vectors, *dimension, *queries, *expansion_add, 7)?;
            show(ui, &figures, search::print_search)
        }
        Bench::Train { method, model, docs, batch_size, max_tokens, demo, peer_python } => {
            let figures = train::train_bench(method, model, *docs, *batch_size, *max_tokens, demo, peer_python.clone())?;
            show(ui, &figures, train::print_train)
        }
        Bench::Encode { model, docs, batch_size, demo, precisions, peer_python } => {
            let figures = encode::encode_bench(model, *docs, *batch_size, demo, precisions, peer_python.clone())?;
            show(ui, &figures, encode::print_encode)
        }
    }
}

/// A `--precision` value: one of `engine::encode::Precision::NAMES`.
pub(crate) fn parse_precision(value: &str) -> Result<engine::encode::Precision, String> {
    value.parse()
}

/// The figures as JSON (`--json`) or as text.
fn show<T: serde::Serialize>(ui: &Ui, figures: &T, print: fn(&T)) -> anyhow::Result<ExitCode> {
    if ui.json {
        println!("{}", serde_json::to_string_pretty(figures)?);
    } else {
        print(figures);
    }
    Ok(ExitCode::SUCCESS)
}
