//! Each dataset's counts by field, taken once when its import commits. A dataset's reports
//! never change after its import (one transaction), so the project's overview can add
//! these up in milliseconds where grouping a million reports took seconds per field.

use super::{Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One field's counts: `(value, reports)`, `None` for reports with no value.
pub type FieldCounts = Vec<(Option<String>, u64)>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub incidents: u64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub category: FieldCounts,
    /// PD09 degree of harm 1..5 as text.
    pub harm: FieldCounts,
    pub care_setting: FieldCounts,
    pub specialty: FieldCounts,
    /// `YYYY-MM` of the date the incident occurred.
    pub month: FieldCounts,
}

#[derive(Default)]
struct Tally(HashMap<Option<String>, u64>);

impl Tally {
    fn add(&mut self, value: Option<String>) {
        *self.0.entry(value).or_insert(0) += 1;
    }

    /// In value order (no value first), so a summary's JSON is the same on every run.
    fn finish(self) -> FieldCounts {
        let mut counts: FieldCounts = self.0.into_iter().collect();
        counts.sort();
        counts
    }
}

/// Counts one dataset's reports in a single pass over its rows. Run inside the import's
/// transaction, it sees the rows about to be committed.
pub(crate) fn summarise(conn: &Connection, dataset_id: i64) -> rusqlite::Result<DatasetSummary> {
    let mut stmt = conn.prepare(
        "SELECT occurred_on, category, CAST(harm AS TEXT), care_setting, specialty
         FROM incidents WHERE dataset_id = ?1",
    )?;
    let mut rows = stmt.query([dataset_id])?;
    let mut summary = DatasetSummary::default();
    let [mut category, mut harm, mut care_setting, mut specialty, mut month]: [Tally; 5] = Default::default();
    while let Some(r) = rows.next()? {
        let date: String = r.get(0)?;
        if summary.first_date.as_ref().is_none_or(|d| date < *d) {
            summary.first_date = Some(date.clone());
        }
        if summary.last_date.as_ref().is_none_or(|d| date > *d) {
            summary.last_date = Some(date.clone());
        }
        let mut date = date;
        date.truncate(7);
        month.add(Some(date));
        category.add(r.get(1)?);
        harm.add(r.get(2)?);
        care_setting.add(r.get(3)?);
        specialty.add(r.get(4)?);
        summary.incidents += 1;
    }
    summary.category = category.finish();
    summary.harm = harm.finish();
    summary.care_setting = care_setting.finish();
    summary.specialty = specialty.finish();
    summary.month = month.finish();
    Ok(summary)
}

/// Counts a dataset and keeps the counts (replacing any kept before).
pub(crate) fn record(conn: &Connection, dataset_id: i64) -> rusqlite::Result<DatasetSummary> {
    let summary = summarise(conn, dataset_id)?;
    keep(conn, dataset_id, &summary)?;
    Ok(summary)
}

fn keep(conn: &Connection, dataset_id: i64, summary: &DatasetSummary) -> rusqlite::Result<()> {
    let json = serde_json::to_string(summary)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute(
        "INSERT OR REPLACE INTO dataset_summaries (dataset_id, summary) VALUES (?1, ?2)",
        params![dataset_id, json],
    )?;
    Ok(())
}

/// Every dataset's summary. One missing (a project from before summaries were kept) or
/// unreadable is counted again from its reports and kept, so only the first overview of
/// such a project pays for the scan.
pub fn dataset_summaries(store: &Store) -> Result<Vec<DatasetSummary>, StoreError> {
    let conn = store.conn();
    let ids: Vec<i64> = {
        let mut stmt = conn
            .prepare("SELECT id FROM datasets ORDER BY id")
            .map_err(|e| store.err(e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| store.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| store.err(e))?
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let kept: Option<String> = conn
            .query_row(
                "SELECT summary FROM dataset_summaries WHERE dataset_id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| store.err(e))?;
        let summary = match kept.and_then(|json| serde_json::from_str(&json).ok()) {
            Some(summary) => summary,
            None => {
                let summary = summarise(conn, id).map_err(|e| store.err(e))?;
                // Keeping it only saves the next overview a scan: while another process
                // holds the write lock (an import), the counts are still right, just not kept.
                let _ = keep(conn, id, &summary);
                summary
            }
        };
        out.push(summary);
    }
    Ok(out)
}
