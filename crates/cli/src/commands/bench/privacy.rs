//! `bench privacy`: detection quality per kind on reports generated with the held-out
//! templates and a seed other than the demo's (text the rules were not written against),
//! and on the hand-written hard cases; and detection speed on the generated reports at two
//! sizes.

use anyhow::Context;
use engine::privacy::score::{parse_fixture_line, score, Labelled, Score};
use engine::privacy::Kind;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

#[derive(Serialize)]
pub struct PrivacyFigures {
    pub generated: Score,
    /// The same generator's reports with no personal data added: every span found but its
    /// ages over 89 is a false alarm.
    pub without_personal_data: Score,
    pub generated_seed: u64,
    pub hard_cases: Score,
    /// (reports, megabytes of text, seconds, reports per second)
    pub speed: Vec<(usize, f64, f64, f64)>,
}

/// `reports` generated reports, each with personal data written by the held-out templates.
pub fn generated(reports: usize, seed: u64) -> anyhow::Result<Vec<Labelled>> {
    let config = synth::SynthConfig { rows: reports, seed, personal_share: 1.0, personal_templates: synth::Templates::HeldOut, ..Default::default() };
    synth::labelled::labelled(&config).context("generating the reports")
}

/// `reports` generated reports as the demo has them, their only personal data the ages over
/// 89 their templates write.
pub fn plain(reports: usize, seed: u64) -> anyhow::Result<Vec<Labelled>> {
    synth::labelled::labelled(&synth::SynthConfig { rows: reports, seed, personal_share: 0.0, ..Default::default() }).context("generating the reports")
}

pub fn hard_cases(path: &Path) -> anyhow::Result<Vec<Labelled>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_fixture_line(l).map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), i + 1)))
        .collect()
}

pub fn privacy_bench(reports: usize, seed: u64, hard: &Path, rules: &engine::privacy::Rules) -> anyhow::Result<PrivacyFigures> {
    let detect = |t: &str| rules.detect(t);
    let items = generated(reports, seed)?;
    let generated = score(&items, detect);
    let hard_cases = score(&hard_cases(hard)?, detect);
    let without_personal_data = score(&plain(reports, seed)?, detect);
    let mut speed = Vec::new();
    for n in [reports, reports * 5] {
        let texts: Vec<String> = if n == reports { items.iter().map(|i| i.text.clone()).collect() } else { generated_texts(n, seed + 1)? };
        let megabytes = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
        let started = Instant::now();
        let found: usize = texts.iter().map(|t| rules.detect(t).len()).sum();
        let seconds = started.elapsed().as_secs_f64();
        std::hint::black_box(found);
        speed.push((n, megabytes, seconds, n as f64 / seconds));
    }
    Ok(PrivacyFigures { generated, without_personal_data, generated_seed: seed, hard_cases, speed })
}

fn generated_texts(n: usize, seed: u64) -> anyhow::Result<Vec<String>> {
    Ok(generated(n, seed)?.into_iter().map(|i| i.text).collect())
}

fn print_score(title: &str, s: &Score) {
    println!("{title}: {} texts, {} true spans, {} found", s.texts, s.overall.truth, s.overall.found);
    println!("  {:<16} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}", "kind", "true", "found", "R strict", "R masked", "P strict", "P overlap");
    let row = |name: &str, k: &engine::privacy::score::KindScore| {
        println!(
            "  {:<16} {:>6} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            name,
            k.truth,
            k.found,
            k.strict_recall(),
            k.masked_recall(),
            k.strict_precision(),
            k.precision()
        );
    };
    for (kind, k) in &s.per_kind {
        row(&kind.label().to_lowercase(), k);
    }
    row("overall", &s.overall);
}

pub fn print_privacy(f: &PrivacyFigures) {
    println!("Personal data detection (R masked: every letter and digit of a true span masked; P overlap: a found span overlaps a true one of its kind)");
    print_score(&format!("Generated reports, held-out templates, seed {}", f.generated_seed), &f.generated);
    let plain = &f.without_personal_data;
    println!(
        "The same generator's reports without added personal data: {} texts, {} spans found, {} of them false (no personal data there)",
        plain.texts,
        plain.overall.found,
        plain.spurious.len()
    );
    print_score("Hand-written hard cases", &f.hard_cases);
    for (kind, text) in &f.hard_cases.missed {
        println!("  missed   {:<14} {text:?}", kind.label().to_lowercase());
    }
    for (kind, text, rule) in &f.hard_cases.spurious {
        println!("  spurious {:<14} {text:?} ({rule})", kind.label().to_lowercase());
    }
    let mut missed: Vec<&(Kind, String)> = f.generated.missed.iter().collect();
    missed.truncate(15);
    for (kind, text) in missed {
        println!("  generated missed   {:<14} {text:?}", kind.label().to_lowercase());
    }
    for (kind, text, rule) in f.generated.spurious.iter().take(15) {
        println!("  generated spurious {:<14} {text:?} ({rule})", kind.label().to_lowercase());
    }
    for (n, mb, s, rate) in &f.speed {
        println!("Speed: {n} reports ({mb:.1} MB) in {s:.3} s, {rate:.0} reports/s, {:.1} MB/s (one thread)", mb / s);
    }
}
