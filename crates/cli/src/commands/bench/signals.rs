//! `bench signals`: how well and how fast the detectors find outbreaks.
//!
//! Quality: series simulated as Noufaily et al. (2013) do (negative binomial baselines with
//! and without trend and season, low to high counts), five years of history and a year
//! monitored, outbreaks of 2, 4 and 8 standard deviations in three shapes; per method,
//! the share of outbreaks with an alarm in their weeks (sensitivity), the weeks from their
//! start to the first alarm, and alarms per 100 series-years on the same series without an
//! outbreak. A second set has only 30 weeks of history, where `auto` falls back to CUSUM.
//!
//! Speed: `engine::signals::signals_of` over generated runs (reports spread over clusters
//! and settings across five years) at two sizes, with the share of series fitted.

use crate::output::Ui;
use engine::signals::simulate::{draw_below, generated_members, simulate, weekly_dates, Baseline, Outbreak, Shape};
use engine::signals::{detect, signals_of, DetectOptions, Method, SignalRequest};
use std::process::ExitCode;
use std::time::Instant;

const SHAPES: [Shape; 3] = [Shape::Spike, Shape::Ramp, Shape::Plateau];

fn baselines() -> Vec<(&'static str, Baseline)> {
    let b = |theta: f64, beta: f64, season: f64, phi: f64| Baseline { theta: theta.ln(), beta, season, phi };
    vec![
        ("low 1/wk", b(1.0, 0.0, 0.0, 1.0)),
        ("low seasonal", b(1.0, 0.0, 0.6, 1.5)),
        ("medium 5/wk", b(5.0, 0.0, 0.0, 1.5)),
        ("medium trend+season", b(5.0, 0.002, 0.5, 2.0)),
        ("high 30/wk", b(30.0, 0.0, 0.3, 2.5)),
    ]
}

struct Tally {
    outbreaks: usize,
    detected: usize,
    delays: Vec<usize>,
    null_alarms: usize,
    null_weeks: usize,
}

fn score(method: Method, history: usize, monitored: usize, sizes: &[f64], replicates: usize, seed: u64) -> anyhow::Result<Vec<(f64, Tally)>> {
    let total = history + monitored;
    let weeks = weekly_dates(total);
    let mut out = Vec::new();
    for &size in sizes {
        let mut t = Tally { outbreaks: 0, detected: 0, delays: Vec::new(), null_alarms: 0, null_weeks: 0 };
        for (b, (_, baseline)) in baselines().iter().enumerate() {
            for r in 0..replicates {
                for (s, shape) in SHAPES.iter().enumerate() {
                    let series_seed = seed ^ ((b as u64) << 40) ^ ((r as u64) << 8) ^ s as u64;
                    let outbreak_start = history + draw_below(series_seed.rotate_left(17), monitored - 5);
                    let outbreak = Outbreak { start: outbreak_start, size_sd: size, shape: *shape };
                    let counts = simulate(baseline, total, Some(&outbreak), series_seed);
                    let result = detect(&weeks, &counts, history..total, &DetectOptions::new(method))?;
                    t.outbreaks += 1;
                    let first = outbreak.weeks().find(|&k| result.weeks[k - history].alarm);
                    if let Some(k) = first {
                        t.detected += 1;
                        t.delays.push(k - outbreak_start);
                    }
                    // The same baseline without the outbreak, once per size is enough.
                    if size == sizes[0] {
                        let quiet = simulate(baseline, total, None, series_seed);
                        let result = detect(&weeks, &quiet, history..total, &DetectOptions::new(method))?;
                        t.null_alarms += result.weeks.iter().filter(|w| w.alarm).count();
                        t.null_weeks += monitored;
                    }
                }
            }
        }
        out.push((size, t));
    }
    Ok(out)
}

fn median(xs: &mut [usize]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_unstable();
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] as f64 } else { (xs[n / 2 - 1] + xs[n / 2]) as f64 / 2.0 })
}

pub fn run(sizes: &[f64], replicates: usize, speed_reports: &[usize], clusters: usize, ui: &Ui) -> anyhow::Result<ExitCode> {
    let seed = 20_261_206;
    let mut rows = Vec::new();
    for (label, history, monitored, methods) in [
        ("5 years of history", 5 * 52, 52, vec![Method::Auto, Method::Farrington, Method::Cusum]),
        ("30 weeks of history", 30, 26, vec![Method::Auto]),
    ] {
        for method in methods {
            let began = Instant::now();
            for (size, mut t) in score(method, history, monitored, sizes, replicates, seed)? {
                let sensitivity = t.detected as f64 / t.outbreaks as f64;
                let false_rate = if t.null_weeks > 0 { t.null_alarms as f64 / t.null_weeks as f64 * 52.0 * 100.0 } else { f64::NAN };
                let delay = median(&mut t.delays);
                rows.push(serde_json::json!({
                    "history": label, "method": method.name(), "outbreak_sd": size, "outbreaks": t.outbreaks,
                    "sensitivity": sensitivity, "median_delay_weeks": delay,
                    "false_alarms_per_100_series_years": if size == sizes[0] { Some(false_rate) } else { None },
                    "seconds": began.elapsed().as_secs_f64(),
                }));
                if !ui.json {
                    println!(
                        "{label:<20} {:<10} outbreak {size:>4.1} sd: sensitivity {:>5.1}% of {:>4}, median delay {} weeks{}",
                        method.name(),
                        100.0 * sensitivity,
                        t.outbreaks,
                        delay.map_or("-".into(), |d| format!("{d:.1}")),
                        if size == sizes[0] { format!("; false alarms {false_rate:.1} per 100 series-years") } else { String::new() }
                    );
                }
            }
        }
    }
    let mut speed = Vec::new();
    for &reports in speed_reports {
        let members = generated_members(reports, clusters, seed);
        let request = SignalRequest { run_id: 0, method: Method::Auto, from: None, to: None, alpha: None };
        let began = Instant::now();
        let counted = engine::signals::weekly_counts(&members);
        let counting = began.elapsed().as_secs_f64();
        drop(counted);
        let began = Instant::now();
        let result = signals_of(&members, &request)?;
        let seconds = began.elapsed().as_secs_f64();
        if !ui.json {
            println!(
                "signals over {reports} reports, {clusters} clusters: {seconds:.2} s, of which counting the weekly series {counting:.2} s ({} cluster/category series, {} stratum series run, {} skipped with too few recent reports; {} alarms)",
                result.series.len(),
                result.strata_run,
                result.strata_skipped,
                result.alarms.len()
            );
        }
        speed.push(serde_json::json!({ "reports": reports, "clusters": clusters, "seconds": seconds, "counting_seconds": counting,
            "series": result.series.len(), "strata_run": result.strata_run, "strata_skipped": result.strata_skipped }));
    }
    if ui.json {
        println!("{}", serde_json::json!({ "detection": rows, "speed": speed }));
    }
    Ok(ExitCode::SUCCESS)
}
