//! The cluster map of a run as columns, ready for a WebGL scatter: one entry per report
//! in incident order, categorical fields as indexes into small dictionaries. Columns keep
//! a 100,000-report map to a few megabytes, where one object per point would be several
//! times that and slow to parse. Positions are scaled into the square the scatter draws
//! ([-0.95, 0.95], one scale for both axes so the layout keeps its shape), so the window
//! draws them as they come.

use super::super::options::ClusterError;
use super::super::runs::{load_run, newest_run_id, run_clusters, RunRecord};
use crate::store::Store;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapCluster {
    pub cluster_id: i64,
    pub size: u64,
    pub keywords: Vec<String>,
    /// Where the label goes: the cluster's median map position (scaled as the points).
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MapData {
    pub run: RunRecord,
    pub external_id: Vec<String>,
    /// Map positions scaled into [-0.95, 0.95].
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// Cluster after edits; -1 for noise.
    pub cluster: Vec<i64>,
    /// Index into `categories`; the last entry is "(not recorded)".
    pub category: Vec<u16>,
    pub categories: Vec<String>,
    /// NRLS PD09 1..5; 0 when not recorded.
    pub harm: Vec<u8>,
    pub care_setting: Vec<u16>,
    pub care_settings: Vec<String>,
    /// Days since 1970-01-01, for date-range filters.
    pub day: Vec<i32>,
    /// Index into `months` (`YYYY-MM`, ascending).
    pub month: Vec<u16>,
    pub months: Vec<String>,
    pub clusters: Vec<MapCluster>,
}

const NOT_RECORDED: &str = "(not recorded)";

/// Codes for a column's values as rows stream past: each distinct value gets a code when
/// first seen, then `finish` renumbers them in ascending order of value with "not
/// recorded" last, so the legend reads in a stable order. Only the distinct values are
/// kept, never a string per row.
#[derive(Default)]
struct Dictionary {
    index: HashMap<String, u16>,
    names: Vec<String>,
    codes: Vec<u16>,
}

/// Rows with no value, until `finish` gives them the last code.
const MISSING: u16 = u16::MAX;

impl Dictionary {
    fn push(&mut self, value: Option<&str>) -> Result<(), ClusterError> {
        let code = match value {
            None => MISSING,
            Some(v) => match self.index.get(v) {
                Some(&code) => code,
                None => {
                    let code = u16::try_from(self.names.len())
                        .ok()
                        .filter(|&c| c < MISSING - 1)
                        .ok_or_else(|| {
                            ClusterError::Invalid(format!(
                                "a map field has more than {} distinct values",
                                MISSING - 1
                            ))
                        })?;
                    self.index.insert(v.to_string(), code);
                    self.names.push(v.to_string());
                    code
                }
            },
        };
        self.codes.push(code);
        Ok(())
    }

    fn finish(mut self) -> (Vec<u16>, Vec<String>) {
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by(|&a, &b| self.names[a].cmp(&self.names[b]));
        let mut renumber = vec![0u16; self.names.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new as u16;
        }
        let missing = self.names.len() as u16;
        for code in &mut self.codes {
            *code = if *code == MISSING { missing } else { renumber[*code as usize] };
        }
        let mut names: Vec<String> = order.into_iter().map(|i| std::mem::take(&mut self.names[i])).collect();
        names.push(NOT_RECORDED.to_string());
        (self.codes, names)
    }
}

/// From layout coordinates to the square the scatter draws: centred, the longer side
/// spanning [-0.95, 0.95] (a margin at the edges), one scale for both axes.
struct Scale {
    cx: f64,
    cy: f64,
    half: f64,
}

impl Scale {
    fn fit(x: &[f64], y: &[f64]) -> Scale {
        let span = |v: &[f64]| {
            v.iter()
                .filter(|v| v.is_finite())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)))
        };
        let ((x0, x1), (y0, y1)) = (span(x), span(y));
        if x0 > x1 || y0 > y1 {
            return Scale { cx: 0.0, cy: 0.0, half: 1.0 };
        }
        Scale {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            half: ((x1 - x0).max(y1 - y0) / 2.0).max(1e-9),
        }
    }

    fn x(&self, v: f64) -> f32 {
        Self::scaled(v, self.cx, self.half)
    }

    fn y(&self, v: f64) -> f32 {
        Self::scaled(v, self.cy, self.half)
    }

    /// A position that is not a number (none should be stored) lands in the centre rather
    /// than poisoning the scatter's bounds.
    fn scaled(v: f64, centre: f64, half: f64) -> f32 {
        if v.is_finite() {
            (0.95 * (v - centre) / half) as f32
        } else {
            0.0
        }
    }
}

/// The newest run, if the project has one.
pub fn latest_run_id(store: &Store) -> Result<Option<i64>, ClusterError> {
    newest_run_id(store)
}

pub fn map_data(store: &Store, run_id: i64) -> Result<MapData, ClusterError> {
    let run = load_run(store, run_id)?;
    let sql = |e| ClusterError::Store(store.err(e));
    let not_text = |e: rusqlite::types::FromSqlError| {
        let e = rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e));
        ClusterError::Store(store.err(e))
    };
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT i.external_id, m.x, m.y, m.cluster, i.category, i.harm, i.care_setting, i.occurred_on
             FROM cluster_members m JOIN incidents i INDEXED BY incidents_map_fields ON i.id = m.incident_id
             WHERE m.run_id = ?1 ORDER BY m.incident_id",
        )
        .map_err(sql)?;
    let mut data = MapData {
        run,
        ..MapData::default()
    };
    let mut categories = Dictionary::default();
    let mut settings = Dictionary::default();
    let mut months = Dictionary::default();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let mut rows = stmt.query([run_id]).map_err(sql)?;
    let (mut x, mut y) = (Vec::new(), Vec::new());
    while let Some(r) = rows.next().map_err(sql)? {
        data.external_id.push(r.get(0).map_err(sql)?);
        x.push(r.get::<_, f64>(1).map_err(sql)?);
        y.push(r.get::<_, f64>(2).map_err(sql)?);
        data.cluster.push(r.get(3).map_err(sql)?);
        categories.push(r.get_ref(4).map_err(sql)?.as_str_or_null().map_err(not_text)?)?;
        data.harm
            .push(r.get::<_, Option<u8>>(5).map_err(sql)?.unwrap_or(0));
        settings.push(r.get_ref(6).map_err(sql)?.as_str_or_null().map_err(not_text)?)?;
        let date = r.get_ref(7).map_err(sql)?.as_str().map_err(not_text)?;
        let parsed = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok();
        data.day
            .push(parsed.map(|d| (d - epoch).num_days() as i32).unwrap_or(0));
        // A canonical date starts with its month; any other that parses is spelled out.
        let month = match parsed {
            Some(_) if date.len() == 10 => date.get(..7).map(std::borrow::Cow::Borrowed),
            Some(d) => Some(format!("{:04}-{:02}", d.year(), d.month()).into()),
            None => None,
        };
        months.push(month.as_deref())?;
    }
    drop(rows);
    let scale = Scale::fit(&x, &y);
    data.x = x.iter().map(|&v| scale.x(v)).collect();
    data.y = y.iter().map(|&v| scale.y(v)).collect();
    drop((x, y));
    (data.category, data.categories) = categories.finish();
    (data.care_setting, data.care_settings) = settings.finish();
    (data.month, data.months) = months.finish();
    // Months are always recorded (dates are required on import): drop the unused entry.
    if !data
        .month
        .iter()
        .any(|&m| m as usize == data.months.len() - 1)
    {
        data.months.pop();
    }

    // Labels sit at the median of each cluster's points: the stored position is the mean,
    // which can fall in empty space between two lobes of a curved cluster.
    let mut by_cluster: HashMap<i64, (Vec<f32>, Vec<f32>)> = HashMap::new();
    for i in 0..data.cluster.len() {
        if data.cluster[i] >= 0 {
            let e = by_cluster.entry(data.cluster[i]).or_default();
            e.0.push(data.x[i]);
            e.1.push(data.y[i]);
        }
    }
    let median = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0) as f64
    };
    for c in run_clusters(store, run_id)? {
        let (x, y) = match by_cluster.get_mut(&c.cluster_id) {
            Some((xs, ys)) => (median(xs), median(ys)),
            None => (scale.x(c.x) as f64, scale.y(c.y) as f64),
        };
        data.clusters.push(MapCluster {
            cluster_id: c.cluster_id,
            size: c.size,
            keywords: c.keywords,
            x,
            y,
        });
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::Dictionary;

    #[test]
    fn dictionary_sorts_values_and_puts_missing_last() {
        let mut d = Dictionary::default();
        for v in [Some("b"), None, Some("a"), Some("b"), Some("c")] {
            d.push(v).unwrap();
        }
        let (codes, names) = d.finish();
        assert_eq!(names, vec!["a", "b", "c", "(not recorded)"]);
        assert_eq!(codes, vec![1, 3, 0, 1, 2]);
    }

    #[test]
    fn a_field_with_more_distinct_values_than_codes_is_refused() {
        let mut d = Dictionary::default();
        let refused = (0..70_000).map(|i| d.push(Some(&i.to_string()))).find_map(Result::err);
        assert!(refused.is_some());
    }
}
