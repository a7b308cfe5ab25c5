//! What can go wrong training a model.

use crate::store::StoreError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Invalid(String),
    #[error("training cancelled; the last checkpoint is kept in {}, and training again resumes from it", .0.display())]
    Cancelled(PathBuf),
    #[error("model {name}: {source}")]
    Model { name: String, source: ml::MlError },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("loss chart: {0}")]
    Chart(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
