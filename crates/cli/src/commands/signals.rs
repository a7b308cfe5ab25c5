use crate::output::Ui;
use anyhow::Context;
use engine::signals::{self, Method, SignalRequest};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Run whose clusters to watch (default: the newest).
    #[arg(long)]
    run: Option<i64>,
    /// auto (Noufaily's Farrington with a year of history, CUSUM without), farrington,
    /// noufaily or cusum.
    #[arg(long, default_value = "auto")]
    method: String,
    /// First monitored week (a date in it, YYYY-MM-DD); default 26 weeks before the last.
    #[arg(long)]
    from: Option<String>,
    /// Last monitored week (a date in it); default the week of the last report.
    #[arg(long)]
    to: Option<String>,
    /// Run the detector on a weekly series from a CSV file (`week_start,count`) instead of
    /// a run, printing every monitored week: expected count, upper bound, score, alarm.
    #[arg(long, value_name = "FILE.csv")]
    series: Option<PathBuf>,
    /// With --series and a Farrington method: years back (default as many as the first
    /// monitored week has, at most 5).
    #[arg(long)]
    years: Option<usize>,
    /// The Farrington detectors' one-sided level (default 0.005; R's default is 0.05).
    #[arg(long)]
    alpha: Option<f64>,
    /// The date that puts a report in a week: occurred (the incident's) or reported (the
    /// report's). Default: reported when every report of the run has a reporting date.
    #[arg(long, value_name = "occurred|reported")]
    by: Option<String>,
    /// Alarms and concentrations to list (text output).
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let method = Method::parse(&args.method)?;
    let (from, to) = (args.from.clone(), args.to.clone());
    if let Some(path) = &args.series {
        if args.run.is_some() {
            anyhow::bail!("--series runs on a file; it cannot be given with --run");
        }
        if args.by.is_some() {
            anyhow::bail!("--by is for a run's reports; a series file's weeks are already counted");
        }
        let options = signals::DetectOptions { method, years: args.years, alpha: args.alpha };
        return run_series(path, &options, from.as_deref(), to.as_deref(), ui);
    }
    if args.years.is_some() {
        anyhow::bail!("--years is for --series; a run's series each look back as far as they can");
    }
    let by = args.by.as_deref().map(signals::DateBasis::parse).transpose()?;
    let store = engine::Store::open(project)?;
    let run_id = match args.run {
        Some(id) => id,
        None => engine::cluster::list_runs(&store)?
            .first()
            .map(|r| r.id)
            .context("no cluster runs yet; run `incident-atlas analyse` first")?,
    };
    let request = SignalRequest { run_id, method, from, to, alpha: args.alpha, by };
    // The defaults' result is stored for the triage list (and read back while the data is
    // the same); any other request is computed for this call only.
    let result = if request == signals::default_request(run_id) {
        signals::stored_signals(&store, run_id)?
    } else {
        signals::run_signals(&store, &request)?
    };
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    let Some((first, last)) = &result.monitored else {
        println!("Run {run_id} has no reports to watch.");
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "Run {run_id}: {} series watched from the week of {first} to the week of {last}, reports counted by the date they {} (last report {}); of the alarming and concentrated clusters' {} stratum series, {} run ({} with too few recent reports to alarm).",
        result.series.len(),
        match result.by {
            signals::DateBasis::Occurred => "occurred",
            signals::DateBasis::Reported => "were reported",
        },
        result.last_date.as_deref().unwrap_or("-"),
        result.strata_run + result.strata_skipped,
        result.strata_run,
        result.strata_skipped
    );
    println!("{} alarms{}", result.alarms.len(), if result.alarms.is_empty() { "." } else { ":" });
    for alarm in result.alarms.iter().take(args.limit) {
        println!("  {}", alarm.reason);
    }
    println!("{} concentrations (IC025 > 0, at least 3 reports){}", result.concentrations.len(), if result.concentrations.is_empty() { "." } else { ":" });
    for c in result.concentrations.iter().take(args.limit) {
        println!("  {}", c.reason);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_series(
    path: &Path,
    options: &signals::DetectOptions,
    from: Option<&str>,
    to: Option<&str>,
    ui: &Ui,
) -> anyhow::Result<ExitCode> {
    let series = signals::read_series_file(path)?;
    let result = signals::detect_series(&series, options, from, to)?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(note) = &result.note {
        println!("{note}");
    }
    for span in &result.applied {
        println!("{} to {}: {}", span.first_week, span.last_week, serde_json::to_string(&span.applied)?);
    }
    println!("{:<10} {:>8} {:>10} {:>10} {:>8}  alarm", "week", "observed", "expected", "upper", "score");
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    for w in &result.weeks {
        println!(
            "{:<10} {:>8} {:>10} {:>10} {:>8}  {}",
            w.week_start,
            w.observed,
            num(w.expected),
            num(w.upper),
            num(w.score),
            if w.alarm { "ALARM" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}
