//! What can go wrong choosing, loading or running an encoder.

use crate::store::StoreError;
use ml::MlError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("no model {spec:?}; known models: {known}; or give the path of a model folder")]
    UnknownModel { spec: String, known: String },
    #[error("no installed model named {name:?}; choose one of: {known}")]
    NotInstalled { name: String, known: String },
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
    #[error(
        "model {name:?}'s vectors were made with the boilerplate model {stored}, but {} is {current}; \
         encoding more would mix texts. Restore the file, or encode into a new model name"
    , path.display())]
    BoilerplateChanged {
        name: String,
        path: PathBuf,
        stored: String,
        current: String,
    },
    #[error("{} is not a model folder: {reason}", dir.display())]
    NotAModel { dir: PathBuf, reason: String },
    #[error("batch_size must be at least 1")]
    BatchSize,
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

