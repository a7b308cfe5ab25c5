//! `vectors import`: vectors a Spark job made (spark/encode_reports.py) stored for the
//! project's reports, then indexed and analysed like locally encoded ones.

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
    },
}

pub fn run(project: &Path, command: &Vectors, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Vectors::Import { file, model, text } => {
            let mut store = engine::Store::open(project)?;
            let spec = registry::resolve(project, model)?;
            let fields = TextFields::parse(text).unwrap_or(TextFields::Description);
            let bar = Bar::count(ui.quiet || ui.json, "vectors");
            let report = exchange::import_vectors(&mut store, file, &spec, fields, &bar, &CancelToken::new());
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
    }
}
