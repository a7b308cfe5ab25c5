//! `train`: a model trained on the project's own reports, saved as a model folder that
//! `encode --model NAME` then reads like any other.

use crate::progress::Bar;
use crate::output::Ui;
use engine::jobs::CancelToken;
use engine::train::{AdaptReport, RunFigures, SupervisedReport, TrainOutcome, TrainReport, TrainRequest};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// wordvec: skip-gram word vectors with character n-grams, SIF sentence vectors, from
    /// scratch. simcse: unsupervised SimCSE domain adaptation of a pretrained encoder.
    /// mlm: masked-language-model continued pre-training of a pretrained encoder.
    /// declutr: DeCLUTR-style contrastive training on two spans of each report.
    /// supervised: SetFit-style fine-tuning on a benchmark's labels plus a classification
    /// head, with the rest of the benchmark held out.
    #[arg(long, value_parser = engine::train::METHODS)]
    method: String,
    /// Model name (its folder under the project's models/).
    #[arg(long)]
    name: String,
    /// simcse, mlm, declutr, supervised: the encoder to fine-tune (default all-MiniLM-L6-v2).
    #[arg(long)]
    base: Option<String>,
    /// simcse, mlm, declutr: texts per step (the rest of the batch are negatives; default
    /// 32). supervised: pairs per step (default 16).
    #[arg(long)]
    batch_size: Option<usize>,
    /// simcse, mlm, declutr, supervised: texts are cut to this many tokens while training
    /// (default 64).
    #[arg(long)]
    max_tokens: Option<usize>,
    /// simcse, mlm, declutr (default 3e-5), supervised (default 2e-5).
    #[arg(long)]
    learning_rate: Option<f64>,
    /// supervised: the benchmark set whose labels to learn.
    #[arg(long)]
    benchmark: Option<String>,
    /// supervised: the benchmark's version (default: its latest).
    #[arg(long)]
    version: Option<i64>,
    /// supervised: training reports per label (at most half of each label's reports; the
    /// rest of the benchmark is held out; default 16).
    #[arg(long)]
    per_label: Option<usize>,
    /// supervised: rounds of one same-label and one other-label pair per training report
    /// (default 5).
    #[arg(long)]
    iterations: Option<usize>,
    /// simcse, mlm, declutr: train on at most this many reports (a seeded sample).
    #[arg(long)]
    max_documents: Option<usize>,
    /// wordvec: vector dimension (default 100).
    #[arg(long)]
    dimension: Option<usize>,
    /// Passes over the reports (default: 5 for wordvec, 1 otherwise).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = engine::DEFAULT_SEED)]
    seed: u64,
    /// Between checkpoints (training resumes from the last one): reports for wordvec
    /// (default 5000), steps otherwise (default 50).
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Which text to learn from: description (what `encode` reads by default), or all
    /// (description, causes, actions). Default: all for declutr, description otherwise.
    #[arg(long, value_parser = ["description", "all"])]
    text: Option<String>,
    /// simcse, mlm, declutr: train on every report for every step and keep the last
    /// weights. By default a share of the reports is held out, training stops when they
    /// say it no longer helps, the best weights are kept, and nothing is saved when no
    /// step beat the base model.
    #[arg(long)]
    keep_last: bool,
}

impl Args {
    /// The engine's request: every default and limit is the engine's.
    fn request(&self) -> TrainRequest {
        TrainRequest {
            method: self.method.clone(),
            name: self.name.clone(),
            base: self.base.clone(),
            dimension: self.dimension,
            epochs: self.epochs,
            seed: Some(self.seed),
            batch_size: self.batch_size,
            max_tokens: self.max_tokens,
            learning_rate: self.learning_rate,
            max_documents: self.max_documents,
            benchmark: self.benchmark.clone(),
            version: self.version,
            per_label: self.per_label,
            iterations: self.iterations,
            checkpoint_every: self.checkpoint_every,
            text: self.text.clone(),
            keep_last: self.keep_last.then_some(true),
        }
    }
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    let plan = args.request().plan()?;
    let bar = Bar::count(ui.quiet || ui.json, plan.unit());
    let outcome = plan.run(&store, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(ExitCode::SUCCESS);
    }
    match &outcome {
        TrainOutcome::WordVec(report) => print_wordvec(report),
        TrainOutcome::Adapt(report) => print_adapt(report),
        TrainOutcome::Supervised(report) => print_supervised(report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_wordvec(report: &TrainReport) {
    if let Some((epoch, document)) = report.resumed_from {
        println!(
            "resumed from the checkpoint at epoch {}, report {document}",
            epoch + 1
        );
    }
    println!(
        "{} ({}): {} reports, {} words, {} tokens over {} epochs in {:.1} s: {:.0} tokens/s, {:.0} reports/s; final loss {}",
        report.name,
        report.method,
        report.documents,
        report.vocabulary,
        report.tokens,
        report.epochs,
        report.seconds,
        report.tokens_per_second,
        report.documents_per_second,
        report.final_loss.map(|l| format!("{l:.4}")).unwrap_or_else(|| "-".into())
    );
    println!(
        "saved to {} (loss curve in loss.svg); encode with: incident-atlas encode --model {}",
        report.dir.display(),
        report.name
    );
}

fn print_adapt(report: &AdaptReport) {
    print_run(
        &format!(
            "{} ({} on {}): {} reports",
            report.name, report.method, report.base, report.documents
        ),
        &report.run,
        "examples",
    );
    match &report.held_out_spans {
        Some(h) => {
            println!(
                "held-out span pairs ({} of {} held-out reports), mean reciprocal rank: base {:.4}, kept {:.4} (step {}){}",
                h.pairs,
                h.reports,
                h.base,
                h.best,
                h.best_step,
                if h.stopped_early { "; stopped early, as the score had stopped rising" } else { "" }
            );
            println!(
                "share of {} reports' nearest neighbours in their cluster of run {} (the base model's): {:.3} before, {:.3} for the weights kept",
                h.structure_reports, h.structure_run, h.structure_base, h.structure_kept
            );
        }
        None => println!("trained on every report; the last weights are kept, unjudged"),
    }
    println!(
        "saved to {}; encode with: incident-atlas encode --model {}",
        report.dir.display(),
        report.name
    );
}

fn print_supervised(report: &SupervisedReport) {
    print_run(
        &format!(
            "{} (supervised on {} v{}, base {}): {} training reports over {} labels, {} pairs",
            report.name,
            report.benchmark,
            report.benchmark_version,
            report.base,
            report.train_reports,
            report.labels,
            report.pairs
        ),
        &report.run,
        "pairs",
    );
    println!(
        "classification head on the {} held-out reports: macro-F1 {:.3}, accuracy {:.3} (the same head on the base model: {:.3}, {:.3})",
        report.held_out_reports,
        report.held_out.macro_f1,
        report.held_out.accuracy,
        report.held_out_base.macro_f1,
        report.held_out_base.accuracy
    );
    println!(
        "saved to {}; encode with: incident-atlas encode --model {} (evaluations leave its {} training reports out)",
        report.dir.display(),
        report.name,
        report.train_reports
    );
}

/// Where a fine-tuning run resumed, if it did, then "HEAD, N steps in S s, R unit/s;
/// final loss L".
fn print_run(head: &str, run: &RunFigures, unit: &str) {
    if let Some(step) = run.resumed_from_step {
        println!("resumed from the checkpoint at step {step}");
    }
    println!(
        "{head}, {} steps in {:.1} s, {:.1} {unit}/s; final loss {}",
        run.steps,
        run.seconds,
        run.examples_per_second,
        run.final_loss
            .map(|l| format!("{l:.4}"))
            .unwrap_or_else(|| "-".into())
    );
}
