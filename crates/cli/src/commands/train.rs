//! `train`: a model trained on the project's own reports, saved as a model folder that
//! `encode --model NAME` then reads like any other.

use crate::progress::Bar;
use crate::Ui;
use engine::jobs::CancelToken;
use engine::store::TextFields;
use engine::train::{self, AdaptSpec, Adaptation, RunFigures, SupervisedSpec, WordVecSpec};
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
    #[arg(long, value_parser = ["wordvec", "simcse", "mlm", "declutr", "supervised"])]
    method: String,
    /// simcse, mlm, supervised: the encoder to fine-tune.
    #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
    base: String,
    /// simcse: texts per step (each is encoded twice; the rest of the batch are negatives;
    /// default 32). mlm: texts per step (default 32). supervised: pairs per step (default 16).
    #[arg(long)]
    batch_size: Option<usize>,
    /// simcse, mlm, supervised: texts are cut to this many tokens while training.
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    /// simcse and mlm (default 3e-5), supervised (default 2e-5).
    #[arg(long)]
    learning_rate: Option<f64>,
    /// supervised: the benchmark set whose labels to learn.
    #[arg(long)]
    benchmark: Option<String>,
    /// supervised: the benchmark's version (default: its latest).
    #[arg(long)]
    version: Option<i64>,
    /// supervised: training reports per label (at most half of each label's reports; the
    /// rest of the benchmark is held out).
    #[arg(long, default_value_t = 16)]
    per_label: usize,
    /// supervised: rounds of one same-label and one other-label pair per training report.
    #[arg(long, default_value_t = 5)]
    iterations: usize,
    /// simcse, mlm: train on at most this many reports (a seeded sample).
    #[arg(long)]
    max_documents: Option<usize>,
    /// Model name (its folder under the project's models/).
    #[arg(long)]
    name: String,
    #[arg(long, default_value_t = 100)]
    dimension: usize,
    /// Passes over the reports (default: 5 for wordvec, 1 otherwise).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Between checkpoints (training resumes from the last one): reports for wordvec
    /// (default 5000), steps otherwise (default 50).
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Which text to learn from: description (what `encode` reads by default), or all
    /// (description, causes, actions). Default: all for declutr, description otherwise.
    #[arg(long, value_parser = ["description", "all"])]
    text: Option<String>,
}

impl Args {
    /// The text `--text` names, or the method's default when it is not given.
    fn fields(&self, default: TextFields) -> TextFields {
        self.text
            .as_deref()
            .and_then(TextFields::parse)
            .unwrap_or(default)
    }
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    match args.method.as_str() {
        "simcse" => return run_adapt(&store, args, Adaptation::Simcse, ui),
        "mlm" => return run_adapt(&store, args, Adaptation::Mlm, ui),
        "declutr" => return run_adapt(&store, args, Adaptation::Declutr, ui),
        "supervised" => return run_supervised(&store, args, ui),
        _ => {}
    }
    let mut spec = WordVecSpec::new(&args.name);
    spec.config.dimension = args.dimension;
    spec.config.epochs = args.epochs.unwrap_or(5);
    spec.config.seed = args.seed;
    spec.checkpoint_every = args.checkpoint_every.unwrap_or(5000).max(1);
    spec.fields = args.fields(TextFields::Description);
    let bar = Bar::count(ui.quiet || ui.json, "tokens");
    let report = train::train_wordvec(&store, &spec, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
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
        spec.config.epochs,
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
    Ok(ExitCode::SUCCESS)
}

fn run_adapt(
    store: &engine::Store,
    args: &Args,
    method: Adaptation,
    ui: &Ui,
) -> anyhow::Result<ExitCode> {
    let mut spec = AdaptSpec::new(&args.name, method);
    spec.base = args.base.clone();
    spec.config.epochs = args.epochs.unwrap_or(1);
    spec.config.batch_size = args.batch_size.unwrap_or(32).max(2);
    spec.config.max_tokens = args.max_tokens.max(8);
    spec.config.learning_rate = args.learning_rate.unwrap_or(3e-5);
    spec.config.seed = args.seed;
    spec.max_documents = args.max_documents;
    spec.checkpoint_every = args.checkpoint_every.unwrap_or(50).max(1) as u64;
    spec.fields = args.fields(spec.fields);
    let bar = Bar::count(ui.quiet || ui.json, "steps");
    let report = train::train_adapt(store, &spec, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_run(
        &format!(
            "{} ({} on {}): {} reports",
            report.name, report.method, report.base, report.documents
        ),
        &report.run,
        "examples",
    );
    println!(
        "saved to {}; encode with: incident-atlas encode --model {}",
        report.dir.display(),
        report.name
    );
    Ok(ExitCode::SUCCESS)
}

fn run_supervised(store: &engine::Store, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let Some(benchmark) = &args.benchmark else {
        anyhow::bail!("--method supervised needs --benchmark NAME (`incident-atlas benchmark list` shows them)");
    };
    let mut spec = SupervisedSpec::new(&args.name, benchmark);
    spec.base = args.base.clone();
    spec.version = args.version;
    spec.config.epochs = args.epochs.unwrap_or(1);
    spec.config.batch_size = args.batch_size.unwrap_or(spec.config.batch_size).max(1);
    spec.config.max_tokens = args.max_tokens.max(8);
    spec.config.learning_rate = args.learning_rate.unwrap_or(spec.config.learning_rate);
    spec.config.seed = args.seed;
    spec.per_label = args.per_label;
    spec.iterations = args.iterations;
    spec.checkpoint_every = args.checkpoint_every.unwrap_or(50).max(1) as u64;
    spec.fields = args.fields(TextFields::Description);
    let bar = Bar::count(ui.quiet || ui.json, "steps");
    let report = train::train_supervised(store, &spec, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
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
    Ok(ExitCode::SUCCESS)
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
