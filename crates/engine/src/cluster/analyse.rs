//! One analysis from vectors to a stored run: index, kNN graph, UMAP, HDBSCAN or k-means,
//! keywords and representatives, in that order, with progress and cancellation.

use super::describe::describe_clusters;
use super::ids;
use super::options::{auto_min_cluster_size, AnalyseOptions, ClusterError, Method, Timings};
use super::runs::{self, load_run, ClusterRow, RunRecord};
use crate::index;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, ModelRecord, Store, TextFields};
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

/// Stage names as reported to Progress, in order.
pub const STAGES: &[&str] = &[
    "index",
    "neighbours",
    "layout",
    "clustering",
    "keywords",
    "saving",
];

/// Runs the whole analysis for one model and stores it as a new run.
pub fn analyse(
    store: &mut Store,
    options: &AnalyseOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<RunSummary, ClusterError> {
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

    progress.set_phase("index");
    index::update_index(
        store,
        &options.model,
        &index::stored_options(store, &options.model)?,
        progress,
        cancel,
    )?;
    let sim = index::open_index(store, &options.model)?;
    let record = sim.model.clone();
    let (ids, data) = vectors::load_vectors(store.conn(), record.id, record.dimension)
        .map_err(|e| store.err(e))?;
    let dim = record.dimension;
    let dataset_sha256 = dataset_digest(&ids, &data);
    let options = &with_sizes_decided(options, ids.len());
    lap("index", &mut timings);
    let cancelled = |timings: &Timings| {
        Ok(RunSummary {
            run: RunRecord::cancelled(&options.model, timings.clone()),
            clusters: Vec::new(),
            cancelled: true,
        })
    };

    progress.set_phase("neighbours");
    let Some(knn) = index::knn_graph(&sim, &ids, &data, options.n_neighbors - 1, progress, cancel)?
    else {
        return cancelled(&timings);
    };
    let graph = umap::fuzzy_graph(&knn);
    drop(knn);
    lap("neighbours", &mut timings);

    progress.set_phase("layout");
    let (map, reduced) = layout(&graph, &data, dim, options, progress)?;
    drop(graph);
    lap("layout", &mut timings);
    if cancel.is_cancelled() {
        return cancelled(&timings);
    }

    progress.set_phase("clustering");
    let labels = cluster_labels(&data, dim, reduced, options)?;
    let parent = runs::latest_run(store, record.id, options.method.name())?;
    let stable = stable_ids(store, &record, options, parent.as_ref(), &ids, &labels)?;
    lap("clustering", &mut timings);

    progress.set_phase("keywords");
    let fields = TextFields::parse(&record.text_fields).unwrap_or(TextFields::Description);
    let texts = runs::texts_for(store, &ids, fields)?;
    let described = describe_clusters(&ids, &data, dim, &map, &stable, &texts, options)?;
    lap("keywords", &mut timings);

    progress.set_phase("saving");
    timings.total = started.elapsed().as_secs_f64();
    let new_run = runs::NewRun {
        model_id: record.id,
        method: options.method.name(),
        params: serde_json::to_value(options).unwrap_or_default(),
        seed: options.seed,
        dataset_sha256,
        index_sha256: sim.file_sha256.clone(),
        parent_run_id: parent.as_ref().map(|r| r.id),
        timings: timings.clone(),
    };
    let run_id = runs::insert_run(store, &new_run, &ids, &stable, &map, &described)?;
    lap("saving", &mut timings);
    timings.total = started.elapsed().as_secs_f64();
    runs::update_timings(store, run_id, &timings)?;
    Ok(RunSummary {
        run: load_run(store, run_id)?,
        clusters: runs::clusters_of(store, run_id)?,
        cancelled: false,
    })
}

fn validate(options: &AnalyseOptions) -> Result<(), ClusterError> {
    if options.n_neighbors < 2 {
        return Err(ClusterError::Invalid(
            "n_neighbors must be at least 2".into(),
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

/// The options with HDBSCAN's minimum cluster size chosen from `n` when left at 0: the
/// run records the parameters it actually used.
fn with_sizes_decided(options: &AnalyseOptions, n: usize) -> AnalyseOptions {
    let mut options = options.clone();
    if let Method::Hdbscan {
        min_cluster_size, ..
    } = &mut options.method
    {
        if *min_cluster_size == 0 {
            *min_cluster_size = auto_min_cluster_size(n);
        }
    }
    options
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
    let map_params = LayoutParams {
        n_components: 2,
        min_dist: 0.1,
        seed: options.seed,
        ..LayoutParams::default()
    };
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

/// Cluster labels (0.. and NOISE) of every report: HDBSCAN on the reduction, or k-means on
/// the vectors themselves.
fn cluster_labels(
    data: &[f32],
    dim: usize,
    reduced: Option<Vec<f32>>,
    options: &AnalyseOptions,
) -> Result<Vec<i32>, ClusterError> {
    let n = data.len() / dim.max(1);
    Ok(match (options.method, reduced) {
        (
            Method::Hdbscan {
                min_cluster_size,
                min_samples,
                reduce_to,
            },
            Some(reduced),
        ) => ml::cluster::hdbscan(
            &reduced,
            n,
            reduce_to,
            &HdbscanParams {
                min_cluster_size,
                min_samples,
            },
        )?,
        (Method::Kmeans { k }, _) => ml::cluster::kmeans(data, n, dim, k, options.seed)?.0,
        (Method::Hdbscan { .. }, None) => {
            return Err(ClusterError::Invalid("HDBSCAN needs its reduction".into()))
        }
    })
}

/// Stable cluster ids: by overlap with the previous run of the same model and method (its
/// ids carried over, new ones never reused), or by size on a first run.
fn stable_ids(
    store: &Store,
    record: &ModelRecord,
    options: &AnalyseOptions,
    parent: Option<&RunRecord>,
    ids: &[i64],
    labels: &[i32],
) -> Result<Vec<i64>, ClusterError> {
    let previous = match parent {
        Some(run) => Some((
            runs::effective_assignments(store, run.id)?,
            runs::max_cluster_id(store, record.id, options.method.name())?,
        )),
        None => None,
    };
    Ok(ids::assign_ids(
        ids,
        labels,
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
