use crate::output::Ui;
use anyhow::Context;
use synth::{generate, SynthConfig, Templates, DEMO_ROWS, DEMO_SEED};
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the CSV.
    #[arg(long, default_value = "assets/demo/incidents.csv")]
    out: PathBuf,
    #[arg(long, default_value_t = DEMO_ROWS)]
    rows: usize,
    #[arg(long, default_value_t = DEMO_SEED)]
    seed: u64,
    /// Share of reports (0 to 1) that get fake personal data (names, NHS numbers in the 999
    /// test range, reserved phone numbers...), its spans in a `ground_truth_personal` column;
    /// 0 writes no such column.
    #[arg(long, default_value_t = 0.0)]
    personal_share: f64,
    /// Write that personal data with the held-out templates (other wording and formats than
    /// the demo's), as `bench privacy` does.
    #[arg(long)]
    held_out: bool,
}

pub fn run(args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((0.0..=1.0).contains(&args.personal_share), "--personal-share must be between 0 and 1 (got {})", args.personal_share);
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let config = SynthConfig {
        rows: args.rows,
        seed: args.seed,
        personal_share: args.personal_share,
        personal_templates: if args.held_out { Templates::HeldOut } else { Templates::Demo },
        ..Default::default()
    };
    let summary = generate(&config, BufWriter::with_capacity(1 << 20, file))
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "Wrote {} synthetic reports ({} to {}) to {}; emerging type from {}.",
            summary.rows,
            summary.first_date,
            summary.last_date,
            args.out.display(),
            summary.spike_first_date.as_deref().unwrap_or("(none)")
        );
    }
    Ok(ExitCode::SUCCESS)
}
