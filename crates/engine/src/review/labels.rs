//! Labels: each act is one row, committed (with its audit entry) before the caller is
//! told it is recorded, so a crash never loses an acknowledged label. Corrections and
//! undos are new rows; what an item's label "is" comes from replaying them in order.

use super::people::{reviewer, Reviewer, Role};
use super::session::{load_session, Session};
use super::ReviewError;
use crate::clock::now;
use crate::store::audit;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LabelAck {
    pub label_id: i64,
    pub external_id: String,
    pub value: Vec<String>,
}

/// (label row id, value).
type LabelRow = (i64, Vec<String>);

/// Replayed state of a session's labels.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// (incident, reviewer) -> stack of (label row id, value); the top is in force.
    stacks: BTreeMap<(i64, i64), Vec<LabelRow>>,
    /// incident -> latest adjudication (row id, adjudicator, value).
    adjudicated: BTreeMap<i64, (i64, i64, Vec<String>)>,
}

impl Replay {
    /// Labels in force on an item: reviewer id -> value.
    pub fn current(&self, incident: i64) -> BTreeMap<i64, Vec<String>> {
        self.stacks
            .range((incident, i64::MIN)..=(incident, i64::MAX))
            .filter_map(|(&(_, r), stack)| stack.last().map(|(_, v)| (r, v.clone())))
            .collect()
    }

    fn top(&self, incident: i64, reviewer: i64) -> Option<i64> {
        self.stacks
            .get(&(incident, reviewer))
            .and_then(|s| s.last())
            .map(|(id, _)| *id)
    }

    pub fn adjudication(&self, incident: i64) -> Option<&Vec<String>> {
        self.adjudicated.get(&incident).map(|(_, _, v)| v)
    }
}

pub(crate) fn replay(store: &Store, session: i64) -> Result<Replay, ReviewError> {
    let mut out = Replay::default();
    let mut stmt = store.conn().prepare(
        "SELECT id, incident_id, reviewer_id, kind, value, supersedes FROM labels WHERE session_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([session])?;
    while let Some(r) = rows.next()? {
        let (id, incident, reviewer, kind, value, supersedes): (
            i64,
            i64,
            i64,
            String,
            Option<String>,
            Option<i64>,
        ) = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        );
        let value: Vec<String> = value
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default();
        match kind.as_str() {
            "label" => out
                .stacks
                .entry((incident, reviewer))
                .or_default()
                .push((id, value)),
            "undo" => {
                if let Some(stack) = out.stacks.get_mut(&(incident, reviewer)) {
                    if stack
                        .last()
                        .map(|(top, _)| Some(*top) == supersedes)
                        .unwrap_or(false)
                    {
                        stack.pop();
                    }
                }
            }
            _ => {
                out.adjudicated.insert(incident, (id, reviewer, value));
            }
        }
    }
    Ok(out)
}

fn item_id(store: &Store, session: i64, external_id: &str) -> Result<i64, ReviewError> {
    store
        .conn()
        .query_row(
            "SELECT i.id FROM incidents i JOIN session_items s ON s.incident_id = i.id
             WHERE s.session_id = ?1 AND i.external_id = ?2",
            params![session, external_id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            ReviewError::Invalid(format!("report {external_id} is not in session {session}"))
        })
}

fn checked_value(session: &Session, value: &[String]) -> Result<Vec<String>, ReviewError> {
    let mut v: Vec<String> = value.iter().map(|s| s.trim().to_string()).collect();
    v.sort_by_key(|l| session.schema.index_of(l).unwrap_or(usize::MAX));
    v.dedup();
    if let Some(bad) = v.iter().find(|l| session.schema.index_of(l).is_none()) {
        let known: Vec<&str> = session
            .schema
            .labels
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        return Err(ReviewError::Invalid(format!(
            "{bad:?} is not a label of schema {} (labels: {})",
            session.schema.name,
            known.join(", ")
        )));
    }
    if v.is_empty() || (!session.schema.multi && v.len() != 1) {
        return Err(ReviewError::Invalid(if session.schema.multi {
            "pick at least one label".into()
        } else {
            "this schema takes exactly one label per report".into()
        }));
    }
    Ok(v)
}

/// Labels are made by hand, one every few seconds, so each commit can afford a full fsync:
/// an acknowledged label then survives power loss too, not only a killed process (WAL with
/// `synchronous = NORMAL`, the store's default, guarantees the latter only).
fn durable(store: &Store) -> Result<(), ReviewError> {
    Ok(store.sync_full()?)
}

/// Records `reviewer`'s label for a report of the session and returns once it is committed.
pub fn record_label(
    store: &mut Store,
    session_id: i64,
    external_id: &str,
    reviewer_name: &str,
    value: &[String],
    note: &str,
    confidence: Option<f64>,
) -> Result<LabelAck, ReviewError> {
    let session = load_session(store, session_id)?;
    let who = reviewer(store, reviewer_name)?;
    let incident = item_id(store, session_id, external_id)?;
    let value = checked_value(&session, value)?;
    if confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
        return Err(ReviewError::Invalid("confidence is between 0 and 1".into()));
    }
    let json = serde_json::to_string(&value).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    durable(store)?;
    // The coders so far and the label this one supersedes are read inside the transaction
    // that writes it: two reviewers saving at once cannot both take a report's last place.
    let tx = store.immediate()?;
    let state = replay(store, session_id)?;
    let coders = state.current(incident);
    if !coders.contains_key(&who.id) && coders.len() >= session.coders_per_item {
        return Err(ReviewError::Invalid(format!(
            "report {external_id} already has its {} coder(s) in this session",
            session.coders_per_item
        )));
    }
    let supersedes = state.top(incident, who.id);
    let conn = store.conn();
    conn.execute(
        "INSERT INTO labels (session_id, incident_id, reviewer_id, kind, value, note, confidence, supersedes, created_at)
         VALUES (?1, ?2, ?3, 'label', ?4, ?5, ?6, ?7, ?8)",
        params![session_id, incident, who.id, json, note.trim(), confidence, supersedes, now()],
    )?;
    let label_id = conn.last_insert_rowid();
    audit::append(
        conn,
        &who.name,
        if supersedes.is_some() {
            "label_change"
        } else {
            "label"
        },
        &serde_json::json!({ "session": session_id, "report": external_id, "label_row": label_id, "value": value, "supersedes": supersedes, "note": note.trim(), "confidence": confidence }),
    )?;
    tx.commit()?;
    Ok(LabelAck {
        label_id,
        external_id: external_id.to_string(),
        value,
    })
}

/// Undoes the reviewer's latest label in force in the session; returns the report it was
/// on, or `None` when there is nothing to undo.
pub fn undo_last(
    store: &mut Store,
    session_id: i64,
    reviewer_name: &str,
) -> Result<Option<String>, ReviewError> {
    let who = reviewer(store, reviewer_name)?;
    let state = replay(store, session_id)?;
    let latest = state
        .stacks
        .iter()
        .filter(|((_, r), _)| *r == who.id)
        .filter_map(|((incident, _), stack)| stack.last().map(|(id, _)| (*id, *incident)))
        .max();
    let Some((label_id, incident)) = latest else {
        return Ok(None);
    };
    let external: String = store.conn().query_row(
        "SELECT external_id FROM incidents WHERE id = ?1",
        [incident],
        |r| r.get(0),
    )?;
    durable(store)?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO labels (session_id, incident_id, reviewer_id, kind, value, supersedes, created_at) VALUES (?1, ?2, ?3, 'undo', NULL, ?4, ?5)",
        params![session_id, incident, who.id, label_id, now()],
    )?;
    let undo_id = tx.last_insert_rowid();
    audit::append(
        &tx,
        &who.name,
        "label_undo",
        &serde_json::json!({ "session": session_id, "report": external, "label_row": undo_id, "undoes": label_id }),
    )?;
    tx.commit()?;
    Ok(Some(external))
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemState {
    pub position: usize,
    pub external_id: String,
    /// The asking reviewer's label in force, if any (never another reviewer's: coding is blind).
    pub mine: Option<Vec<String>>,
    /// How many reviewers have labelled it.
    pub coders: usize,
}

/// A session's reports in the order reviewers see them: (incident id, external id).
pub(crate) fn session_reports(
    store: &Store,
    session_id: i64,
) -> Result<Vec<(i64, String)>, ReviewError> {
    let mut stmt = store.conn().prepare(
        "SELECT s.incident_id, i.external_id FROM session_items s JOIN incidents i ON i.id = s.incident_id
         WHERE s.session_id = ?1 ORDER BY s.position",
    )?;
    let rows = stmt.query_map([session_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Reviewer names by id.
pub(crate) fn reviewer_names(store: &Store) -> Result<HashMap<i64, String>, ReviewError> {
    Ok(super::people::reviewers(store)?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

/// Every item of the session as one reviewer sees it.
pub fn items(
    store: &Store,
    session_id: i64,
    reviewer_name: &str,
) -> Result<Vec<ItemState>, ReviewError> {
    let who = reviewer(store, reviewer_name)?;
    let state = replay(store, session_id)?;
    let mut out = Vec::new();
    for (position, (incident, external_id)) in
        session_reports(store, session_id)?.into_iter().enumerate()
    {
        let current = state.current(incident);
        out.push(ItemState {
            position,
            external_id,
            mine: current.get(&who.id).cloned(),
            coders: current.len(),
        });
    }
    Ok(out)
}

/// The first item the reviewer has not labelled and that still needs a coder.
pub fn next_item(
    store: &Store,
    session_id: i64,
    reviewer_name: &str,
) -> Result<Option<ItemState>, ReviewError> {
    let session = load_session(store, session_id)?;
    Ok(items(store, session_id, reviewer_name)?
        .into_iter()
        .find(|i| i.mine.is_none() && i.coders < session.coders_per_item))
}

/// A third reviewer's ruling on a report the coders disagree on. Both original labels stay.
pub fn adjudicate(
    store: &mut Store,
    session_id: i64,
    external_id: &str,
    adjudicator: &str,
    value: &[String],
    note: &str,
) -> Result<LabelAck, ReviewError> {
    let session = load_session(store, session_id)?;
    let who: Reviewer = reviewer(store, adjudicator)?;
    if who.role == Role::Reviewer {
        return Err(ReviewError::Invalid(format!(
            "{} is a reviewer; adjudication needs an adjudicator or analyst",
            who.name
        )));
    }
    let incident = item_id(store, session_id, external_id)?;
    let value = checked_value(&session, value)?;
    let current = replay(store, session_id)?.current(incident);
    if current.contains_key(&who.id) {
        return Err(ReviewError::Invalid(format!(
            "{} labelled this report; a third reviewer must adjudicate",
            who.name
        )));
    }
    let distinct: std::collections::BTreeSet<&Vec<String>> = current.values().collect();
    if current.len() < 2 || distinct.len() < 2 {
        return Err(ReviewError::Invalid(format!(
            "report {external_id} has no disagreement to adjudicate"
        )));
    }
    durable(store)?;
    let tx = store.conn_mut().transaction()?;
    let json = serde_json::to_string(&value).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    tx.execute(
        "INSERT INTO labels (session_id, incident_id, reviewer_id, kind, value, note, created_at) VALUES (?1, ?2, ?3, 'adjudication', ?4, ?5, ?6)",
        params![session_id, incident, who.id, json, note.trim(), now()],
    )?;
    let label_id = tx.last_insert_rowid();
    let originals: HashMap<String, Vec<String>> = current
        .iter()
        .map(|(r, v)| (r.to_string(), v.clone()))
        .collect();
    audit::append(
        &tx,
        &who.name,
        "adjudicate",
        &serde_json::json!({ "session": session_id, "report": external_id, "label_row": label_id, "value": value, "originals": originals, "note": note.trim() }),
    )?;
    tx.commit()?;
    Ok(LabelAck {
        label_id,
        external_id: external_id.to_string(),
        value,
    })
}

/// Where one report of a session ended up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinalLabel {
    pub external_id: String,
    /// The adjudication when there is one, else the coders' label when all of them (at
    /// least `coders_per_item`) agree; `None` while unresolved.
    pub resolved: Option<Vec<String>>,
    /// Each coder's label in force: (reviewer, label).
    pub coded: Vec<(String, Vec<String>)>,
}

/// Every report of the session with its final label and the coders' originals.
pub fn final_labels(store: &Store, session_id: i64) -> Result<Vec<FinalLabel>, ReviewError> {
    let session = load_session(store, session_id)?;
    let state = replay(store, session_id)?;
    let names = reviewer_names(store)?;
    let mut out = Vec::new();
    for (incident, external_id) in session_reports(store, session_id)? {
        let current = state.current(incident);
        let coded = current
            .iter()
            .map(|(r, v)| (names.get(r).cloned().unwrap_or_default(), v.clone()))
            .collect();
        let unanimous = current.len() >= session.coders_per_item
            && current.values().all(|v| Some(v) == current.values().next());
        let resolved = state.adjudication(incident).cloned().or(if unanimous {
            current.values().next().cloned()
        } else {
            None
        });
        out.push(FinalLabel {
            external_id,
            resolved,
            coded,
        });
    }
    Ok(out)
}
