//! What stops an import as a whole (bad rows are not errors: they go to the report).

use super::mapping::MappingError;
use crate::store::StoreError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot parse {} as CSV: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{} has no header row", .0.display())]
    EmptyFile(PathBuf),
    #[error("{}: the row starting on line {line} is longer than {limit_mib} MiB (an unterminated quote, or no line breaks?); nothing was imported", path.display())]
    RowTooLong { path: PathBuf, line: u64, limit_mib: u64 },
    #[error("{}: line {line} brings the file to {columns} columns, more than {limit}; nothing was imported", path.display())]
    TooManyColumns { path: PathBuf, line: u64, columns: usize, limit: usize },
    #[error("column mapping for {}: {source}", path.display())]
    Mapping { path: PathBuf, source: MappingError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}
