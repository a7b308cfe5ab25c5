use crate::output::Ui;
use anyhow::Context;
use engine::store::encryption::{self, PASSPHRASE_ENV, UNENCRYPTED};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to create; it may exist already.
    dir: PathBuf,
    /// Encrypt the project's database (SQLCipher). The passphrase comes from
    /// INCIDENT_ATLAS_PASSPHRASE, or one line of standard input with --passphrase-stdin.
    #[arg(long)]
    encrypt: bool,
    /// Read the passphrase from the first line of standard input.
    #[arg(long)]
    passphrase_stdin: bool,
}

/// The passphrase from standard input (one line) or the environment.
pub fn passphrase(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).context("cannot read the passphrase from standard input")?;
        let line = line.trim_end_matches(['\n', '\r']).to_string();
        anyhow::ensure!(!line.is_empty(), "no passphrase on standard input");
        return Ok(line);
    }
    encryption::passphrase_from_env().with_context(|| format!("give the passphrase in {PASSPHRASE_ENV} or with --passphrase-stdin"))
}

pub fn run(args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let existed = args.dir.join(engine::store::DB_FILE).exists();
    let store = if args.encrypt {
        engine::Store::create_encrypted(&args.dir, &passphrase(args.passphrase_stdin)?)
    } else {
        engine::Store::create(&args.dir)
    }
    .with_context(|| format!("cannot initialise {}", args.dir.display()))?;
    let version = store.schema_version()?;
    let encrypted = store.is_encrypted();
    if ui.json {
        println!(
            "{}",
            serde_json::json!({ "project": args.dir, "created": !existed, "schema_version": version, "encrypted": encrypted })
        );
    } else if existed {
        println!("{} is already a project (schema version {version}{}).", args.dir.display(), if encrypted { ", encrypted" } else { "" });
    } else {
        println!("Created project {} (schema version {version}{}).", args.dir.display(), if encrypted { ", encrypted" } else { "" });
    }
    if encrypted && !ui.json {
        println!("{UNENCRYPTED}");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct EncryptArgs {
    /// Read the new passphrase from the first line of standard input (else
    /// INCIDENT_ATLAS_PASSPHRASE).
    #[arg(long)]
    passphrase_stdin: bool,
}

/// Encrypts an existing plain project in place.
pub fn encrypt(project: &Path, args: &EncryptArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(!encryption::is_encrypted(project)?, "{} is already encrypted", project.display());
    let passphrase = passphrase(args.passphrase_stdin)?;
    let store = engine::Store::open_with(project, None)?;
    let store = store.encrypt(&passphrase).with_context(|| format!("cannot encrypt {}", project.display()))?;
    if ui.json {
        println!("{}", serde_json::json!({ "project": project, "encrypted": store.is_encrypted() }));
    } else {
        println!("Encrypted {}. {UNENCRYPTED}", project.display());
        println!("Copies of the project made before (backups, the disk's free space) still hold the plain file.");
    }
    Ok(ExitCode::SUCCESS)
}
