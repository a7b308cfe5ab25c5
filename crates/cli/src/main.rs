//! `incident-atlas`: the engine from a terminal. Each subcommand parses its arguments,
//! calls the engine and prints the result (or `--json` for scripts); no logic lives here.

mod commands;
mod output;
mod progress;

use clap::{Parser, Subcommand};
use output::Ui;

#[global_allocator]
// Reuses freed memory across threads instead of returning it to the kernel (see
// `engine::allocator`).
static ALLOCATOR: engine::allocator::MiMalloc = engine::allocator::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "incident-atlas",
    version,
    about = "Turn incident reports into reviewable clusters, offline."
)]
pub struct Cli {
    /// Project folder (holds atlas.sqlite, indexes, models, reports).
    #[arg(
        long,
        global = true,
        default_value = ".",
        env = "INCIDENT_ATLAS_PROJECT"
    )]
    project: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a project folder (or bring an existing one up to date).
    Init(commands::init::Args),
    /// Encrypt an existing project's database in place (SQLCipher; the passphrase from
    /// INCIDENT_ATLAS_PASSPHRASE or --passphrase-stdin; opening it later needs it).
    Encrypt(commands::init::EncryptArgs),
    /// Import incident reports from a CSV or JSONL file.
    Ingest(commands::ingest::Args),
    /// Counts by field, date range and imports.
    Stats,
    /// Encode incidents with one or more models (only those without vectors yet).
    Encode(commands::encode::Args),
    /// Vectors made elsewhere (the Spark job): import them for the project's reports.
    #[command(subcommand)]
    Vectors(commands::vectors::Vectors),
    /// Build or extend a model's similarity index.
    Index(commands::search::IndexArgs),
    /// Reports most like a given report.
    Similar(commands::search::SimilarArgs),
    /// Reports closest to free text.
    Search(commands::search::SearchArgs),
    /// Cluster a model's vectors, lay out the map and name the clusters.
    Analyse(commands::analyse::AnalyseArgs),
    /// Place reports imported after a run into its clusters and map, without refitting.
    Assign(commands::analyse::AssignArgs),
    /// A cluster run exported for assignment on Spark executors.
    #[command(subcommand)]
    Run(commands::run::Run),
    /// Cluster runs and their clusters.
    Clusters(commands::analyse::ClustersArgs),
    /// Emerging signals of a run: count alarms per cluster, category and place, and where
    /// clusters concentrate; or one detector on a weekly series from a CSV file (--series).
    Signals(commands::signals::Args),
    /// Merge or split clusters of a run (recorded as edits on top of it).
    #[command(subcommand)]
    Cluster(commands::analyse::Edit),
    /// Models available to the project.
    #[command(subcommand)]
    Models(commands::models::Models),
    /// Labelling: reviewers, schemas, sessions, labels, agreement, adjudication.
    #[command(subcommand)]
    Review(commands::review::Review),
    /// Benchmark sets: derive from a field, freeze a session's labels, list, export, import.
    #[command(subcommand)]
    Benchmark(commands::review::BenchmarkCmd),
    /// Train a model on the project's own reports (saved under its models/).
    Train(commands::train::Args),
    /// Score every model on a benchmark set and write the HTML report with its charts.
    Evaluate(commands::evaluate::Args),
    /// The audit chain of labels, edits and status changes.
    #[command(subcommand)]
    Audit(commands::review::Audit),
    /// Personal data in report text: found and masked.
    #[command(subcommand)]
    Privacy(commands::privacy::Privacy),
    /// Write the synthetic demo data set (seeded; the same seed gives the same bytes).
    DemoData(commands::demo_data::Args),
    /// Measure throughput and memory, with figures printed.
    #[command(subcommand)]
    Bench(commands::bench::Bench),
}

fn main() -> ExitCode {
    engine::allocator::keep_freed_memory();
    engine::panics::install_quiet_hook();
    // Rust ignores SIGPIPE, so `incident-atlas clusters | head` would panic on the closed
    // pipe; like other command-line tools, end quietly instead.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread starts; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let ui = Ui {
        json: cli.json,
        quiet: cli.quiet,
    };
    let result = match cli.command {
        Command::Init(args) => commands::init::run(&args, &ui),
        Command::Encrypt(args) => commands::init::encrypt(&cli.project, &args, &ui),
        Command::Ingest(args) => commands::ingest::run(&cli.project, &args, &ui),
        Command::Stats => commands::stats::run(&cli.project, &ui),
        Command::Encode(args) => commands::encode::run(&cli.project, &args, &ui),
        Command::Vectors(command) => commands::vectors::run(&cli.project, &command, &ui),
        Command::Index(args) => commands::search::run_index(&cli.project, &args, &ui),
        Command::Similar(args) => commands::search::run_similar(&cli.project, &args, &ui),
        Command::Search(args) => commands::search::run_search(&cli.project, &args, &ui),
        Command::Analyse(args) => commands::analyse::run_analyse(&cli.project, &args, &ui),
        Command::Assign(args) => commands::analyse::run_assign(&cli.project, &args, &ui),
        Command::Run(command) => commands::run::run(&cli.project, &command, &ui),
        Command::Clusters(args) => commands::analyse::run_clusters(&cli.project, &args, &ui),
        Command::Signals(args) => commands::signals::run(&cli.project, &args, &ui),
        Command::Cluster(edit) => commands::analyse::run_edit(&cli.project, &edit, &ui),
        Command::Models(command) => commands::models::run(&cli.project, &command, &ui),
        Command::Review(command) => commands::review::run(&cli.project, &command, &ui),
        Command::Benchmark(command) => commands::review::run_benchmark(&cli.project, &command, &ui),
        Command::Train(args) => commands::train::run(&cli.project, &args, &ui),
        Command::Evaluate(args) => commands::evaluate::run(&cli.project, &args, &ui),
        Command::Audit(command) => commands::review::run_audit(&cli.project, &command, &ui),
        Command::Privacy(command) => commands::privacy::run(&cli.project, &command, &ui),
        Command::DemoData(args) => commands::demo_data::run(&args, &ui),
        Command::Bench(bench) => commands::bench::run(&bench, &ui),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if ui.json {
                let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
                println!("{}", serde_json::json!({ "error": chain.join(": ") }));
            } else {
                eprintln!("error: {err}");
                for cause in err.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(1)
        }
    }
}
