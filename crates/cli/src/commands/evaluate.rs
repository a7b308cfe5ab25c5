//! `evaluate`: score the project's models on a benchmark set and write the report.

use crate::progress::Bar;
use crate::output::Ui;
use engine::evaluate::{self, Estimate, EvaluationSpec};
use engine::jobs::CancelToken;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Benchmark set name (`benchmark list` shows them).
    #[arg(long)]
    benchmark: String,
    /// Benchmark version (default: the latest).
    #[arg(long)]
    version: Option<i64>,
    /// Models to compare (default: every encoded model).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// Neighbours for retrieval scores and the kNN vote.
    #[arg(short, default_value_t = 10)]
    k: usize,
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Bootstrap resamples behind every interval.
    #[arg(long, default_value_t = 1000)]
    resamples: usize,
    #[arg(long, default_value_t = engine::DEFAULT_SEED)]
    seed: u64,
    /// Retrieval is scored on at most this many query reports.
    #[arg(long, default_value_t = 2000)]
    max_queries: usize,
    /// Slices with fewer reports are not scored alone.
    #[arg(long, default_value_t = 30)]
    min_slice: usize,
    #[arg(long, default_value = "cli", env = "USER")]
    author: String,
}

fn show(e: &Option<Estimate>) -> String {
    e.map(|e| format!("{:.3} [{:.3}, {:.3}]", e.value, e.low, e.high))
        .unwrap_or_else(|| "-".into())
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let spec = EvaluationSpec {
        version: args.version,
        models: args.models.clone(),
        k: args.k,
        folds: args.folds,
        resamples: args.resamples,
        seed: args.seed,
        max_queries: args.max_queries,
        min_slice: args.min_slice,
        ..EvaluationSpec::new(&args.benchmark)
    };
    let bar = Bar::count(ui.quiet || ui.json, "models");
    let stored =
        evaluate::evaluate_and_report(&mut store, &spec, &args.author, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&stored)?);
        return Ok(ExitCode::SUCCESS);
    }
    let r = &stored.results;
    println!(
        "evaluation {} of benchmark {} v{}: {} reports ({} not in the project, {} not encoded by every model, {} left out because a model was trained on their labels)",
        stored.id, r.benchmark.name, r.benchmark.version, r.items, r.items_missing, r.items_unencoded, r.items_trained_on
    );
    let k = r.spec.k;
    println!(
        "{:<24} {:>24} {:>24} {:>24} {:>24} {:>24}",
        "model",
        format!("precision@{k}"),
        format!("MAP@{k}"),
        "kNN macro-F1",
        "logistic macro-F1",
        "best run V-measure"
    );
    for m in &r.models {
        let best_run = m
            .runs
            .iter()
            .max_by(|a, b| a.v_measure.value.total_cmp(&b.v_measure.value))
            .map(|run| run.v_measure);
        println!(
            "{:<24} {:>24} {:>24} {:>24} {:>24} {:>24}",
            m.model,
            show(&Some(m.precision_at_k)),
            show(&Some(m.map_at_k)),
            show(&m.knn_macro_f1),
            show(&m.logistic_macro_f1),
            show(&best_run)
        );
        for note in &m.notes {
            println!("  note: {note}");
        }
    }
    for t in &r.paired {
        println!(
            "paired test on {}: {} - {} = {:+.3} [{:+.3}, {:+.3}], p = {:.3}",
            t.metric,
            t.better,
            t.other,
            t.difference.value,
            t.difference.low,
            t.difference.high,
            t.p_value
        );
    }
    if let Some(verdict) = r.verdict() {
        println!("{verdict}");
    }
    println!("report: {}", stored.report_html.display());
    Ok(ExitCode::SUCCESS)
}
