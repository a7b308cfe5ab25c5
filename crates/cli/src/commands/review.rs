//! `incident-atlas review ...` and `audit ...`: labelling from scripts and terminals.

use crate::output::Ui;
use anyhow::Context;
use engine::review::{self, LabelDef, Role, SessionSpec, Strategy, Target};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Review {
    /// Reviewers: local identities.
    #[command(subcommand)]
    Reviewer(ReviewerCmd),
    /// Save a label schema (a changed label set becomes a new version).
    Schema {
        name: String,
        /// NAME or NAME=GUIDELINE, one per label, in the order reviewers see them.
        #[arg(long = "label", required = true)]
        labels: Vec<String>,
        /// Several labels per report.
        #[arg(long)]
        multi: bool,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Create a labelling session by sampling reports.
    Session(SessionArgs),
    /// Labelling sessions.
    Sessions,
    /// The next report a reviewer should label in a session.
    Next {
        session: i64,
        #[arg(long)]
        reviewer: String,
    },
    /// Record a label; with --stdin, one "REPORT<TAB>LABEL[,LABEL]" per line, each
    /// acknowledged ("ok REPORT ROW") only once it is committed.
    Label {
        session: i64,
        #[arg(long)]
        reviewer: String,
        #[arg(required_unless_present = "stdin")]
        report: Option<String>,
        /// Comma-separated for multi-label schemas.
        #[arg(value_delimiter = ',', required_unless_present = "stdin")]
        labels: Vec<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        confidence: Option<f64>,
        #[arg(long)]
        stdin: bool,
    },
    /// Undo the reviewer's latest label in the session.
    Undo {
        session: i64,
        #[arg(long)]
        reviewer: String,
    },
    /// Agreement statistics and the disagreements of a session.
    Agreement { session: i64 },
    /// Resolve a disagreement (by a reviewer who did not code the report).
    Adjudicate {
        session: i64,
        report: String,
        #[arg(value_delimiter = ',', required = true)]
        labels: Vec<String>,
        #[arg(long)]
        reviewer: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Every report of a session with its final label and the coders' labels.
    Finals { session: i64 },
}

#[derive(clap::Subcommand)]
pub enum ReviewerCmd {
    Add {
        name: String,
        /// reviewer, adjudicator or analyst.
        #[arg(long, default_value = "reviewer")]
        role: String,
    },
    List,
}

#[derive(clap::Args)]
pub struct SessionArgs {
    #[arg(long)]
    name: String,
    /// Schema name (its latest version).
    #[arg(long)]
    schema: String,
    /// random, stratified (needs --run), diversity, uncertainty (both need --model) or nhs.
    #[arg(long, default_value = "random")]
    strategy: String,
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Reviewers per report (2 or more: double coding, blind).
    #[arg(long, default_value_t = 1)]
    coders: usize,
    #[arg(long, default_value_t = engine::DEFAULT_SEED)]
    seed: u64,
    #[arg(long)]
    model: Option<String>,
    /// A cluster run: for --strategy stratified, and with --cluster for the target.
    #[arg(long)]
    run: Option<i64>,
    /// Sample only from this cluster of --run.
    #[arg(long, requires = "run")]
    cluster: Option<i64>,
    #[arg(long, default_value = "cli", env = "USER")]
    author: String,
}

#[derive(clap::Subcommand)]
pub enum Audit {
    /// Check the audit chain (hashes, links, the seals this machine's keys can check) and
    /// that every label, adjudication, triage decision and benchmark set has its entry and
    /// every entry its record; exit 4 and name what is wrong otherwise.
    Verify {
        /// A chain head written earlier by `audit head`: the chain must still hold it, so a
        /// chain cut short or rewritten since is found.
        #[arg(long, value_name = "HEAD")]
        against: Option<std::path::PathBuf>,
    },
    /// Write the chain's newest entry, sealed, to keep outside the project (stdout, or --out).
    Head {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// The latest entries.
    Log {
        #[arg(short = 'n', default_value_t = 20)]
        count: usize,
    },
}

fn print<T: serde::Serialize>(ui: &Ui, value: &T, text: impl FnOnce()) -> anyhow::Result<ExitCode> {
    if ui.json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text();
    }
    Ok(ExitCode::SUCCESS)
}

fn stat(c: &Option<review::agreement::Chance>) -> String {
    match c.and_then(|c| c.value) {
        Some(v) => format!("{v:.3}"),
        None => "n/a".into(),
    }
}

pub fn run(project: &Path, command: &Review, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut store = engine::Store::open(project)?;
    let store = &mut store;
    match command {
        Review::Reviewer(ReviewerCmd::Add { name, role }) => add_reviewer(store, name, role, ui),
        Review::Reviewer(ReviewerCmd::List) => {
            let all = review::reviewers(store)?;
            print(ui, &all, || all.iter().for_each(|r| println!("{}\t{}", r.name, r.role.name())))
        }
        Review::Schema { name, labels, multi, author } => save_schema(store, name, labels, *multi, author, ui),
        Review::Session(a) => create_session(store, a, ui),
        Review::Sessions => list_sessions(store, ui),
        Review::Next { session, reviewer } => {
            let next = review::next_item(store, *session, reviewer)?;
            print(ui, &next, || match &next {
                Some(i) => println!("{}\t(position {})", i.external_id, i.position + 1),
                None => println!("nothing left for {reviewer} in session {session}"),
            })
        }
        Review::Label { session, reviewer, report, labels, note, confidence, stdin } => {
            if *stdin {
                return label_stream(store, *session, reviewer);
            }
            let report = report.as_deref().context("give the report id")?;
            let ack = review::record_label(store, *session, report, reviewer, labels, note, *confidence)?;
            print(ui, &ack, || println!("ok {} {} ({})", ack.external_id, ack.label_id, ack.value.join(", ")))
        }
        Review::Undo { session, reviewer } => {
            let undone = review::undo_last(store, *session, reviewer)?;
            print(ui, &undone, || match &undone {
                Some(id) => println!("undid {reviewer}'s label on {id}"),
                None => println!("nothing to undo"),
            })
        }
        Review::Agreement { session } => {
            let r = review::agreement_report(store, *session)?;
            print(ui, &r, || print_agreement(&r))
        }
        Review::Adjudicate { session, report, labels, reviewer, note } => {
            let ack = review::adjudicate(store, *session, report, reviewer, labels, note)?;
            print(ui, &ack, || println!("adjudicated {} as {}", ack.external_id, ack.value.join(", ")))
        }
        Review::Finals { session } => {
            let all = review::final_labels(store, *session)?;
            print(ui, &all, || print_finals(&all))
        }
    }
}

fn add_reviewer(store: &mut engine::Store, name: &str, role: &str, ui: &Ui) -> anyhow::Result<ExitCode> {
    let role = Role::parse(role)
        .with_context(|| format!("unknown role {role:?}; use reviewer, adjudicator or analyst"))?;
    let r = review::add_reviewer(store, name, role)?;
    print(ui, &r, || println!("reviewer {} ({})", r.name, r.role.name()))
}

/// `NAME=GUIDELINE` or a bare `NAME` per label.
fn save_schema(
    store: &mut engine::Store,
    name: &str,
    labels: &[String],
    multi: bool,
    author: &str,
    ui: &Ui,
) -> anyhow::Result<ExitCode> {
    let defs: Vec<LabelDef> = labels
        .iter()
        .map(|l| {
            let (name, guideline) = l.split_once('=').unwrap_or((l, ""));
            LabelDef { name: name.into(), guideline: guideline.into() }
        })
        .collect();
    let s = review::save_schema(store, name, multi, &defs, author)?;
    print(ui, &s, || {
        println!("schema {} version {} (id {}): {} labels", s.name, s.version, s.id, s.labels.len())
    })
}

fn create_session(store: &mut engine::Store, a: &SessionArgs, ui: &Ui) -> anyhow::Result<ExitCode> {
    let schema = review::latest_schema(store, &a.schema)?
        .with_context(|| format!("no label schema named {:?}", a.schema))?;
    let target = match (a.run, a.cluster) {
        (Some(run), Some(cluster)) => Target::Cluster { run, cluster },
        _ => Target::All,
    };
    let spec = SessionSpec {
        name: a.name.clone(),
        schema_id: schema.id,
        target,
        strategy: Strategy::parse(&a.strategy, a.run)?,
        count: a.count,
        coders_per_item: a.coders,
        seed: a.seed,
        model: a.model.clone(),
        proposed: None,
    };
    let s = review::create_session(store, &spec, &a.author)?;
    print(ui, &s, || {
        println!("session {} \"{}\": {} reports, {} coder(s) each", s.id, s.name, s.items, s.coders_per_item)
    })
}

fn list_sessions(store: &engine::Store, ui: &Ui) -> anyhow::Result<ExitCode> {
    let all = review::list_sessions(store)?;
    print(ui, &all, || {
        for s in &all {
            println!(
                "{}\t{}\t{} v{}\t{} reports\t{} coder(s)",
                s.id, s.name, s.schema.name, s.schema.version, s.items, s.coders_per_item
            )
        }
    })
}

fn print_agreement(r: &review::AgreementReport) {
    println!(
        "{} reports coded by 2+ reviewers: Krippendorff's alpha {}, Gwet's AC1 {}, Fleiss' kappa {}",
        r.items,
        stat(&r.alpha),
        stat(&r.ac1),
        stat(&r.fleiss)
    );
    for p in &r.pairs {
        println!("  Cohen's kappa {} vs {}: {} on {} reports", p.a, p.b, stat(&Some(p.kappa)), p.items);
    }
    for l in &r.per_label {
        println!("  {:<24} alpha {}  AC1 {}", l.label, stat(&Some(l.alpha)), stat(&Some(l.ac1)));
    }
    println!("{} disagreement(s):", r.disagreements.len());
    for d in &r.disagreements {
        let who: Vec<String> = d.labels.iter().map(|(r, v)| format!("{r}: {}", v.join("+"))).collect();
        let ruled = d
            .adjudicated
            .as_ref()
            .map(|v| format!(" -> adjudicated {}", v.join("+")))
            .unwrap_or_default();
        println!("  {}\t{}{}", d.external_id, who.join("; "), ruled);
    }
}

fn print_finals(all: &[review::FinalLabel]) {
    for f in all {
        let coded: Vec<String> = f.coded.iter().map(|(r, v)| format!("{r}: {}", v.join("+"))).collect();
        let resolved = f.resolved.as_ref().map(|v| v.join("+")).unwrap_or_else(|| "(unresolved)".into());
        println!("{}\t{}\t{}", f.external_id, resolved, coded.join("; "));
    }
}

fn label_stream(
    store: &mut engine::Store,
    session: i64,
    reviewer: &str,
) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let Some((report, labels)) = line.split_once('\t') else {
            writeln!(out, "error line {}: expected REPORT<TAB>LABEL", n + 1)?;
            failed = true;
            continue;
        };
        let labels: Vec<String> = labels.split(',').map(|s| s.to_string()).collect();
        match review::record_label(store, session, report.trim(), reviewer, &labels, "", None) {
            Ok(ack) => writeln!(out, "ok {} {}", ack.external_id, ack.label_id)?,
            Err(e) => {
                writeln!(out, "error line {}: {e}", n + 1)?;
                failed = true;
            }
        }
        out.flush()?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn run_audit(project: &Path, command: &Audit, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    match command {
        Audit::Verify { against } => {
            let head = match against {
                Some(path) => {
                    let head: engine::store::audit::ChainHead = serde_json::from_slice(&std::fs::read(path)?)
                        .map_err(|e| anyhow::anyhow!("{}: not a chain head written by `audit head`: {e}", path.display()))?;
                    if engine::store::audit::head_is_authentic(&head) == Some(false) {
                        eprintln!("audit head {} is not sealed by the key it names: it was edited", path.display());
                        return Ok(ExitCode::from(4));
                    }
                    Some(head)
                }
                None => None,
            };
            let report = engine::audit::check(&store, head.as_ref())?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            let v = &report.chain;
            if !ui.json {
                match &v.broken_at {
                    None => println!(
                        "audit chain intact: {} entries ({} sealed and checked, {} sealed on another machine, {} from before sealing)",
                        v.entries, v.sealed, v.unchecked_seals, v.unsealed
                    ),
                    Some((id, why)) => eprintln!("audit chain BROKEN at entry {id}: {why}"),
                }
                for line in &report.mismatches {
                    eprintln!("record without its entry or entry without its record: {line}");
                }
                if report.mismatch_count > report.mismatches.len() as u64 {
                    eprintln!("... {} in all", report.mismatch_count);
                }
            }
            Ok(if report.intact() { ExitCode::SUCCESS } else { ExitCode::from(4) })
        }
        Audit::Head { out } => {
            let head = engine::store::audit::head(store.conn())?
                .ok_or_else(|| anyhow::anyhow!("the audit chain is empty: nothing to export"))?;
            let text = serde_json::to_string_pretty(&head)? + "\n";
            match out {
                Some(path) => std::fs::write(path, text)?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Audit::Log { count } => {
            let entries = engine::store::audit::recent(store.conn(), *count)?;
            print(ui, &entries, || {
                for e in &entries {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        e.id, e.created_at, e.actor, e.action, e.detail
                    );
                }
            })
        }
    }
}

#[derive(clap::Subcommand)]
pub enum BenchmarkCmd {
    /// Freeze a session's resolved labels as the next version of a named benchmark.
    Freeze {
        session: i64,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Write a benchmark as JSONL or CSV (by extension).
    Export {
        name: String,
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        out: std::path::PathBuf,
        /// masked (personal data replaced by its kind: [PERSON], [NHS_NUMBER]...),
        /// pseudonymised (numbered consistently: [PERSON_2]), none (ids and labels only), or
        /// full (the text as reported; the audit chain records the choice).
        #[arg(long, default_value = "masked")]
        text: String,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Read an exported benchmark back; its content hash must match.
    Import {
        file: std::path::PathBuf,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Make a benchmark from a field of the reports (no reviewer needed): category, harm
    /// (five grades), harm_severe (PD09 1-3 against 4-5) or care_setting.
    Derive {
        #[arg(long, value_parser = ["category", "harm", "harm_severe", "care_setting"])]
        field: String,
        /// Benchmark name (default: field-<field>).
        #[arg(long)]
        name: Option<String>,
        /// At most this many reports, sampled stratified by label (0: all).
        #[arg(long, default_value_t = 5000)]
        limit: usize,
        /// Labels with fewer reports are left out.
        #[arg(long, default_value_t = 10)]
        min_per_label: usize,
        #[arg(long, default_value_t = engine::DEFAULT_SEED)]
        seed: u64,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Every stored benchmark version.
    List,
}

pub fn run_benchmark(project: &Path, command: &BenchmarkCmd, ui: &Ui) -> anyhow::Result<ExitCode> {
    use engine::review::benchmark::{self, TextMode};
    let mut store = engine::Store::open(project)?;
    let b = match command {
        BenchmarkCmd::List => {
            let list = benchmark::list_benchmarks(&store)?;
            return print(ui, &list, || {
                if list.is_empty() {
                    println!("no benchmark sets yet: `benchmark derive --field category` makes one from the reports' own fields");
                }
                for b in &list {
                    println!(
                        "{} v{}: {} reports, {} labels, {}{}, made {} by {}",
                        b.name,
                        b.version,
                        b.items,
                        b.labels,
                        b.source,
                        b.derived_from
                            .as_deref()
                            .map(|f| format!(" ({f})"))
                            .unwrap_or_default(),
                        b.created_at,
                        b.created_by
                    );
                }
            });
        }
        BenchmarkCmd::Derive {
            field,
            name,
            limit,
            min_per_label,
            seed,
            author,
        } => {
            let field = review::BenchmarkField::parse(field)?;
            let spec = review::FieldBenchmarkSpec {
                field,
                limit: (*limit > 0).then_some(*limit),
                min_per_label: *min_per_label,
                seed: *seed,
            };
            let name = name
                .clone()
                .unwrap_or_else(|| format!("field-{}", field.name()));
            let derived = review::derive_from_field(&mut store, &name, &spec, author)?;
            if !ui.json {
                if derived.without_value > 0 {
                    println!(
                        "{} reports have no {} and are left out",
                        derived.without_value,
                        field.name()
                    );
                }
                for (label, n) in &derived.rare_labels {
                    println!("label {label:?} left out: {n} reports, fewer than {min_per_label}");
                }
            }
            derived.benchmark
        }
        BenchmarkCmd::Freeze {
            session,
            name,
            author,
        } => benchmark::freeze_session(&mut store, *session, name, author)?,
        BenchmarkCmd::Export {
            name,
            version,
            out,
            text,
            author,
        } => {
            let mode = TextMode::parse(text)?;
            let b = benchmark::load_benchmark(&store, name, *version)?;
            benchmark::export(&store, &b, out, mode, author)?;
            b
        }
        BenchmarkCmd::Import { file, author } => benchmark::import(&mut store, file, author)?,
    };
    print(ui, &b.header, || {
        println!(
            "benchmark {} version {}: {} reports, labels {}, content sha256 {}{}",
            b.header.name,
            b.header.version,
            b.header.items,
            b.header.labels.join(", "),
            b.header.content_sha256,
            if b.unresolved > 0 {
                format!(" ({} unresolved reports left out)", b.unresolved)
            } else {
                String::new()
            }
        )
    })
}
