//! Summary counts of a project: what the `stats` command and the app's start page show.

use crate::fields::HARM_LEVELS;
use crate::store::{Dataset, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Count {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectStats {
    pub incidents: u64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub datasets: Vec<Dataset>,
    pub rejected_rows: u64,
    /// Counts by field, largest first; a missing value counts as "(not recorded)".
    pub by_category: Vec<Count>,
    /// By PD09 degree of harm, 1 to 5, in that order.
    pub by_harm: Vec<Count>,
    pub by_care_setting: Vec<Count>,
    pub by_specialty: Vec<Count>,
    /// By calendar month (`YYYY-MM`), in date order.
    pub by_month: Vec<Count>,
}

const NOT_RECORDED: &str = "(not recorded)";

fn counts(store: &Store, sql: &str) -> Result<Vec<Count>, StoreError> {
    let mut stmt = store.conn().prepare(sql).map_err(|e| store.err(e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Count {
                value: r
                    .get::<_, Option<String>>(0)?
                    .unwrap_or_else(|| NOT_RECORDED.into()),
                count: r.get(1)?,
            })
        })
        .map_err(|e| store.err(e))?;
    rows.collect::<Result<_, _>>().map_err(|e| store.err(e))
}

fn by_column(store: &Store, column: &str) -> Result<Vec<Count>, StoreError> {
    counts(store, &format!("SELECT {column}, count(*) AS n FROM incidents GROUP BY {column} ORDER BY n DESC, {column}"))
}

/// Computes the summary in a handful of aggregate queries.
pub fn project_stats(store: &Store) -> Result<ProjectStats, StoreError> {
    let (incidents, first_date, last_date) = store
        .conn()
        .query_row(
            "SELECT count(*), min(occurred_on), max(occurred_on) FROM incidents",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| store.err(e))?;
    let rejected_rows = store
        .conn()
        .query_row("SELECT count(*) FROM import_rejects", [], |r| r.get(0))
        .map_err(|e| store.err(e))?;
    let by_harm = counts(store, "SELECT CAST(harm AS TEXT), count(*) FROM incidents GROUP BY harm ORDER BY harm IS NULL, harm")?
        .into_iter()
        .map(|c| {
            let value = match c.value.parse::<usize>() {
                Ok(h) if (1..=5).contains(&h) => format!("{h} {}", HARM_LEVELS[h - 1]),
                _ => c.value,
            };
            Count { value, count: c.count }
        })
        .collect();
    Ok(ProjectStats {
        incidents,
        first_date,
        last_date,
        datasets: store.datasets()?,
        rejected_rows,
        by_category: by_column(store, "category")?,
        by_harm,
        by_care_setting: by_column(store, "care_setting")?,
        by_specialty: by_column(store, "specialty")?,
        by_month: counts(
            store,
            "SELECT substr(occurred_on, 1, 7) AS m, count(*) FROM incidents GROUP BY m ORDER BY m",
        )?,
    })
}
