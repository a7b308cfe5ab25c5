//! One analysis from vectors to a stored run: index, kNN graph, UMAP, HDBSCAN or k-means,
//! keywords and representatives, in that order, with progress and cancellation.

use super::assign;
use super::describe::{cluster_keywords, describe_clusters};
use super::fit_sample;
use super::granularity::{self, Granularity};
use super::ids;
use super::options::{
    map_layout, AnalyseOptions, ClusterError, Method, Timings,
};
use super::runs::{self, load_run, ClusterRow, RunRecord};
use crate::index;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, ModelRecord, Store};
use ml::cluster::HdbscanParams;
use ml::umap::{self, LayoutParams};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::time::Instant;

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run: RunRecord,
    pub clusters: Vec<ClusterRow>,
    pub cancelled: bool,
}

/// Stage names as reported to Progress, in order ("assigning" only when the run fits a
/// sample).
pub const STAGES: &[&str] = &[
    "index",
    "neighbours",
    "layout",
    "clustering",
    "assigning",
    "keywords",
    "saving",
    "map",
];

/// Runs the whole analysis for one model and stores it as a new run.
pub fn analyse(
    store: &mut Store,
    options: &AnalyseOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RunSummary, ClusterError> {
    let _job = crate::store::job_lock::acquire(store.dir(), "an analysis")?;
    let started = Instant::now();
    let mut timings = Timings::default();
    let mut lap = {
        let mut last = Instant::now();
        move |name: &str, timings: &mut Timings| {
            timings
                .stages
                .push((name.to_string(), last.elapsed().as_secs_f64()));
            last = Instant::now();
        }
    };
    validate(options)?;
    let cancelled = |timings: &Timings| {
        Ok(RunSummary {
            run: RunRecord::cancelled(&options.model, timings.clone()),
            clusters: Vec::new(),
            cancelled: true,
        })
    };

    progress.set_phase("index");
    let record = vectors::find_model(store.conn(), &options.model)
        .map_err(|e| store.err(e))?
        .filter(|m| m.vectors > 0)
        .ok_or_else(|| index::IndexError::NoVectors(options.model.clone()))?;
    let (ids, data) = vectors::load_vectors(store.conn(), record.id, record.dimension)
        .map_err(|e| store.err(e))?;
    let dim = record.dimension;
    let dataset_sha256 = dataset_digest(&ids, &data);
    let fit = Fit::choose(&ids, &data, dim, options);
    let mut decided = options.clone();
    decided.n_neighbors = neighbours_for(options.n_neighbors, fit.ids.len());
    let index_options = index::stored_options(store, &options.model)?;
    let Some(mut sim) = (if fit.sampled() {
        index::build_fit_index(
            &record,
            &fit.ids,
            &fit.data,
            &index_options,
            progress,
            cancel,
        )?
    } else {
        index::update_index(store, &options.model, &index_options, progress, cancel)?;
        Some(index::open_index(store, &options.model)?)
    }) else {
        return cancelled(&timings);
    };
    lap("index", &mut timings);

    progress.set_phase("neighbours");
    let Some(knn) = index::knn_graph(
        &sim,
        &fit.ids,
        &fit.data,
        decided.n_neighbors - 1,
        progress,
        cancel,
    )?
    else {
        return cancelled(&timings);
    };
    let reach = assign::reach_of(&knn);
    let graph = umap::fuzzy_graph(&knn);
    drop(knn);
    lap("neighbours", &mut timings);

    progress.set_phase("layout");
    let (fit_map, reduced) = layout(&graph, &fit.data, dim, &decided, progress)?;
    drop(graph);
    lap("layout", &mut timings);
    if cancel.is_cancelled() {
        return cancelled(&timings);
    }

    progress.set_phase("clustering");
    let share = fit.ids.len() as f64 / ids.len().max(1) as f64;
    let parent = runs::latest_run(store, record.id, options.method.name())?;
    // The size the previous run chose, in its fitted reports' terms.
    let previous_size = parent.as_ref().and_then(|run| {
        let g: Granularity = serde_json::from_value(run.params.get("granularity")?.clone()).ok()?;
        Some((g.min_cluster_size as f64 * g.fitted_share).round() as usize)
    });
    let (fit_labels, granularity) = cluster_labels(&fit.data, dim, reduced, options, share, previous_size)?;
    let fit_labels: Vec<i64> = fit_labels.into_iter().map(i64::from).collect();
    // The run records the sizes it used, chosen or given.
    if let (Some(choice), Method::Hdbscan { reduce_to, .. }) = (&granularity, decided.method) {
        decided.method = Method::Hdbscan {
            min_cluster_size: choice.min_cluster_size,
            min_samples: Some(choice.min_samples),
            reduce_to,
        };
    }
    let options = &decided;
    lap("clustering", &mut timings);

    let (labels, map) = if fit.sampled() {
        progress.set_phase("assigning");
        let fitted = assign::Fitted {
            ids: &fit.ids,
            reach: &reach,
            map: &fit_map,
            labellings: vec![&fit_labels],
        };
        let rest = fit.rest_positions();
        let Some(mut placed) = assign::place_rows(
            &sim,
            &fitted,
            &ids,
            &data,
            &rest,
            options.n_neighbors,
            options.seed,
            progress,
            cancel,
        )?
        else {
            return cancelled(&timings);
        };
        let labels = placed.labels.pop().unwrap_or_default();
        let merged = fit.merge(&fit_labels, &fit_map, &labels, &placed.map);
        lap("assigning", &mut timings);
        merged
    } else {
        (fit_labels, fit_map)
    };
    let reach_all = fit.spread(&reach);
    let sampled = fit.sampled();
    drop(fit);

    let stable = stable_ids(store, &record, options, parent.as_ref(), &ids, &labels)?;

    progress.set_phase("keywords");
    let keywords = cluster_keywords(store, &record, &ids, &stable, options, progress)?;
    let described = describe_clusters(&ids, &data, dim, &map, &stable, keywords, options)?;
    lap("keywords", &mut timings);
    if cancel.is_cancelled() {
        return cancelled(&timings);
    }

    progress.set_phase("saving");
    if sampled {
        index::save_pending(&mut sim, store.dir())?;
    }
    timings.total = started.elapsed().as_secs_f64();
    let new_run = runs::NewRun {
        model_id: record.id,
        fitted: reach.len(),
        method: options.method.name(),
        params: {
            let mut params = serde_json::to_value(options).unwrap_or_default();
            if let Some(choice) = &granularity {
                params["granularity"] = serde_json::to_value(choice).unwrap_or_default();
            }
            params
        },
        seed: options.seed,
        dataset_sha256,
        index_sha256: sim.file_sha256.clone(),
        parent_run_id: parent.as_ref().map(|r| r.id),
        timings: timings.clone(),
    };
    let run_id =
        match runs::insert_run(store, &new_run, &ids, &stable, &map, &reach_all, &described) {
            Ok(id) => id,
            Err(e) => {
                if sampled {
                    let _ = std::fs::remove_dir_all(&sim.path);
                }
                return Err(e);
            }
        };
    // The run is stored; its index file can be rebuilt from its fitted reports if this fails.
    index::adopt_run_index(&sim.path, store.dir(), run_id, sampled)?;
    lap("saving", &mut timings);
    timings.total = started.elapsed().as_secs_f64();
    runs::update_timings(store, run_id, &timings)?;
    // The map the window opens on, built now so that opening the project reads one file
    // (after the timings, which its header carries; its own time shows only as a stage in
    // the job's progress). The run stands without it: a map that fails here is built when
    // first asked for.
    progress.set_phase("map");
    let _ = super::map::write_map_file(store, run_id);
    Ok(RunSummary {
        run: load_run(store, run_id)?,
        clusters: runs::clusters_of(store, run_id)?,
        cancelled: false,
    })
}

/// The reports the run is fitted on: all of them, or a seeded sample (`fit_sample`).
struct Fit<'a> {
    positions: Vec<usize>,
    total: usize,
    ids: Vec<i64>,
    data: std::borrow::Cow<'a, [f32]>,
}

impl<'a> Fit<'a> {
    fn choose(ids: &[i64], data: &'a [f32], dim: usize, options: &AnalyseOptions) -> Fit<'a> {
        let positions = fit_sample::fit_positions(ids, options.fit_sample, options.seed);
        let all = positions.len() == ids.len();
        Fit {
            ids: positions.iter().map(|&p| ids[p]).collect(),
            data: if all {
                std::borrow::Cow::Borrowed(data)
            } else {
                positions
                    .iter()
                    .flat_map(|&p| data[p * dim..(p + 1) * dim].iter().copied())
                    .collect()
            },
            positions,
            total: ids.len(),
        }
    }

    fn sampled(&self) -> bool {
        self.positions.len() < self.total
    }

    /// Which rows were fitted.
    fn is_fitted(&self) -> Vec<bool> {
        let mut fitted = vec![false; self.total];
        for &p in &self.positions {
            fitted[p] = true;
        }
        fitted
    }

    /// Positions of the reports not fitted, in order.
    fn rest_positions(&self) -> Vec<usize> {
        self.is_fitted()
            .iter()
            .enumerate()
            .filter(|(_, &f)| !f)
            .map(|(p, _)| p)
            .collect()
    }

    /// Labels and map positions of all reports, from the fitted ones' and the rest's.
    fn merge(
        &self,
        fit_labels: &[i64],
        fit_map: &[f32],
        rest_labels: &[i64],
        rest_map: &[f32],
    ) -> (Vec<i64>, Vec<f32>) {
        let (mut labels, mut map) = (
            Vec::with_capacity(self.total),
            Vec::with_capacity(self.total * 2),
        );
        let (mut f, mut r) = (0usize, 0usize);
        for fitted in self.is_fitted() {
            if fitted {
                labels.push(fit_labels[f]);
                map.extend_from_slice(&fit_map[f * 2..f * 2 + 2]);
                f += 1;
            } else {
                labels.push(rest_labels[r]);
                map.extend_from_slice(&rest_map[r * 2..r * 2 + 2]);
                r += 1;
            }
        }
        (labels, map)
    }

    /// Per report: Some(its reach) when fitted, None when assigned.
    fn spread(&self, reach: &[f32]) -> Vec<Option<f32>> {
        let mut out = vec![None; self.total];
        for (&p, &r) in self.positions.iter().zip(reach) {
            out[p] = Some(r);
        }
        out
    }
}

/// UMAP's neighbourhood when left to the app (0): about one in 500 of the fitted reports,
/// from 15 (BERTopic's and umap-learn's default, where the benchmark's corpora of a few
/// thousand documents were measured) to 50. A fixed 15 sees an ever smaller share of the
/// data as it grows, so its clusters split into fragments and leave more reports as noise.
/// Measured with `bench quality --also hdbscan@N` (V-measure / ARI, 15 against N):
/// the demo's 20,000 reports .780/.492 against .797/.540 at 40 and .819/.605 at 50; HPO's
/// 10,563 definitions .588/.233 against .613/.333 at 20 and .609/.332 at 40; 20 Newsgroups'
/// 7,528 posts .642/.401 against .638/.289 at 20 (10 clusters instead of 27: related groups
/// merge), which is why the share is one in 500 (15 there) rather than one in 400 (19).
/// At 4,000 documents 30 or 50 helped some corpora and hurt others (HPO's ARI fell by
/// 0.07-0.09), so the neighbourhood grows with the data rather than starting larger. The
/// cap keeps the graph's cost (linear in the neighbours) in bounds at the fit sample's
/// 150,000 reports.
pub(super) fn neighbours_for(asked: usize, fitted: usize) -> usize {
    if asked > 0 {
        return asked;
    }
    (fitted as f64 / NEIGHBOURS_SHARE).round().clamp(MIN_NEIGHBOURS as f64, MAX_NEIGHBOURS as f64) as usize
}

const NEIGHBOURS_SHARE: f64 = 500.0;
const MIN_NEIGHBOURS: usize = 15;
const MAX_NEIGHBOURS: usize = 50;

fn validate(options: &AnalyseOptions) -> Result<(), ClusterError> {
    if options.n_neighbors == 1 {
        return Err(ClusterError::Invalid(
            "n_neighbors must be 0 (chosen for the data) or at least 2".into(),
        ));
    }
    if let Method::Hdbscan { reduce_to, .. } = options.method {
        if !(2..=umap::MAX_COMPONENTS).contains(&reduce_to) {
            return Err(ClusterError::Invalid(format!(
                "HDBSCAN's UMAP reduction needs 2 to {} dimensions, not {reduce_to}",
                umap::MAX_COMPONENTS
            )));
        }
    }
    Ok(())
}

/// The 2-d map and the reduction HDBSCAN clusters (`reduce_to` dimensions; none for
/// k-means), both from the same PCA start. They are independent, so they run on two
/// threads; the map reports progress.
fn layout(
    graph: &umap::FuzzyGraph,
    data: &[f32],
    dim: usize,
    options: &AnalyseOptions,
    progress: &dyn Progress,
) -> Result<(Vec<f32>, Option<Vec<f32>>), ClusterError> {
    let n = data.len() / dim.max(1);
    let reduce_to = match options.method {
        Method::Hdbscan { reduce_to, .. } => reduce_to,
        Method::Kmeans { .. } => 2,
    };
    let init = umap::pca_init(data, n, dim, reduce_to)?;
    let map_params = map_layout(options.seed);
    let reduce_params = LayoutParams {
        n_components: reduce_to,
        min_dist: 0.0,
        seed: options.seed ^ 0x5EED,
        ..LayoutParams::default()
    };
    let mut map: Vec<f32> = init
        .chunks_exact(reduce_to)
        .flat_map(|r| [r[0], r[1]])
        .collect();
    let mut reduced = init;
    let needs_reduction = matches!(options.method, Method::Hdbscan { .. });
    std::thread::scope(|scope| {
        let worker = needs_reduction.then(|| {
            scope.spawn(|| umap::optimise(graph, &mut reduced, &reduce_params, |_, _| {}))
        });
        umap::optimise(graph, &mut map, &map_params, |done, total| {
            progress.set_total(total as u64);
            progress.set_position(done as u64);
        });
        if let Some(w) = worker {
            let _ = w.join();
        }
    });
    Ok((map, needs_reduction.then_some(reduced)))
}

/// Cluster labels (0.. and NOISE) of every fitted report: HDBSCAN on the reduction, or
/// k-means on the vectors themselves. With HDBSCAN's minimum cluster size left at 0, it is
/// chosen (`granularity`), and the choice comes back with the labels.
///
/// On a sample holding `share` of the reports, the minimum cluster size (a count of reports
/// in the whole dataset) is scaled by the share, so a group that would count at full size
/// still counts in the sample. `min_samples`, the neighbourhood the density estimate
/// averages over, is a count of fitted neighbours and is not scaled: it stays at the
/// unscaled minimum cluster size unless given. Scaling it too left HDBSCAN's density
/// estimate resting on a dozen neighbours and split clusters into fragments (measured on
/// the demo's 20,000 reports with a sample of 8,000: 140 clusters and ARI 0.26 against the
/// hidden types, against 99-107 clusters and 0.44-0.48 when fitting all, and 43 clusters
/// and 0.56 with it unscaled).
fn cluster_labels(
    data: &[f32],
    dim: usize,
    reduced: Option<Vec<f32>>,
    options: &AnalyseOptions,
    share: f64,
    previous_size: Option<usize>,
) -> Result<(Vec<i32>, Option<Granularity>), ClusterError> {
    let n = data.len() / dim.max(1);
    Ok(match (options.method, reduced) {
        (Method::Hdbscan { min_cluster_size: 0, min_samples, reduce_to }, Some(reduced)) => {
            let (labels, choice) = granularity::choose(&reduced, n, reduce_to, min_samples, share, previous_size)?;
            (labels, Some(choice))
        }
        (
            Method::Hdbscan {
                min_cluster_size,
                min_samples,
                reduce_to,
            },
            Some(reduced),
        ) => {
            let params = if share < 1.0 {
                HdbscanParams {
                    min_cluster_size: scaled(min_cluster_size, share),
                    min_samples: Some(min_samples.unwrap_or(min_cluster_size)),
                }
            } else {
                HdbscanParams {
                    min_cluster_size,
                    min_samples,
                }
            };
            (ml::cluster::hdbscan(&reduced, n, reduce_to, &params)?, None)
        }
        (Method::Kmeans { k }, _) => (ml::cluster::kmeans(data, n, dim, k, options.seed)?.0, None),
        (Method::Hdbscan { .. }, None) => {
            return Err(ClusterError::Invalid("HDBSCAN needs its reduction".into()))
        }
    })
}

/// The smallest minimum cluster size a sample is fitted with when a size is given.
const MIN_FIT_CLUSTER_SIZE: usize = 15;

fn scaled(size: usize, share: f64) -> usize {
    if share >= 1.0 {
        return size;
    }
    ((size as f64 * share).round() as usize).max(MIN_FIT_CLUSTER_SIZE.min(size))
}

/// Stable cluster ids: by overlap with the previous run of the same model and method (its
/// ids carried over, new ones never reused), or by size on a first run.
fn stable_ids(
    store: &Store,
    record: &ModelRecord,
    options: &AnalyseOptions,
    parent: Option<&RunRecord>,
    ids: &[i64],
    labels: &[i64],
) -> Result<Vec<i64>, ClusterError> {
    let previous = match parent {
        Some(run) => Some((
            runs::effective_assignments(store, run.id)?,
            runs::max_cluster_id(store, record.id, options.method.name())?,
        )),
        None => None,
    };
    let labels: Vec<i32> = labels.iter().map(|&l| l as i32).collect();
    Ok(ids::assign_ids(
        ids,
        &labels,
        previous.as_ref().map(|(p, m)| (p.as_slice(), *m)),
    ))
}

/// sha256 over the incident ids and the exact vector bytes the run clustered.
fn dataset_digest(ids: &[i64], data: &[f32]) -> String {
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.to_le_bytes());
    }
    for chunk in data.chunks(1 << 16) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        hasher.update(&bytes);
    }
    crate::digest::hex(&hasher.finalize())
}

impl RunRecord {
    fn cancelled(model: &str, timings: Timings) -> RunRecord {
        RunRecord {
            id: 0,
            model: model.to_string(),
            timings,
            ..RunRecord::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_scale_with_the_fitted_reports_between_15_and_50_unless_given() {
        assert_eq!(neighbours_for(0, 300), 15);
        assert_eq!(neighbours_for(0, 7_528), 15);
        assert_eq!(neighbours_for(0, 10_563), 21);
        assert_eq!(neighbours_for(0, 20_000), 40);
        assert_eq!(neighbours_for(0, 25_000), 50);
        assert_eq!(neighbours_for(0, 150_000), 50);
        assert_eq!(neighbours_for(30, 20_000), 30);
        let mut options = AnalyseOptions::new("m", Method::Kmeans { k: 3 });
        options.n_neighbors = 1;
        assert!(validate(&options).is_err());
        options.n_neighbors = 0;
        assert!(validate(&options).is_ok());
    }
}
