//! Similar-incident and free-text search over a model's index, answered with the reports
//! themselves (external id, date, category, the start of the description).

use super::{open_index, IndexError, SimilarityIndex};
use crate::encode::{self, EncodeError};
use crate::store::Store;
use rusqlite::OptionalExtension;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("the query text is empty")]
    EmptyQuery,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hit {
    pub external_id: String,
    pub occurred_on: String,
    pub category: Option<String>,
    pub harm: Option<u8>,
    pub description: String,
    /// Cosine similarity, 1 for the same direction.
    pub similarity: f32,
}

pub(crate) fn hits(store: &Store, found: &[super::Neighbour]) -> Result<Vec<Hit>, IndexError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT external_id, occurred_on, category, harm, description FROM incidents WHERE id = ?1")
        .map_err(|e| store.err(e))?;
    let mut out = Vec::with_capacity(found.len());
    for n in found {
        let row = stmt
            .query_row([n.incident_id], |r| {
                Ok(Hit {
                    external_id: r.get(0)?,
                    occurred_on: r.get(1)?,
                    category: r.get(2)?,
                    harm: r.get(3)?,
                    description: r.get(4)?,
                    similarity: 1.0 - n.distance,
                })
            })
            .optional()
            .map_err(|e| store.err(e))?;
        // An index entry whose incident was removed is skipped, not an error.
        out.extend(row);
    }
    Ok(out)
}

/// The `k` reports most like the report `external_id`, itself left out.
pub fn similar(
    store: &Store,
    model: &str,
    external_id: &str,
    k: usize,
) -> Result<Vec<Hit>, IndexError> {
    let index = open_index(store, model)?;
    similar_in(store, &index, external_id, k)
}

pub fn similar_in(
    store: &Store,
    index: &SimilarityIndex,
    external_id: &str,
    k: usize,
) -> Result<Vec<Hit>, IndexError> {
    let id: i64 = store
        .conn()
        .query_row(
            "SELECT id FROM incidents WHERE external_id = ?1",
            [external_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| store.err(e))?
        .ok_or_else(|| IndexError::UnknownIncident(external_id.to_string()))?;
    let blob: Vec<u8> = store
        .conn()
        .query_row(
            "SELECT vector FROM vectors WHERE model_id = ?1 AND incident_id = ?2",
            [index.model.id, id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| store.err(e))?
        .ok_or_else(|| IndexError::NotEncoded {
            id: external_id.to_string(),
            model: index.model.name.clone(),
        })?;
    let query: Vec<f32> = blob
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut found = index.search(&query, k + 1)?;
    found.retain(|n| n.incident_id != id);
    found.truncate(k);
    hits(store, &found)
}

/// The `k` reports closest to free text, encoded by the same model as the index.
pub fn search_text(
    store: &Store,
    model: &str,
    text: &str,
    k: usize,
) -> Result<Vec<Hit>, QueryError> {
    if text.trim().is_empty() {
        return Err(QueryError::EmptyQuery);
    }
    let index = open_index(store, model)?;
    let encoder = encode::query_encoder(store, &index.model.name)?;
    let (vectors, _) =
        encoder
            .encode(&[text], &mut |_| {})
            .map_err(|source| EncodeError::Model {
                name: index.model.name.clone(),
                source,
            })?;
    let query = vectors.into_iter().next().unwrap_or_default();
    Ok(hits(store, &index.search(&query, k)?)?)
}
