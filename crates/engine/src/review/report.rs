//! A session's agreement report: the statistics over every report coded by two or more
//! reviewers, per label as well (each label against the rest), and the reports the coders
//! disagree on, for adjudication.

use super::agreement::{cohen_kappa, fleiss_kappa, gwet_ac1, krippendorff_alpha_nominal, Chance};
use super::labels::{replay, reviewer_names, session_reports};
use super::session::load_session;
use super::ReviewError;
use crate::store::Store;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PairKappa {
    pub a: String,
    pub b: String,
    pub items: usize,
    pub kappa: Chance,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LabelAgreement {
    pub label: String,
    pub alpha: Chance,
    pub ac1: Chance,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Disagreement {
    pub external_id: String,
    pub labels: Vec<(String, Vec<String>)>,
    pub adjudicated: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgreementReport {
    pub session: i64,
    /// Reports coded by two or more reviewers.
    pub items: usize,
    /// Nominal statistics over the whole label set (single-label schemas only).
    pub alpha: Option<Chance>,
    pub ac1: Option<Chance>,
    /// Only when every such report has the same number of coders.
    pub fleiss: Option<Chance>,
    pub pairs: Vec<PairKappa>,
    pub per_label: Vec<LabelAgreement>,
    pub disagreements: Vec<Disagreement>,
}

pub fn agreement(store: &Store, session_id: i64) -> Result<AgreementReport, ReviewError> {
    let session = load_session(store, session_id)?;
    let schema = &session.schema;
    let state = replay(store, session_id)?;
    let names = reviewer_names(store)?;
    let rows = session_reports(store, session_id)?;

    let mut coded: Vec<(String, BTreeMap<i64, Vec<String>>)> = Vec::new();
    let mut disagreements = Vec::new();
    for (incident, external) in rows {
        let current = state.current(incident);
        if current.len() < 2 {
            continue;
        }
        let first = current.values().next().cloned();
        if current.values().any(|v| Some(v) != first.as_ref()) {
            disagreements.push(Disagreement {
                external_id: external.clone(),
                labels: current
                    .iter()
                    .map(|(r, v)| (names.get(r).cloned().unwrap_or_default(), v.clone()))
                    .collect(),
                adjudicated: state.adjudication(incident).cloned(),
            });
        }
        coded.push((external, current));
    }
    let k = schema.labels.len();
    let index = |v: &Vec<String>| v.first().and_then(|l| schema.index_of(l)).unwrap_or(0);

    let (mut alpha, mut ac1, mut fleiss, mut pairs) = (None, None, None, Vec::new());
    if !schema.multi && !coded.is_empty() {
        let items: Vec<Vec<usize>> = coded
            .iter()
            .map(|(_, c)| c.values().map(index).collect())
            .collect();
        alpha = Some(krippendorff_alpha_nominal(&items, k));
        ac1 = Some(gwet_ac1(&items, k));
        fleiss = fleiss_kappa(&items, k).ok();
        let coders: Vec<i64> = {
            let mut v: Vec<i64> = coded.iter().flat_map(|(_, c)| c.keys().copied()).collect();
            v.sort();
            v.dedup();
            v
        };
        for (i, &a) in coders.iter().enumerate() {
            for &b in &coders[i + 1..] {
                let shared: Vec<(usize, usize)> = coded
                    .iter()
                    .filter_map(|(_, c)| Some((index(c.get(&a)?), index(c.get(&b)?))))
                    .collect();
                if !shared.is_empty() {
                    pairs.push(PairKappa {
                        a: names.get(&a).cloned().unwrap_or_default(),
                        b: names.get(&b).cloned().unwrap_or_default(),
                        items: shared.len(),
                        kappa: cohen_kappa(&shared, k),
                    });
                }
            }
        }
    }
    let per_label = schema
        .labels
        .iter()
        .map(|l| {
            let items: Vec<Vec<usize>> = coded
                .iter()
                .map(|(_, c)| c.values().map(|v| v.contains(&l.name) as usize).collect())
                .collect();
            LabelAgreement {
                label: l.name.clone(),
                alpha: krippendorff_alpha_nominal(&items, 2),
                ac1: gwet_ac1(&items, 2),
            }
        })
        .collect();
    Ok(AgreementReport {
        session: session_id,
        items: coded.len(),
        alpha,
        ac1,
        fleiss,
        pairs,
        per_label,
        disagreements,
    })
}
