//! Reviewers' decisions on clusters (status and note, keyed by lineage and cluster id) and
//! their history, each change also appended to the audit chain.

use crate::cluster::{run_lineage as lineage, ClusterError};
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

/// Where a cluster stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    UnderReview,
    Escalated,
    Dismissed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::UnderReview,
        Status::Escalated,
        Status::Dismissed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::UnderReview => "under_review",
            Status::Escalated => "escalated",
            Status::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        let s = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Status::ALL.into_iter().find(|st| st.name() == s)
    }
}

/// A cluster's recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    pub status: Status,
    pub note: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// One entry of a cluster's triage history, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    pub run_id: i64,
    pub status: Status,
    pub note: String,
    pub author: String,
    pub created_at: String,
}

pub(super) fn sql(store: &Store) -> impl Fn(rusqlite::Error) -> ClusterError + '_ {
    move |e| ClusterError::Store(store.err(e))
}

/// Records a reviewer's decision on an active cluster of a run. The note is kept as given
/// (trimmed); an empty author is refused, since every decision must be attributable.
pub fn set_status(
    store: &mut Store,
    run_id: i64,
    cluster_id: i64,
    status: Status,
    note: &str,
    author: &str,
) -> Result<Decision, ClusterError> {
    let author = author.trim();
    if author.is_empty() {
        return Err(ClusterError::Invalid(
            "a triage decision needs the reviewer's name".into(),
        ));
    }
    let (model_id, method) = lineage(store, run_id)?;
    let active: Option<i64> = store
        .conn()
        .query_row(
            "SELECT 1 FROM clusters WHERE run_id = ?1 AND cluster_id = ?2 AND active = 1",
            params![run_id, cluster_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql(store))?;
    if active.is_none() {
        return Err(ClusterError::UnknownCluster {
            run: run_id,
            cluster: cluster_id,
        });
    }
    let now = crate::clock::now();
    let note = note.trim();
    let path = store.db_path().to_path_buf();
    let wrap = |source| {
        ClusterError::Store(crate::StoreError::Sqlite {
            path: path.clone(),
            source,
        })
    };
    store.sync_full().map_err(ClusterError::Store)?;
    let tx = store.conn_mut().transaction().map_err(wrap)?;
    tx.execute(
        "INSERT INTO cluster_triage (model_id, method, cluster_id, status, note, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (model_id, method, cluster_id) DO UPDATE SET
           status = excluded.status, note = excluded.note,
           updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        params![model_id, method, cluster_id, status.name(), note, author, now],
    )
    .map_err(wrap)?;
    tx.execute(
        "INSERT INTO cluster_triage_history (model_id, method, cluster_id, run_id, status, note, author, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![model_id, method, cluster_id, run_id, status.name(), note, author, now],
    )
    .map_err(wrap)?;
    let detail = serde_json::json!({ "run": run_id, "model_id": model_id, "method": method, "cluster": cluster_id, "status": status.name(), "note": note });
    crate::store::audit::append(&tx, author, "cluster_status", &detail).map_err(wrap)?;
    tx.commit().map_err(wrap)?;
    Ok(Decision {
        status,
        note: note.to_string(),
        updated_by: author.to_string(),
        updated_at: now,
    })
}

/// The decision on a cluster of a run's lineage, if one was recorded.
pub fn decision(
    store: &Store,
    run_id: i64,
    cluster_id: i64,
) -> Result<Option<Decision>, ClusterError> {
    let (model_id, method) = lineage(store, run_id)?;
    store
        .conn()
        .query_row(
            "SELECT status, note, updated_by, updated_at FROM cluster_triage
             WHERE model_id = ?1 AND method = ?2 AND cluster_id = ?3",
            params![model_id, method, cluster_id],
            |r| {
                let status: String = r.get(0)?;
                Ok(Decision {
                    status: Status::parse(&status).unwrap_or(Status::New),
                    note: r.get(1)?,
                    updated_by: r.get(2)?,
                    updated_at: r.get(3)?,
                })
            },
        )
        .optional()
        .map_err(sql(store))
}

/// Every decision recorded on a cluster of the run's lineage, oldest first.
pub fn history(
    store: &Store,
    run_id: i64,
    cluster_id: i64,
) -> Result<Vec<HistoryEntry>, ClusterError> {
    let (model_id, method) = lineage(store, run_id)?;
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT run_id, status, note, author, created_at FROM cluster_triage_history
             WHERE model_id = ?1 AND method = ?2 AND cluster_id = ?3 ORDER BY id",
        )
        .map_err(sql(store))?;
    let rows = stmt
        .query_map(params![model_id, method, cluster_id], |r| {
            let status: String = r.get(1)?;
            Ok(HistoryEntry {
                run_id: r.get(0)?,
                status: Status::parse(&status).unwrap_or(Status::New),
                note: r.get(2)?,
                author: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .map_err(sql(store))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql(store))
}
