//! Model-assisted labelling: what the nearest already-labelled reports suggest for a report
//! (shown to the reviewer with its confidence, never applied by itself), and uncertainty
//! sampling, which picks the reports that vote is least sure of.

use super::people::Schema;
use super::sampling::knn_vote;
use super::session::{load_session, vectors_for};
use super::ReviewError;
use crate::store::Store;
use serde::Serialize;
use std::collections::HashSet;

/// Neighbours that vote.
pub const K: usize = 10;
/// Fewest labelled reports before uncertainty sampling means anything.
pub const MIN_LABELLED: usize = 10;

/// Every report labelled under this schema in any session: (incident, category index),
/// one vote per report (its adjudication, else the first coder's label in force).
fn labelled(store: &Store, schema: &Schema) -> Result<Vec<(i64, usize)>, ReviewError> {
    let sessions: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM review_sessions WHERE schema_id = ?1")?
        .query_map([schema.id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for s in sessions {
        let state = super::labels::replay(store, s)?;
        let items: Vec<i64> = store
            .conn()
            .prepare("SELECT incident_id FROM session_items WHERE session_id = ?1")?
            .query_map([s], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for incident in items {
            let value = state
                .adjudication(incident)
                .cloned()
                .or_else(|| state.current(incident).into_values().next());
            if let Some(first) = value.and_then(|v| v.into_iter().next()) {
                if let Some(c) = schema.index_of(&first) {
                    if seen.insert(incident) {
                        out.push((incident, c));
                    }
                }
            }
        }
    }
    Ok(out)
}

struct Votes {
    ids: Vec<i64>,
    labels: Vec<usize>,
    vectors: Vec<f32>,
    dim: usize,
}

impl Votes {
    fn load(store: &Store, model: &str, schema: &Schema) -> Result<Votes, ReviewError> {
        let found = labelled(store, schema)?;
        let ids: Vec<i64> = found.iter().map(|(i, _)| *i).collect();
        let (kept, vectors, dim) = vectors_for(store, model, &ids)?;
        let label_of: std::collections::HashMap<i64, usize> = found.into_iter().collect();
        let labels = kept.iter().map(|i| label_of[i]).collect();
        Ok(Votes {
            ids: kept,
            labels,
            vectors,
            dim,
        })
    }

    fn vote(&self, query: &[f32], skip: i64, categories: usize) -> Option<(usize, f64, f64)> {
        let mut sims: Vec<(f32, usize)> = (0..self.ids.len())
            .filter(|&j| self.ids[j] != skip)
            .map(|j| {
                (
                    self.vectors[j * self.dim..(j + 1) * self.dim]
                        .iter()
                        .zip(query)
                        .map(|(a, b)| a * b)
                        .sum(),
                    j,
                )
            })
            .collect();
        sims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top: Vec<(usize, f32)> = sims
            .iter()
            .take(K)
            .map(|&(s, j)| (self.labels[j], s))
            .collect();
        knn_vote(&top, categories)
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Suggestion {
    pub label: String,
    /// Share of the neighbours' similarity-weighted vote.
    pub confidence: f64,
    /// How many labelled reports voted.
    pub neighbours: usize,
}

/// What the nearest labelled reports suggest for `external_id` in the session; `None`
/// when the session has no model or nothing is labelled yet.
pub fn suggest(
    store: &Store,
    session_id: i64,
    external_id: &str,
) -> Result<Option<Suggestion>, ReviewError> {
    let session = load_session(store, session_id)?;
    let Some(model) = session.model.as_deref() else {
        return Ok(None);
    };
    let incident: i64 = store.conn().query_row(
        "SELECT id FROM incidents WHERE external_id = ?1",
        [external_id],
        |r| r.get(0),
    )?;
    let votes = Votes::load(store, model, &session.schema)?;
    let (_, query, _) = vectors_for(store, model, &[incident])?;
    if query.is_empty() {
        return Ok(None);
    }
    let voters = votes.ids.iter().filter(|&&i| i != incident).count().min(K);
    Ok(votes
        .vote(&query, incident, session.schema.labels.len())
        .map(|(c, share, _)| Suggestion {
            label: session.schema.labels[c].name.clone(),
            confidence: share,
            neighbours: voters,
        }))
}

/// The `count` unlabelled reports among `ids` with the smallest margin between the top two
/// labels of the neighbours' vote.
pub(crate) fn least_certain(
    store: &Store,
    model: &str,
    schema: &Schema,
    ids: &[i64],
    count: usize,
) -> Result<Vec<i64>, ReviewError> {
    let votes = Votes::load(store, model, schema)?;
    if votes.ids.len() < MIN_LABELLED {
        return Err(ReviewError::Invalid(format!(
            "uncertainty sampling needs at least {MIN_LABELLED} reports labelled under schema {} (there are {}); start with random or diversity sampling",
            schema.name,
            votes.ids.len()
        )));
    }
    let done: HashSet<i64> = votes.ids.iter().copied().collect();
    let candidates: Vec<i64> = ids.iter().copied().filter(|i| !done.contains(i)).collect();
    let (kept, vectors, dim) = vectors_for(store, model, &candidates)?;
    let mut scored: Vec<(f64, i64)> = kept
        .iter()
        .enumerate()
        .filter_map(|(i, &id)| {
            votes
                .vote(&vectors[i * dim..(i + 1) * dim], id, schema.labels.len())
                .map(|(_, _, margin)| (margin, id))
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(scored.into_iter().take(count).map(|(_, id)| id).collect())
}
