//! Labelling sessions: a schema, a target set, a sampling strategy, a count, and how many
//! reviewers label each report (double coding, each blind to the others).

use super::people::{schema, Schema};
use super::sampling::Strategy;
use super::ReviewError;
use crate::fields::Filter;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    All,
    Cluster { run: i64, cluster: i64 },
    Filter { filter: Filter },
}

fn default_seed() -> u64 {
    crate::DEFAULT_SEED
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionSpec {
    pub name: String,
    pub schema_id: i64,
    pub target: Target,
    pub strategy: Strategy,
    pub count: usize,
    pub coders_per_item: usize,
    /// The sampling seed; the project's default when a front end leaves it out.
    #[serde(default = "default_seed")]
    // `optional` alone is for Option fields: render it as one, so the field may be left out.
    #[cfg_attr(feature = "ts", ts(as = "Option<u64>", optional))]
    pub seed: u64,
    /// Needed by diversity and uncertainty sampling, and for suggestions.
    pub model: Option<String>,
    /// A label proposed for every report (a cluster label), for each to be confirmed or
    /// rejected by the reviewer.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub proposed: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Session {
    pub id: i64,
    pub name: String,
    pub schema: Schema,
    pub target: serde_json::Value,
    pub strategy: serde_json::Value,
    pub coders_per_item: usize,
    pub seed: u64,
    pub model: Option<String>,
    pub proposed: Option<Vec<String>>,
    pub items: usize,
    pub created_by: String,
    pub created_at: String,
}

/// The vectors of `ids` under `model`, in the order of `ids`.
pub(crate) fn vectors_for(
    store: &Store,
    model: &str,
    ids: &[i64],
) -> Result<(Vec<i64>, Vec<f32>, usize), ReviewError> {
    // Only the asked rows: a suggestion needs one report and the labelled ones, and
    // reading every vector of the project for it on each report shown was the slow part.
    let record = crate::store::vectors::find_model(store.conn(), model)?
        .filter(|r| r.vectors > 0)
        .ok_or_else(|| {
            ReviewError::Invalid(format!(
                "no vectors for model {model:?}; encode the reports first"
            ))
        })?;
    let dim = record.dimension;
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT vector FROM vectors WHERE model_id = ?1 AND incident_id = ?2")?;
    let mut kept = Vec::with_capacity(ids.len());
    let mut out = Vec::with_capacity(ids.len() * dim);
    for &id in ids {
        let blob: Option<Vec<u8>> = stmt
            .query_row(params![record.id, id], |r| r.get(0))
            .optional()?;
        if let Some(blob) = blob {
            kept.push(id);
            out.extend(
                blob.chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
    }
    Ok((kept, out, dim))
}

pub fn load_session(store: &Store, id: i64) -> Result<Session, ReviewError> {
    let row = store
        .conn()
        .query_row(
            "SELECT s.id, s.name, s.schema_id, s.target, s.strategy, s.coders_per_item, s.seed, s.model, s.created_by, s.created_at,
                    (SELECT count(*) FROM session_items i WHERE i.session_id = s.id), s.proposed
             FROM review_sessions s WHERE s.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| ReviewError::Invalid(format!("no labelling session {id}")))?;
    Ok(Session {
        id: row.0,
        name: row.1,
        schema: schema(store, row.2)?,
        target: serde_json::from_str(&row.3).unwrap_or_default(),
        strategy: serde_json::from_str(&row.4).unwrap_or_default(),
        coders_per_item: row.5 as usize,
        seed: row.6 as u64,
        model: row.7,
        created_by: row.8,
        created_at: row.9,
        items: row.10 as usize,
        proposed: row.11.and_then(|p| serde_json::from_str(&p).ok()),
    })
}

pub fn list_sessions(store: &Store) -> Result<Vec<Session>, ReviewError> {
    let ids: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM review_sessions ORDER BY id DESC")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| load_session(store, id)).collect()
}

