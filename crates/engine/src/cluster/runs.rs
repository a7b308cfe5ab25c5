//! Cluster runs in the store: `cluster_runs`, `clusters`, `cluster_members`.

use super::{ClusterError, Described, Timings};
use crate::clock::now;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunRecord {
    pub id: i64,
    pub model: String,
    pub method: String,
    pub params: serde_json::Value,
    pub seed: u64,
    pub dataset_sha256: String,
    pub index_sha256: String,
    pub incidents: u64,
    /// Reports UMAP and HDBSCAN were fitted on; the others were assigned by a vote of
    /// their nearest fitted reports.
    pub fitted: u64,
    pub clusters: u64,
    /// Reports the algorithm left as noise.
    pub noise: u64,
    /// Of those, the ones an 'assign_noise' edit gave to a nearby cluster, standing now.
    pub noise_assigned: u64,
    pub parent_run_id: Option<i64>,
    pub timings: Timings,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClusterRow {
    pub cluster_id: i64,
    pub size: u64,
    pub keywords: Vec<String>,
    /// External ids of the reports closest to the centroid, closest first.
    pub representatives: Vec<String>,
    pub x: f64,
    pub y: f64,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MemberRow {
    pub incident_id: i64,
    pub external_id: String,
    /// After edits; -1 for noise.
    pub cluster: i64,
    pub base_cluster: i64,
    pub x: f64,
    pub y: f64,
}

pub(super) struct NewRun {
    pub model_id: i64,
    pub fitted: usize,
    pub method: &'static str,
    pub params: serde_json::Value,
    pub seed: u64,
    pub dataset_sha256: String,
    pub index_sha256: String,
    pub parent_run_id: Option<i64>,
    pub timings: Timings,
}

/// As `sql`, for code that holds the connection mutably (a transaction) and so cannot
/// borrow the store for its path.
pub(super) fn sql_at(db: std::path::PathBuf) -> impl Fn(rusqlite::Error) -> ClusterError {
    move |source| ClusterError::Store(crate::StoreError::Sqlite { path: db.clone(), source })
}

pub(super) fn sql(store: &Store) -> impl Fn(rusqlite::Error) -> ClusterError + '_ {
    move |e| ClusterError::Store(store.err(e))
}

/// Stores a run, its clusters and every incident's assignment, map position and placement
/// (`reach`: Some for fitted reports, None for assigned ones) in one transaction.
pub(super) fn insert_run(
    store: &mut Store,
    run: &NewRun,
    ids: &[i64],
    assignment: &[i64],
    map: &[f32],
    reach: &[Option<f32>],
    described: &[Described],
) -> Result<i64, ClusterError> {
    let noise = assignment.iter().filter(|&&c| c < 0).count() as i64;
    let fail = sql_at(store.db_path().to_path_buf());
    let tx = store.conn_mut().transaction().map_err(&fail)?;
    tx.execute(
        "INSERT INTO cluster_runs (model_id, method, params, seed, dataset_sha256, index_sha256, incidents, clusters,
             noise, parent_run_id, timings, created_at, fitted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            run.model_id,
            run.method,
            run.params.to_string(),
            run.seed as i64,
            run.dataset_sha256,
            run.index_sha256,
            ids.len() as i64,
            described.len() as i64,
            noise,
            run.parent_run_id,
            serde_json::to_string(&run.timings).unwrap_or_else(|_| "{}".into()),
            now(),
            run.fitted as i64
        ],
    )
    .map_err(&fail)?;
    let run_id = tx.last_insert_rowid();
    write_clusters(&tx, run_id, described, "run").map_err(&fail)?;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO cluster_members (run_id, incident_id, base_cluster, cluster, x, y, placement, reach)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(&fail)?;
        for (i, ((&id, &c), r)) in ids.iter().zip(assignment).zip(reach).enumerate() {
            stmt.execute(params![
                run_id,
                id,
                c,
                map[i * 2] as f64,
                map[i * 2 + 1] as f64,
                if r.is_some() { "fitted" } else { "assigned" },
                r.map(f64::from)
            ])
            .map_err(&fail)?;
        }
    }
    tx.commit().map_err(&fail)?;
    Ok(run_id)
}

pub(super) fn write_clusters(
    conn: &rusqlite::Connection,
    run_id: i64,
    described: &[Described],
    origin: &str,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "INSERT INTO clusters (run_id, cluster_id, size, keywords, representatives, x, y, origin, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
         ON CONFLICT (run_id, cluster_id) DO UPDATE SET size = excluded.size, keywords = excluded.keywords,
             representatives = excluded.representatives, x = excluded.x, y = excluded.y",
    )?;
    for d in described {
        stmt.execute(params![
            run_id,
            d.cluster,
            d.size as i64,
            serde_json::to_string(&d.keywords).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&d.representatives).unwrap_or_else(|_| "[]".into()),
            d.x as f64,
            d.y as f64,
            origin
        ])?;
    }
    Ok(())
}

pub(super) fn update_timings(
    store: &Store,
    run_id: i64,
    timings: &Timings,
) -> Result<(), ClusterError> {
    store
        .conn()
        .execute(
            "UPDATE cluster_runs SET timings = ?2 WHERE id = ?1",
            params![
                run_id,
                serde_json::to_string(timings).unwrap_or_else(|_| "{}".into())
            ],
        )
        .map(|_| ())
        .map_err(sql(store))
}

const RUN_SELECT: &str = "SELECT r.id, m.name, r.method, r.params, r.seed, r.dataset_sha256, r.index_sha256, r.incidents,
        (SELECT count(*) FROM clusters c WHERE c.run_id = r.id AND c.active = 1), r.noise, r.parent_run_id,
        r.timings, r.created_at, coalesce(r.fitted, r.incidents), r.noise_assigned
    FROM cluster_runs r JOIN models m ON m.id = r.model_id";

fn run_record(r: &rusqlite::Row) -> rusqlite::Result<RunRecord> {
    let params: String = r.get(3)?;
    let timings: String = r.get(11)?;
    Ok(RunRecord {
        id: r.get(0)?,
        model: r.get(1)?,
        method: r.get(2)?,
        params: serde_json::from_str(&params).unwrap_or_default(),
        seed: r.get::<_, i64>(4)? as u64,
        dataset_sha256: r.get(5)?,
        index_sha256: r.get(6)?,
        incidents: r.get::<_, i64>(7)? as u64,
        clusters: r.get::<_, i64>(8)? as u64,
        noise: r.get::<_, i64>(9)? as u64,
        parent_run_id: r.get(10)?,
        timings: serde_json::from_str(&timings).unwrap_or_default(),
        created_at: r.get(12)?,
        fitted: r.get::<_, i64>(13)? as u64,
        noise_assigned: r.get::<_, i64>(14)? as u64,
    })
}

/// The options run `run` was made with, as its parameters recorded them.
pub(super) fn run_options(run: &RunRecord) -> Result<super::AnalyseOptions, ClusterError> {
    serde_json::from_value(run.params.clone())
        .map_err(|e| ClusterError::Invalid(format!("run {} has unreadable parameters: {e}", run.id)))
}

/// Run `run_id` with its options and its model's record: what assigning reports to a run,
/// handing its noise to clusters, or exporting it starts from.
pub(super) fn load_run_inputs(
    store: &Store,
    run_id: i64,
) -> Result<(RunRecord, super::AnalyseOptions, crate::store::ModelRecord), ClusterError> {
    let run = load_run(store, run_id)?;
    let options = run_options(&run)?;
    let record = crate::store::vectors::find_model(store.conn(), &run.model)
        .map_err(|e| store.err(e))?
        .ok_or_else(|| crate::index::IndexError::NoVectors(run.model.clone()))?;
    Ok((run, options, record))
}

pub fn load_run(store: &Store, run_id: i64) -> Result<RunRecord, ClusterError> {
    store
        .conn()
        .query_row(
            &format!("{RUN_SELECT} WHERE r.id = ?1"),
            [run_id],
            run_record,
        )
        .optional()
        .map_err(sql(store))?
        .ok_or(ClusterError::UnknownRun(run_id))
}

/// The newest run of the project, if any.
pub fn newest_run_id(store: &Store) -> Result<Option<i64>, ClusterError> {
    store
        .conn()
        .query_row("SELECT max(id) FROM cluster_runs", [], |r| r.get::<_, Option<i64>>(0))
        .map_err(sql(store))
}

/// Every run, newest first.
pub fn list_runs(store: &Store) -> Result<Vec<RunRecord>, ClusterError> {
    let mut stmt = store
        .conn()
        .prepare(&format!("{RUN_SELECT} ORDER BY r.id DESC"))
        .map_err(sql(store))?;
    let rows = stmt.query_map([], run_record).map_err(sql(store))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql(store))
}

pub(super) fn latest_run(
    store: &Store,
    model_id: i64,
    method: &str,
) -> Result<Option<RunRecord>, ClusterError> {
    store
        .conn()
        .query_row(
            &format!(
                "{RUN_SELECT} WHERE r.model_id = ?1 AND r.method = ?2 ORDER BY r.id DESC LIMIT 1"
            ),
            params![model_id, method],
            run_record,
        )
        .optional()
        .map_err(sql(store))
}

/// (incident, cluster after edits) for every member of a run.
pub(super) fn effective_assignments(
    store: &Store,
    run_id: i64,
) -> Result<Vec<(i64, i64)>, ClusterError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT incident_id, cluster FROM cluster_members WHERE run_id = ?1 ORDER BY incident_id")
        .map_err(sql(store))?;
    let rows = stmt
        .query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(sql(store))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql(store))
}

/// The highest cluster id used by any run of this model and method, edits included: ids
/// are never reused in a lineage, so an id always means one group of reports.
pub(super) fn max_cluster_id(
    store: &Store,
    model_id: i64,
    method: &str,
) -> Result<i64, ClusterError> {
    max_cluster_id_in(store.conn(), model_id, method).map_err(sql(store))
}

/// `max_cluster_id` on a connection, for a check inside a transaction.
pub(super) fn max_cluster_id_in(conn: &rusqlite::Connection, model_id: i64, method: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(c.cluster_id), -1) FROM clusters c JOIN cluster_runs r ON r.id = c.run_id
         WHERE r.model_id = ?1 AND r.method = ?2",
        params![model_id, method],
        |r| r.get(0),
    )
}

/// The id of the run's latest clustering edit (merge, split, noise moved); 0 when none.
pub(crate) fn last_edit(conn: &rusqlite::Connection, run_id: i64) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(id), 0) FROM cluster_edits WHERE run_id = ?1", [run_id], |r| r.get(0))
}

/// The model id and method of a run.
pub(crate) fn run_lineage(store: &Store, run_id: i64) -> Result<(i64, String), ClusterError> {
    store
        .conn()
        .query_row(
            "SELECT model_id, method FROM cluster_runs WHERE id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql(store))?
        .ok_or(ClusterError::UnknownRun(run_id))
}

/// Active clusters of a run, largest first, with representatives as external ids.
pub(super) fn clusters_of(store: &Store, run_id: i64) -> Result<Vec<ClusterRow>, ClusterError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT cluster_id, size, keywords, representatives, x, y, origin FROM clusters
             WHERE run_id = ?1 AND active = 1 ORDER BY size DESC, cluster_id",
        )
        .map_err(sql(store))?;
    let raw = stmt
        .query_map([run_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, f64>(4)?,
                r.get::<_, f64>(5)?,
                r.get::<_, String>(6)?,
            ))
        })
        .map_err(sql(store))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql(store))?;
    let mut external = store
        .conn()
        .prepare("SELECT external_id FROM incidents WHERE id = ?1")
        .map_err(sql(store))?;
    let mut out = Vec::with_capacity(raw.len());
    for (cluster_id, size, keywords, reps, x, y, origin) in raw {
        let rep_ids: Vec<i64> = serde_json::from_str(&reps).unwrap_or_default();
        let mut representatives = Vec::with_capacity(rep_ids.len());
        for id in rep_ids {
            representatives.push(
                external
                    .query_row([id], |r| r.get::<_, String>(0))
                    .map_err(sql(store))?,
            );
        }
        out.push(ClusterRow {
            cluster_id,
            size: size as u64,
            keywords: serde_json::from_str(&keywords).unwrap_or_default(),
            representatives,
            x,
            y,
            origin,
        });
    }
    Ok(out)
}

/// Active clusters of a run (see `clusters_of`), after checking the run exists.
pub fn run_clusters(store: &Store, run_id: i64) -> Result<Vec<ClusterRow>, ClusterError> {
    load_run(store, run_id)?;
    clusters_of(store, run_id)
}

/// Every incident of a run with its cluster and map position, in incident order.
pub fn cluster_members(store: &Store, run_id: i64) -> Result<Vec<MemberRow>, ClusterError> {
    load_run(store, run_id)?;
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT m.incident_id, i.external_id, m.cluster, m.base_cluster, m.x, m.y
             FROM cluster_members m JOIN incidents i ON i.id = m.incident_id
             WHERE m.run_id = ?1 ORDER BY m.incident_id",
        )
        .map_err(sql(store))?;
    let rows = stmt
        .query_map([run_id], |r| {
            Ok(MemberRow {
                incident_id: r.get(0)?,
                external_id: r.get(1)?,
                cluster: r.get(2)?,
                base_cluster: r.get(3)?,
                x: r.get(4)?,
                y: r.get(5)?,
            })
        })
        .map_err(sql(store))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(sql(store))
}

/// The reports a run was fitted on, in incident order, with what a later assignment needs.
pub(super) struct FittedMembers {
    pub ids: Vec<i64>,
    pub base: Vec<i64>,
    pub cluster: Vec<i64>,
    pub map: Vec<f32>,
    /// None for runs stored before reaches were recorded.
    pub reach: Vec<Option<f32>>,
}

pub(super) fn fitted_members(store: &Store, run_id: i64) -> Result<FittedMembers, ClusterError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT incident_id, base_cluster, cluster, x, y, reach FROM cluster_members
             WHERE run_id = ?1 AND placement = 'fitted' ORDER BY incident_id",
        )
        .map_err(sql(store))?;
    let mut rows = stmt.query([run_id]).map_err(sql(store))?;
    let mut out = FittedMembers {
        ids: Vec::new(),
        base: Vec::new(),
        cluster: Vec::new(),
        map: Vec::new(),
        reach: Vec::new(),
    };
    while let Some(r) = rows.next().map_err(sql(store))? {
        out.ids.push(r.get(0).map_err(sql(store))?);
        out.base.push(r.get(1).map_err(sql(store))?);
        out.cluster.push(r.get(2).map_err(sql(store))?);
        out.map.push(r.get::<_, f64>(3).map_err(sql(store))? as f32);
        out.map.push(r.get::<_, f64>(4).map_err(sql(store))? as f32);
        out.reach.push(
            r.get::<_, Option<f64>>(5)
                .map_err(sql(store))?
                .map(|v| v as f32),
        );
    }
    Ok(out)
}

/// Adds reports assigned after the run was stored, in one transaction: their member rows,
/// the clusters' sizes, the run's counts, and a row for the batch.
pub(super) fn add_members(
    store: &mut Store,
    run_id: i64,
    ids: &[i64],
    base: &[i64],
    cluster: &[i64],
    map: &[f32],
    seconds: f64,
) -> Result<(), ClusterError> {
    let fail = sql_at(store.db_path().to_path_buf());
    let tx = store.conn_mut().transaction().map_err(&fail)?;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO cluster_members (run_id, incident_id, base_cluster, cluster, x, y, placement)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'assigned')",
            )
            .map_err(&fail)?;
        for (i, &id) in ids.iter().enumerate() {
            insert
                .execute(params![
                    run_id,
                    id,
                    base[i],
                    cluster[i],
                    map[i * 2] as f64,
                    map[i * 2 + 1] as f64
                ])
                .map_err(&fail)?;
        }
        let mut grow = tx
            .prepare("UPDATE clusters SET size = size + ?3 WHERE run_id = ?1 AND cluster_id = ?2 AND active = 1")
            .map_err(&fail)?;
        let mut counts: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        for &c in cluster.iter().filter(|&&c| c >= 0) {
            *counts.entry(c).or_insert(0) += 1;
        }
        for (c, count) in counts {
            grow.execute(params![run_id, c, count]).map_err(&fail)?;
        }
    }
    let unassigned = cluster.iter().filter(|&&c| c < 0).count() as i64;
    tx.execute(
        "UPDATE cluster_runs SET incidents = incidents + ?2, noise = noise + ?3 WHERE id = ?1",
        params![run_id, ids.len() as i64, unassigned],
    )
    .map_err(&fail)?;
    tx.execute(
        "INSERT INTO cluster_assignments (run_id, incidents, unassigned, seconds, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run_id, ids.len() as i64, unassigned, seconds, now()],
    )
    .map_err(&fail)?;
    tx.commit().map_err(&fail)
}
