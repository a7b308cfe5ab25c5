//! Novelty: recent reports unlike anything reported before, grouped into candidate new
//! clusters — the signal that exists before a new kind of incident has enough reports to
//! raise a count alarm or form a cluster of its own.
//!
//! A recent report (one of the last `recent_weeks` weeks) is novel when its nearest
//! neighbour among the reports before those weeks is farther than the `percentile` of the
//! same distance measured on the weeks just before (a sample of reports from the
//! `recent_weeks` weeks before the recent ones, each against the reports before *its*
//! weeks): the threshold is what "far" has been in this project, not a constant. Two novel
//! reports are joined when one is nearer the other than to any earlier report (single
//! linkage through their nearest novel neighbours), and a group of at least `min_group`
//! reports is a candidate new cluster: two reports of a new kind, alike and unlike all
//! before them, already are one.

use super::counts::{week_of, Member};
use super::error::SignalError;
use crate::index::{update_and_open, SimilarityIndex};
use crate::store::{previews, Preview, Store};
use chrono::{Days, NaiveDate};
use ml::rng::SplitMix64;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Fewer past reports than this, in the calibration weeks or before them, and "far" cannot
/// be told from chance: no novelty.
pub const MIN_CALIBRATION: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoveltyOptions {
    pub recent_weeks: usize,
    /// The calibrated percentile of past nearest-neighbour distances beyond which a report
    /// is novel.
    pub percentile: f64,
    /// Past reports the threshold is calibrated on, at most.
    pub calibration_sample: usize,
    /// The smallest group that is a candidate cluster.
    pub min_group: usize,
    /// Neighbours each novel report looks at among the novel ones when grouping.
    pub group_neighbours: usize,
    pub seed: u64,
}

impl Default for NoveltyOptions {
    fn default() -> Self {
        NoveltyOptions { recent_weeks: 8, percentile: 0.99, calibration_sample: 2000, min_group: 2, group_neighbours: 10, seed: crate::DEFAULT_SEED }
    }
}

impl NoveltyOptions {
    pub fn validate(&self) -> Result<(), SignalError> {
        let bad = |m: String| Err(SignalError::Invalid(m));
        if !(1..=104).contains(&self.recent_weeks) {
            return bad(format!("novelty looks back 1 to 104 weeks, not {}", self.recent_weeks));
        }
        if !(self.percentile > 0.5 && self.percentile < 1.0) {
            return bad(format!("the novelty percentile must be between 0.5 and 1, not {}", self.percentile));
        }
        if self.calibration_sample < MIN_CALIBRATION || self.min_group < 2 || self.group_neighbours == 0 {
            return bad("novelty needs a calibration sample of 50 or more, groups of 2 or more and 1 neighbour or more".into());
        }
        Ok(())
    }
}

/// A candidate new cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NovelGroup {
    pub incident_ids: Vec<i64>,
    pub first_date: String,
    pub last_date: String,
    /// Reports per recent week (the recent weeks in order).
    pub weekly: Vec<u32>,
    /// The run's clusters its reports are in (noise as −1), largest share first.
    pub clusters: Vec<(i64, usize)>,
    /// The report nearest the most others of the group.
    pub representative: Option<Preview>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Novelty {
    pub options: NoveltyOptions,
    /// The first recent week, and the threshold (cosine distance) with how many past
    /// reports it was calibrated on.
    pub recent_from: String,
    pub threshold: f32,
    pub calibrated_on: usize,
    pub recent_reports: usize,
    /// Recent reports beyond the threshold, grouped or not, with how far each is from its
    /// nearest earlier report.
    pub novel_reports: usize,
    pub novel: Vec<(i64, f32)>,
    pub groups: Vec<NovelGroup>,
}

/// Novelty among a run's reports up to `last_week` (its Monday): the run's model's index,
/// searched with each report's own vector. None when the history before the recent weeks
/// is too short to calibrate on (fewer than `MIN_CALIBRATION` reports in the calibration
/// weeks or before them).
pub fn novelty(
    store: &Store,
    model: &str,
    members: &[Member],
    last_week: NaiveDate,
    options: &NoveltyOptions,
) -> Result<Option<Novelty>, SignalError> {
    options.validate()?;
    let recent_from = last_week - Days::new(7 * (options.recent_weeks as u64 - 1));
    let calibration_from = recent_from - Days::new(7 * options.recent_weeks as u64);
    let end = last_week + Days::new(6);
    let date_of: HashMap<i64, NaiveDate> = members.iter().map(|m| (m.incident_id, m.date)).collect();
    let recent: Vec<i64> = members.iter().filter(|m| m.date >= recent_from && m.date <= end).map(|m| m.incident_id).collect();
    let mut calibration: Vec<i64> =
        members.iter().filter(|m| m.date >= calibration_from && m.date < recent_from).map(|m| m.incident_id).collect();
    let before_calibration = members.iter().filter(|m| m.date < calibration_from).count();
    if calibration.len() < MIN_CALIBRATION || before_calibration < MIN_CALIBRATION || recent.is_empty() {
        return Ok(None);
    }
    pick(&mut calibration, options.calibration_sample, options.seed);
    let index = update_and_open(store, model).map_err(|e| SignalError::Invalid(format!("novelty needs the model's index: {e}")))?;
    let vectors = |ids: &[i64]| -> Result<HashMap<i64, Vec<f32>>, SignalError> {
        let (found, data) = crate::store::vectors::load_by_ids(store.conn(), index.model.id, index.model.dimension, ids)
            .map_err(|e| SignalError::Store(store.err(e)))?;
        Ok(found.into_iter().zip(data.chunks(index.model.dimension.max(1)).map(<[f32]>::to_vec)).collect())
    };
    let dates = &date_of;
    let before = |limit: NaiveDate| move |id: i64| dates.get(&id).is_some_and(|d| *d < limit);
    let calibration_vectors = vectors(&calibration)?;
    let mut past: Vec<f32> = nearest(&index, &calibration, &calibration_vectors, &before(calibration_from))?.into_iter().flatten().collect();
    if past.len() < options.calibration_sample.min(calibration.len()) / 2 {
        return Ok(None);
    }
    past.sort_by(f32::total_cmp);
    let threshold = past[((past.len() - 1) as f64 * options.percentile).round() as usize];
    let recent_vectors = vectors(&recent)?;
    let distances = nearest(&index, &recent, &recent_vectors, &before(recent_from))?;
    let novel_with: Vec<(i64, f32)> = recent
        .iter()
        .zip(&distances)
        .filter_map(|(id, d)| d.filter(|d| *d > threshold).map(|d| (*id, d)))
        .collect();
    let novel: Vec<i64> = novel_with.iter().map(|(id, _)| *id).collect();
    let far: HashMap<i64, f32> = novel_with.iter().copied().collect();
    let novel_set: HashSet<i64> = novel.iter().copied().collect();
    // Two novel reports are joined when one of them is nearer the other than to anything
    // earlier: more alike than like the past, the mark of a new kind of report. Single
    // linkage through each one's nearest novel neighbours.
    let edges: Vec<Vec<(i64, f32)>> = novel
        .par_iter()
        .map(|id| -> Result<Vec<(i64, f32)>, SignalError> {
            let Some(v) = recent_vectors.get(id) else { return Ok(Vec::new()) };
            let found = index
                .search_where(v, options.group_neighbours + 1, |other| other != *id && novel_set.contains(&other))
                .map_err(|e| SignalError::Invalid(format!("novelty: {e}")))?;
            let own = far.get(id).copied().unwrap_or(threshold);
            Ok(found
                .into_iter()
                .filter(|n| n.distance < own.max(far.get(&n.incident_id).copied().unwrap_or(threshold)))
                .map(|n| (n.incident_id, n.distance))
                .collect())
        })
        .collect::<Result<_, _>>()?;
    let position: HashMap<i64, usize> = novel.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut parent: Vec<usize> = (0..novel.len()).collect();
    let mut degree = vec![0usize; novel.len()];
    for (i, list) in edges.iter().enumerate() {
        for (other, _) in list {
            let j = position[other];
            degree[i] += 1;
            degree[j] += 1;
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..novel.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let cluster_of: HashMap<i64, i64> = members.iter().map(|m| (m.incident_id, m.cluster)).collect();
    let mut out = Vec::new();
    for positions in groups.values().filter(|g| g.len() >= options.min_group) {
        let mut ids: Vec<i64> = positions.iter().map(|&i| novel[i]).collect();
        ids.sort_unstable();
        let dates: Vec<NaiveDate> = ids.iter().filter_map(|id| date_of.get(id).copied()).collect();
        let (first, last) = (dates.iter().min().copied().unwrap_or(recent_from), dates.iter().max().copied().unwrap_or(end));
        let mut weekly = vec![0u32; options.recent_weeks];
        for d in &dates {
            let w = ((week_of(*d) - recent_from).num_days() / 7) as usize;
            if let Some(slot) = weekly.get_mut(w) {
                *slot += 1;
            }
        }
        let mut clusters: HashMap<i64, usize> = HashMap::new();
        for id in &ids {
            *clusters.entry(cluster_of.get(id).copied().unwrap_or(-1)).or_default() += 1;
        }
        let mut clusters: Vec<(i64, usize)> = clusters.into_iter().collect();
        clusters.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let central = positions.iter().max_by(|&&a, &&b| degree[a].cmp(&degree[b]).then(novel[b].cmp(&novel[a]))).map(|&i| novel[i]);
        let representative = match central {
            Some(id) => preview_of(store, id)?,
            None => None,
        };
        let reason = format!(
            "{} recent reports unlike any before {} (nearest earlier report beyond the {:.0}th percentile of past distances), first on {first}",
            ids.len(),
            recent_from,
            options.percentile * 100.0
        );
        out.push(NovelGroup { incident_ids: ids, first_date: first.to_string(), last_date: last.to_string(), weekly, clusters, representative, reason });
    }
    out.sort_by(|a, b| b.incident_ids.len().cmp(&a.incident_ids.len()).then(a.first_date.cmp(&b.first_date)));
    Ok(Some(Novelty {
        options: *options,
        recent_from: recent_from.to_string(),
        threshold,
        calibrated_on: past.len(),
        recent_reports: recent.len(),
        novel_reports: novel.len(),
        novel: novel_with,
        groups: out,
    }))
}

/// Each id's distance to its nearest report that `keep` accepts (None where it has no
/// vector or nothing is accepted).
fn nearest(
    index: &SimilarityIndex,
    ids: &[i64],
    vectors: &HashMap<i64, Vec<f32>>,
    keep: &(impl Fn(i64) -> bool + Sync),
) -> Result<Vec<Option<f32>>, SignalError> {
    ids.par_iter()
        .map(|id| {
            let Some(v) = vectors.get(id) else { return Ok(None) };
            let found = index.search_where(v, 1, |other| other != *id && keep(other)).map_err(|e| SignalError::Invalid(format!("novelty: {e}")))?;
            Ok(found.first().map(|n| n.distance))
        })
        .collect()
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Keeps a seeded sample of `n` of `ids` (all when fewer), in id order.
fn pick(ids: &mut Vec<i64>, n: usize, seed: u64) {
    if ids.len() <= n {
        return;
    }
    let mut rng = SplitMix64::new(seed);
    for i in 0..n {
        let j = i + rng.below(ids.len() - i);
        ids.swap(i, j);
    }
    ids.truncate(n);
    ids.sort_unstable();
}

fn preview_of(store: &Store, incident_id: i64) -> Result<Option<Preview>, SignalError> {
    let external: Option<String> = store
        .conn()
        .query_row("SELECT external_id FROM incidents WHERE id = ?1", [incident_id], |r| r.get(0))
        .map(Some)
        .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })?;
    match external {
        Some(e) => Ok(previews(store, &[e])?.into_iter().next()),
        None => Ok(None),
    }
}
