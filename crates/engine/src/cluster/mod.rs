//! Cluster runs: group one model's vectors (HDBSCAN on a 5-d UMAP reduction, as BERTopic
//! does, or k-means on the vectors), lay out the 2-d cluster map by UMAP, name clusters by
//! c-TF-IDF keywords and pick the reports nearest each centroid. Every run is stored with
//! its parameters, seed, model and the sha256 of its input vectors, and re-running on the
//! same inputs gives the same clusters with the same ids.

mod add_reports;
mod analyse;
mod assign;
mod describe;
mod texts;
mod edits;
mod export;
mod fit_sample;
mod granularity;
mod ids;
mod noise;
pub mod keywords;
pub mod map;
mod options;
mod runs;
mod vote;
pub(crate) use runs::{last_edit, run_lineage};

pub use edits::{merge_clusters, split_cluster, EditOutcome, SplitHow};
pub use noise::{assign_noise, unassign_noise, NoiseOutcome, DEFAULT_NOISE_AGREEMENT};
pub use runs::{
    cluster_members, list_runs, load_run, newest_run_id, run_clusters, ClusterRow, MemberRow, RunRecord,
};

pub use add_reports::{assign_to_run, encode_and_assign, AssignReport};
pub use export::{export_run, Assignments, ExportManifest, ExportReport, ExportedRun};
pub use analyse::{analyse, RunSummary, STAGES};
pub use granularity::Granularity;
pub use options::{
    AnalyseOptions, ClusterError, Method, RepresentationChoice, Timings, DEFAULT_FIT_SAMPLE,
    NOISE_CLUSTER,
};

// Shared by the modules that write runs (a fresh analysis and an edit).
use describe::{describe_clusters, Described};
