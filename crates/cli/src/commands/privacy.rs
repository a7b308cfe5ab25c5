//! `privacy mask`: reports one per line on standard input, written masked line for line,
//! so any text can be checked from a script without a project. `privacy rules`: the
//! project's own hospital-number patterns, which every export masks with.

use crate::output::Ui;
use anyhow::Context;
use engine::privacy::{Pseudonyms, Rules};
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Privacy {
    /// Mask the personal data found in each line of standard input (with --json, one JSON
    /// object a line: the masked text and every span with its kind, score and rule).
    Mask {
        /// Number each identifier consistently across the lines ([PERSON_1], [PERSON_2]...)
        /// instead of masking by kind alone.
        #[arg(long)]
        pseudonyms: bool,
        /// A hospital-number format to mask besides the built-in rules, as NAME=REGEX;
        /// repeatable.
        #[arg(long = "hospital-number", value_name = "NAME=REGEX")]
        hospital_numbers: Vec<String>,
        /// Also use the patterns stored in the project (`privacy rules add`).
        #[arg(long)]
        project_rules: bool,
    },
    /// The project's own hospital-number patterns (masked in every export).
    #[command(subcommand)]
    Rules(RulesCmd),
    /// The project's privacy fingerprint: personal data found per kind and field, how
    /// identifiable reports are from date, setting, specialty, location (and age or sex
    /// columns), and name-like words in the vocabularies of models trained here.
    Fingerprint,
}

#[derive(clap::Subcommand)]
pub enum RulesCmd {
    /// List the patterns.
    List,
    /// Add a pattern (a regular expression, matched as whole words), checked first.
    Add {
        name: String,
        pattern: String,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
    /// Remove a pattern by name.
    Remove {
        name: String,
        #[arg(long, default_value = "cli", env = "USER")]
        author: String,
    },
}

pub fn run(project: &Path, command: &Privacy, ui: &Ui) -> anyhow::Result<ExitCode> {
    match command {
        Privacy::Mask { pseudonyms, hospital_numbers, project_rules } => {
            let mut patterns = Vec::new();
            if *project_rules {
                patterns = engine::store::privacy_rules::list(&engine::Store::open(project)?)?;
            }
            patterns.extend(named_patterns(hospital_numbers)?);
            let rules = Rules::new(&patterns)?;
            mask_lines(&rules, pseudonyms.then(Pseudonyms::new), ui)
        }
        Privacy::Fingerprint => {
            let store = engine::Store::open(project)?;
            let fp = engine::fingerprint::fingerprint(&store)?;
            if ui.json {
                println!("{}", serde_json::to_string_pretty(&fp)?);
            } else {
                print_fingerprint(&fp);
            }
            Ok(ExitCode::SUCCESS)
        }
        Privacy::Rules(cmd) => {
            let store = engine::Store::open(project)?;
            match cmd {
                RulesCmd::List => {}
                RulesCmd::Add { name, pattern, author } => engine::store::privacy_rules::add(&store, name, pattern, author)?,
                RulesCmd::Remove { name, author } => engine::store::privacy_rules::remove(&store, name, author)?,
            }
            let rules = engine::store::privacy_rules::list(&store)?;
            if ui.json {
                let list: Vec<serde_json::Value> = rules.iter().map(|(n, p)| serde_json::json!({ "name": n, "pattern": p })).collect();
                println!("{}", serde_json::Value::Array(list));
            } else if rules.is_empty() {
                println!("No hospital-number patterns: the built-in rules alone mask exports.");
            } else {
                for (name, pattern) in rules {
                    println!("{name}\t{pattern}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--hospital-number NAME=REGEX` values as (name, pattern) pairs.
fn named_patterns(specs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    specs
        .iter()
        .map(|spec| {
            let (name, pattern) = spec.split_once('=').with_context(|| format!("--hospital-number {spec:?}: write it as NAME=REGEX"))?;
            Ok((name.to_string(), pattern.to_string()))
        })
        .collect()
}

/// The built-in rules with `--hospital-number NAME=REGEX` patterns, checked.
pub fn rules_from(specs: &[String]) -> anyhow::Result<Rules> {
    Ok(Rules::new(&named_patterns(specs)?)?)
}

fn mask_lines(rules: &Rules, mut pseudonyms: Option<Pseudonyms>, ui: &Ui) -> anyhow::Result<ExitCode> {
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut raw = Vec::new();
    let mut number = 0usize;
    loop {
        raw.clear();
        if stdin.read_until(b'\n', &mut raw).context("cannot read standard input")? == 0 {
            break;
        }
        number += 1;
        let ended = raw.ends_with(b"\n");
        let body = if ended { &raw[..raw.len() - 1] } else { &raw[..] };
        // The line's text is never echoed: only where it stopped being UTF-8.
        let line = std::str::from_utf8(body).map_err(|e| anyhow::anyhow!("line {number} is not UTF-8 text (byte {} of the line)", e.valid_up_to() + 1))?;
        let spans = rules.detect(line);
        let masked = match pseudonyms.as_mut() {
            Some(p) => p.mask(line, &spans),
            None => engine::privacy::mask_spans(line, &spans),
        };
        if ui.json {
            let found: Vec<serde_json::Value> = spans
                .iter()
                .map(|s| serde_json::json!({ "start": s.start, "end": s.end, "kind": s.kind, "score": s.score, "rule": s.rule }))
                .collect();
            writeln!(out, "{}", serde_json::json!({ "text": masked, "spans": found }))?;
        } else {
            writeln!(out, "{masked}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_fingerprint(fp: &engine::fingerprint::Fingerprint) {
    let share = |n: u64| if fp.reports == 0 { 0.0 } else { 100.0 * n as f64 / fp.reports as f64 };
    println!("{} reports; {} ({:.1}%) hold personal data the rules find.", fp.reports, fp.reports_with_identifier, share(fp.reports_with_identifier));
    for k in &fp.per_kind {
        println!("  {:<16} {:>8} found in {:>8} reports", k.kind.label().to_lowercase(), k.spans, k.reports);
    }
    for f in &fp.per_field {
        let kinds: Vec<String> = f.kinds.iter().map(|k| format!("{} {}", k.kind.label().to_lowercase(), k.spans)).collect();
        println!("  field {:<12} {}", f.field, if kinds.is_empty() { "nothing found".to_string() } else { kinds.join(", ") });
    }
    let q = &fp.quasi_identifiers;
    println!(
        "Quasi-identifiers ({}): {} combinations; {} reports unique (k = 1), {} in groups of 2-4, {} in groups of 5-10.",
        q.columns.join(", "),
        q.combinations,
        q.unique,
        q.below_5,
        q.below_11
    );
    for c in q.rarest.iter().take(10) {
        println!("  k = {:<4} {}", c.reports, c.values.join(" | "));
    }
    for m in &fp.models {
        match m.words {
            Some(words) => println!("Model {}: {} of {} vocabulary words look like names: {}", m.model, m.name_like, words, m.examples.join(", ")),
            None => println!("Model {}: vocabulary not built from the reports (kept from its base model)", m.model),
        }
    }
}
