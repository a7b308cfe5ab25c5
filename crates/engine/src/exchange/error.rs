//! What can go wrong exchanging vectors and indexes with a Spark cluster.

use crate::encode::EncodeError;
use crate::index::IndexError;
use crate::store::StoreError;
use std::path::PathBuf;

/// Why vectors or index shards made elsewhere (a Spark job) were not imported, or not
/// written. Nothing is imported when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error("{}: {reason}", path.display())]
    File { path: PathBuf, reason: String },
    #[error(
        "the vectors were made with other weights than the local model {model:?} \
         (file {file}, local {local}); ship this model folder with the job, or import under the model they came from"
    )]
    WeightsDiffer { model: String, file: String, local: String },
    #[error("the vectors have {file} values each; the local model {model:?} makes {local}")]
    Dimension { model: String, file: usize, local: usize },
    #[error("the vectors encode the {file} text fields; this import asked for {requested}")]
    TextFields { file: String, requested: String },
    #[error("{count} report(s) in the file are not in this project (e.g. {examples}); import the reports first")]
    UnknownReports { count: u64, examples: String },
    #[error("report {0:?} appears more than once in the file")]
    Duplicate(String),
    #[error("the vector of report {id:?} is unusable: {reason}")]
    BadVector { id: String, reason: String },
    #[error("{0} is not fitted in this project yet: encode with it here first, then ship models/{0} with the job")]
    NotFitted(String),
    #[error("the import was cancelled; nothing was imported")]
    Cancelled,
    #[error("the project has no vectors of {0:?} yet: import the job's vectors (`vectors import`) before its index")]
    NoVectors(String),
    #[error("the index shards hold {shards} reports; the project has {vectors} vectors of {model:?}: an index must cover every vector (write it from the same job's output)")]
    Coverage { model: String, shards: u64, vectors: u64 },
    #[error("report {id:?} has another vector in index shard {shard} than in the project (largest difference {difference:.2e})")]
    VectorDiffers { id: String, shard: String, difference: f32 },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
