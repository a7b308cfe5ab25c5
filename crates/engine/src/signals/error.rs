//! What can go wrong finding signals: a bad request or series, a file that cannot be
//! read, or an error from the run and store it reads.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}
