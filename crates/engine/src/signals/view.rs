//! What the app's Signals view shows of a run: each series with an alarm (its chart — the
//! monitored weeks' observed counts, expected counts and bounds — the detectors that judged
//! it in words, and the reports of its latest alarm week), the groups of novel reports, the
//! concentrations and the largest clusters over time, each with the cluster's signal as the
//! triage list has it (so a dismissal here is the one triage shows). Read from the stored
//! signals only: computing them is `stored_signals`, a job of its own at a million reports.

use super::counts::{run_members_by, week_of, DateBasis, Member, SeriesKey};
use super::detect::{Applied, AppliedSpan, WeekSignal};
use super::error::SignalError;
use super::novelty::NovelGroup;
use super::over_run::{RunSignals, Topics};
use super::state::{cluster_signals, data_digest, dismissals, stored_result, ClusterSignal, SignalKind, RECENT_ALARM_WEEKS};
use crate::cluster::run_clusters;
use crate::store::{previews_by_id, Preview, Store};
use chrono::NaiveDate;
use std::collections::HashMap;
use ml::surveillance::farrington::Bound;
use ml::surveillance::thresholds::PowerTransform;
use serde::Serialize;

/// Reports listed under an alarm: those of its latest alarm week, newest first.
pub const ALARM_REPORTS: usize = 8;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignalsView {
    pub run_id: i64,
    /// When the shown signals were computed; None when they never were for this run.
    pub computed_at: Option<String>,
    /// The shown signals came from the run's reports as they are now (no import, assignment
    /// or edit since); when false they are shown until the new ones are computed.
    pub current: bool,
    /// The date the reports were counted by.
    pub by: DateBasis,
    /// The monitored weeks (Mondays) and the last report's date.
    pub monitored: Option<(String, String)>,
    pub last_date: Option<String>,
    /// Series with an alarm in the monitored weeks: recent ones first, then by score.
    pub alarms: Vec<SeriesAlarms>,
    pub novel_groups: Vec<NovelGroupView>,
    /// Novelty in words: how many recent reports were novel against which threshold, or
    /// why it could not be computed.
    pub novelty: Option<String>,
    pub concentrations: Vec<ConcentrationView>,
    pub topics: Topics,
    /// Keywords of every cluster the view names.
    pub keywords: Vec<(i64, Vec<String>)>,
    /// Each cluster's signal as the triage list shows it (for the map's colours).
    pub cluster_signals: Vec<(i64, ClusterSignal)>,
}

/// One series with its alarms.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeriesAlarms {
    pub series: SeriesKey,
    /// "cluster 12", "category Medication", "cluster 12 in care setting Acute".
    pub title: String,
    pub cluster: Option<i64>,
    /// The latest alarm's reason in words, and its week.
    pub reason: String,
    pub latest_week: String,
    pub alarm_weeks: Vec<String>,
    pub max_score: Option<f64>,
    /// The latest alarm is within `RECENT_ALARM_WEEKS` of the last monitored week: the
    /// alarms triage counts.
    pub recent: bool,
    /// A reviewer dismissed the cluster's alarm through the latest alarm week.
    pub dismissed: bool,
    /// The cluster's current signal is this alarm and can be dismissed.
    pub dismissable: bool,
    /// The chart: every monitored week.
    pub weeks: Vec<WeekSignal>,
    /// The detectors that judged the weeks, with their parameters, in words.
    pub detectors: Vec<String>,
    pub reports: Vec<Preview>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NovelGroupView {
    pub group: NovelGroup,
    /// The cluster most of the group is in, when that cluster's signal is this novelty.
    pub signal_cluster: Option<i64>,
    pub dismissed: bool,
    pub dismissable: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConcentrationView {
    pub cluster: i64,
    pub field: String,
    pub value: String,
    pub observed: u64,
    pub expected: f64,
    pub ic025: f64,
    pub reason: String,
    pub dismissed: bool,
    pub dismissable: bool,
}

/// The run's Signals view from its stored signals (an empty one, `computed_at` None, when
/// none are stored).
pub fn signals_view(store: &Store, run_id: i64) -> Result<SignalsView, SignalError> {
    let (members, by) = run_members_by(store, run_id, None)?;
    let (stored, current) = stored_result(store, run_id, &data_digest(&members, by))?;
    let Some((signals, computed_at)) = stored else {
        return Ok(SignalsView {
            run_id,
            computed_at: None,
            current: false,
            by,
            monitored: None,
            last_date: None,
            alarms: Vec::new(),
            novel_groups: Vec::new(),
            novelty: None,
            concentrations: Vec::new(),
            topics: Topics::default(),
            keywords: Vec::new(),
            cluster_signals: Vec::new(),
        });
    };
    let signal_of = cluster_signals(store, run_id, &signals)?;
    let (model_id, method) = crate::cluster::run_lineage(store, run_id)?;
    let dismissed_through = dismissals(store, model_id, &method)?;
    let dismissed = |cluster: i64, kind: SignalKind, week: &str| {
        dismissed_through.get(&(cluster, kind)).is_some_and(|through| week <= through.as_str())
    };
    let dismissable = |cluster: i64, kind: SignalKind| signal_of.get(&cluster).is_some_and(|s| s.kind == kind && !s.dismissed);

    let alarms = series_alarms(store, &signals, &members, &|cluster, week| dismissed(cluster, SignalKind::Alarm, week), &|c| {
        dismissable(c, SignalKind::Alarm)
    })?;
    let novel_groups = signals
        .novelty
        .iter()
        .flat_map(|n| &n.groups)
        .map(|group| {
            let cluster = group.clusters.first().map(|&(c, _)| c).filter(|c| {
                signal_of.get(c).is_some_and(|s| s.kind == SignalKind::Novelty && s.reason == group.reason)
            });
            NovelGroupView {
                group: group.clone(),
                signal_cluster: cluster,
                dismissed: cluster.is_some_and(|c| signal_of[&c].dismissed),
                dismissable: cluster.is_some_and(|c| dismissable(c, SignalKind::Novelty)),
            }
        })
        .collect();
    let end = signals.monitored.as_ref().map(|(_, last)| last.clone()).unwrap_or_default();
    let concentrations = signals
        .concentrations
        .iter()
        .map(|c| ConcentrationView {
            cluster: c.cluster,
            field: c.field.clone(),
            value: c.value.clone(),
            observed: c.measures.observed,
            expected: c.measures.expected,
            ic025: c.measures.ic.low,
            reason: c.reason.clone(),
            dismissed: dismissed(c.cluster, SignalKind::Concentration, &end),
            dismissable: signal_of.get(&c.cluster).is_some_and(|s| s.kind == SignalKind::Concentration && s.reason == c.reason && !s.dismissed),
        })
        .collect::<Vec<_>>();
    let novelty = match (&signals.novelty, &signals.novelty_note) {
        (Some(n), _) => Some(format!(
            "{} of {} reports since {} are further from every earlier report than {:.3} (cosine distance; the 99th percentile of {} earlier reports' nearest-earlier distances), in {} group(s)",
            n.novel_reports, n.recent_reports, n.recent_from, n.threshold, n.calibrated_on, n.groups.len()
        )),
        (None, Some(note)) => Some(format!("Novelty could not be computed: {note}")),
        (None, None) => signals.monitored.as_ref().map(|_| "Novelty needs more history before the recent weeks to calibrate on.".to_string()),
    };

    let mut named: Vec<i64> = alarms.iter().filter_map(|a| a.cluster).collect();
    named.extend(concentrations.iter().map(|c| c.cluster));
    named.extend(signals.topics.clusters.iter().map(|t| t.cluster));
    named.extend(signals.novelty.iter().flat_map(|n| &n.groups).flat_map(|g| g.clusters.iter().map(|&(c, _)| c)));
    named.sort_unstable();
    named.dedup();
    let keywords = run_clusters(store, run_id)?
        .into_iter()
        .filter(|c| named.binary_search(&c.cluster_id).is_ok())
        .map(|c| (c.cluster_id, c.keywords))
        .collect();
    let mut cluster_signals: Vec<(i64, ClusterSignal)> = signal_of.into_iter().collect();
    cluster_signals.sort_by_key(|(c, _)| *c);
    Ok(SignalsView {
        run_id,
        computed_at: Some(computed_at),
        current,
        by: signals.by,
        monitored: signals.monitored.clone(),
        last_date: signals.last_date.clone(),
        alarms,
        novel_groups,
        novelty,
        concentrations,
        topics: signals.topics.clone(),
        keywords,
        cluster_signals,
    })
}

/// Every series with an alarm: the cluster and category series and the strata run.
fn series_alarms(
    store: &Store,
    signals: &RunSignals,
    members: &[Member],
    dismissed: &dyn Fn(i64, &str) -> bool,
    dismissable: &dyn Fn(i64) -> bool,
) -> Result<Vec<SeriesAlarms>, SignalError> {
    let last = signals.monitored.as_ref().and_then(|(_, l)| NaiveDate::parse_from_str(l, "%Y-%m-%d").ok());
    // The monitored weeks' reports by week, taken in one pass: each alarm lists reports of
    // one of them, and there may be hundreds of alarms over a million reports.
    let first = signals.monitored.as_ref().and_then(|(f, _)| NaiveDate::parse_from_str(f, "%Y-%m-%d").ok());
    let mut by_week: HashMap<NaiveDate, Vec<&Member>> = HashMap::new();
    for m in members.iter().filter(|m| first.is_some_and(|f| m.date >= f)) {
        by_week.entry(week_of(m.date)).or_default().push(m);
    }
    let mut out = Vec::new();
    for s in signals.series.iter().chain(&signals.strata) {
        let alarm_weeks: Vec<&WeekSignal> = s.detection.weeks.iter().filter(|w| w.alarm).collect();
        let Some(latest) = alarm_weeks.last() else { continue };
        let Some(reason) = signals
            .alarms
            .iter()
            .find(|a| a.series == s.series && a.week.week_start == latest.week_start)
            .map(|a| a.reason.clone())
        else {
            continue;
        };
        let week = NaiveDate::parse_from_str(&latest.week_start, "%Y-%m-%d").map_err(|e| SignalError::Invalid(e.to_string()))?;
        let recent = last.is_some_and(|l| (l - week).num_days() < 7 * RECENT_ALARM_WEEKS);
        let cluster = s.series.cluster();
        out.push(SeriesAlarms {
            title: s.series.describe(),
            cluster,
            reason,
            latest_week: latest.week_start.clone(),
            alarm_weeks: alarm_weeks.iter().map(|w| w.week_start.clone()).collect(),
            max_score: alarm_weeks.iter().filter_map(|w| w.score).reduce(f64::max),
            recent,
            dismissed: cluster.is_some_and(|c| dismissed(c, &latest.week_start)),
            dismissable: recent && cluster.is_some_and(dismissable),
            weeks: s.detection.weeks.clone(),
            detectors: s.detection.applied.iter().map(describe_span).collect(),
            reports: week_reports(store, &s.series, by_week.get(&week).map_or(&[][..], Vec::as_slice))?,
            series: s.series.clone(),
        });
    }
    out.sort_by(|a, b| {
        b.recent
            .cmp(&a.recent)
            .then(b.max_score.unwrap_or(0.0).total_cmp(&a.max_score.unwrap_or(0.0)))
            .then(b.latest_week.cmp(&a.latest_week))
            .then(a.series.cmp(&b.series))
    });
    Ok(out)
}

/// The series' reports among `week` (one week's, by the date they were counted by),
/// newest first.
fn week_reports(store: &Store, series: &SeriesKey, week: &[&Member]) -> Result<Vec<Preview>, SignalError> {
    let field_index = |field: &str| super::counts::STRATA.iter().position(|f| *f == field);
    let mut ids: Vec<(NaiveDate, i64)> = week
        .iter()
        .filter(|m| match series {
            SeriesKey::Cluster { cluster } => m.cluster == *cluster,
            SeriesKey::Category { category } => m.category.as_deref() == Some(category.as_str()),
            SeriesKey::Stratum { cluster, field, value } => {
                m.cluster == *cluster && field_index(field).is_some_and(|f| m.strata[f].as_deref() == Some(value.as_str()))
            }
        })
        .map(|m| (m.date, m.incident_id))
        .collect();
    ids.sort_by(|a, b| b.cmp(a));
    ids.truncate(ALARM_REPORTS);
    let ids: Vec<i64> = ids.into_iter().map(|(_, id)| id).collect();
    Ok(previews_by_id(store, &ids)?)
}

/// "noufaily, 3 years back, window ±3 weeks, 26 weeks left out, α 0.005, nbPlugin bound
/// (2025-06-02 to 2025-11-24)".
fn describe_span(span: &AppliedSpan) -> String {
    let what = match &span.applied {
        Applied::Farrington(p) | Applied::Noufaily(p) => format!(
            "{}: {} year(s) back, window ±{} weeks, {} period(s) a year, {} recent week(s) left out, level {}, {}{}{}",
            span.applied.method().name(),
            p.b,
            p.w,
            p.no_periods,
            p.past_weeks_not_included,
            p.alpha,
            bound_words(&p.bound),
            if p.reweight { ", past outbreaks down-weighted" } else { "" },
            if p.trend { ", trend when significant" } else { "" },
        ),
        Applied::Cusum { params, mean, history_weeks } => format!(
            "cusum: in-control mean {mean:.2} from {history_weeks} week(s), k {}, h {}, dispersion {:.2}{}",
            params.k,
            params.h,
            params.dispersion,
            if params.reset { ", reset after an alarm" } else { "" }
        ),
        Applied::NewSeries { cases, weeks, history_weeks } => {
            format!("new series: no report in {history_weeks} week(s) before; alarm at {cases} or more in {weeks} weeks")
        }
    };
    format!("{what} ({} to {})", span.first_week, span.last_week)
}

fn bound_words(bound: &Bound) -> &'static str {
    match bound {
        Bound::Delta(PowerTransform::TwoThirds) => "normal bound on the 2/3-power scale",
        Bound::Delta(PowerTransform::Half) => "normal bound on the square-root scale",
        Bound::Delta(PowerTransform::None) => "normal bound",
        Bound::NegativeBinomial => "negative binomial bound (nbPlugin)",
        Bound::NegativeBinomialUpperMean => "negative binomial bound around the mean's upper quantile (muan)",
    }
}
