//! The whole audit check: the chain itself (`store::audit`) and the records it vouches for.
//! The chain proves what was appended to it; a label, adjudication, triage decision or
//! benchmark row written straight into the file, or removed from it, leaves the chain
//! intact. Here each such row must have its entry and each entry its row.

use crate::review::benchmark::{content_hash, load_benchmark};
use crate::store::audit::{self, ChainHead, Verification};
use crate::store::{Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The chain's verification and every record that disagrees with it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditReport {
    pub chain: Verification,
    /// One line per disagreement, naming the row or entry (at most `MAX_LISTED`).
    pub mismatches: Vec<String>,
    pub mismatch_count: u64,
}

impl AuditReport {
    pub fn intact(&self) -> bool {
        self.chain.broken_at.is_none() && self.mismatch_count == 0
    }
}

const MAX_LISTED: usize = 50;

/// Verifies the chain (against `head`, when given) and cross-checks labels, adjudications,
/// triage decisions and benchmark sets with their entries.
pub fn check(store: &Store, head: Option<&ChainHead>) -> Result<AuditReport, StoreError> {
    let conn = store.conn();
    let sql = |e| store.err(e);
    let chain = audit::verify_against(conn, head).map_err(sql)?;
    let mut found = Vec::new();
    let entries = entries_by_action(conn).map_err(sql)?;
    labels(conn, &entries, &mut found).map_err(sql)?;
    decisions(conn, &entries, &mut found).map_err(sql)?;
    benchmarks(store, &entries, &mut found)?;
    let mismatch_count = found.len() as u64;
    found.truncate(MAX_LISTED);
    Ok(AuditReport { chain, mismatches: found, mismatch_count })
}

/// Every entry's id and detail, by action.
fn entries_by_action(conn: &rusqlite::Connection) -> rusqlite::Result<BTreeMap<String, Vec<(i64, serde_json::Value)>>> {
    let mut stmt = conn.prepare("SELECT id, action, detail FROM audit_log ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut out: BTreeMap<String, Vec<(i64, serde_json::Value)>> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let detail: String = r.get(2)?;
        out.entry(r.get(1)?).or_default().push((r.get(0)?, serde_json::from_str(&detail).unwrap_or_default()));
    }
    Ok(out)
}

fn of<'a>(entries: &'a BTreeMap<String, Vec<(i64, serde_json::Value)>>, actions: &'a [&'a str]) -> impl Iterator<Item = &'a (i64, serde_json::Value)> {
    actions.iter().flat_map(move |a| entries.get(*a).into_iter().flatten())
}

/// Label rows (labels, changes, undos, adjudications) and their entries, by row id.
fn labels(conn: &rusqlite::Connection, entries: &BTreeMap<String, Vec<(i64, serde_json::Value)>>, found: &mut Vec<String>) -> rusqlite::Result<()> {
    let mut rows: BTreeMap<i64, (i64, String)> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT id, session_id, kind FROM labels")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        rows.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
    }
    let mut vouched = BTreeSet::new();
    for (entry, detail) in of(entries, &["label", "label_change", "label_undo", "adjudicate"]) {
        let Some(row) = detail.get("label_row").and_then(|v| v.as_i64()) else {
            found.push(format!("audit entry {entry} records a label without its row"));
            continue;
        };
        vouched.insert(row);
        match rows.get(&row) {
            None => found.push(format!("audit entry {entry} records label row {row}, which is not in the project (removed)")),
            Some((session, _)) if detail.get("session").and_then(|v| v.as_i64()) != Some(*session) => {
                found.push(format!("label row {row} is in session {session}, its audit entry {entry} says another"))
            }
            Some(_) => {}
        }
    }
    for (row, (session, kind)) in &rows {
        if !vouched.contains(row) {
            found.push(format!("label row {row} ({kind}, session {session}) has no audit entry (written outside the app)"));
        }
    }
    Ok(())
}

/// Triage history rows and `cluster_status` entries, as multisets of what they record.
fn decisions(conn: &rusqlite::Connection, entries: &BTreeMap<String, Vec<(i64, serde_json::Value)>>, found: &mut Vec<String>) -> rusqlite::Result<()> {
    type Key = (i64, i64, String, i64, String, String);
    let mut rows: BTreeMap<Key, Vec<i64>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT id, run_id, model_id, method, cluster_id, status, note FROM cluster_triage_history")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        rows.entry((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)).or_default().push(r.get(0)?);
    }
    for (entry, d) in of(entries, &["cluster_status"]) {
        let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let num = |k: &str| d.get(k).and_then(|v| v.as_i64()).unwrap_or(i64::MIN);
        let key = (num("run"), num("model_id"), text("method"), num("cluster"), text("status"), text("note"));
        if rows.get_mut(&key).and_then(|ids| ids.pop()).is_none() {
            found.push(format!("audit entry {entry} records a triage decision ({} on cluster {}) that is not in the project", key.4, key.3));
        }
    }
    for ((run, _, _, cluster, status, _), ids) in rows {
        for id in ids {
            found.push(format!("triage decision {id} ({status} on cluster {cluster} of run {run}) has no audit entry"));
        }
    }
    Ok(())
}

/// Benchmark sets and their `benchmark_save` entries: each set has one, with its content
/// hash, and its items still hash to it.
fn benchmarks(store: &Store, entries: &BTreeMap<String, Vec<(i64, serde_json::Value)>>, found: &mut Vec<String>) -> Result<(), StoreError> {
    let conn = store.conn();
    let sets: Vec<(i64, String, i64, String)> = {
        let mut stmt = conn.prepare("SELECT id, name, version, content_sha256 FROM benchmark_sets").map_err(|e| store.err(e))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).map_err(|e| store.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| store.err(e))?
    };
    let saved: BTreeMap<i64, (i64, String)> = of(entries, &["benchmark_save"])
        .filter_map(|(entry, d)| Some((d.get("benchmark")?.as_i64()?, (*entry, d.get("content_sha256")?.as_str()?.to_string()))))
        .collect();
    for (id, name, version, sha) in &sets {
        match saved.get(id) {
            None => found.push(format!("benchmark {name} v{version} has no audit entry (written outside the app)")),
            Some((entry, recorded)) if recorded != sha => {
                found.push(format!("benchmark {name} v{version} claims content {sha}, its audit entry {entry} recorded {recorded}"))
            }
            Some(_) => match load_benchmark(store, name, Some(*version)) {
                Ok(b) if content_hash(&b.header.labels, b.header.multi, &b.items) != *sha => {
                    found.push(format!("benchmark {name} v{version}'s items were changed after it was saved"))
                }
                Ok(_) => {}
                Err(e) => found.push(format!("benchmark {name} v{version} cannot be read: {e}")),
            },
        }
    }
    let ids: BTreeSet<i64> = sets.iter().map(|s| s.0).collect();
    for (set, (entry, _)) in &saved {
        if !ids.contains(set) {
            found.push(format!("audit entry {entry} records benchmark {set}, which is not in the project (removed)"));
        }
    }
    Ok(())
}
