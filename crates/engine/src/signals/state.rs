//! What the triage list shows of a run's signals: each cluster's signal state — a recent
//! count alarm, a group of novel reports, or a concentration — with its reason in words,
//! its strength for the priority, and whether a reviewer dismissed it. The run's signals
//! are stored with a digest of the data they came from (`signal_results`), so the list
//! reads them while the data is unchanged; dismissals (`signal_dismissals`) hold until the
//! series moves again and are appended to the audit chain.

use super::counts::{run_members_by, week_of, DateBasis, Member, SeriesKey};
use super::detect::Method;
use super::error::SignalError;
use super::over_run::{run_signals_of, RunSignals, SignalRequest};
use crate::cluster::{load_run, run_lineage};
use crate::digest::hex;
use crate::store::Store;
use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// An alarm counts for triage when it is in the last this many monitored weeks.
pub const RECENT_ALARM_WEEKS: i64 = 4;
/// The most a signal multiplies the priority by, less 1.
pub const MAX_STRENGTH: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Alarm,
    Novelty,
    Concentration,
}

impl SignalKind {
    pub fn name(self) -> &'static str {
        match self {
            SignalKind::Alarm => "alarm",
            SignalKind::Novelty => "novelty",
            SignalKind::Concentration => "concentration",
        }
    }

    pub fn parse(name: &str) -> Result<SignalKind, SignalError> {
        match name.trim() {
            "alarm" => Ok(SignalKind::Alarm),
            "novelty" => Ok(SignalKind::Novelty),
            "concentration" => Ok(SignalKind::Concentration),
            other => Err(SignalError::Invalid(format!("no signal kind {other:?}: use alarm, novelty or concentration"))),
        }
    }
}

/// A cluster's signal, as the triage list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClusterSignal {
    pub kind: SignalKind,
    pub reason: String,
    /// The week it is about: a cluster's latest recent alarm week (of any of its series),
    /// the novel group's latest, the monitored end for a concentration.
    pub week: String,
    /// What it adds to the priority factor: an alarm's score (capped at `MAX_STRENGTH`), 1
    /// for novelty, 0 for a concentration (places a cluster is usually in are no news).
    pub strength: f64,
    /// A reviewer dismissed it and the series has not moved since.
    pub dismissed: bool,
}

/// The request whose result triage shows: the engine's defaults over the whole run.
pub fn default_request(run_id: i64) -> SignalRequest {
    SignalRequest { run_id, method: Method::Auto, from: None, to: None, alpha: None, by: None }
}

/// The run's default signals as last stored, without computing anything: what the triage
/// list shows, since at a million reports computing them takes seconds the list must not
/// wait for. None until `stored_signals` has run for the run (the `signals` command, or
/// the app's Signals view).
pub fn latest_signals(store: &Store, run_id: i64) -> Result<Option<RunSignals>, SignalError> {
    Ok(stored_row(store, run_id)?.map(|(result, _, _)| result))
}

/// The run's signals with the engine's default request, from the store when the data is
/// unchanged since they were computed, else computed and stored.
pub fn stored_signals(store: &Store, run_id: i64) -> Result<RunSignals, SignalError> {
    // Read once: the digest and, when nothing matches it, the computation both need them.
    let (members, by) = run_members_by(store, run_id, None)?;
    let digest = data_digest(&members, by);
    if let (Some((result, _)), true) = stored_result(store, run_id, &digest)? {
        return Ok(result);
    }
    let request = default_request(run_id);
    let result = run_signals_of(store, &request, &members, by)?;
    let text = serde_json::to_string(&result).map_err(|e| SignalError::Invalid(e.to_string()))?;
    store.conn().execute(
        "INSERT INTO signal_results (run_id, request, data_digest, result, computed_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (run_id, request) DO UPDATE SET data_digest = excluded.data_digest, result = excluded.result,
             computed_at = excluded.computed_at",
        params![run_id, request_json(&request)?, digest, text, crate::clock::now()],
    )?;
    Ok(result)
}

/// The run's default signals as stored, with when they were computed, and whether they
/// came from the data whose `data_digest` is `digest`.
pub(super) fn stored_result(
    store: &Store,
    run_id: i64,
    digest: &str,
) -> Result<(Option<(RunSignals, String)>, bool), SignalError> {
    Ok(match stored_row(store, run_id)? {
        Some((result, stored_digest, computed_at)) => (Some((result, computed_at)), stored_digest == digest),
        None => (None, false),
    })
}

/// The run's default signals as stored: the result, the digest of the data it came from
/// and when it was computed. A result an older version stored in another shape is as good
/// as none.
fn stored_row(store: &Store, run_id: i64) -> Result<Option<(RunSignals, String, String)>, SignalError> {
    let found: Option<(String, String, String)> = store
        .conn()
        .query_row(
            "SELECT result, data_digest, computed_at FROM signal_results WHERE run_id = ?1 AND request = ?2",
            params![run_id, request_json(&default_request(run_id))?],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(found.and_then(|(text, digest, computed_at)| {
        serde_json::from_str::<RunSignals>(&text).ok().map(|result| (result, digest, computed_at))
    }))
}

/// A request as the store keys its result.
fn request_json(request: &SignalRequest) -> Result<String, SignalError> {
    serde_json::to_string(request).map_err(|e| SignalError::Invalid(e.to_string()))
}

/// What the signals came to after a run's clusters or reports changed (an analysis, reports
/// assigned after an import), stored for the triage list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refreshed {
    pub alarms: Option<usize>,
    /// Why they could not be computed; the work before them stands.
    pub error: Option<String>,
}

/// Stores the run's default signals after its clusters or reports changed, so the triage
/// list shows them without anyone asking: an analysis or an assignment is not undone by a
/// signal computation that fails, which is reported instead.
pub fn refresh_signals(store: &Store, run_id: i64, progress: &dyn crate::jobs::Progress) -> Refreshed {
    progress.set_phase("signals");
    match stored_signals(store, run_id) {
        Ok(signals) => Refreshed { alarms: Some(signals.alarms.len()), error: None },
        Err(e) => Refreshed { alarms: None, error: Some(e.to_string()) },
    }
}

/// Bumped when the detectors' defaults or the result's shape change, so results stored by
/// an earlier version are computed again rather than shown.
const RESULT_VERSION: &str = "signals-3";

/// SHA-256 over the result version, the date counted by and every report of the run (id,
/// cluster, date) in id order.
pub(super) fn data_digest(members: &[Member], by: DateBasis) -> String {
    let mut hash = Sha256::new();
    hash.update(RESULT_VERSION.as_bytes());
    hash.update(by.name().as_bytes());
    for m in members {
        hash.update(m.incident_id.to_le_bytes());
        hash.update(m.cluster.to_le_bytes());
        hash.update(m.date.to_string().as_bytes());
    }
    hex(&hash.finalize())
}

/// Each cluster's strongest signal: a recent alarm (on the cluster or one of its strata),
/// else a novel group most of whose reports it holds, else its strongest concentration.
pub fn cluster_signals(store: &Store, run_id: i64, signals: &RunSignals) -> Result<HashMap<i64, ClusterSignal>, SignalError> {
    let (model_id, method) = run_lineage(store, run_id)?;
    let dismissed = dismissals(store, model_id, &method)?;
    let is_dismissed = |cluster: i64, kind: SignalKind, week: &str| {
        dismissed.get(&(cluster, kind)).is_some_and(|through| week <= through.as_str())
    };
    let mut out: HashMap<i64, ClusterSignal> = HashMap::new();
    let last = signals.monitored.as_ref().and_then(|(_, last)| NaiveDate::parse_from_str(last, "%Y-%m-%d").ok());
    let recent = |alarm: &&super::over_run::Alarm| {
        let Ok(week) = NaiveDate::parse_from_str(&alarm.week.week_start, "%Y-%m-%d") else { return false };
        last.is_some_and(|l| (l - week).num_days() < 7 * RECENT_ALARM_WEEKS)
    };
    // The latest recent alarm week of each cluster (any of its series): a dismissal covers
    // every alarm seen when it was made, and only a later week is news.
    let mut latest: HashMap<i64, &str> = HashMap::new();
    for alarm in signals.alarms.iter().filter(recent) {
        if let Some(cluster) = alarm.series.cluster() {
            let week = latest.entry(cluster).or_insert(alarm.week.week_start.as_str());
            if alarm.week.week_start.as_str() > *week {
                *week = alarm.week.week_start.as_str();
            }
        }
    }
    // Alarms, strongest first; a cluster keeps its first (strongest) recent one.
    for alarm in signals.alarms.iter().filter(recent) {
        let Some(cluster) = alarm.series.cluster() else { continue };
        if out.contains_key(&cluster) {
            continue;
        }
        let week = latest.get(&cluster).map_or_else(|| alarm.week.week_start.clone(), |w| (*w).to_string());
        out.insert(
            cluster,
            ClusterSignal {
                kind: SignalKind::Alarm,
                reason: alarm.reason.clone(),
                dismissed: is_dismissed(cluster, SignalKind::Alarm, &week),
                week,
                strength: alarm.week.score.unwrap_or(1.0).clamp(0.0, MAX_STRENGTH),
            },
        );
    }
    if let Some(novelty) = &signals.novelty {
        for group in &novelty.groups {
            let Some(&(cluster, n)) = group.clusters.first() else { continue };
            if cluster < 0 || n * 2 <= group.incident_ids.len() || out.contains_key(&cluster) {
                continue;
            }
            let week = NaiveDate::parse_from_str(&group.last_date, "%Y-%m-%d").map(week_of).map(|w| w.to_string()).unwrap_or_default();
            out.insert(
                cluster,
                ClusterSignal {
                    kind: SignalKind::Novelty,
                    reason: group.reason.clone(),
                    dismissed: is_dismissed(cluster, SignalKind::Novelty, &week),
                    week,
                    strength: 1.0,
                },
            );
        }
    }
    let end = signals.monitored.as_ref().map(|(_, l)| l.clone()).unwrap_or_default();
    for c in &signals.concentrations {
        if out.contains_key(&c.cluster) {
            continue;
        }
        out.insert(
            c.cluster,
            ClusterSignal {
                kind: SignalKind::Concentration,
                reason: c.reason.clone(),
                dismissed: is_dismissed(c.cluster, SignalKind::Concentration, &end),
                week: end.clone(),
                strength: 0.0,
            },
        );
    }
    Ok(out)
}

/// The latest `through_week` of each (cluster, kind) dismissed in this lineage.
pub(super) fn dismissals(store: &Store, model_id: i64, method: &str) -> Result<HashMap<(i64, SignalKind), String>, SignalError> {
    let mut stmt = store.conn().prepare(
        "SELECT cluster_id, kind, max(through_week) FROM signal_dismissals WHERE model_id = ?1 AND method = ?2 GROUP BY cluster_id, kind",
    )?;
    let rows = stmt.query_map(params![model_id, method], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (cluster, kind, through) = row?;
        out.insert((cluster, SignalKind::parse(&kind)?), through);
    }
    Ok(out)
}

/// A recorded dismissal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dismissal {
    pub cluster_id: i64,
    pub kind: SignalKind,
    pub through_week: String,
    pub note: String,
    pub author: String,
    pub created_at: String,
}

/// Dismisses the cluster's current signal of `kind`: it stays dismissed until a signal of
/// that kind in a later week. Refused without an author, for a cluster or run that does
/// not exist, or when the cluster has no such signal now. Recorded on the audit chain in
/// the same transaction.
pub fn dismiss_signal(
    store: &mut Store,
    run_id: i64,
    cluster_id: i64,
    kind: SignalKind,
    note: &str,
    author: &str,
) -> Result<Dismissal, SignalError> {
    let author = author.trim();
    if author.is_empty() {
        return Err(SignalError::Invalid("dismissing a signal needs the reviewer's name".into()));
    }
    let note = note.trim();
    if note.chars().count() > 4000 {
        return Err(SignalError::Invalid("a dismissal note is at most 4000 characters".into()));
    }
    load_run(store, run_id)?;
    let signals = stored_signals(store, run_id)?;
    let current = cluster_signals(store, run_id, &signals)?;
    let signal = current
        .get(&cluster_id)
        .filter(|s| s.kind == kind)
        .ok_or_else(|| SignalError::Invalid(format!("cluster {cluster_id} of run {run_id} has no {} signal now", kind.name())))?;
    let (model_id, method) = run_lineage(store, run_id)?;
    let now = crate::clock::now();
    store.sync_full()?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO signal_dismissals (model_id, method, cluster_id, kind, through_week, note, author, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![model_id, method, cluster_id, kind.name(), signal.week, note, author, now],
    )?;
    let detail = serde_json::json!({ "run": run_id, "model_id": model_id, "method": method, "cluster": cluster_id,
        "kind": kind.name(), "through_week": signal.week, "reason": signal.reason, "note": note });
    crate::store::audit::append(&tx, author, "signal_dismiss", &detail)?;
    tx.commit()?;
    Ok(Dismissal { cluster_id, kind, through_week: signal.week.clone(), note: note.to_string(), author: author.to_string(), created_at: now })
}

/// The series a cluster's chart draws: the cluster's own weekly counts with their
/// detection, from the stored signals.
pub fn cluster_series(signals: &RunSignals, cluster_id: i64) -> Option<&super::over_run::SeriesSignal> {
    signals.series.iter().find(|s| s.series == SeriesKey::Cluster { cluster: cluster_id })
}
