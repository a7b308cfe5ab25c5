//! A run's signals: every weekly series of the run (`counts`) through the detector that
//! suits its history, over the monitored weeks (the last `DEFAULT_MONITORED_WEEKS` of the
//! data unless asked otherwise), and each cluster's concentration by care setting,
//! specialty and location (`ml::surveillance::disproportionality`). The result carries the
//! parameters every series was run with, so the same data and request give the same alarms.

use super::counts::{monthly, run_members_by, DateBasis, Member, SeriesKey, Strata, WeeklyCounts, STRATA};
use super::detect::{detect, Applied, DetectOptions, Method, SeriesDetection, WeekSignal};
use super::error::SignalError;
use super::novelty::{novelty, Novelty, NoveltyOptions};
use crate::store::Store;
use chrono::NaiveDate;
use ml::surveillance::{disproportion, Disproportion, Table};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Weeks monitored when the request names none: half a year back from the last week, and
/// never the first `detect::CUSUM_MIN_HISTORY` weeks (the least history a detector judges with).
pub const DEFAULT_MONITORED_WEEKS: usize = 26;
/// The credibility level of the concentration measures (IC025 for the signal).
pub const CONCENTRATION_LEVEL: f64 = 0.95;
/// An alarm needs this many reports in the recent-cases window; a stratum series that never
/// has them in the monitored weeks cannot alarm and is not fitted.
const RECENT_CASES: (u32, usize) = (5, 4);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRequest {
    pub run_id: i64,
    pub method: Method,
    /// The first monitored week (any day in it, YYYY-MM-DD; default `DEFAULT_MONITORED_WEEKS`
    /// weeks before the last) and the date the signals are taken as of (reports after it
    /// left out; default the last report's).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The Farrington detectors' level (default `detect::ALPHA`).
    pub alpha: Option<f64>,
    /// The date that puts a report in a week (default: the reporting date when every
    /// report of the run has one, else the incident date).
    #[serde(default)]
    pub by: Option<DateBasis>,
}

/// One alarm, with its reason in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub series: SeriesKey,
    pub week: WeekSignal,
    /// The method that raised it (farrington, noufaily, cusum).
    pub method: Method,
    /// "41 reports in the week of 3 Nov 2025, expected 6.2, upper bound 12.9 (noufaily)".
    pub reason: String,
}

/// A series with its detection over the monitored weeks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSignal {
    pub series: SeriesKey,
    pub detection: SeriesDetection,
}

/// Where a cluster is over-represented: one field value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concentration {
    pub cluster: i64,
    pub field: String,
    pub value: String,
    pub measures: Disproportion,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSignals {
    pub request: SignalRequest,
    /// The date the reports were counted by.
    #[serde(default)]
    pub by: DateBasis,
    /// Every week of the run's data (Mondays) and the monitored ones among them.
    pub first_week: Option<String>,
    pub monitored: Option<(String, String)>,
    /// The last report's date; the final week is partial unless it is a Sunday.
    pub last_date: Option<String>,
    /// Cluster and category series with their detections (every monitored week).
    pub series: Vec<SeriesSignal>,
    /// The stratum series of the clusters with an alarm or a concentration: those run (the
    /// alarming clusters' and the places a cluster concentrates in, where the recent-cases
    /// rule lets them alarm at all) and the rest.
    pub strata_run: usize,
    pub strata_skipped: usize,
    /// The stratum series run, with their detections (what an alarm in one is drawn from).
    #[serde(default)]
    pub strata: Vec<SeriesSignal>,
    /// Every alarm in the monitored weeks, strongest score first.
    pub alarms: Vec<Alarm>,
    /// Concentrations in the monitored weeks that pass the screening rule (IC025 > 0, at
    /// least 3 reports).
    pub concentrations: Vec<Concentration>,
    /// Recent reports unlike any before, grouped; None without a store, or when the
    /// history is too short to calibrate on.
    pub novelty: Option<Novelty>,
    /// Why there is no novelty when it could not be computed (the model's index could not
    /// be opened, say); the count signals stand without it.
    pub novelty_note: Option<String>,
    /// Monthly reports of the run's largest clusters over all its data ("topics over time").
    #[serde(default)]
    pub topics: Topics,
}

/// Monthly counts of the largest clusters, on one axis of months.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Topics {
    /// YYYY-MM, each week counted in the month its Thursday falls in (`counts::monthly`).
    pub months: Vec<String>,
    /// Largest first.
    pub clusters: Vec<TopicSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TopicSeries {
    pub cluster: i64,
    pub total: u64,
    /// One count per month of `Topics::months`.
    pub counts: Vec<u64>,
}

/// How many clusters the topics-over-time chart follows: more lines than this cannot be
/// told apart in one chart.
pub const TOPIC_CLUSTERS: usize = 8;

/// The signals of a run, novelty included (with the run's model's index).
pub fn run_signals(store: &Store, request: &SignalRequest) -> Result<RunSignals, SignalError> {
    let (members, by) = run_members_by(store, request.run_id, request.by)?;
    run_signals_of(store, request, &members, by)
}

/// `run_signals` over the run's reports already read (`run_members`), for a caller that
/// needs them too.
pub(super) fn run_signals_of(store: &Store, request: &SignalRequest, members: &[Member], by: DateBasis) -> Result<RunSignals, SignalError> {
    let members = known_by(members, request.to.as_deref())?;
    // The run as it stands grows its stored counts; signals as of a past date count the
    // reports known then.
    let mut out = if request.to.is_none() {
        let (counts, _) = super::stored_counts::run_counts(store, request.run_id, &members, by)?;
        signals_with(&counts, &members, request)?
    } else {
        signals_of(&members, request)?
    };
    out.by = by;
    if let Some((_, last)) = &out.monitored {
        let last = NaiveDate::parse_from_str(last, "%Y-%m-%d").map_err(|e| SignalError::Invalid(e.to_string()))?;
        let model = crate::cluster::load_run(store, request.run_id)?.model;
        match novelty(store, &model, &members, last, &NoveltyOptions::default()) {
            Ok(found) => out.novelty = found,
            Err(e) => out.novelty_note = Some(e.to_string()),
        }
    }
    Ok(out)
}

/// The signals of a run's reports (separated from the store for the benchmarks and tests).
pub fn signals_of(members: &[Member], request: &SignalRequest) -> Result<RunSignals, SignalError> {
    let members = &known_by(members, request.to.as_deref())?;
    let mut counts = WeeklyCounts::default();
    counts.add(members, Strata::None);
    signals_with(&counts, members, request)
}

/// The signals of the cluster and category series `counts` (no strata: those are counted
/// from `members` for the clusters that need them), `members` being the reports they were
/// counted from.
fn signals_with(counts: &WeeklyCounts, members: &[Member], request: &SignalRequest) -> Result<RunSignals, SignalError> {
    let mut out = RunSignals {
        request: request.clone(),
        by: DateBasis::default(),
        first_week: counts.weeks.first().map(ToString::to_string),
        monitored: None,
        last_date: counts.last_date.map(|d| d.to_string()),
        series: Vec::new(),
        strata_run: 0,
        strata_skipped: 0,
        strata: Vec::new(),
        alarms: Vec::new(),
        concentrations: Vec::new(),
        novelty: None,
        novelty_note: None,
        topics: Topics::default(),
    };
    if counts.weeks.is_empty() {
        return Ok(out);
    }
    out.topics = topics(counts);
    // Short data keeps its first weeks as the history CUSUM needs: monitoring every week of
    // 15 would leave no week any detector could judge.
    let monitored = monitored_between(&counts.weeks, request.from.as_deref(), request.to.as_deref(), |end| {
        end.saturating_sub(DEFAULT_MONITORED_WEEKS).max(super::detect::CUSUM_MIN_HISTORY).min(end - 1)
    })?;
    out.monitored = Some((counts.weeks[monitored.start].to_string(), counts.weeks[monitored.end - 1].to_string()));
    let (from, to) = (counts.weeks[monitored.start], counts.weeks[monitored.end - 1] + chrono::Days::new(6));
    let recent: Vec<&Member> = members.iter().filter(|m| m.date >= from && m.date <= to).collect();
    out.concentrations = concentrations(&recent)?;
    let can_alarm = |c: &[u32]| {
        let (cases, window) = RECENT_CASES;
        monitored.clone().any(|k| c[(k + 1).saturating_sub(window)..=k].iter().sum::<u32>() >= cases)
    };
    let run = |jobs: Vec<&(SeriesKey, Vec<u32>)>| -> Result<Vec<SeriesSignal>, SignalError> {
        jobs.par_iter()
            .map(|(key, c)| {
                let counts_f: Vec<f64> = c.iter().map(|&v| f64::from(v)).collect();
                let options = DetectOptions { method: request.method, years: None, alpha: request.alpha };
                let detection = detect(&counts.weeks, &counts_f, monitored.clone(), &options)?;
                Ok(SeriesSignal { series: key.clone(), detection })
            })
            .collect()
    };
    // First every cluster and category; then, to say where a problem is, the strata of
    // the clusters that alarmed and the places a cluster concentrates in. Running every
    // stratum of every cluster would multiply the chance alarms by the number of places
    // without finding more that a reviewer can act on.
    let main = run(counts.series.iter().filter(|(key, _)| !matches!(key, SeriesKey::Stratum { .. })).collect())?;
    let alarming: std::collections::HashSet<i64> = main
        .iter()
        .filter(|s| s.detection.weeks.iter().any(|w| w.alarm))
        .filter_map(|s| s.series.cluster())
        .collect();
    let concentrated: std::collections::HashSet<(i64, &str, &str)> =
        out.concentrations.iter().map(|c| (c.cluster, c.field.as_str(), c.value.as_str())).collect();
    let mut candidates: Vec<i64> = alarming.iter().copied().chain(concentrated.iter().map(|c| c.0)).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let strata = counts.strata_of(members, &candidates);
    let strata_total = strata.len();
    let chosen: Vec<&(SeriesKey, Vec<u32>)> = strata
        .iter()
        .filter(|(key, c)| match key {
            SeriesKey::Stratum { cluster, field, value } => {
                (alarming.contains(cluster) || concentrated.contains(&(*cluster, field.as_str(), value.as_str()))) && can_alarm(c)
            }
            _ => false,
        })
        .collect();
    out.strata_run = chosen.len();
    out.strata_skipped = strata_total - out.strata_run;
    let strata = run(chosen)?;
    for signal in main.iter().chain(&strata) {
        for week in signal.detection.weeks.iter().filter(|w| w.alarm) {
            if let Some(applied) = signal.detection.applied_at(&week.week_start) {
                out.alarms.push(Alarm {
                    series: signal.series.clone(),
                    week: week.clone(),
                    method: applied.method(),
                    reason: reason(&signal.series, week, applied),
                });
            }
        }
    }
    out.series = main;
    out.strata = strata;
    out.alarms.sort_by(|a, b| {
        let score = |x: &Alarm| x.week.score.unwrap_or(0.0);
        score(b).total_cmp(&score(a)).then(b.week.week_start.cmp(&a.week.week_start)).then(a.series.cmp(&b.series))
    });
    Ok(out)
}

/// The `TOPIC_CLUSTERS` largest clusters' monthly counts over every week of the data.
fn topics(counts: &WeeklyCounts) -> Topics {
    let mut largest: Vec<(i64, u64, &Vec<u32>)> = counts
        .series
        .iter()
        .filter_map(|(key, c)| match key {
            SeriesKey::Cluster { cluster } => Some((*cluster, c.iter().map(|&v| u64::from(v)).sum(), c)),
            _ => None,
        })
        .collect();
    largest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    largest.truncate(TOPIC_CLUSTERS);
    let months: Vec<String> = monthly(&counts.weeks, &vec![0; counts.weeks.len()]).into_iter().map(|(m, _)| m).collect();
    let clusters = largest
        .into_iter()
        .map(|(cluster, total, c)| TopicSeries { cluster, total, counts: monthly(&counts.weeks, c).into_iter().map(|(_, n)| n).collect() })
        .collect();
    Topics { months, clusters }
}

/// The reports known by `to`: signals as of a date leave out every report after it, so
/// that a week in progress counts only its days so far and what a reviewer would have
/// seen that day can be replayed.
fn known_by<'a>(members: &'a [Member], to: Option<&str>) -> Result<std::borrow::Cow<'a, [Member]>, SignalError> {
    let Some(to) = parse_date("to", to)? else { return Ok(std::borrow::Cow::Borrowed(members)) };
    if let Some(first) = members.iter().map(|m| m.date).min() {
        if to < first {
            return Err(SignalError::Invalid(format!("--to {to} is before the first week ({})", super::counts::week_of(first))));
        }
    }
    if members.iter().all(|m| m.date <= to) {
        return Ok(std::borrow::Cow::Borrowed(members));
    }
    Ok(std::borrow::Cow::Owned(members.iter().filter(|m| m.date <= to).cloned().collect()))
}

/// The weeks from the one `from` falls in to the one `to` falls in; without `from`,
/// `default_start`, without `to` the last week.
pub(super) fn monitored_between(
    weeks: &[NaiveDate],
    from: Option<&str>,
    to: Option<&str>,
    default_start: impl FnOnce(usize) -> usize,
) -> Result<std::ops::Range<usize>, SignalError> {
    if weeks.is_empty() {
        return Err(SignalError::Invalid("the series has no weeks".into()));
    }
    let (from, to) = (parse_date("from", from)?, parse_date("to", to)?);
    let index_of = |date: NaiveDate| weeks.iter().rposition(|w| *w <= date);
    let end = match to {
        Some(to) => index_of(to).ok_or_else(|| {
            SignalError::Invalid(format!("--to {to} is before the first week ({})", weeks[0]))
        })? + 1,
        None => weeks.len(),
    };
    let start = match from {
        Some(from) if from > weeks[weeks.len() - 1] + chrono::Days::new(6) => {
            return Err(SignalError::Invalid(format!(
                "--from {from} is after the last week ({})",
                weeks[weeks.len() - 1]
            )))
        }
        Some(from) => index_of(from).unwrap_or(0),
        None => default_start(end),
    };
    if start >= end {
        return Err(SignalError::Invalid("the monitored weeks are empty: --from must come before --to".into()));
    }
    Ok(start..end)
}

fn parse_date(flag: &str, text: Option<&str>) -> Result<Option<NaiveDate>, SignalError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
            .map_err(|_| SignalError::Invalid(format!("--{flag} {t:?} is not a date (YYYY-MM-DD)")))
    })
    .transpose()
}

/// "41 reports in the week of 3 Nov 2025, expected 6.2, upper bound 12.9 (noufaily)".
fn reason(series: &SeriesKey, week: &WeekSignal, applied: &Applied) -> String {
    let when = NaiveDate::parse_from_str(&week.week_start, "%Y-%m-%d")
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|_| week.week_start.clone());
    let noun = if week.observed == 1.0 { "report" } else { "reports" };
    let mut text = format!("{} {noun} in the week of {when}", week.observed);
    match applied {
        Applied::NewSeries { cases, weeks, history_weeks } => text.push_str(&format!(
            ", none in the {history_weeks} weeks before; {cases} or more in {weeks} weeks"
        )),
        // Farrington's limit for a baseline without reports (see ml's `zero_baseline`).
        _ if week.expected == Some(0.0) && week.upper == Some(0.0) => {
            text.push_str(", none in the same weeks of past years")
        }
        _ => {
            if let Some(e) = week.expected {
                text.push_str(&format!(", expected {e:.1}"));
            }
            if let Some(u) = week.upper {
                text.push_str(&format!(", upper bound {u:.1}"));
            }
        }
    }
    format!("{text} ({}, {})", series.describe(), applied.method().name())
}

/// Each cluster against each value of each field, screened by IC025 > 0 and 3 reports, over
/// the reports of the monitored weeks: where a cluster's reports come from now, which a
/// rise confined to one place shows long before it moves the cluster's all-time mix.
fn concentrations(members: &[&Member]) -> Result<Vec<Concentration>, SignalError> {
    let mut out = Vec::new();
    for (f, field) in STRATA.iter().enumerate() {
        // Only reports with the field recorded are in the table.
        let mut pair: HashMap<(i64, &str), u64> = HashMap::new();
        let mut per_cluster: HashMap<i64, u64> = HashMap::new();
        let mut per_value: HashMap<&str, u64> = HashMap::new();
        let mut total = 0u64;
        for m in members.iter().filter(|m| m.cluster >= 0) {
            if let Some(value) = m.strata[f].as_deref() {
                *pair.entry((m.cluster, value)).or_default() += 1;
                *per_cluster.entry(m.cluster).or_default() += 1;
                *per_value.entry(value).or_default() += 1;
                total += 1;
            }
        }
        for ((cluster, value), both) in pair {
            let (in_cluster, in_value) = (per_cluster[&cluster], per_value[value]);
            let table = Table {
                both,
                cluster_elsewhere: in_cluster - both,
                place_otherwise: in_value - both,
                neither: total + both - in_cluster - in_value,
            };
            let measures = disproportion(&table, CONCENTRATION_LEVEL).map_err(SignalError::Invalid)?;
            if measures.signal {
                let reason = format!(
                    "{both} of cluster {cluster}'s {in_cluster} recent reports are in {} {value}, {:.1} expected (IC025 {:.2})",
                    field.replace('_', " "),
                    measures.expected,
                    measures.ic.low
                );
                out.push(Concentration { cluster, field: (*field).to_string(), value: value.to_string(), measures, reason });
            }
        }
    }
    out.sort_by(|a, b| {
        b.measures.ic.low.total_cmp(&a.measures.ic.low).then(a.cluster.cmp(&b.cluster)).then(a.field.cmp(&b.field)).then(a.value.cmp(&b.value))
    });
    Ok(out)
}
