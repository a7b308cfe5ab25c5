//! `train`: a model trained on the project's own reports, saved as a model folder that
//! `encode --model NAME` then reads like any other.

use crate::progress::Bar;
use crate::Ui;
use engine::jobs::CancelToken;
use engine::store::TextFields;
use engine::train::{self, WordVecSpec};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// wordvec: skip-gram word vectors with character n-grams, SIF sentence vectors.
    #[arg(long, value_parser = ["wordvec"])]
    method: String,
    /// Model name (its folder under the project's models/).
    #[arg(long)]
    name: String,
    #[arg(long, default_value_t = 100)]
    dimension: usize,
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Reports between checkpoints (training resumes from the last one).
    #[arg(long, default_value_t = 5000)]
    checkpoint_every: usize,
    /// Which text to learn from: description (what `encode` reads by default), or all
    /// (description, causes, actions).
    #[arg(long, default_value = "description", value_parser = ["description", "all"])]
    text: String,
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    let mut spec = WordVecSpec::new(&args.name);
    spec.config.dimension = args.dimension;
    spec.config.epochs = args.epochs;
    spec.config.seed = args.seed;
    spec.checkpoint_every = args.checkpoint_every.max(1);
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
        args.epochs,
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
