//! Noise reports handed to the cluster they sit close to, and handed back: BERTopic's
//! "reduce outliers", done as an edit. HDBSCAN leaves reports it cannot place with
//! confidence as noise; many sit at a cluster's edge, most of their nearest neighbours in
//! it. `assign_noise` gives each such report to that cluster when enough of its nearest
//! fitted reports are close to it (within their reach, as `vote` judges closeness) and in
//! one cluster by the algorithm's own judgement. The move is one logged edit: the run's
//! `base_cluster` keeps the algorithm's noise, the run counts the reports moved
//! (`noise_assigned`) apart from its noise, and `unassign_noise` moves them back.

use super::add_reports::{fitted_side, FittedSide};
use super::edits::{apply, load_state, Edit, EditOutcome};
use super::options::{ClusterError, NOISE_CLUSTER};
use super::runs::{load_run, load_run_inputs, sql};
use super::vote::nearby_cluster;
use crate::index;
use crate::jobs::{CancelToken, Progress};
use crate::store::Store;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Of a noise report's nearest fitted reports (the run's `n_neighbors - 1`), the share
/// that must be close to it and in the one cluster it goes to.
pub const DEFAULT_NOISE_AGREEMENT: f64 = 0.5;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoiseOutcome {
    /// The edit logged; None when no report was moved (nothing is logged then).
    pub edit: Option<EditOutcome>,
    /// Reports moved by this call.
    pub moved: u64,
    /// Reports in no cluster before and after this call.
    pub noise_before: u64,
    pub noise_after: u64,
}

/// Gives each of run `run_id`'s noise reports to the cluster at least `agreement` of its
/// nearest fitted reports are close to and in, as one 'assign_noise' edit. None when
/// cancelled (nothing written).
pub fn assign_noise(
    store: &mut Store,
    run_id: i64,
    agreement: f64,
    author: &str,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<NoiseOutcome>, ClusterError> {
    if !(agreement > 0.0 && agreement <= 1.0) {
        return Err(ClusterError::Invalid(format!(
            "the agreement a noise report needs is a share above 0 and at most 1, not {agreement}"
        )));
    }
    let (run, options, record) = load_run_inputs(store, run_id)?;
    let state = load_state(store, run_id)?;
    let noise: Vec<usize> = (0..state.assignment.len()).filter(|&i| state.assignment[i] < 0).collect();
    let noise_before = noise.len() as u64;
    let unchanged = |noise_after| NoiseOutcome { edit: None, moved: 0, noise_before, noise_after };
    if noise.is_empty() {
        return Ok(Some(unchanged(0)));
    }
    let Some(FittedSide { index: sim, members, reach, .. }) =
        fitted_side(store, run_id, &run, &record, &options, progress, cancel)?
    else {
        return Ok(None);
    };
    progress.set_phase("assigning");
    let voters: Vec<i64> = members
        .base
        .iter()
        .zip(&members.cluster)
        .map(|(&base, &now)| if base >= 0 { now } else { -1 })
        .collect();
    let dim = state.dim;
    let queries: Vec<f32> = noise
        .iter()
        .flat_map(|&i| state.data[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    // One more than the neighbours that vote: a fitted noise report finds itself, and
    // itself never votes.
    let k = options.n_neighbors.max(2);
    let Some(knn) = index::neighbours_among(&sim, &members.ids, &queries, false, k, progress, cancel)? else {
        return Ok(None);
    };
    if cancel.is_cancelled() {
        return Ok(None);
    }
    let min_votes = (agreement * (k - 1) as f64).ceil() as usize;
    // A noise report is by HDBSCAN's definition beyond its neighbours' own reach (bounding
    // each vote by the voter's reach moved 0.2-0.7 points of noise on the benchmark
    // corpora); the bound is the cluster's spread instead: the widest reach any of its
    // members has, so a report joins only a cluster whose own members are as sparse.
    let mut spread: HashMap<i64, f32> = HashMap::new();
    for (&c, &r) in voters.iter().zip(&reach) {
        if c >= 0 {
            let s = spread.entry(c).or_insert(0.0);
            *s = s.max(r);
        }
    }
    let bound: Vec<f32> = voters.iter().map(|c| spread.get(c).copied().unwrap_or(0.0)).collect();
    let moves: Vec<(usize, i64)> = noise
        .iter()
        .enumerate()
        .filter_map(|(r, &i)| {
            let row = r * knn.k..(r + 1) * knn.k;
            nearby_cluster(&knn.indices[row.clone()], &knn.distances[row], &voters, &bound, min_votes)
                .map(|c| (i, c))
        })
        .collect();
    if moves.is_empty() {
        return Ok(Some(unchanged(noise_before)));
    }
    let detail = serde_json::json!({
        "reports": moves.iter().map(|&(i, _)| state.ids[i]).collect::<Vec<_>>(),
        "agreement": agreement,
        "neighbours": k - 1,
    });
    let moved = moves.len() as u64;
    let edit = Edit { moves: &moves, retired: &[], kind: "assign_noise", detail, creates: false };
    let outcome = apply(store, run_id, state, edit, author)?;
    Ok(Some(NoiseOutcome { edit: Some(outcome), moved, noise_before, noise_after: noise_before - moved }))
}

/// Moves every report that standing 'assign_noise' edits gave to a cluster (those since
/// the last 'unassign_noise') back to noise, as one 'unassign_noise' edit; reports a
/// later edit has since moved are moved back from where they are now.
pub fn unassign_noise(store: &mut Store, run_id: i64, author: &str) -> Result<NoiseOutcome, ClusterError> {
    load_run(store, run_id)?;
    let mut standing: Vec<(i64, Vec<i64>)> = Vec::new();
    {
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT id, kind, detail FROM cluster_edits
                 WHERE run_id = ?1 AND kind IN ('assign_noise', 'unassign_noise') ORDER BY id",
            )
            .map_err(sql(store))?;
        let rows = stmt
            .query_map([run_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(sql(store))?;
        for row in rows {
            let (id, kind, detail) = row.map_err(sql(store))?;
            if kind == "unassign_noise" {
                standing.clear();
                continue;
            }
            let reports = serde_json::from_str::<serde_json::Value>(&detail)
                .ok()
                .and_then(|d| serde_json::from_value::<Vec<i64>>(d.get("reports")?.clone()).ok())
                .ok_or_else(|| ClusterError::Invalid(format!("noise edit {id} of run {run_id} has no readable list of reports")))?;
            standing.push((id, reports));
        }
    }
    let state = load_state(store, run_id)?;
    let noise_before = state.assignment.iter().filter(|&&c| c < 0).count() as u64;
    let row: HashMap<i64, usize> = state.ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let listed: HashSet<i64> = standing.iter().flat_map(|(_, reports)| reports.iter().copied()).collect();
    let mut moves: Vec<(usize, i64)> = listed
        .iter()
        .filter_map(|id| row.get(id).copied())
        .filter(|&i| state.base[i] < 0 && state.assignment[i] >= 0)
        .map(|i| (i, NOISE_CLUSTER))
        .collect();
    moves.sort_unstable();
    if moves.is_empty() {
        return Err(ClusterError::Invalid(format!("run {run_id} has no noise reports assigned to a cluster to move back")));
    }
    let detail = serde_json::json!({
        "undoes": standing.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        "reports": moves.iter().map(|&(i, _)| state.ids[i]).collect::<Vec<_>>(),
    });
    let moved = moves.len() as u64;
    let edit = Edit { moves: &moves, retired: &[], kind: "unassign_noise", detail, creates: false };
    let outcome = apply(store, run_id, state, edit, author)?;
    Ok(NoiseOutcome { edit: Some(outcome), moved, noise_before, noise_after: noise_before + moved })
}
