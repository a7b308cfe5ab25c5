//! What can go wrong choosing, loading or running an encoder.

use crate::store::StoreError;
use ml::MlError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("no model {spec:?}; known models: {known}; or give the path of a model folder")]
    UnknownModel { spec: String, known: String },
    #[error(
        "model {name:?} already has vectors in this project from other weights ({stored} vs {current}); \
         give the new weights another folder name"
    )]
    WeightsChanged {
        name: String,
        stored: String,
        current: String,
    },
    #[error(
        "model {name:?} already has {stored} vectors in this project; encoding more in {requested} \
         would mix precisions. Leave --precision at auto (it follows the stored vectors) or \
         encode into a copy of the model folder under another name"
    )]
    PrecisionChanged {
        name: String,
        stored: ml::quant::Precision,
        requested: ml::quant::Precision,
    },
    #[error("{} is not a model folder: {reason}", dir.display())]
    NotAModel { dir: PathBuf, reason: String },
    #[error("threads must be at least 1 (got {0})")]
    Threads(usize),
    #[error("cannot start {threads} encoder threads: {reason}")]
    ThreadPool { threads: usize, reason: String },
    #[error("the project has no incidents to fit {0} on; import some first")]
    EmptyCorpus(String),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model {name}: {source}")]
    Model { name: String, source: MlError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why vectors made elsewhere (a Spark job) were not imported. Nothing is imported when
/// any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum VectorImportError {
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
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
