//! `index`, `similar` and `search`: the similarity index of a model and queries on it.

use crate::progress::Bar;
use crate::output::Ui;
use engine::index::{self, Hit, IndexOptions, Quantisation};
use engine::jobs::CancelToken;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct IndexArgs {
    /// Model whose vectors to index.
    #[arg(long, short, default_value = engine::encode::DEFAULT_TRANSFORMER)]
    model: String,
    /// How vectors are stored in the index: f32, f16 (half the size) or i8 (a quarter).
    #[arg(long, default_value = "f32", value_parser = ["f32", "f16", "i8"])]
    quantisation: String,
    /// Graph degree: higher gives better recall, a larger index and slower builds.
    #[arg(long, default_value_t = 16)]
    connectivity: usize,
}

#[derive(clap::Args)]
pub struct SimilarArgs {
    /// External id of the report (as imported).
    incident: String,
    #[arg(long, short, default_value = engine::encode::DEFAULT_TRANSFORMER)]
    model: String,
    /// How many similar reports to list.
    #[arg(short, default_value_t = 20)]
    k: usize,
}

#[derive(clap::Args)]
pub struct SearchArgs {
    /// Free text, encoded by the same model as the index.
    query: String,
    #[arg(long, short, default_value = engine::encode::DEFAULT_TRANSFORMER)]
    model: String,
    #[arg(short, default_value_t = 20)]
    k: usize,
}

pub fn run_index(project: &Path, args: &IndexArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    let options = IndexOptions {
        quantisation: Quantisation::parse(&args.quantisation)?,
        connectivity: args.connectivity,
        ..IndexOptions::default()
    };
    let bar = Bar::count(ui.quiet || ui.json, "vectors");
    let report = index::update_index(&store, &args.model, &options, &bar, &CancelToken::new());
    bar.finish();
    let report = report?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.added == 0 && !report.rebuilt {
        println!(
            "{}: index up to date ({} vectors, {}).",
            report.model,
            report.size,
            report.path.display()
        );
    } else {
        println!(
            "{}: {} {} vectors in {:.1} s; {} vectors, {:.1} MiB, {} ({}).",
            report.model,
            if report.rebuilt {
                "built from"
            } else {
                "added"
            },
            report.added,
            report.seconds,
            report.size,
            report.file_bytes as f64 / (1 << 20) as f64,
            report.quantisation.name(),
            report.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_hits(hits: &[Hit], ui: &Ui) -> anyhow::Result<()> {
    if ui.json {
        println!("{}", serde_json::to_string_pretty(hits)?);
        return Ok(());
    }
    for (rank, hit) in hits.iter().enumerate() {
        let text: String = hit
            .description
            .chars()
            .take(110)
            .collect::<String>()
            .replace('\n', " ");
        println!(
            "{:>3}. {:.3}  {}  {}  {}  {}",
            rank + 1,
            hit.similarity,
            hit.external_id,
            hit.occurred_on,
            hit.category.as_deref().unwrap_or("-"),
            text
        );
    }
    Ok(())
}

pub fn run_similar(project: &Path, args: &SimilarArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    print_hits(
        &index::similar(&store, &args.model, &args.incident, args.k)?,
        ui,
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_search(project: &Path, args: &SearchArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    print_hits(
        &index::search_text(&store, &args.model, &args.query, args.k)?,
        ui,
    )?;
    Ok(ExitCode::SUCCESS)
}
