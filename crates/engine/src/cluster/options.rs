//! What a run is asked to do and what it reports: method and options, per-stage timings,
//! and what can go wrong.

use crate::index::IndexError;
use crate::store::StoreError;
use ml::cluster::NOISE;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
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
        /// 0: chosen for the data by the analysis (see `granularity`).
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
    /// The method a front end names: `hdbscan` (its minimum cluster size chosen from the
    /// data when absent or 0) or `kmeans`, which needs `k`.
    pub fn parse(
        name: &str,
        k: Option<usize>,
        min_cluster_size: Option<usize>,
    ) -> Result<Method, ClusterError> {
        match (name, k) {
            ("hdbscan", _) => Ok(Method::Hdbscan {
                min_cluster_size: min_cluster_size.unwrap_or(0),
                min_samples: None,
                reduce_to: 5,
            }),
            ("kmeans", Some(k)) if k >= 2 => Ok(Method::Kmeans { k }),
            ("kmeans", _) => Err(ClusterError::Invalid(
                "k-means needs k, the number of clusters (2 or more)".into(),
            )),
            (other, _) => Err(ClusterError::Invalid(format!(
                "unknown method {other:?}; use hdbscan or kmeans"
            ))),
        }
    }

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
    /// UMAP's n_neighbors (the point itself included, as umap-learn counts); 0 leaves it
    /// to the analysis, which scales it with the reports fitted and records what it used.
    pub n_neighbors: usize,
    pub keywords: usize,
    pub representatives: usize,
    /// The most reports UMAP and HDBSCAN are fitted on: with more, a seeded sample of this
    /// many is fitted and every other report assigned by a vote of its nearest fitted
    /// reports (0: fit on all). Runs stored before this option fitted on all.
    #[serde(default)]
    pub fit_sample: usize,
    /// Why the run clusters `model` (engine::representation chooses when no model is
    /// named); absent in runs stored before the choice was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representation: Option<RepresentationChoice>,
}

/// Why a run clusters the model it does: recorded in the run and shown with it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RepresentationChoice {
    /// "asked" (named by whoever started the analysis), "evaluation" (the project's own
    /// evaluation prefers it), "benchmark" (measured best across the public benchmark
    /// corpora) or "only" (the one model with vectors).
    pub chosen_by: String,
    /// What decided it, in a sentence or two for the reviewer.
    pub reason: String,
    /// The evaluation that decided it or that prefers another model.
    pub evaluation_id: Option<i64>,
}

/// Reports fitted at most by default: UMAP and HDBSCAN on 150,000 take about two minutes
/// on two cores, and assigning the rest costs a search and a short layout step each.
pub const DEFAULT_FIT_SAMPLE: usize = 150_000;

impl AnalyseOptions {
    pub fn hdbscan(model: &str, min_cluster_size: usize) -> AnalyseOptions {
        AnalyseOptions::new(
            model,
            Method::Hdbscan {
                min_cluster_size,
                min_samples: None,
                reduce_to: 5,
            },
        )
    }

    /// `method` on `model` with every other setting at its default.
    pub fn new(model: &str, method: Method) -> AnalyseOptions {
        AnalyseOptions {
            model: model.to_string(),
            method,
            seed: crate::DEFAULT_SEED,
            n_neighbors: 0,
            keywords: 8,
            representatives: 5,
            fit_sample: DEFAULT_FIT_SAMPLE,
            representation: None,
        }
    }
}

/// Seconds per stage, and the peak resident memory after each (where the OS reports it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Timings {
    pub stages: Vec<(String, f64)>,
    pub total: f64,
}

/// UMAP settings of the 2-d map, shared by the fit and by reports placed into it later.
pub(super) fn map_layout(seed: u64) -> ml::umap::LayoutParams {
    ml::umap::LayoutParams {
        n_components: 2,
        min_dist: 0.1,
        seed,
        ..ml::umap::LayoutParams::default()
    }
}

/// HDBSCAN noise, as stored.
pub const NOISE_CLUSTER: i64 = NOISE as i64;
