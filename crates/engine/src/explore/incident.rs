//! One report in full: every field, where it sits in a cluster run, and its nearest
//! neighbours under the run's model.

use super::search::Cache;
use crate::cluster::{load_run, ClusterError};
use crate::index::{self, Hit, IndexError};
use crate::store::Store;
use crate::triage::{self, Status};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// How many similar reports the detail view lists.
pub const SIMILAR_K: usize = 10;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClusterRef {
    pub run_id: i64,
    /// -1 when the report is noise in this run.
    pub cluster_id: i64,
    pub keywords: Vec<String>,
    pub size: u64,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentDetail {
    pub external_id: String,
    pub occurred_on: String,
    /// When the report was made, where its source says.
    pub reported_on: Option<String>,
    pub description: String,
    pub causes: Option<String>,
    pub actions: Option<String>,
    pub category: Option<String>,
    pub harm: Option<u8>,
    pub care_setting: Option<String>,
    pub specialty: Option<String>,
    pub location: Option<String>,
    /// Source columns that map to no field, as imported.
    pub extra: serde_json::Value,
    pub dataset: String,
    pub source_line: i64,
    pub cluster: Option<ClusterRef>,
    pub similar: Vec<Hit>,
    /// Why `similar` is empty when it is (no index yet, report not encoded).
    pub similar_unavailable: Option<String>,
    /// The personal data found in the three texts (built-in rules and the project's
    /// patterns), so the page can highlight it or show the text masked.
    pub personal: PersonalData,
}

/// Where personal data is in each text, in UTF-16 code units (how a web page indexes a
/// string), with its kind.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PersonalData {
    pub description: Vec<ShownSpan>,
    pub causes: Vec<ShownSpan>,
    pub actions: Vec<ShownSpan>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShownSpan {
    pub start: u32,
    pub end: u32,
    pub kind: crate::privacy::Kind,
    /// What the masked text shows: `[PERSON]`.
    pub token: String,
}

/// The spans `rules` finds in `text`, their byte offsets turned into UTF-16 offsets.
pub fn shown_spans(rules: &crate::privacy::Rules, text: &str) -> Vec<ShownSpan> {
    let utf16 = |byte: usize| text[..byte].encode_utf16().count() as u32;
    rules
        .detect(text)
        .into_iter()
        .map(|s| ShownSpan { start: utf16(s.start), end: utf16(s.end), kind: s.kind, token: s.kind.token() })
        .collect()
}

/// The report `external_id`; with a run, its cluster there and its neighbours under the
/// run's model.
pub fn incident_detail(
    store: &Store,
    cache: &Cache,
    external_id: &str,
    run_id: Option<i64>,
) -> Result<IncidentDetail, ClusterError> {
    let sql = |e| ClusterError::Store(store.err(e));
    let found = store
        .conn()
        .query_row(
            "SELECT i.id, i.external_id, i.occurred_on, i.description, i.causes, i.actions, i.category, i.harm,
                    i.care_setting, i.specialty, i.location, i.extra, d.name, i.source_line, i.reported_on
             FROM incidents i JOIN datasets d ON d.id = i.dataset_id WHERE i.external_id = ?1",
            [external_id],
            |r| {
                let extra: String = r.get(11)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    IncidentDetail {
                        external_id: r.get(1)?,
                        occurred_on: r.get(2)?,
                        reported_on: r.get(14)?,
                        description: r.get(3)?,
                        causes: r.get(4)?,
                        actions: r.get(5)?,
                        category: r.get(6)?,
                        harm: r.get(7)?,
                        care_setting: r.get(8)?,
                        specialty: r.get(9)?,
                        location: r.get(10)?,
                        extra: serde_json::from_str(&extra).unwrap_or(serde_json::Value::Null),
                        dataset: r.get(12)?,
                        source_line: r.get(13)?,
                        cluster: None,
                        similar: Vec::new(),
                        similar_unavailable: None,
                        personal: PersonalData::default(),
                    },
                ))
            },
        )
        .optional()
        .map_err(sql)?;
    let (incident_id, mut detail) = found.ok_or_else(|| {
        ClusterError::Invalid(format!("no incident with id {external_id} in this project"))
    })?;
    let rules = crate::store::privacy_rules::rules(store).map_err(|e| ClusterError::Invalid(e.to_string()))?;
    let shown = |t: &Option<String>| t.as_deref().map(|t| shown_spans(&rules, t)).unwrap_or_default();
    detail.personal = PersonalData { description: shown_spans(&rules, &detail.description), causes: shown(&detail.causes), actions: shown(&detail.actions) };
    let Some(run_id) = run_id else {
        return Ok(detail);
    };
    let run = load_run(store, run_id)?;

    let cluster: Option<i64> = store
        .conn()
        .query_row(
            "SELECT cluster FROM cluster_members WHERE run_id = ?1 AND incident_id = ?2",
            params![run_id, incident_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql)?;
    if let Some(cluster_id) = cluster {
        let (keywords, size) = if cluster_id >= 0 {
            store
                .conn()
                .query_row(
                    "SELECT keywords, size FROM clusters WHERE run_id = ?1 AND cluster_id = ?2",
                    params![run_id, cluster_id],
                    |r| {
                        Ok((
                            serde_json::from_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                            r.get::<_, i64>(1)? as u64,
                        ))
                    },
                )
                .optional()
                .map_err(sql)?
                .unwrap_or_default()
        } else {
            (Vec::new(), 0)
        };
        let status = if cluster_id >= 0 {
            triage::decision(store, run_id, cluster_id)?.map(|d| d.status)
        } else {
            None
        };
        detail.cluster = Some(ClusterRef {
            run_id,
            cluster_id,
            keywords,
            size,
            status,
        });
    }

    let found = cache
        .index(store, &run.model)
        .and_then(|index| index::similar_in(store, &index, external_id, SIMILAR_K));
    match found {
        Ok(hits) => detail.similar = hits,
        // A report imported after the run may not be encoded yet: say so, do not fail.
        Err(e @ (IndexError::NoVectors(_) | IndexError::NotEncoded { .. } | IndexError::Unusable(_))) => {
            detail.similar_unavailable = Some(e.to_string())
        }
        Err(e) => return Err(e.into()),
    }
    Ok(detail)
}
