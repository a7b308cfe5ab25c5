use crate::progress::Bar;
use crate::output::Ui;
use engine::encode::{registry, EncodeOptions};
use engine::jobs::CancelToken;
use engine::store::TextFields;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Model name (`tfidf-lsa`, an installed encoder such as `all-MiniLM-L6-v2`) or the path
    /// of a model folder (config.json, tokenizer.json, model.safetensors). Repeatable.
    #[arg(long = "model", short, required = true, value_name = "NAME|PATH")]
    models: Vec<String>,
    /// Which text to encode: `description` (what happened) or `all` (with causes and actions).
    #[arg(long, default_value = "description", value_parser = ["description", "all"])]
    text: String,
    /// Texts per forward pass of a transformer.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Arithmetic of a transformer's dense layers: `auto` (int8 on x86-64 CPUs, f32
    /// elsewhere; a model with stored vectors keeps the precision they were made in),
    /// `int8`, `bf16` (CPUs with AVX-512 BF16) or `f32`. Recorded with the vectors.
    #[arg(long, default_value = "auto", value_parser = crate::commands::bench::parse_precision)]
    precision: engine::encode::Precision,
    /// Encode reports whole. By default a model new to the project reads each report without
    /// its boilerplate: sentences that recur across many reports while the rest of those
    /// reports has nothing in common (learned from this project's text; see `text/`).
    #[arg(long)]
    keep_boilerplate: bool,
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let options = EncodeOptions {
        fields: TextFields::parse(&args.text).unwrap_or(TextFields::Description),
        batch_size: args.batch_size,
        precision: args.precision,
        strip_boilerplate: !args.keep_boilerplate,
        ..Default::default()
    };
    let mut reports = Vec::new();
    for spec in &args.models {
        let spec = registry::resolve(project, spec)?;
        let bar = Bar::count(ui.quiet || ui.json, "docs");
        let done = engine::index::encode_indexed(&mut store, &spec, &options, &bar, &CancelToken::new());
        bar.finish();
        let (report, _) = done?;
        if !ui.json {
            if report.encoded == 0 {
                println!(
                    "{}: all {} incidents already encoded; nothing to do.",
                    report.model, report.already
                );
            } else {
                println!(
                    "{}: encoded {} incidents ({} already had vectors) in {:.1} s, {:.1} docs/s on {}, {} dimensions{}.",
                    report.model,
                    report.encoded,
                    report.already,
                    report.seconds,
                    report.docs_per_second,
                    report.device,
                    report.dimension,
                    if report.fitted { "; fitted on this project's text" } else { "" }
                );
                if report.truncated > 0 {
                    println!(
                        "  {} texts were longer than the model's maximum and were cut.",
                        report.truncated
                    );
                }
            }
        }
        reports.push(report);
    }
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(ExitCode::SUCCESS)
}
