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

/// The generator's injected outbreak of every report that belongs to one
/// (`extra.ground_truth_outbreak`), by incident row id.
pub fn hidden_outbreaks(store: &Store) -> Result<HashMap<i64, String>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, json_extract(extra, '$.ground_truth_outbreak') FROM incidents
             WHERE coalesce(json_extract(extra, '$.ground_truth_outbreak'), '') <> ''",
        )
        .map_err(|e| store.err(e))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(|e| store.err(e))?;
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

/// A hybrid representation for measuring (`bench quality --hybrid W`): each report's
/// vectors of the `parts` models, each scaled to unit length and by the square root of its
/// weight, side by side, so the cosine of two hybrid vectors is the weighted mean of the
/// parts' cosines. Stored as model `name` (kind 'trained': the store's kinds; nothing
/// encodes queries with it) with the first part's provenance, whose boilerplate it read,
/// for reports every part has a vector for.
pub fn store_hybrid(store: &mut Store, name: &str, parts: &[(&str, f32)]) -> Result<usize, StoreError> {
    use crate::store::vectors;
    let mut loaded = Vec::new();
    for (part, weight) in parts {
        let record = vectors::find_model(store.conn(), part)
            .map_err(|e| store.err(e))?
            .ok_or_else(|| store.err(rusqlite::Error::QueryReturnedNoRows))?;
        let (ids, data) = vectors::load_vectors(store.conn(), record.id, record.dimension).map_err(|e| store.err(e))?;
        let rows: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        loaded.push((record, rows, data, weight.max(0.0).sqrt()));
    }
    let Some((first, first_rows, _, _)) = loaded.first() else { return Ok(0) };
    let dimension: usize = loaded.iter().map(|(r, ..)| r.dimension).sum();
    let mut ids: Vec<i64> = first_rows.keys().copied().filter(|id| loaded.iter().all(|(_, rows, ..)| rows.contains_key(id))).collect();
    ids.sort_unstable();
    let rows: Vec<(i64, Vec<f32>)> = ids
        .iter()
        .map(|id| {
            let mut v = Vec::with_capacity(dimension);
            for (record, rows, data, scale) in &loaded {
                let part = &data[rows[id] * record.dimension..(rows[id] + 1) * record.dimension];
                let norm = part.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
                v.extend(part.iter().map(|x| x / norm * scale));
            }
            (*id, v)
        })
        .collect();
    let mut provenance = first.provenance.clone();
    if let Some(o) = provenance.as_object_mut() {
        let listed: Vec<_> = parts.iter().map(|(m, w)| serde_json::json!({"model": m, "weight": w})).collect();
        o.insert("hybrid".into(), listed.into());
    }
    let fields = crate::store::TextFields::parse(&first.text_fields).unwrap_or(crate::store::TextFields::Description);
    let tx = store.conn().unchecked_transaction().map_err(|e| store.err(e))?;
    let id = vectors::insert_model(&tx, name, "trained", fields, dimension, &provenance, &crate::clock::now()).map_err(|e| store.err(e))?;
    vectors::insert_vectors(&tx, id, &rows).map_err(|e| store.err(e))?;
    tx.commit().map_err(|e| store.err(e))?;
    Ok(rows.len())
}
