//! Manual merges and splits on top of a run. The algorithm's assignment stays in
//! `cluster_members.base_cluster`; edits move `cluster`, retire the old clusters (active = 0),
//! add new ones with fresh ids, and are logged in `cluster_edits` in order. Keywords are
//! recomputed for every active cluster afterwards, since c-TF-IDF weighs each cluster
//! against all the others.

use super::runs::{self, sql, ClusterRow};
use super::describe::cluster_keywords;
use super::{describe_clusters, AnalyseOptions, ClusterError};
use crate::store::{vectors, ModelRecord, Store};
use rusqlite::params;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone)]
pub enum SplitHow {
    /// k-means on the cluster's vectors into this many parts.
    Parts { parts: usize, seed: u64 },
    /// These reports (external ids) become one cluster and the rest another.
    Incidents(Vec<String>),
}

impl SplitHow {
    /// A split as a front end asks for it: the listed reports if given, else `parts`
    /// k-means parts (seeded with the default seed).
    pub fn from_request(parts: Option<usize>, incidents: Option<Vec<String>>) -> Result<SplitHow, ClusterError> {
        match (parts, incidents) {
            (_, Some(ids)) => Ok(SplitHow::Incidents(ids)),
            (Some(parts), None) => Ok(SplitHow::Parts { parts, seed: crate::DEFAULT_SEED }),
            (None, None) => Err(ClusterError::Invalid(
                "say how to split: a number of parts or a list of reports".into(),
            )),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EditOutcome {
    pub edit_id: i64,
    pub new_clusters: Vec<i64>,
    pub clusters: Vec<ClusterRow>,
}

pub(super) struct RunState {
    model_id: i64,
    method: String,
    options: AnalyseOptions,
    /// The run's model, whose text its keywords read.
    record: ModelRecord,
    pub(super) ids: Vec<i64>,
    external_ids: Vec<String>,
    /// Each report's cluster after the edits so far, and the algorithm's (-1: noise).
    pub(super) assignment: Vec<i64>,
    pub(super) base: Vec<i64>,
    map: Vec<f32>,
    /// The model's vectors for `ids`, row-major, `dim` wide.
    pub(super) data: Vec<f32>,
    pub(super) dim: usize,
    /// The run as the state was read, checked again inside the edit's transaction.
    seen: RunVersion,
}

/// What an edit prepared outside its transaction relies on: no edit since, no reports
/// assigned since, and no cluster id taken since in the lineage (the new ids follow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunVersion {
    last_edit: i64,
    members: i64,
    max_cluster: i64,
}

fn run_version(conn: &rusqlite::Connection, run_id: i64, model_id: i64, method: &str) -> rusqlite::Result<RunVersion> {
    Ok(RunVersion {
        last_edit: runs::last_edit(conn, run_id)?,
        members: conn.query_row("SELECT count(*) FROM cluster_members WHERE run_id = ?1", [run_id], |r| r.get(0))?,
        max_cluster: runs::max_cluster_id_in(conn, model_id, method)?,
    })
}

pub(super) fn load_state(store: &Store, run_id: i64) -> Result<RunState, ClusterError> {
    let run = runs::load_run(store, run_id)?;
    let (model_id, method) = runs::run_lineage(store, run_id)?;
    let options = runs::run_options(&run)?;
    let members = runs::cluster_members(store, run_id)?;
    let record = vectors::list_models(store.conn())
        .map_err(sql(store))?
        .into_iter()
        .find(|m| m.id == model_id)
        .ok_or_else(|| ClusterError::Invalid("the run's model is gone".into()))?;
    let ids: Vec<i64> = members.iter().map(|m| m.incident_id).collect();
    let data = run_vectors(store, record.id, record.dimension, &ids)?;
    let seen = run_version(store.conn(), run_id, model_id, &method).map_err(sql(store))?;
    if seen.members != ids.len() as i64 {
        return Err(ClusterError::Invalid(format!("run {run_id} is changing (reports being assigned); try the edit again")));
    }
    Ok(RunState {
        seen,
        model_id,
        method,
        options,
        external_ids: members.iter().map(|m| m.external_id.clone()).collect(),
        assignment: members.iter().map(|m| m.cluster).collect(),
        base: members.iter().map(|m| m.base_cluster).collect(),
        map: members
            .iter()
            .flat_map(|m| [m.x as f32, m.y as f32])
            .collect(),
        ids,
        data,
        dim: record.dimension,
        record,
    })
}

pub(super) fn active_clusters(store: &Store, run_id: i64) -> Result<HashSet<i64>, ClusterError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT cluster_id FROM clusters WHERE run_id = ?1 AND active = 1")
        .map_err(sql(store))?;
    let rows = stmt.query_map([run_id], |r| r.get(0)).map_err(sql(store))?;
    rows.collect::<Result<HashSet<i64>, _>>()
        .map_err(sql(store))
}

/// The model's vectors for the run's incidents, in the run's order.
fn run_vectors(
    store: &Store,
    model_id: i64,
    dim: usize,
    wanted: &[i64],
) -> Result<Vec<f32>, ClusterError> {
    let (ids, data) = vectors::load_vectors(store.conn(), model_id, dim).map_err(sql(store))?;
    let row: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut out = Vec::with_capacity(wanted.len() * dim);
    for id in wanted {
        let &r = row
            .get(id)
            .ok_or_else(|| ClusterError::Invalid(format!("incident {id} lost its vector")))?;
        out.extend_from_slice(&data[r * dim..(r + 1) * dim]);
    }
    Ok(out)
}

/// One edit of a run: reports moved, clusters retired, and what the log says of it.
pub(super) struct Edit<'a> {
    /// Row index into the run's state → the cluster it goes to (-1: noise).
    pub moves: &'a [(usize, i64)],
    pub retired: &'a [i64],
    /// `cluster_edits.kind`, and the audit action's suffix.
    pub kind: &'a str,
    pub detail: serde_json::Value,
    /// Whether the clusters moved into are new ones (a merge or split) rather than
    /// existing ones (noise handed to a cluster).
    pub creates: bool,
}

/// Applies an edit: moves its reports, retires its clusters and any left empty,
/// recomputes every active cluster's description, and logs the edit, all in one
/// transaction.
pub(super) fn apply(
    store: &mut Store,
    run_id: i64,
    mut state: RunState,
    edit: Edit,
    author: &str,
) -> Result<EditOutcome, ClusterError> {
    let Edit { moves, retired, kind, detail, creates } = edit;
    let before: HashSet<i64> = state.assignment.iter().copied().filter(|&c| c >= 0).collect();
    for &(i, c) in moves {
        state.assignment[i] = c;
    }
    let after: HashSet<i64> = state.assignment.iter().copied().filter(|&c| c >= 0).collect();
    let mut retired: Vec<i64> = retired.to_vec();
    retired.extend(before.difference(&after));
    retired.sort_unstable();
    retired.dedup();
    let mut new_clusters: Vec<i64> = if creates {
        moves.iter().map(|m| m.1).collect()
    } else {
        Vec::new()
    };
    new_clusters.sort_unstable();
    new_clusters.dedup();
    let noise_assigned = state
        .base
        .iter()
        .zip(&state.assignment)
        .filter(|(&b, &c)| b < 0 && c >= 0)
        .count() as i64;
    let keywords = cluster_keywords(
        store,
        &state.record,
        &state.ids,
        &state.assignment,
        &state.options,
        &crate::jobs::NoProgress,
    )?;
    let described = describe_clusters(
        &state.ids,
        &state.data,
        state.dim,
        &state.map,
        &state.assignment,
        keywords,
        &state.options,
    )?;
    let (fresh, rest): (Vec<_>, Vec<_>) = described
        .into_iter()
        .partition(|d| new_clusters.contains(&d.cluster));

    let fail = runs::sql_at(store.db_path().to_path_buf());
    // Immediate: the check below and the writes after it see one state of the run, so two
    // edits prepared side by side (two windows, the app and the CLI) cannot both land,
    // the second overwriting the first or taking the same new cluster ids.
    store.sync_full()?;
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(&fail)?;
    if run_version(&tx, run_id, state.model_id, &state.method).map_err(&fail)? != state.seen {
        return Err(ClusterError::Invalid(format!(
            "run {run_id} changed while this edit was prepared (another edit, or reports assigned); nothing was changed: try again"
        )));
    }
    {
        let mut mv = tx
            .prepare(
                "UPDATE cluster_members SET cluster = ?3 WHERE run_id = ?1 AND incident_id = ?2",
            )
            .map_err(&fail)?;
        for &(i, c) in moves {
            mv.execute(params![run_id, state.ids[i], c]).map_err(&fail)?;
        }
        let mut retire = tx
            .prepare("UPDATE clusters SET active = 0 WHERE run_id = ?1 AND cluster_id = ?2")
            .map_err(&fail)?;
        for c in &retired {
            retire.execute(params![run_id, c]).map_err(&fail)?;
        }
    }
    runs::write_clusters(&tx, run_id, &fresh, kind).map_err(&fail)?;
    runs::write_clusters(&tx, run_id, &rest, "run").map_err(&fail)?;
    tx.execute(
        "UPDATE cluster_runs SET noise_assigned = ?2 WHERE id = ?1",
        params![run_id, noise_assigned],
    )
    .map_err(&fail)?;
    tx.execute(
        "INSERT INTO cluster_edits (run_id, kind, detail, author, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            run_id,
            kind,
            detail.to_string(),
            author,
            crate::clock::now()
        ],
    )
    .map_err(&fail)?;
    let edit_id = tx.last_insert_rowid();
    let audited = serde_json::json!({ "run": run_id, "edit": edit_id, "detail": detail });
    crate::store::audit::append(&tx, author, &format!("cluster_{kind}"), &audited)
        .map_err(&fail)?;
    tx.commit().map_err(&fail)?;
    Ok(EditOutcome {
        edit_id,
        new_clusters,
        clusters: runs::clusters_of(store, run_id)?,
    })
}

/// Merges two or more active clusters of a run into one new cluster.
pub fn merge_clusters(
    store: &mut Store,
    run_id: i64,
    clusters: &[i64],
    author: &str,
) -> Result<EditOutcome, ClusterError> {
    let state = load_state(store, run_id)?;
    let active = active_clusters(store, run_id)?;
    let mut sources: Vec<i64> = clusters.to_vec();
    sources.sort_unstable();
    sources.dedup();
    if sources.len() < 2 {
        return Err(ClusterError::Invalid(
            "a merge needs at least two different clusters".into(),
        ));
    }
    if let Some(&missing) = sources.iter().find(|c| !active.contains(c)) {
        return Err(ClusterError::UnknownCluster {
            run: run_id,
            cluster: missing,
        });
    }
    let into = state.seen.max_cluster + 1;
    let moves: Vec<(usize, i64)> = state
        .assignment
        .iter()
        .enumerate()
        .filter(|(_, c)| sources.contains(c))
        .map(|(i, _)| (i, into))
        .collect();
    let detail = serde_json::json!({ "from": sources, "into": into });
    let edit = Edit { moves: &moves, retired: &sources, kind: "merge", detail, creates: true };
    apply(store, run_id, state, edit, author)
}

/// Splits an active cluster into new clusters, by k-means on its vectors or by a list of
/// reports the reviewer picked.
pub fn split_cluster(
    store: &mut Store,
    run_id: i64,
    cluster: i64,
    how: &SplitHow,
    author: &str,
) -> Result<EditOutcome, ClusterError> {
    let state = load_state(store, run_id)?;
    if !active_clusters(store, run_id)?.contains(&cluster) {
        return Err(ClusterError::UnknownCluster {
            run: run_id,
            cluster,
        });
    }
    let members: Vec<usize> = (0..state.ids.len())
        .filter(|&i| state.assignment[i] == cluster)
        .collect();
    let first_new = state.seen.max_cluster + 1;
    let parts: Vec<i32> = match how {
        SplitHow::Parts { parts, seed } => {
            if *parts < 2 || *parts > members.len() {
                return Err(ClusterError::Invalid(format!(
                    "cannot split a cluster of {} reports into {parts} parts",
                    members.len()
                )));
            }
            let dim = state.dim;
            let sub: Vec<f32> = members
                .iter()
                .flat_map(|&i| state.data[i * dim..(i + 1) * dim].iter().copied())
                .collect();
            ml::cluster::kmeans(&sub, members.len(), dim, *parts, *seed)?.0
        }
        SplitHow::Incidents(external) => {
            let wanted: HashSet<&str> = external.iter().map(String::as_str).collect();
            let mut labels = Vec::with_capacity(members.len());
            let mut found = 0;
            for &i in &members {
                let picked = wanted.contains(state.external_ids[i].as_str());
                found += picked as usize;
                labels.push(if picked { 0 } else { 1 });
            }
            if found != wanted.len() {
                return Err(ClusterError::Invalid(format!(
                    "{} of the listed reports are not in cluster {cluster}",
                    wanted.len() - found
                )));
            }
            if found == 0 || found == members.len() {
                return Err(ClusterError::Invalid(
                    "a split must leave reports on both sides".into(),
                ));
            }
            labels
        }
    };
    // New ids in order of size, largest first, so the result does not depend on k-means' label order.
    let mut sizes: BTreeMap<i32, usize> = BTreeMap::new();
    for &p in &parts {
        *sizes.entry(p).or_insert(0) += 1;
    }
    let mut order: Vec<i32> = sizes.keys().copied().collect();
    order.sort_by_key(|p| (std::cmp::Reverse(sizes[p]), *p));
    let id_of: HashMap<i32, i64> = order
        .iter()
        .enumerate()
        .map(|(r, &p)| (p, first_new + r as i64))
        .collect();
    let moves: Vec<(usize, i64)> = members
        .iter()
        .zip(&parts)
        .map(|(&i, p)| (i, id_of[p]))
        .collect();
    let detail = serde_json::json!({
        "cluster": cluster,
        "into": order.iter().map(|p| id_of[p]).collect::<Vec<_>>(),
        "how": match how {
            SplitHow::Parts { parts, seed } => serde_json::json!({ "kmeans": parts, "seed": seed }),
            SplitHow::Incidents(list) => serde_json::json!({ "incidents": list }),
        },
    });
    let edit = Edit { moves: &moves, retired: &[cluster], kind: "split", detail, creates: true };
    apply(store, run_id, state, edit, author)
}
