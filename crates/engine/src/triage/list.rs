//! The ranked triage list of a run (see the module doc for the priority).

use super::{sql, Decision, Status};
use crate::cluster::{run_clusters, run_lineage, ClusterError};
use crate::signals::{cluster_signals, latest_signals, ClusterSignal, SignalError, MAX_STRENGTH};
use crate::store::{previews, Preview};
use crate::store::Store;
use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;
use std::collections::HashMap;

/// The growth windows: the latest 90 days of the run's data, and the 90 days before.
const WINDOW_DAYS: i64 = 90;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TriageRow {
    pub cluster_id: i64,
    pub size: u64,
    pub keywords: Vec<String>,
    pub representatives: Vec<Preview>,
    /// Reports per NRLS PD09 level 1..5, then reports with no harm recorded.
    pub harm: [u64; 6],
    /// Share of reports with harm recorded that are moderate or worse (PD09 >= 3).
    pub severe_share: f64,
    /// Reports in the latest window of the run's data, and in the window before it.
    pub recent: u64,
    pub previous: u64,
    pub growth: f64,
    /// The cluster's signal (a recent count alarm, novel reports, a concentration), if any.
    pub signal: Option<ClusterSignal>,
    pub priority: f64,
    pub status: Status,
    pub decision: Option<Decision>,
    /// Position of the cluster's label on the map.
    pub x: f64,
    pub y: f64,
    pub origin: String,
}

#[derive(Default)]
struct Tally {
    harm: [u64; 6],
    recent: u64,
    previous: u64,
}

/// `signal` is the strength of the cluster's standing signal (0 without one, or when
/// dismissed), at most `signals::MAX_STRENGTH`.
pub fn priority(size: u64, severe_share: f64, signal: f64) -> f64 {
    (1.0 + size as f64).ln() * (1.0 + 4.0 * severe_share) * (1.0 + signal.clamp(0.0, MAX_STRENGTH))
}

/// The active clusters of a run, highest priority first (ties: larger first, then id).
pub fn cluster_triage(store: &Store, run_id: i64) -> Result<Vec<TriageRow>, ClusterError> {
    let clusters = run_clusters(store, run_id)?;
    let (model_id, method) = run_lineage(store, run_id)?;

    let mut members = store
        .conn()
        .prepare(
            "SELECT m.cluster, i.harm, i.occurred_on FROM cluster_members m JOIN incidents i ON i.id = m.incident_id
             WHERE m.run_id = ?1 AND m.cluster >= 0",
        )
        .map_err(sql(store))?;
    let rows = members
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(sql(store))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql(store))?;
    let dates: Vec<Option<NaiveDate>> = rows
        .iter()
        .map(|(_, _, d)| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect();
    let latest = dates.iter().flatten().max().copied();
    let mut tallies: HashMap<i64, Tally> = HashMap::new();
    for ((cluster, harm, _), date) in rows.iter().zip(&dates) {
        let t = tallies.entry(*cluster).or_default();
        match harm {
            Some(h @ 1..=5) => t.harm[*h as usize - 1] += 1,
            _ => t.harm[5] += 1,
        }
        if let (Some(latest), Some(date)) = (latest, date) {
            let age = (latest - *date).num_days();
            if age < WINDOW_DAYS {
                t.recent += 1;
            } else if age < 2 * WINDOW_DAYS {
                t.previous += 1;
            }
        }
    }

    let mut decisions: HashMap<i64, Decision> = HashMap::new();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT cluster_id, status, note, updated_by, updated_at FROM cluster_triage
             WHERE model_id = ?1 AND method = ?2",
        )
        .map_err(sql(store))?;
    let found = stmt
        .query_map(params![model_id, method], |r| {
            let status: String = r.get(1)?;
            Ok((
                r.get::<_, i64>(0)?,
                Decision {
                    status: Status::parse(&status).unwrap_or(Status::New),
                    note: r.get(2)?,
                    updated_by: r.get(3)?,
                    updated_at: r.get(4)?,
                },
            ))
        })
        .map_err(sql(store))?;
    for row in found {
        let (id, d) = row.map_err(sql(store))?;
        decisions.insert(id, d);
    }

    // The signals last computed for the run; the list never waits to compute them.
    let mut signal_of = match latest_signals(store, run_id).map_err(signal_error)? {
        Some(signals) => cluster_signals(store, run_id, &signals).map_err(signal_error)?,
        None => HashMap::new(),
    };
    let mut out = Vec::with_capacity(clusters.len());
    for c in clusters {
        let t = tallies.remove(&c.cluster_id).unwrap_or_default();
        let graded: u64 = t.harm[..5].iter().sum();
        let severe: u64 = t.harm[2..5].iter().sum();
        let severe_share = if graded > 0 {
            severe as f64 / graded as f64
        } else {
            0.0
        };
        let growth = (t.recent as f64 - t.previous as f64) / (t.previous.max(1) as f64);
        let decision = decisions.remove(&c.cluster_id);
        let signal = signal_of.remove(&c.cluster_id);
        let strength = signal.as_ref().filter(|s| !s.dismissed).map_or(0.0, |s| s.strength);
        out.push(TriageRow {
            cluster_id: c.cluster_id,
            size: c.size,
            keywords: c.keywords,
            representatives: previews(store, &c.representatives).map_err(ClusterError::Store)?,
            harm: t.harm,
            severe_share,
            recent: t.recent,
            previous: t.previous,
            growth,
            signal,
            priority: priority(c.size, severe_share, strength),
            status: decision.as_ref().map(|d| d.status).unwrap_or(Status::New),
            decision,
            x: c.x,
            y: c.y,
            origin: c.origin,
        });
    }
    out.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.size.cmp(&a.size))
            .then(a.cluster_id.cmp(&b.cluster_id))
    });
    Ok(out)
}

/// The signal layer's errors reach the triage list as the cluster errors it returns.
fn signal_error(e: SignalError) -> ClusterError {
    match e {
        SignalError::Cluster(c) => c,
        SignalError::Store(s) => ClusterError::Store(s),
        other => ClusterError::Invalid(format!("signals: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::priority;

    #[test]
    fn priority_rises_with_size_harm_and_signal() {
        let base = priority(100, 0.1, 0.0);
        assert!(priority(400, 0.1, 0.0) > base);
        assert!(priority(100, 0.5, 0.0) > base);
        assert!(priority(100, 0.1, 1.0) > base);
        // No signal is no penalty, and a signal's weight is capped.
        assert_eq!(priority(100, 0.1, -0.5), base);
        assert_eq!(priority(100, 0.1, 50.0), priority(100, 0.1, 4.0));
    }
}
