//! What only the benchmarks need (compiled with the `bench` feature, which the CLI turns on
//! for `incident-atlas bench`): an in-memory multi-threaded index to measure search
//! against, a reset of a scratch project's derived data so every analysis counts its index
//! build, the demo generator's hidden types to score clusters against, and the model-level
//! pieces a training-throughput benchmark drives directly. The app never links this.

use crate::store::{Store, StoreError};
use std::collections::HashMap;

pub use crate::index::MemoryIndex;
pub use ml::device::best_device;
pub use ml::finetune::{FinetuneConfig, Finetuner, Objective};
pub use ml::rng::SplitMix64;

/// Forgets every cluster run and index of a scratch benchmark project (rows and files), so
/// the next analysis builds its index from nothing. Never meant for a reviewer's project:
/// runs are the history that cluster ids and triage decisions hang on.
pub fn reset_analysis(store: &Store) -> Result<(), StoreError> {
    store
        .conn()
        .execute_batch("DELETE FROM cluster_runs; DELETE FROM vector_indexes;")
        .map_err(|e| store.err(e))?;
    // A folder that cannot be removed only means the next build replaces its files.
    let _ = std::fs::remove_dir_all(crate::index::index_dir(store.dir()));
    Ok(())
}

/// The generator's hidden incident type of every report (`extra.ground_truth_type`; empty
/// where a report has none), by incident row id.
pub fn hidden_types(store: &Store) -> Result<HashMap<i64, String>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, json_extract(extra, '$.ground_truth_type') FROM incidents")
        .map_err(|e| store.err(e))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?.unwrap_or_default())))
        .map_err(|e| store.err(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.err(e))
}

/// The descriptions of `ids`, in that order.
pub fn descriptions(store: &Store, ids: &[i64]) -> Result<Vec<String>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT description FROM incidents WHERE id = ?1")
        .map_err(|e| store.err(e))?;
    ids.iter()
        .map(|id| stmt.query_row([id], |r| r.get::<_, String>(0)).map_err(|e| store.err(e)))
        .collect()
}

/// Every report's description, in id order.
pub fn all_texts(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT description FROM incidents ORDER BY id")
        .map_err(|e| store.err(e))?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| store.err(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.err(e))
}
