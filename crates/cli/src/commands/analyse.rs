//! `analyse` (cluster a model's vectors and lay out the map), `clusters` (list runs and
//! their clusters) and `cluster merge|split` (manual edits on top of a run).

use crate::output::Ui;
use crate::progress::Bar;
use anyhow::Context;
use engine::cluster::{self, AnalyseOptions, ClusterRow, Method, RunRecord, SplitHow};
use engine::jobs::CancelToken;
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct AnalyseArgs {
    /// The model whose vectors are clustered (default: the one the project's newest
    /// evaluation clearly prefers, else the benchmark's best, all-MiniLM-L6-v2; the run
    /// records which and why).
    #[arg(long, short)]
    model: Option<String>,
    #[arg(long, default_value = "hdbscan", value_parser = ["hdbscan", "kmeans"])]
    method: String,
    /// HDBSCAN: the smallest group of reports that counts as a cluster (0: chosen for the
    /// data, the most stable under refits on subsamples of sizes 10 to 100; the run records every
    /// size tried).
    #[arg(long, default_value_t = 0)]
    min_cluster_size: usize,
    /// HDBSCAN: how conservative the density estimate is (default: the min cluster size
    /// given, or 10 when the size is chosen).
    #[arg(long)]
    min_samples: Option<usize>,
    /// HDBSCAN: dimensions of the UMAP reduction it clusters.
    #[arg(long, default_value_t = 5)]
    reduce_to: usize,
    /// k-means: number of clusters.
    #[arg(long, short)]
    k: Option<usize>,
    /// Seed of every random step; the same inputs and seed give the same clusters.
    #[arg(long, default_value_t = engine::DEFAULT_SEED)]
    seed: u64,
    /// UMAP neighbourhood size (the report itself included; default: the engine's).
    #[arg(long)]
    neighbours: Option<usize>,
    /// Keywords per cluster.
    #[arg(long, default_value_t = 8)]
    keywords: usize,
    /// Fit UMAP and HDBSCAN on at most this many reports (a seeded sample) and assign the
    /// others by a vote of their nearest fitted reports (0: fit on all).
    #[arg(long, default_value_t = engine::cluster::DEFAULT_FIT_SAMPLE)]
    fit_sample: usize,
    /// Clusters to print (all with --json).
    #[arg(long, default_value_t = 40)]
    top: usize,
}

#[derive(clap::Args)]
pub struct AssignArgs {
    /// The run to place reports into: every report encoded with its model that it does not
    /// hold yet is assigned to its clusters, without refitting.
    #[arg(long)]
    run: i64,
}

#[derive(clap::Args)]
pub struct ClustersArgs {
    /// Run to show (default: the newest).
    #[arg(long)]
    run: Option<i64>,
    /// List the runs instead.
    #[arg(long)]
    runs: bool,
}

#[derive(clap::Subcommand)]
pub enum Edit {
    /// Merge two or more clusters of a run into a new one.
    Merge {
        #[arg(long)]
        run: i64,
        #[arg(required = true, num_args = 2..)]
        clusters: Vec<i64>,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Split a cluster of a run: into k parts by k-means, or the listed reports apart.
    Split {
        #[arg(long)]
        run: i64,
        cluster: i64,
        #[arg(long, default_value_t = 2, conflicts_with = "incidents")]
        parts: usize,
        /// External ids that become their own cluster.
        #[arg(long, value_delimiter = ',')]
        incidents: Vec<String>,
        #[arg(long, default_value_t = engine::DEFAULT_SEED)]
        seed: u64,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Give each noise report to the cluster its close nearest neighbours agree on (one
    /// edit, undone by `unassign-noise`; the algorithm's noise stays recorded).
    AssignNoise {
        #[arg(long)]
        run: i64,
        /// Share of a report's nearest fitted reports that must be close to it and in the
        /// one cluster it goes to.
        #[arg(long, default_value_t = cluster::DEFAULT_NOISE_AGREEMENT)]
        agreement: f64,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Move the noise reports `assign-noise` gave to clusters back to noise.
    UnassignNoise {
        #[arg(long)]
        run: i64,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
}

pub fn run_analyse(project: &Path, args: &AnalyseArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let method = Method::parse(&args.method, args.k, Some(args.min_cluster_size))
        .context("-k gives k-means its number of clusters")?;
    let method = match method {
        Method::Hdbscan {
            min_cluster_size, ..
        } => Method::Hdbscan {
            min_cluster_size,
            min_samples: args.min_samples,
            reduce_to: args.reduce_to,
        },
        kmeans => kmeans,
    };
    let (model, representation) = engine::representation::choose_representation(&store, args.model.as_deref())?;
    if !(ui.quiet || ui.json) {
        println!("Clustering {model}: {}", representation.reason);
    }
    let mut options = AnalyseOptions::new(&model, method);
    options.representation = Some(representation);
    options.seed = args.seed;
    options.n_neighbors = args.neighbours.unwrap_or(options.n_neighbors);
    options.keywords = args.keywords;
    options.fit_sample = args.fit_sample;
    let bar = Bar::count(ui.quiet || ui.json, "steps");
    let summary = cluster::analyse(&mut store, &options, &bar, &CancelToken::new());
    bar.finish();
    let summary = summary?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_run(&summary.run);
    print_clusters(&summary.clusters, args.top);
    Ok(ExitCode::SUCCESS)
}

fn print_noise(outcome: &cluster::NoiseOutcome, ui: &Ui) -> anyhow::Result<ExitCode> {
    if ui.json {
        println!("{}", serde_json::to_string_pretty(outcome)?);
    } else {
        let edit = outcome.edit.as_ref().map_or("no edit, nothing moved".to_string(), |e| format!("edit {}", e.edit_id));
        println!(
            "{edit}: {} report(s) moved; reports in no cluster {} -> {}",
            outcome.moved, outcome.noise_before, outcome.noise_after
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_run(run: &RunRecord) {
    println!(
        "run {} ({} on {}, seed {}): {} clusters, {} of {} reports as noise ({:.1}%{}), {:.1} s{}{}",
        run.id,
        run.method,
        run.model,
        run.seed,
        run.clusters,
        run.noise,
        run.incidents,
        100.0 * run.noise as f64 / run.incidents.max(1) as f64,
        if run.noise_assigned > 0 {
            format!("; {} of them since given to a nearby cluster", run.noise_assigned)
        } else {
            String::new()
        },
        run.timings.total,
        if run.fitted < run.incidents {
            format!("; fitted on {}, the rest assigned", run.fitted)
        } else {
            String::new()
        },
        run.parent_run_id
            .map(|p| format!("; ids carried over from run {p}"))
            .unwrap_or_default()
    );
    let stages: Vec<String> = run
        .timings
        .stages
        .iter()
        .map(|(s, t)| format!("{s} {t:.1} s"))
        .collect();
    if !stages.is_empty() {
        println!("  stages: {}", stages.join(", "));
    }
}

fn print_clusters(clusters: &[ClusterRow], top: usize) {
    println!("{:>7} {:>6}  keywords", "cluster", "size");
    for c in clusters.iter().take(top) {
        let origin = if c.origin == "run" {
            String::new()
        } else {
            format!(" [{}]", c.origin)
        };
        println!(
            "{:>7} {:>6}  {}{}",
            c.cluster_id,
            c.size,
            c.keywords.join(", "),
            origin
        );
    }
    if clusters.len() > top {
        println!(
            "  ... and {} more (--top N or --json for all)",
            clusters.len() - top
        );
    }
}

pub fn run_assign(project: &Path, args: &AssignArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let bar = Bar::count(ui.quiet || ui.json, "reports");
    let report = cluster::assign_to_run(&mut store, args.run, &bar, &CancelToken::new());
    bar.finish();
    let report = report?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.assigned == 0 {
        println!(
            "run {}: no reports to assign; it holds every encoded report ({})",
            report.run_id, report.incidents
        );
    } else {
        println!(
            "run {}: assigned {} new reports ({} not close to any cluster) in {:.1} s; it now holds {}{}",
            report.run_id,
            report.assigned,
            report.unassigned,
            report.seconds,
            report.incidents,
            if report.rebuilt_index { " (its neighbour index was rebuilt)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_clusters(project: &Path, args: &ClustersArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    let runs = cluster::list_runs(&store)?;
    if args.runs {
        if ui.json {
            println!("{}", serde_json::to_string_pretty(&runs)?);
        } else if runs.is_empty() {
            println!("No cluster runs yet; run `incident-atlas analyse`.");
        }
        for run in runs.iter().filter(|_| !ui.json) {
            print_run(run);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let run_id = match args.run.or_else(|| runs.first().map(|r| r.id)) {
        Some(id) => id,
        None => anyhow::bail!("no cluster runs yet; run `incident-atlas analyse` first"),
    };
    let run = cluster::load_run(&store, run_id)?;
    let clusters = cluster::run_clusters(&store, run_id)?;
    if ui.json {
        println!(
            "{}",
            serde_json::json!({ "run": run, "clusters": clusters })
        );
    } else {
        print_run(&run);
        print_clusters(&clusters, usize::MAX);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_edit(project: &Path, edit: &Edit, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let outcome = match edit {
        Edit::Merge {
            run,
            clusters,
            author,
        } => cluster::merge_clusters(&mut store, *run, clusters, author)?,
        Edit::Split {
            run,
            cluster,
            parts,
            incidents,
            seed,
            author,
        } => {
            let how = if incidents.is_empty() {
                SplitHow::Parts {
                    parts: *parts,
                    seed: *seed,
                }
            } else {
                SplitHow::Incidents(incidents.clone())
            };
            cluster::split_cluster(&mut store, *run, *cluster, &how, author)?
        }
        Edit::AssignNoise { run, agreement, author } => {
            let cancel = engine::jobs::CancelToken::new();
            let outcome = cluster::assign_noise(&mut store, *run, *agreement, author, &engine::jobs::NoProgress, &cancel)?;
            return print_noise(&outcome.context("cancelled")?, ui);
        }
        Edit::UnassignNoise { run, author } => return print_noise(&cluster::unassign_noise(&mut store, *run, author)?, ui),
    };
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        let new: Vec<String> = outcome
            .new_clusters
            .iter()
            .map(ToString::to_string)
            .collect();
        println!(
            "edit {}: new cluster(s) {}",
            outcome.edit_id,
            new.join(", ")
        );
        let shown: Vec<ClusterRow> = outcome
            .clusters
            .iter()
            .filter(|c| outcome.new_clusters.contains(&c.cluster_id))
            .cloned()
            .collect();
        print_clusters(&shown, usize::MAX);
    }
    Ok(ExitCode::SUCCESS)
}
