//! `train`: a model trained on the project's own reports, saved as a model folder that
//! `encode --model NAME` then reads like any other.

use crate::progress::Bar;
use crate::Ui;
use engine::jobs::CancelToken;
use engine::store::TextFields;
use engine::train::{self, SimcseSpec, WordVecSpec};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// wordvec: skip-gram word vectors with character n-grams, SIF sentence vectors, from
    /// scratch. simcse: unsupervised SimCSE domain adaptation of a pretrained encoder.
    #[arg(long, value_parser = ["wordvec", "simcse"])]
    method: String,
    /// simcse: the encoder to adapt.
    #[arg(long, default_value = engine::encode::DEFAULT_TRANSFORMER)]
    base: String,
    /// simcse: texts per step (each is encoded twice; the rest of the batch are negatives).
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// simcse: texts are cut to this many tokens while training.
    #[arg(long, default_value_t = 64)]
    max_tokens: usize,
    #[arg(long, default_value_t = 3e-5)]
    learning_rate: f64,
    /// simcse: train on at most this many reports (a seeded sample).
    #[arg(long)]
    max_documents: Option<usize>,
    /// Model name (its folder under the project's models/).
    #[arg(long)]
    name: String,
    #[arg(long, default_value_t = 100)]
    dimension: usize,
    /// Passes over the reports (default: 5 for wordvec, 1 for simcse).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Between checkpoints (training resumes from the last one): reports for wordvec
    /// (default 5000), steps for simcse (default 50).
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Which text to learn from: description (what `encode` reads by default), or all
    /// (description, causes, actions).
    #[arg(long, default_value = "description", value_parser = ["description", "all"])]
    text: String,
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    if args.method == "simcse" {
        return run_simcse(&store, args, ui);
    }
    let mut spec = WordVecSpec::new(&args.name);
    spec.config.dimension = args.dimension;
    spec.config.epochs = args.epochs.unwrap_or(5);
    spec.config.seed = args.seed;
    spec.checkpoint_every = args.checkpoint_every.unwrap_or(5000).max(1);
    spec.fields = TextFields::parse(&args.text).unwrap_or(TextFields::Description);
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

fn run_simcse(store: &engine::Store, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut spec = SimcseSpec::new(&args.name);
    spec.base = args.base.clone();
    spec.config.epochs = args.epochs.unwrap_or(1);
    spec.config.batch_size = args.batch_size.max(2);
    spec.config.max_tokens = args.max_tokens.max(8);
    spec.config.learning_rate = args.learning_rate;
    spec.config.seed = args.seed;
    spec.max_documents = args.max_documents;
    spec.checkpoint_every = args.checkpoint_every.unwrap_or(50).max(1) as u64;
    spec.fields = TextFields::parse(&args.text).unwrap_or(TextFields::Description);
    let bar = Bar::count(ui.quiet || ui.json, "steps");
    let report = train::train_simcse(store, &spec, &bar, &CancelToken::new())?;
    bar.finish();
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(step) = report.resumed_from_step {
        println!("resumed from the checkpoint at step {step}");
    }
    println!(
        "{} (SimCSE on {}): {} reports, {} steps in {:.1} s, {:.1} examples/s; final loss {}",
        report.name,
        report.base,
        report.documents,
        report.steps,
        report.seconds,
        report.examples_per_second,
        report
            .final_loss
            .map(|l| format!("{l:.4}"))
            .unwrap_or_else(|| "-".into())
    );
    println!(
        "saved to {}; encode with: incident-atlas encode --model {}",
        report.dir.display(),
        report.name
    );
    Ok(ExitCode::SUCCESS)
}
