//! The `vector_indexes` rows: which file holds a model's index and what it was built with.

use super::{IndexError, IndexOptions};
use crate::store::Store;
use rusqlite::OptionalExtension;
use std::path::Path;

pub(super) struct IndexRow {
    pub quantisation: String,
    pub connectivity: i64,
    pub size: i64,
    pub file_sha256: String,
}

pub(super) fn get(store: &Store, model_id: i64) -> Result<Option<IndexRow>, IndexError> {
    store
        .conn()
        .query_row(
            "SELECT quantisation, connectivity, size, file_sha256 FROM vector_indexes WHERE model_id = ?1",
            [model_id],
            |r| Ok(IndexRow { quantisation: r.get(0)?, connectivity: r.get(1)?, size: r.get(2)?, file_sha256: r.get(3)? }),
        )
        .optional()
        .map_err(|e| IndexError::Store(store.err(e)))
}

pub(super) fn put(
    store: &Store,
    model_id: i64,
    path: &Path,
    options: &IndexOptions,
    size: u64,
    sha: &str,
) -> Result<(), IndexError> {
    let now = crate::clock::now();
    // Stored relative to the project, so a moved project folder keeps its indexes.
    let relative = path
        .strip_prefix(store.dir())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    store
        .conn()
        .execute(
            "INSERT INTO vector_indexes (model_id, path, quantisation, connectivity, size, file_sha256, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (model_id) DO UPDATE SET path = excluded.path, quantisation = excluded.quantisation,
                 connectivity = excluded.connectivity, size = excluded.size, file_sha256 = excluded.file_sha256,
                 updated_at = excluded.updated_at",
            rusqlite::params![model_id, relative, options.quantisation.name(), options.connectivity as i64, size as i64, sha, now],
        )
        .map(|_| ())
        .map_err(|e| IndexError::Store(store.err(e)))
}
