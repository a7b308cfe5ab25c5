use crate::output::Ui;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to create; it may exist already.
    dir: PathBuf,
}

pub fn run(args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let existed = args.dir.join(engine::store::DB_FILE).exists();
    let store = engine::Store::create(&args.dir)
        .with_context(|| format!("cannot initialise {}", args.dir.display()))?;
    let version = store.schema_version()?;
    if ui.json {
        println!(
            "{}",
            serde_json::json!({ "project": args.dir, "created": !existed, "schema_version": version })
        );
    } else if existed {
        println!(
            "{} is already a project (schema version {version}).",
            args.dir.display()
        );
    } else {
        println!(
            "Created project {} (schema version {version}).",
            args.dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
