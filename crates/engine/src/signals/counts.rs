//! The weekly counts a run's signals are detected on, read from the store in one pass over
//! the run's reports: per cluster, per incident category, and per cluster within each care
//! setting, specialty and location. Weeks start on Monday and run from the week of the
//! run's first report to the week of its last, with 0 for a week without reports, so every
//! series shares one axis. A report's week is that of the date the incident occurred.

use super::error::SignalError;
use crate::cluster::load_run;
use crate::store::Store;
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The fields a cluster's reports are broken down by.
pub const STRATA: [&str; 3] = ["care_setting", "specialty", "location"];

/// What a series counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeriesKey {
    Cluster { cluster: i64 },
    Category { category: String },
    /// A cluster's reports with one value of a field (`STRATA`).
    Stratum { cluster: i64, field: String, value: String },
}

impl SeriesKey {
    /// The cluster the series belongs to, if any.
    pub fn cluster(&self) -> Option<i64> {
        match self {
            SeriesKey::Cluster { cluster } | SeriesKey::Stratum { cluster, .. } => Some(*cluster),
            SeriesKey::Category { .. } => None,
        }
    }

    /// In words: "cluster 12", "category Medication", "cluster 12 in care setting X".
    pub fn describe(&self) -> String {
        match self {
            SeriesKey::Cluster { cluster } => format!("cluster {cluster}"),
            SeriesKey::Category { category } => format!("category {category}"),
            SeriesKey::Stratum { cluster, field, value } => {
                format!("cluster {cluster} in {} {value}", field.replace('_', " "))
            }
        }
    }
}

/// One report as the counts need it.
#[derive(Debug, Clone)]
pub struct Member {
    pub incident_id: i64,
    /// Below 0 for a report left out of every cluster (noise).
    pub cluster: i64,
    /// The date the series count it by (`DateBasis`): the incident's, or the report's.
    pub date: NaiveDate,
    pub category: Option<String>,
    /// The `STRATA` fields, in that order.
    pub strata: [Option<String>; 3],
}

/// Which date puts a report in a week.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DateBasis {
    /// The date the incident occurred (IN01).
    #[default]
    Occurred,
    /// The date it was reported: the series as reports arrive, which late reports do not
    /// fill in afterwards.
    Reported,
}

impl DateBasis {
    pub fn parse(name: &str) -> Result<DateBasis, SignalError> {
        match name.trim() {
            "occurred" => Ok(DateBasis::Occurred),
            "reported" => Ok(DateBasis::Reported),
            other => Err(SignalError::Invalid(format!("no date {other:?} to count by: use occurred or reported"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DateBasis::Occurred => "occurred",
            DateBasis::Reported => "reported",
        }
    }
}

/// The run's reports with their clusters (after merges and splits) and the fields counted,
/// dated by the engine's default basis (`run_members_by`).
pub fn run_members(store: &Store, run_id: i64) -> Result<Vec<Member>, SignalError> {
    Ok(run_members_by(store, run_id, None)?.0)
}

/// The run's reports dated by `by`; without it, by the reporting date when every report of
/// the run has one, else by the incident date. Asking for the reporting date of a run with
/// reports that have none is refused.
pub fn run_members_by(store: &Store, run_id: i64, by: Option<DateBasis>) -> Result<(Vec<Member>, DateBasis), SignalError> {
    load_run(store, run_id)?;
    let mut stmt = store.conn().prepare(
        "SELECT m.cluster, i.occurred_on, i.category, i.care_setting, i.specialty, i.location, i.id, i.reported_on
         FROM cluster_members m JOIN incidents i ON i.id = m.incident_id WHERE m.run_id = ?1 ORDER BY i.id",
    )?;
    let rows = stmt.query_map([run_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            [r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(5)?],
            r.get::<_, i64>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    // The store's CHECK keeps the shape; a date that does not exist (2024-02-30) is refused.
    let parse = |date: &str| {
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| SignalError::Invalid(format!("a report of run {run_id} has the impossible date {date:?}")))
    };
    let mut out = Vec::new();
    let mut reported = Vec::new();
    for row in rows {
        let (cluster, date, category, strata, incident_id, reported_on) = row?;
        let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        out.push(Member { incident_id, cluster, date: parse(&date)?, category: blank(category), strata: strata.map(blank) });
        reported.push(reported_on.as_deref().map(parse).transpose()?);
    }
    let missing = reported.iter().filter(|r| r.is_none()).count();
    let basis = match by {
        Some(DateBasis::Reported) if missing > 0 => {
            return Err(SignalError::Invalid(format!(
                "{missing} of run {run_id}'s {} reports have no reporting date: count them by the date they occurred",
                out.len()
            )))
        }
        Some(basis) => basis,
        None if missing == 0 && !out.is_empty() => DateBasis::Reported,
        None => DateBasis::Occurred,
    };
    if basis == DateBasis::Reported {
        for (m, r) in out.iter_mut().zip(reported) {
            m.date = r.unwrap_or(m.date);
        }
    }
    Ok((out, basis))
}

/// The Monday of the week `date` falls in.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// Weekly series on a shared axis.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeeklyCounts {
    pub weeks: Vec<NaiveDate>,
    pub series: Vec<(SeriesKey, Vec<u32>)>,
    /// The last report's date: the final week is partial when it is not a Sunday.
    pub last_date: Option<NaiveDate>,
}

/// Which series a count keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strata {
    /// Clusters and categories only.
    None,
    /// Every cluster's strata too.
    All,
}

/// Counts the members week by week, per cluster, category and cluster stratum.
pub fn weekly_counts(members: &[Member]) -> WeeklyCounts {
    let mut counts = WeeklyCounts::default();
    counts.add(members, Strata::All);
    counts
}

impl WeeklyCounts {
    /// Adds members to the counts, widening the week axis where they fall outside it (a
    /// report dated before the first week or after the last): what lets the counts of a
    /// run grow with the reports assigned to it instead of being taken again.
    pub fn add(&mut self, members: &[Member], strata: Strata) {
        let (Some(first), Some(last_date)) = (
            members.iter().map(|m| m.date).min(),
            members.iter().map(|m| m.date).max(),
        ) else {
            return;
        };
        let (first, last) = match (self.weeks.first(), self.weeks.last()) {
            (Some(&a), Some(&b)) => (week_of(first).min(a), week_of(last_date).max(b)),
            _ => (week_of(first), week_of(last_date)),
        };
        let n = ((last - first).num_days() / 7 + 1) as usize;
        // Weeks before the old first move every old count along.
        let shift = self.weeks.first().map_or(0, |&old| ((old - first).num_days() / 7) as usize);
        let mut series: HashMap<SeriesKey, Vec<u32>> = std::mem::take(&mut self.series)
            .into_iter()
            .map(|(key, old)| {
                let mut widened = vec![0; n];
                widened[shift..shift + old.len()].copy_from_slice(&old);
                (key, widened)
            })
            .collect();
        self.weeks = (0..n).map(|i| first + Days::new(7 * i as u64)).collect();
        let mut add = |key: SeriesKey, week: usize| series.entry(key).or_insert_with(|| vec![0; n])[week] += 1;
        for m in members {
            let week = ((week_of(m.date) - first).num_days() / 7) as usize;
            if let Some(category) = &m.category {
                add(SeriesKey::Category { category: category.clone() }, week);
            }
            if m.cluster < 0 {
                continue;
            }
            add(SeriesKey::Cluster { cluster: m.cluster }, week);
            if strata == Strata::All {
                stratum_keys(m).for_each(|key| add(key, week));
            }
        }
        self.series = sorted(series);
        self.last_date = self.last_date.max(Some(last_date));
    }

    /// Only the stratum series, on the same axis: the strata of `clusters` counted from
    /// `members` (every report of those clusters).
    pub fn strata_of(&self, members: &[Member], clusters: &[i64]) -> Vec<(SeriesKey, Vec<u32>)> {
        let Some(&first) = self.weeks.first() else { return Vec::new() };
        let n = self.weeks.len();
        let mut series: HashMap<SeriesKey, Vec<u32>> = HashMap::new();
        for m in members.iter().filter(|m| m.cluster >= 0 && clusters.binary_search(&m.cluster).is_ok()) {
            let Some(week) = usize::try_from((week_of(m.date) - first).num_days() / 7).ok().filter(|w| *w < n) else {
                continue;
            };
            for key in stratum_keys(m) {
                series.entry(key).or_insert_with(|| vec![0; n])[week] += 1;
            }
        }
        sorted(series)
    }
}

/// The stratum series a clustered report counts in: one per `STRATA` field it has.
fn stratum_keys(m: &Member) -> impl Iterator<Item = SeriesKey> + '_ {
    STRATA.iter().zip(&m.strata).filter_map(|(field, value)| {
        value.as_ref().map(|value| SeriesKey::Stratum { cluster: m.cluster, field: (*field).to_string(), value: value.clone() })
    })
}

/// Series in key order, so that counts taken in any order compare equal.
fn sorted(series: HashMap<SeriesKey, Vec<u32>>) -> Vec<(SeriesKey, Vec<u32>)> {
    let mut series: Vec<(SeriesKey, Vec<u32>)> = series.into_iter().collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    series
}

/// Monthly totals of a weekly series, each week counted in the month its Thursday falls in
/// (as ISO weeks belong to years), for the "over time" charts.
pub fn monthly(weeks: &[NaiveDate], counts: &[u32]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = Vec::new();
    for (week, count) in weeks.iter().zip(counts) {
        let month = (*week + Days::new(3)).format("%Y-%m").to_string();
        match out.last_mut() {
            Some((m, total)) if *m == month => *total += u64::from(*count),
            _ => out.push((month, u64::from(*count))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(cluster: i64, date: &str, setting: Option<&str>) -> Member {
        Member {
            incident_id: 0,
            cluster,
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            category: Some("Medication".into()),
            strata: [setting.map(String::from), None, None],
        }
    }

    #[test]
    fn counts_share_one_axis_with_empty_weeks() {
        let members = vec![
            member(1, "2024-01-03", Some("Acute")), // Wednesday: week of Monday 1 January
            member(1, "2024-01-07", Some("Acute")), // Sunday, same week
            member(2, "2024-01-08", None),
            member(-1, "2024-01-24", Some("Acute")),
        ];
        let c = weekly_counts(&members);
        assert_eq!(c.weeks.len(), 4);
        assert_eq!(c.weeks[0], NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        let get = |k: SeriesKey| c.series.iter().find(|s| s.0 == k).map(|s| s.1.clone());
        assert_eq!(get(SeriesKey::Cluster { cluster: 1 }), Some(vec![2, 0, 0, 0]));
        assert_eq!(get(SeriesKey::Cluster { cluster: 2 }), Some(vec![0, 1, 0, 0]));
        assert_eq!(get(SeriesKey::Cluster { cluster: -1 }), None, "noise is no cluster");
        assert_eq!(get(SeriesKey::Category { category: "Medication".into() }), Some(vec![2, 1, 0, 1]));
        let stratum = SeriesKey::Stratum { cluster: 1, field: "care_setting".into(), value: "Acute".into() };
        assert_eq!(get(stratum.clone()), Some(vec![2, 0, 0, 0]));
        assert_eq!(stratum.describe(), "cluster 1 in care setting Acute");
        assert_eq!(monthly(&c.weeks, &[2, 1, 0, 1]), vec![("2024-01".into(), 4)]);
        assert!(weekly_counts(&[]).weeks.is_empty());
    }

    #[test]
    fn counts_grown_in_parts_are_the_counts_of_the_whole() {
        let dates = ["2024-03-06", "2024-01-03", "2024-05-20", "2023-12-31", "2024-03-07", "2024-08-01"];
        let members: Vec<Member> =
            dates.iter().enumerate().map(|(i, d)| member(i as i64 % 2, d, Some(if i % 3 == 0 { "Acute" } else { "Mental" }))).collect();
        let whole = weekly_counts(&members);
        for split in 0..=members.len() {
            let mut grown = WeeklyCounts::default();
            grown.add(&members[..split], Strata::All);
            grown.add(&members[split..], Strata::All);
            assert_eq!(grown, whole, "split at {split}");
        }
        // Strata of some clusters only, and strata counted apart on the same axis.
        let mut main = WeeklyCounts::default();
        main.add(&members, Strata::None);
        assert!(main.series.iter().all(|(k, _)| !matches!(k, SeriesKey::Stratum { .. })));
        let strata = main.strata_of(&members, &[1]);
        let expected: Vec<_> = whole.series.iter().filter(|(k, _)| matches!(k, SeriesKey::Stratum { cluster: 1, .. })).cloned().collect();
        assert_eq!(strata, expected);
    }
}
