//! Reports a run was not fitted on, placed into it: their nearest fitted reports in the
//! run's index, a vote for the cluster (`vote`), and a map position by UMAP's transform
//! against the fixed map. The analysis places the reports outside its fitted sample this
//! way; `assign_new` places reports imported after the run, without refitting.

use super::options::{map_layout, ClusterError};
use super::vote::vote;
use crate::index::{neighbours_among, SimilarityIndex};
use crate::jobs::{CancelToken, Progress};
use ml::umap::Knn;

/// Where the placed reports go: one label per report for each labelling voted on, and
/// their map positions (x, y per report).
pub(super) struct Placement {
    pub labels: Vec<Vec<i64>>,
    pub map: Vec<f32>,
}

/// The fitted side of a run, in the order of the run index's keys.
pub(super) struct Fitted<'a> {
    pub ids: &'a [i64],
    pub reach: &'a [f32],
    pub map: &'a [f32],
    /// One or more labellings to vote on (the algorithm's, and the one after edits).
    pub labellings: Vec<&'a [i64]>,
}

/// Places the reports `ids` with vectors `queries` (row-major) into the run fitted as
/// `fitted`, searched through `index`. None when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn place(
    index: &SimilarityIndex,
    fitted: &Fitted,
    ids: &[i64],
    queries: &[f32],
    n_neighbors: usize,
    seed: u64,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Placement>, ClusterError> {
    let Some((knn, labels)) = vote_all(index, fitted, queries, n_neighbors, progress, cancel)? else {
        return Ok(None);
    };
    if cancel.is_cancelled() {
        return Ok(None);
    }
    let keys: Vec<u64> = ids.iter().map(|&id| id as u64).collect();
    let map = ml::umap::transform(fitted.map, &knn, &keys, &map_layout(seed));
    Ok(Some(Placement { labels, map }))
}

/// The cluster each of `queries` (row-major) gets in each of `fitted`'s labellings: the
/// vote of its nearest fitted reports in `index`; with the neighbours, for the map. None
/// when cancelled. The same function on the desktop and, through an exported run, on a
/// Spark executor, so both give the same clusters.
pub(super) fn vote_all(
    index: &SimilarityIndex,
    fitted: &Fitted,
    queries: &[f32],
    n_neighbors: usize,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<(Knn, Vec<Vec<i64>>)>, ClusterError> {
    let k = n_neighbors.saturating_sub(1).max(1);
    let Some(knn): Option<Knn> =
        neighbours_among(index, fitted.ids, queries, false, k, progress, cancel)?
    else {
        return Ok(None);
    };
    let labels = fitted
        .labellings
        .iter()
        .map(|labels| {
            (0..knn.n)
                .map(|r| {
                    vote(
                        &knn.indices[r * k..(r + 1) * k],
                        &knn.distances[r * k..(r + 1) * k],
                        labels,
                        fitted.reach,
                    )
                })
                .collect()
        })
        .collect();
    Ok(Some((knn, labels)))
}

/// Reports placed per chunk by `place_rows`: one chunk's vectors are copied at a time.
const PLACE_CHUNK: usize = 1 << 16;

/// As `place`, for the rows `positions` of (`ids`, `data`), chunk by chunk, with progress
/// counted over all of them.
#[allow(clippy::too_many_arguments)]
pub(super) fn place_rows(
    index: &SimilarityIndex,
    fitted: &Fitted,
    ids: &[i64],
    data: &[f32],
    positions: &[usize],
    n_neighbors: usize,
    seed: u64,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Placement>, ClusterError> {
    let dim = index.model.dimension;
    let mut out = Placement {
        labels: vec![Vec::with_capacity(positions.len()); fitted.labellings.len()],
        map: Vec::with_capacity(positions.len() * 2),
    };
    progress.set_total(positions.len() as u64);
    for (c, chunk) in positions.chunks(PLACE_CHUNK).enumerate() {
        let chunk_ids: Vec<i64> = chunk.iter().map(|&p| ids[p]).collect();
        let rows: Vec<f32> = chunk
            .iter()
            .flat_map(|&p| data[p * dim..(p + 1) * dim].iter().copied())
            .collect();
        let within = Offset {
            inner: progress,
            offset: (c * PLACE_CHUNK) as u64,
        };
        let Some(placed) = place(index, fitted, &chunk_ids, &rows, n_neighbors, seed, &within, cancel)? else {
            return Ok(None);
        };
        for (all, part) in out.labels.iter_mut().zip(placed.labels) {
            all.extend(part);
        }
        out.map.extend(placed.map);
    }
    progress.set_position(positions.len() as u64);
    Ok(Some(out))
}

/// Progress of one chunk reported as progress over all chunks.
struct Offset<'a> {
    inner: &'a dyn Progress,
    offset: u64,
}

impl Progress for Offset<'_> {
    fn set_position(&self, position: u64) {
        self.inner.set_position(self.offset + position);
    }
    fn set_phase(&self, phase: &str) {
        self.inner.set_phase(phase);
    }
}

/// Each fitted report's reach: the distance to its k-th nearest fitted report (the last
/// column of the kNN graph rows).
pub(super) fn reach_of(knn: &Knn) -> Vec<f32> {
    (0..knn.n)
        .map(|r| knn.distances[(r + 1) * knn.k - 1])
        .collect()
}
