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
        let request = SignalRequest { run_id: 0, method: Method::Auto, from: None, to: None, alpha: None, by: None };
        let began = Instant::now();
        let mut counted = engine::signals::WeeklyCounts::default();
        counted.add(&members, engine::signals::Strata::None);
        let counting = began.elapsed().as_secs_f64();
        // What an import adds: the last 1% of the reports grown onto the counts of the rest
        // (as `signal_counts` keeps them), against counting them all again.
        let split = members.len() - members.len() / 100;
        let mut grown = engine::signals::WeeklyCounts::default();
        grown.add(&members[..split], engine::signals::Strata::None);
        let began = Instant::now();
        grown.add(&members[split..], engine::signals::Strata::None);
        let growing = began.elapsed().as_secs_f64();
        if grown != counted {
            anyhow::bail!("counts grown by the last 1% of reports differ from counting them all again");
        }
        drop((counted, grown));
        let began = Instant::now();
        let result = signals_of(&members, &request)?;
        let seconds = began.elapsed().as_secs_f64();
        if !ui.json {
            println!(
                "signals over {reports} reports, {clusters} clusters: {seconds:.2} s, of which counting the weekly series {counting:.2} s; adding the last 1% of reports to the others' counts {growing:.3} s ({} cluster/category series, {} stratum series run, {} skipped with too few recent reports; {} alarms)",
                result.series.len(),
                result.strata_run,
                result.strata_skipped,
                result.alarms.len()
            );
        }
        speed.push(serde_json::json!({ "reports": reports, "clusters": clusters, "seconds": seconds, "counting_seconds": counting, "growing_last_percent_seconds": growing,
            "series": result.series.len(), "strata_run": result.strata_run, "strata_skipped": result.strata_skipped }));
    }
    if ui.json {
        println!("{}", serde_json::json!({ "detection": rows, "speed": speed }));
    }
    Ok(ExitCode::SUCCESS)
}

/// `bench signals --demo-project DIR`: detection scored on an analysed demo project against the
/// generator's ground truth — each injected outbreak found or not, and how late, on the
/// series of the cluster holding its type (and that cluster in the outbreak's care setting);
/// chance alarms on the other clusters' series; and the emerging e-prescribing problem
/// replayed day by day, the first day novelty groups it and the first day a count alarm
/// is raised on its cluster.
pub fn run_demo(project: &std::path::Path, ui: &Ui) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    use engine::signals::{run_members, run_signals, SeriesKey};
    use std::collections::HashMap;
    let store = engine::Store::open(project)?;
    let run = engine::cluster::list_runs(&store)?.first().map(|r| r.id).context("the project has no cluster run")?;
    let types = engine::bench::hidden_types(&store)?;
    let outbreaks = engine::bench::hidden_outbreaks(&store)?;
    let members = run_members(&store, run)?;
    let first = members.iter().map(|m| m.date).min().context("no reports")?;
    let date_of: HashMap<i64, chrono::NaiveDate> = members.iter().map(|m| (m.incident_id, m.date)).collect();
    // The cluster most of a type's reports are in.
    let majority = |key: &str| -> Option<i64> {
        let mut n: HashMap<i64, usize> = HashMap::new();
        for m in members.iter().filter(|m| types.get(&m.incident_id).is_some_and(|t| t == key) && m.cluster >= 0) {
            *n.entry(m.cluster).or_default() += 1;
        }
        n.into_iter().max_by_key(|(c, k)| (*k, -c)).map(|(c, _)| c)
    };
    // Every week monitored from the ninth (CUSUM's history), alarms taken week by week.
    let from = (first + chrono::Days::new(8 * 7)).to_string();
    let began = Instant::now();
    let all = run_signals(&store, &SignalRequest { run_id: run, method: Method::Auto, from: Some(from), to: None, alpha: None, by: None })?;
    let seconds = began.elapsed().as_secs_f64();
    let week_of = |d: chrono::NaiveDate| engine::signals::week_of(d).to_string();
    let mut found = 0;
    let mut explained: std::collections::HashSet<(i64, String)> = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for o in synth::OUTBREAKS {
        let ids: Vec<i64> = outbreaks.iter().filter(|(_, id)| id.as_str() == o.id).map(|(i, _)| *i).collect();
        let start = ids.iter().filter_map(|i| date_of.get(i)).min().copied();
        let (Some(cluster), Some(start)) = (majority(o.key), start) else { continue };
        let weeks: Vec<String> =
            (0..=o.weekly.len()).map(|w| week_of(engine::signals::week_of(start) + chrono::Days::new(7 * w as u64))).collect();
        let setting = o.setting.map(|s| synth::CARE_SETTINGS[s].to_string());
        let hit = all.alarms.iter().filter(|a| a.series.cluster() == Some(cluster) && weeks.contains(&a.week.week_start)).min_by_key(|a| a.week.week_start.clone());
        for w in &weeks {
            explained.insert((cluster, w.clone()));
        }
        let in_setting = all.alarms.iter().any(|a| {
            matches!(&a.series, SeriesKey::Stratum { cluster: c, field, value } if *c == cluster && field == "care_setting" && Some(value) == setting.as_ref())
                && weeks.contains(&a.week.week_start)
        });
        let delay = hit.map(|a| {
            (chrono::NaiveDate::parse_from_str(&a.week.week_start, "%Y-%m-%d").unwrap_or(start) - engine::signals::week_of(start)).num_days() / 7
        });
        found += usize::from(hit.is_some());
        lines.push(serde_json::json!({ "outbreak": o.id, "reports": ids.len(), "shape": o.shape(), "cluster": cluster,
            "detected": hit.is_some(), "delay_weeks": delay, "method": hit.map(|a| a.method.name()), "in_its_setting": setting.as_ref().map(|_| in_setting) }));
        if !ui.json {
            println!(
                "outbreak {:<30} {:>3} reports, {:<7} cluster {cluster:>3}: {}{}",
                o.id,
                ids.len(),
                o.shape(),
                hit.map_or("not detected".to_string(), |a| format!("alarm after {} weeks ({})", delay.unwrap_or(0), a.method.name())),
                setting.map_or(String::new(), |_| format!("; its care setting's series {}", if in_setting { "alarms" } else { "does not alarm" }))
            );
        }
    }
    // Chance alarms: cluster series alarms outside every outbreak's weeks and the emerging cluster.
    let spike = majority(synth::SPIKE.key);
    let cluster_series = all.series.iter().filter(|s| matches!(s.series, SeriesKey::Cluster { .. })).count();
    let weeks_monitored = all.series.first().map_or(0, |s| s.detection.weeks.len());
    let chance = all
        .alarms
        .iter()
        .filter(|a| matches!(a.series, SeriesKey::Cluster { .. }))
        .filter(|a| a.series.cluster() != spike && !explained.contains(&(a.series.cluster().unwrap_or(-1), a.week.week_start.clone())))
        .count();
    let per_100 = chance as f64 / ((cluster_series.saturating_sub(1)) * weeks_monitored).max(1) as f64 * 52.0 * 100.0;
    // The emerging problem replayed a day at a time.
    let spike_ids: Vec<i64> = types.iter().filter(|(_, t)| t.as_str() == synth::SPIKE.key).map(|(i, _)| *i).collect();
    let rise = spike_ids.iter().filter_map(|i| date_of.get(i)).min().copied().context("no emerging reports")?;
    // A week's alarm is the emerging problem's own when its reports are at least half the
    // week's count (the cluster may hold other reports, whose chance rises alarm too).
    let emerging_in_week = |week: &str| {
        spike_ids.iter().filter(|i| date_of.get(i).is_some_and(|d| engine::signals::week_of(*d).to_string() == week)).count()
    };
    let (mut novelty_day, mut alarm_day, mut own_alarm_day) = (None, None, None);
    for day in 0..35 {
        let as_of = rise + chrono::Days::new(day);
        let s = run_signals(&store, &SignalRequest { run_id: run, method: Method::Auto, from: None, to: Some(as_of.to_string()), alpha: None, by: None })?;
        if novelty_day.is_none() {
            let grouped = s.novelty.as_ref().is_some_and(|n| {
                n.groups.iter().any(|g| g.incident_ids.iter().filter(|i| spike_ids.contains(i)).count() * 2 > g.incident_ids.len())
            });
            novelty_day = grouped.then_some(as_of);
        }
        let rise_week = engine::signals::week_of(rise).to_string();
        if alarm_day.is_none()
            && s.alarms.iter().any(|a| a.series == SeriesKey::Cluster { cluster: spike.unwrap_or(-1) } && a.week.week_start >= rise_week)
        {
            alarm_day = Some(as_of);
        }
        if own_alarm_day.is_none()
            && s.alarms.iter().any(|a| {
                a.series == SeriesKey::Cluster { cluster: spike.unwrap_or(-1) }
                    && a.week.week_start >= rise_week
                    && 2.0 * emerging_in_week(&a.week.week_start) as f64 >= a.week.observed
            })
        {
            own_alarm_day = Some(as_of);
        }
        if novelty_day.is_some() && alarm_day.is_some() && own_alarm_day.is_some() {
            break;
        }
    }
    let reports_by = |d: Option<chrono::NaiveDate>| d.map(|d| spike_ids.iter().filter(|i| date_of.get(i).is_some_and(|x| *x <= d)).count());
    if ui.json {
        println!("{}", serde_json::json!({ "outbreaks": lines, "found": found, "chance_alarms": chance, "chance_per_100_series_years": per_100,
            "seconds": seconds, "emerging": { "first_report": rise.to_string(), "novelty": novelty_day.map(|d| d.to_string()),
            "count_alarm": alarm_day.map(|d| d.to_string()), "reports_at_novelty": reports_by(novelty_day), "reports_at_alarm": reports_by(alarm_day),
            "own_count_alarm": own_alarm_day.map(|d| d.to_string()), "reports_at_own_alarm": reports_by(own_alarm_day) } }));
    } else {
        println!("{found} of {} outbreaks detected; {chance} chance alarms on the other {} cluster series ({per_100:.1} per 100 series-years); signals over the whole run in {seconds:.2} s", synth::OUTBREAKS.len(), cluster_series.saturating_sub(1));
        println!(
            "emerging e-prescribing problem: first report {rise}; novelty groups it on {} ({} reports by then); first count alarm on its cluster on {} ({} of its reports by then); first alarm in a week it makes at least half of, on {} ({} reports)",
            novelty_day.map_or("-".into(), |d| d.to_string()),
            reports_by(novelty_day).unwrap_or(0),
            alarm_day.map_or("-".into(), |d| d.to_string()),
            reports_by(alarm_day).unwrap_or(0),
            own_alarm_day.map_or("-".into(), |d| d.to_string()),
            reports_by(own_alarm_day).unwrap_or(0)
        );
    }
    Ok(ExitCode::SUCCESS)
}
