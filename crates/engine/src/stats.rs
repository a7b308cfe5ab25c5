//! Summary counts of a project: what the `stats` command and the app's start page show.

use crate::fields::HARM_LEVELS;
use crate::store::summaries::FieldCounts;
use crate::store::{dataset_summaries, Dataset, Store, StoreError};
use std::collections::BTreeMap;
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

/// Adds up one field over the datasets' summaries.
fn merged(fields: impl Iterator<Item = FieldCounts>) -> Vec<(Option<String>, u64)> {
    let mut total: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for (value, n) in fields.flatten() {
        *total.entry(value).or_insert(0) += n;
    }
    total.into_iter().collect()
}

fn named(counts: Vec<(Option<String>, u64)>) -> Vec<Count> {
    counts
        .into_iter()
        .map(|(value, count)| Count {
            value: value.unwrap_or_else(|| NOT_RECORDED.into()),
            count,
        })
        .collect()
}

/// Largest first; ties in value order with "not recorded" first, as SQL's
/// `ORDER BY n DESC, value` puts NULL.
fn largest_first(mut counts: Vec<(Option<String>, u64)>) -> Vec<Count> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    named(counts)
}

/// The summary, added up from each dataset's counts (kept when it was imported): opening
/// a project of a million reports costs milliseconds, not a scan per field.
pub fn project_stats(store: &Store) -> Result<ProjectStats, StoreError> {
    let summaries = dataset_summaries(store)?;
    let rejected_rows = store
        .conn()
        .query_row("SELECT count(*) FROM import_rejects", [], |r| r.get(0))
        .map_err(|e| store.err(e))?;
    let field = |get: fn(&crate::store::DatasetSummary) -> &FieldCounts| {
        merged(summaries.iter().map(|s| get(s).clone()))
    };
    // Harm 1..5 in order, not recorded last, each named by its PD09 level.
    let mut harm = field(|s| &s.harm);
    harm.sort_by_key(|(v, _)| (v.is_none(), v.as_deref().and_then(|h| h.parse::<u8>().ok())));
    let by_harm = named(harm)
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
        incidents: summaries.iter().map(|s| s.incidents).sum(),
        first_date: summaries.iter().filter_map(|s| s.first_date.clone()).min(),
        last_date: summaries.iter().filter_map(|s| s.last_date.clone()).max(),
        datasets: store.datasets()?,
        rejected_rows,
        by_category: largest_first(field(|s| &s.category)),
        by_harm,
        by_care_setting: largest_first(field(|s| &s.care_setting)),
        by_specialty: largest_first(field(|s| &s.specialty)),
        by_month: named(field(|s| &s.month)),
    })
}
