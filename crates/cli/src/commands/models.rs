use crate::output::Ui;
use engine::encode::registry;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Models {
    /// Models this project can use, and those it has vectors for.
    List,
}

pub fn run(project: &Path, command: &Models, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Models::List => {
            let stored = match engine::Store::open(project) {
                Ok(store) => store.models()?,
                Err(engine::StoreError::NotAProject(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
            let installed = registry::installed(project);
            if ui.json {
                let installed: Vec<_> = installed
                    .iter()
                    .map(|(name, dir)| serde_json::json!({ "name": name, "folder": dir }))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "baseline": registry::BASELINE,
                        "installed": installed,
                        "in_project": stored,
                        "app_models_dir": registry::app_models_dir(),
                        "model_dirs": registry::model_search_dirs(project),
                    }))?
                );
                return Ok(ExitCode::SUCCESS);
            }
            println!("Available models:");
            println!(
                "  {:<28} TF-IDF + LSA baseline, fitted on this project's text",
                registry::BASELINE
            );
            for (name, dir) in &installed {
                println!("  {name:<28} {}", dir.display());
            }
            if installed.is_empty() {
                let dirs: Vec<String> = registry::model_search_dirs(project)
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                println!("  (no encoder folders in {})", dirs.join(", "));
            }
            if !stored.is_empty() {
                println!("\nVectors in this project:");
                for m in &stored {
                    println!(
                        "  {:<28} {:>8} vectors, {} dimensions, {} ({})",
                        m.name, m.vectors, m.dimension, m.kind, m.text_fields
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
