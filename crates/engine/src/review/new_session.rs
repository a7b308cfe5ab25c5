//! Starting a session: the reports a target covers, sampled by the chosen strategy (the
//! uncertainty strategy asks `suggest` which reports its vote is least sure of), stored with
//! its items in one transaction.

use super::people::{schema, Schema};
use super::sampling::{self, Strategy};
use super::session::{load_session, vectors_for, Session, SessionSpec, Target};
use super::ReviewError;
use crate::store::audit;
use crate::store::Store;
use crate::clock::now;
use rusqlite::{params, OptionalExtension};
use std::collections::BTreeMap;

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
    store.sync_full()?;
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
        seed: crate::DEFAULT_SEED,
        model,
        proposed: Some(vec![label.to_string()]),
    };
    create_session(store, &spec, author)
}

