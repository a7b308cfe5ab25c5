//! `vectors import`: vectors a Spark job made (spark/encode_reports.py) stored for the
//! project's reports, then indexed and analysed like locally encoded ones;
//! `vectors import-index`: the index shards the job built from them, adopted as the
//! model's index.

use crate::output::Ui;
use crate::progress::Bar;
use engine::encode::registry;
use engine::exchange;
use engine::jobs::CancelToken;
use engine::store::TextFields;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Vectors {
    /// Store vectors from a Parquet file or folder (the Spark job's output) for reports
    /// already in the project. Refused whole, with nothing stored, if the weights hash
    /// differs from the local model's, a report is unknown, or a vector is malformed.
    Import {
        /// A Parquet file, or the folder of part files Spark wrote.
        file: PathBuf,
        /// The local model the vectors were made with (name or folder): its weights hash
        /// must match the file's.
        #[arg(long)]
        model: String,
        /// The text the job encoded: `description` or `all`, as the job's --fields.
        #[arg(long, default_value = "description", value_parser = ["description", "all"])]
        text: String,
        /// Do not build the model's index from the vectors: the job's own index
        /// (`vectors import-index`) comes next.
        #[arg(long)]
        no_index: bool,
    },
    /// Adopt the index shards the Spark job built (its --index-out folder) as the model's
    /// index, after `vectors import` of the same job's vectors. Every shard's digest, report
    /// and vector is checked against the project first; nothing changes if one fails.
    ImportIndex {
        /// The folder holding manifest.json and the shard-NNN files.
        dir: PathBuf,
        /// The local model the vectors were made with (name or folder).
        #[arg(long)]
        model: String,
        /// The text the job encoded: `description` or `all`, as the job's --fields.
        #[arg(long, default_value = "description", value_parser = ["description", "all"])]
        text: String,
    },
}

pub fn run(project: &Path, command: &Vectors, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Vectors::Import { file, model, text, no_index } => {
            let mut store = engine::Store::open(project)?;
            let spec = registry::resolve(project, model)?;
            let fields = TextFields::parse(text).unwrap_or(TextFields::Description);
            let bar = Bar::count(ui.quiet || ui.json, "vectors");
            let report = exchange::import_vectors_indexed(&mut store, file, &spec, fields, !no_index, &bar, &CancelToken::new());
            bar.finish();
            let report = report?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{}: imported {} vectors from {} file(s) ({} reports already had one), {} dimensions{}.",
                    report.model,
                    report.imported,
                    report.files,
                    report.already,
                    report.dimension,
                    report.precision.map(|p| format!(", {p}")).unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Vectors::ImportIndex { dir, model, text } => {
            let store = engine::Store::open(project)?;
            let spec = registry::resolve(project, model)?;
            let fields = TextFields::parse(text).unwrap_or(TextFields::Description);
            let bar = Bar::count(ui.quiet || ui.json, "vectors");
            let report = exchange::import_index(&store, dir, &spec, fields, &bar, &CancelToken::new());
            bar.finish();
            let report = report?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "{}: index of {} vectors in {} shard(s) adopted ({} MiB, {}), in {:.1}s.",
                    report.model,
                    report.rows,
                    report.shards,
                    report.file_bytes >> 20,
                    report.quantisation.name(),
                    report.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
