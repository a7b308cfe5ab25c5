//! Cluster runs: group one model's vectors (HDBSCAN on a 5-d UMAP reduction, as BERTopic
//! does, or k-means on the vectors), lay out the 2-d cluster map by UMAP, name clusters by
//! c-TF-IDF keywords and pick the reports nearest each centroid. Every run is stored with
//! its parameters, seed, model and the sha256 of its input vectors, and re-running on the
//! same inputs gives the same clusters with the same ids.

mod edits;
mod ids;
pub mod keywords;
mod runs;
pub(crate) use runs::run_lineage;

pub use edits::{merge_clusters, split_cluster, EditOutcome, SplitHow};
pub use runs::{
    cluster_members, list_runs, load_run, run_clusters, ClusterRow, MemberRow, RunRecord,
};

use crate::index::{self, IndexError};
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, StoreError, TextFields};
use ml::cluster::{HdbscanParams, NOISE};
use ml::umap::{self, LayoutParams};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Algorithm(#[from] ml::MlError),
    #[error("no cluster run {0} in this project; `incident-atlas clusters --runs` lists them")]
    UnknownRun(i64),
    #[error("run {run} has no active cluster {cluster}")]
    UnknownCluster { run: i64, cluster: i64 },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Method {
    Hdbscan {
        /// 0: chosen from the number of reports (see `auto_min_cluster_size`).
        min_cluster_size: usize,
        min_samples: Option<usize>,
        /// Dimensions of the UMAP reduction HDBSCAN runs on.
        reduce_to: usize,
    },
    Kmeans {
        k: usize,
    },
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::Hdbscan { .. } => "hdbscan",
            Method::Kmeans { .. } => "kmeans",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AnalyseOptions {
    pub model: String,
    pub method: Method,
    pub seed: u64,
    /// UMAP's n_neighbors (the point itself included, as umap-learn counts).
    pub n_neighbors: usize,
    pub keywords: usize,
    pub representatives: usize,
}

impl AnalyseOptions {
    pub fn hdbscan(model: &str, min_cluster_size: usize) -> AnalyseOptions {
        AnalyseOptions {
            model: model.to_string(),
            method: Method::Hdbscan {
                min_cluster_size,
                min_samples: None,
                reduce_to: 5,
            },
            seed: 42,
            n_neighbors: 15,
            keywords: 8,
            representatives: 5,
        }
    }
}

/// Seconds per stage, and the peak resident memory after each (where the OS reports it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub stages: Vec<(String, f64)>,
    pub total: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run: RunRecord,
    pub clusters: Vec<ClusterRow>,
    pub cancelled: bool,
}

/// The smallest cluster worth a reviewer's look, for `n` reports: one in 500, at least 15
/// and at most 100. On the 20,000 demo reports that is 40 (about 190 clusters; 15 gives
/// about 480 fragments of the same 27 incident types), and a spike of 150 reports stays
/// detectable at any size.
pub fn auto_min_cluster_size(n: usize) -> usize {
    (n / 500).clamp(15, 100)
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
    let (n, dim) = (ids.len(), record.dimension);
    let dataset_sha256 = dataset_digest(&ids, &data);
    // The run records the parameters it actually used.
    let mut options = options.clone();
    if let Method::Hdbscan {
        min_cluster_size, ..
    } = &mut options.method
    {
        if *min_cluster_size == 0 {
            *min_cluster_size = auto_min_cluster_size(n);
        }
    }
    let options = &options;
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

    // The map and the clustering reduction are independent: run them on two threads.
    progress.set_phase("layout");
    let reduce_to = match options.method {
        Method::Hdbscan { reduce_to, .. } => reduce_to,
        Method::Kmeans { .. } => 2,
    };
    let init = umap::pca_init(&data, n, dim, reduce_to)?;
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
        let graph = &graph;
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
    drop(graph);
    lap("layout", &mut timings);
    if cancel.is_cancelled() {
        return cancelled(&timings);
    }

    progress.set_phase("clustering");
    let labels = match options.method {
        Method::Hdbscan {
            min_cluster_size,
            min_samples,
            ..
        } => ml::cluster::hdbscan(
            &reduced,
            n,
            reduce_to,
            &HdbscanParams {
                min_cluster_size,
                min_samples,
            },
        )?,
        Method::Kmeans { k } => ml::cluster::kmeans(&data, n, dim, k, options.seed)?.0,
    };
    drop(reduced);
    let parent = runs::latest_run(store, record.id, options.method.name())?;
    let previous = match &parent {
        Some(run) => Some((
            runs::effective_assignments(store, run.id)?,
            runs::max_cluster_id(store, record.id, options.method.name())?,
        )),
        None => None,
    };
    let stable = ids::assign_ids(
        &ids,
        &labels,
        previous.as_ref().map(|(p, m)| (p.as_slice(), *m)),
    );
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
    let run = load_run(store, run_id)?;
    let clusters = runs::clusters_of(store, run_id)?;
    Ok(RunSummary {
        run,
        clusters,
        cancelled: false,
    })
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

/// What a cluster shows: size, keywords, representative incidents, and its map position.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    pub cluster: i64,
    pub size: usize,
    pub keywords: Vec<String>,
    pub representatives: Vec<i64>,
    pub x: f32,
    pub y: f32,
}

/// Keywords (c-TF-IDF over all clusters), the reports closest to each centroid (cosine on
/// the model's vectors) and the mean map position of each cluster in `assignment`.
pub(crate) fn describe_clusters(
    ids: &[i64],
    data: &[f32],
    dim: usize,
    map: &[f32],
    assignment: &[i64],
    texts: &[String],
    options: &AnalyseOptions,
) -> Result<Vec<Described>, ClusterError> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let keywords = keywords::c_tf_idf(&refs, assignment, options.keywords, 3);
    // Rows of each cluster, gathered in one pass.
    let mut rows_of: std::collections::HashMap<i64, Vec<usize>> = std::collections::HashMap::new();
    for (i, &c) in assignment.iter().enumerate() {
        if c >= 0 {
            rows_of.entry(c).or_default().push(i);
        }
    }
    let mut out = Vec::with_capacity(keywords.len());
    for (cluster, words) in keywords {
        let members = rows_of.remove(&cluster).unwrap_or_default();
        let mut centroid = vec![0.0f32; dim];
        let (mut x, mut y) = (0.0f64, 0.0f64);
        for &i in &members {
            for (c, v) in centroid.iter_mut().zip(&data[i * dim..(i + 1) * dim]) {
                *c += v;
            }
            x += map[i * 2] as f64;
            y += map[i * 2 + 1] as f64;
        }
        let norm = centroid
            .iter()
            .map(|v| v * v)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        centroid.iter_mut().for_each(|v| *v /= norm);
        let mut by_closeness: Vec<(f32, i64)> = members
            .iter()
            .map(|&i| {
                let sim: f32 = data[i * dim..(i + 1) * dim]
                    .iter()
                    .zip(&centroid)
                    .map(|(a, b)| a * b)
                    .sum();
                (-sim, ids[i])
            })
            .collect();
        by_closeness.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let count = members.len().max(1) as f64;
        out.push(Described {
            cluster,
            size: members.len(),
            keywords: words,
            representatives: by_closeness
                .iter()
                .take(options.representatives)
                .map(|p| p.1)
                .collect(),
            x: (x / count) as f32,
            y: (y / count) as f32,
        });
    }
    Ok(out)
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

/// HDBSCAN noise, as stored.
pub const NOISE_CLUSTER: i64 = NOISE as i64;
