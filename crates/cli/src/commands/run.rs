//! `run export`: a cluster run written out for assignment on Spark executors (the Python
//! wheel's `Assigner`, `spark/encode_reports.py --assign`).

use crate::output::Ui;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Run {
    /// Write a run's fitted reports' index, clusters and parameters to a new folder, for
    /// assigning reports to it elsewhere with the same result as `assign` here.
    Export {
        /// The run (default: the newest).
        #[arg(long)]
        run: Option<i64>,
        /// The folder to create.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(project: &Path, command: &Run, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Run::Export { run, out } => {
            let store = engine::Store::open(project)?;
            let report = engine::cluster::export_run(&store, *run, out)?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "run {}: exported {} fitted reports ({:.1} MB) to {}",
                    report.run_id,
                    report.fitted,
                    report.bytes as f64 / 1e6,
                    report.dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
