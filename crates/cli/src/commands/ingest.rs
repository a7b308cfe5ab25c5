use crate::progress::Bar;
use crate::output::Ui;
use anyhow::Context;
use engine::ingest::{self, Format, ImportReport, IngestOptions, MapOverride, Outcome};
use engine::jobs::CancelToken;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit status when the file was rejected for bad rows (the store is unchanged).
const REJECTED: u8 = 3;

#[derive(clap::Args)]
pub struct Args {
    /// CSV or JSONL file of incident reports.
    file: PathBuf,
    /// Map a source column to a field: COLUMN=FIELD, where FIELD is id, date, description,
    /// causes, actions, category, harm, care_setting, specialty, location, extra or ignore.
    /// Repeatable. Columns not mapped are recognised by name or NRLS code (IN07, PD09, ...).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    map: Vec<MapOverride>,
    /// Import the good rows and set bad ones aside (kept in the project, listed in the report).
    #[arg(long)]
    skip_bad: bool,
    /// File format; by default from the extension (.jsonl/.ndjson/.json: JSONL, else CSV).
    #[arg(long, value_parser = ["csv", "jsonl"])]
    format: Option<String>,
    /// CSV separator (one character); by default sniffed from the header line.
    #[arg(long)]
    delimiter: Option<char>,
    /// How many bad rows to describe (all are counted).
    #[arg(long, default_value_t = 100)]
    max_errors: usize,
    /// Longest accepted field, in bytes.
    #[arg(long, default_value_t = 100_000)]
    max_field_bytes: usize,
    /// Dataset name; by default the file name.
    #[arg(long)]
    name: Option<String>,
    /// Keep cells that are not valid UTF-8, with the bad bytes replaced by U+FFFD (each such
    /// row is listed); by default such rows are bad rows.
    #[arg(long)]
    repair_utf8: bool,
}

pub fn run(project: &Path, args: &Args, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let delimiter = match args.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => anyhow::bail!("--delimiter must be one ASCII character, not {c:?}"),
        None => None,
    };
    let options = IngestOptions {
        skip_bad: args.skip_bad,
        overrides: args.map.clone(),
        format: args.format.as_deref().map(|f| {
            if f == "jsonl" {
                Format::Jsonl
            } else {
                Format::Csv
            }
        }),
        delimiter,
        max_reported: args.max_errors,
        max_field_bytes: args.max_field_bytes,
        name: args.name.clone(),
        repair_utf8: args.repair_utf8,
    };
    let bar = Bar::bytes(ui.quiet || ui.json);
    let report = ingest::ingest_file(&mut store, &args.file, &options, &bar, &CancelToken::new())
        .with_context(|| {
            format!(
                "import of {} failed; the store is unchanged",
                args.file.display()
            )
        });
    bar.finish();
    let report = report?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(match report.outcome {
        Outcome::Rejected => ExitCode::from(REJECTED),
        Outcome::Cancelled => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    })
}

fn print_report(r: &ImportReport) {
    let c = &r.counts;
    match &r.outcome {
        Outcome::AlreadyImported {
            dataset_id,
            imported_at,
        } => {
            println!(
                "{} was already imported (dataset {dataset_id}, {imported_at}); nothing to do.",
                r.file
            );
            return;
        }
        Outcome::Imported => {
            let rate = if r.elapsed_seconds > 0.0 {
                c.read as f64 / r.elapsed_seconds
            } else {
                0.0
            };
            println!(
                "Imported {} new incidents from {} (dataset {}) in {:.2} s, {:.0} rows/s.",
                c.imported,
                r.file,
                r.dataset_id.unwrap_or_default(),
                r.elapsed_seconds,
                rate
            );
            println!(
                "  rows read {}, already stored {}, set aside {}, with repaired UTF-8 {}",
                c.read, c.duplicate, c.rejected, c.lossy
            );
        }
        Outcome::Rejected => eprintln!(
            "Import of {} rejected: {} of {} rows are bad. The store is unchanged.",
            r.file, r.bad_rows_total, c.read
        ),
        Outcome::Cancelled => eprintln!("Import of {} cancelled. The store is unchanged.", r.file),
    }
    if !r.bad_rows.is_empty() {
        eprintln!(
            "Bad rows{}:",
            if r.outcome == Outcome::Imported {
                " (set aside)"
            } else {
                ""
            }
        );
        for row in &r.bad_rows {
            eprintln!("  {row}");
        }
        if r.bad_rows_total > r.bad_rows.len() as u64 {
            eprintln!(
                "  ... and {} more (raise --max-errors to see them)",
                r.bad_rows_total - r.bad_rows.len() as u64
            );
        }
    }
    if !r.lossy_rows.is_empty() {
        eprintln!("Rows with invalid UTF-8 (imported, bad bytes replaced by U+FFFD):");
        for row in &r.lossy_rows {
            eprintln!("  {row}");
        }
    }
    if r.outcome == Outcome::Rejected {
        eprintln!("Fix these rows, or import only the good ones with --skip-bad.");
    }
}
