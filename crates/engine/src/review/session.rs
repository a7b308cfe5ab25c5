//! Labelling sessions: a schema, a target set, a sampling strategy, a count, and how many
//! reviewers label each report (double coding, each blind to the others).

use super::people::{schema, Schema};
use super::sampling::{self, Strategy};
use super::{audit, now, ReviewError};
use crate::explore::Filter;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    All,
    Cluster { run: i64, cluster: i64 },
    Filter { filter: Filter },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionSpec {
    pub name: String,
    pub schema_id: i64,
    pub target: Target,
    pub strategy: Strategy,
    pub count: usize,
    pub coders_per_item: usize,
    pub seed: u64,
    /// Needed by diversity and uncertainty sampling, and for suggestions.
    pub model: Option<String>,
    /// A label proposed for every report (a cluster label), for each to be confirmed or
    /// rejected by the reviewer.
    #[serde(default)]
    pub proposed: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
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

/// The incident ids (store ids) a target covers, ascending.
fn target_ids(store: &Store, target: &Target) -> Result<Vec<i64>, ReviewError> {
    let conn = store.conn();
    let ids: Vec<i64> = match target {
        Target::All => conn.prepare("SELECT id FROM incidents ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?,
        Target::Cluster { run, cluster } => conn
            .prepare("SELECT incident_id FROM cluster_members WHERE run_id = ?1 AND cluster = ?2 ORDER BY incident_id")?
            .query_map(params![run, cluster], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
        Target::Filter { filter } => {
            let mut out = Vec::new();
            let mut stmt = conn.prepare("SELECT id, occurred_on, harm, care_setting, category FROM incidents ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (id, date, harm, setting, category): (i64, String, Option<u8>, Option<String>, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                let ok = filter.matches(&date, harm, setting.as_deref(), category.as_deref());
                if ok {
                    out.push(id);
                }
            }
            out
        }
    };
    if ids.is_empty() {
        return Err(ReviewError::Invalid(
            "the session's target holds no reports".into(),
        ));
    }
    Ok(ids)
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

fn sample(
    store: &Store,
    spec: &SessionSpec,
    schema: &Schema,
    ids: &[i64],
) -> Result<Vec<i64>, ReviewError> {
    let model = || {
        spec.model.as_deref().ok_or_else(|| {
            ReviewError::Invalid(format!("{} sampling needs a model", spec.strategy.name()))
        })
    };
    Ok(match &spec.strategy {
        Strategy::Random => sampling::random(ids, spec.count, spec.seed),
        Strategy::StratifiedByCluster { run } => {
            let mut strata: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
            let mut stmt = store.conn().prepare(
                "SELECT cluster FROM cluster_members WHERE run_id = ?1 AND incident_id = ?2",
            )?;
            for &id in ids {
                let c: Option<i64> = stmt.query_row(params![run, id], |r| r.get(0)).optional()?;
                strata.entry(c.unwrap_or(-1)).or_default().push(id);
            }
            sampling::stratified(&strata, spec.count, spec.seed)
        }
        Strategy::Diversity => {
            let (kept, vectors, dim) = vectors_for(store, model()?, ids)?;
            sampling::farthest_point(&kept, &vectors, dim, spec.count, spec.seed)
        }
        Strategy::Uncertainty => {
            super::suggest::least_certain(store, model()?, schema, ids, spec.count)?
        }
        Strategy::NhsReviewPreset => {
            let mut harm_of = store
                .conn()
                .prepare("SELECT harm FROM incidents WHERE id = ?1")?;
            let (mut severe, mut moderate, mut low) = (Vec::new(), Vec::new(), Vec::new());
            for &id in ids {
                match harm_of.query_row([id], |r| r.get::<_, Option<u8>>(0))? {
                    Some(4 | 5) => severe.push(id),
                    Some(3) => moderate.push(id),
                    Some(1 | 2) => low.push(id),
                    _ => {}
                }
            }
            severe.extend(sampling::random(&moderate, 100, spec.seed));
            severe.extend(sampling::random(&low, 100, spec.seed.wrapping_add(1)));
            severe
        }
    })
}

/// Samples the target and stores the session with its items, in one transaction.
pub fn create_session(
    store: &mut Store,
    spec: &SessionSpec,
    author: &str,
) -> Result<Session, ReviewError> {
    if spec.name.trim().is_empty() || spec.count == 0 || spec.coders_per_item == 0 {
        return Err(ReviewError::Invalid(
            "a session needs a name, a count and at least one coder per report".into(),
        ));
    }
    let schema = schema(store, spec.schema_id)?;
    if let Some(bad) = spec
        .proposed
        .iter()
        .flatten()
        .find(|l| schema.index_of(l).is_none())
    {
        return Err(ReviewError::Invalid(format!(
            "{bad:?} is not a label of schema {}",
            schema.name
        )));
    }
    let ids = target_ids(store, &spec.target)?;
    let picked = sample(store, spec, &schema, &ids)?;
    let target =
        serde_json::to_value(&spec.target).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    let strategy =
        serde_json::to_value(&spec.strategy).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    let created_at = now();
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO review_sessions (name, schema_id, target, strategy, target_count, coders_per_item, seed, model, created_by, created_at, proposed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            spec.name.trim(),
            spec.schema_id,
            target.to_string(),
            strategy.to_string(),
            spec.count as i64,
            spec.coders_per_item as i64,
            spec.seed as i64,
            spec.model,
            author,
            created_at,
            spec.proposed.as_ref().map(|p| serde_json::to_string(p).unwrap_or_default())
        ],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut insert = tx.prepare(
            "INSERT INTO session_items (session_id, position, incident_id) VALUES (?1, ?2, ?3)",
        )?;
        for (pos, incident) in picked.iter().enumerate() {
            insert.execute(params![id, pos as i64, incident])?;
        }
    }
    audit::append(
        &tx,
        author,
        "session_create",
        &serde_json::json!({ "session": id, "name": spec.name.trim(), "schema": spec.schema_id, "target": target, "strategy": strategy, "items": picked.len(), "coders_per_item": spec.coders_per_item, "seed": spec.seed }),
    )?;
    tx.commit()?;
    load_session(store, id)
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

/// Labels a whole cluster: a session over every report of the cluster in which `label` is
/// proposed on each, for the reviewer to confirm or reject report by report.
pub fn label_cluster(
    store: &mut Store,
    run: i64,
    cluster: i64,
    schema_id: i64,
    label: &str,
    model: Option<String>,
    author: &str,
) -> Result<Session, ReviewError> {
    let size: i64 = store.conn().query_row(
        "SELECT count(*) FROM cluster_members WHERE run_id = ?1 AND cluster = ?2",
        params![run, cluster],
        |r| r.get(0),
    )?;
    if size == 0 {
        return Err(ReviewError::Invalid(format!(
            "run {run} has no cluster {cluster}"
        )));
    }
    let spec = SessionSpec {
        name: format!("Cluster {cluster} (run {run}) as {label}"),
        schema_id,
        target: Target::Cluster { run, cluster },
        strategy: Strategy::Random,
        count: size as usize,
        coders_per_item: 1,
        seed: 42,
        model,
        proposed: Some(vec![label.to_string()]),
    };
    create_session(store, &spec, author)
}
