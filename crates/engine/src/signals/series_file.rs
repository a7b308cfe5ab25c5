//! A weekly count series from a CSV file (`week_start,count`), so a detector can be run on
//! any series and checked against another implementation. The file is read strictly: a
//! header, one row per week, dates a week apart, whole counts of 0 or more; anything else is
//! refused with the line it is on.

use super::detect::{detect, first_judgeable_week, DetectOptions, SeriesDetection};
use super::over_run::monitored_between;
use super::error::SignalError;
use chrono::NaiveDate;
use std::io::Read;
use std::path::Path;

/// Refused above this: a weekly series of 20 MB would be 400 years of weeks.
pub const MAX_BYTES: u64 = 20 << 20;
/// Ten thousand years of weeks is more than any surveillance series.
pub const MAX_WEEKS: usize = 520_000;

#[derive(Debug, Clone, PartialEq)]
pub struct WeeklySeries {
    pub weeks: Vec<NaiveDate>,
    pub counts: Vec<f64>,
}

pub fn read_series_file(path: &Path) -> Result<WeeklySeries, SignalError> {
    let io = |e: std::io::Error| SignalError::Io { path: path.to_path_buf(), source: e };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::new();
    file.take(MAX_BYTES + 1).read_to_string(&mut text).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            SignalError::Invalid(format!("{}: not UTF-8 text", path.display()))
        } else {
            io(e)
        }
    })?;
    if text.len() as u64 > MAX_BYTES {
        return Err(SignalError::Invalid(format!("{}: larger than {} MiB", path.display(), MAX_BYTES >> 20)));
    }
    parse_series(&text).map_err(|e| SignalError::Invalid(format!("{}: {e}", path.display())))
}

/// Runs `method` on a series over the weeks from `from` to `to` (dates in them); from the
/// first week the method can judge, to the last, by default.
pub fn detect_series(
    series: &WeeklySeries,
    options: &DetectOptions,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<SeriesDetection, SignalError> {
    let first = first_judgeable_week(&series.weeks, options.method);
    let monitored = monitored_between(&series.weeks, from, to, |end| first.min(end.saturating_sub(1)))?;
    detect(&series.weeks, &series.counts, monitored, options)
}

/// Parses `week_start,count` rows under that header.
pub fn parse_series(text: &str) -> Result<WeeklySeries, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("header: {e}"))?.clone();
    let names: Vec<&str> = headers.iter().collect();
    if names != ["week_start", "count"] {
        return Err(format!("the header must be week_start,count, not {}", names.join(",")));
    }
    let mut series = WeeklySeries { weeks: Vec::new(), counts: Vec::new() };
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        if record.len() != 2 {
            return Err(format!("line {line}: {} fields; a row is week_start,count", record.len()));
        }
        let week = NaiveDate::parse_from_str(&record[0], "%Y-%m-%d")
            .map_err(|_| format!("line {line}: week_start {:?} is not a date (YYYY-MM-DD)", &record[0]))?;
        let count: u64 = record[1]
            .parse()
            .map_err(|_| format!("line {line}: count {:?} is not a whole number of 0 or more", &record[1]))?;
        if count > 1 << 40 {
            return Err(format!("line {line}: count {count} is not a weekly count of reports"));
        }
        if let Some(last) = series.weeks.last() {
            let gap = (week - *last).num_days();
            if gap != 7 {
                return Err(format!(
                    "line {line}: {week} is {gap} days after {last}; weeks must follow each other, with 0 for a week without reports"
                ));
            }
        }
        if series.weeks.len() == MAX_WEEKS {
            return Err(format!("more than {MAX_WEEKS} weeks"));
        }
        series.weeks.push(week);
        series.counts.push(count as f64);
    }
    if series.weeks.is_empty() {
        return Err("no weeks after the header".into());
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_series_and_refuses_what_is_not_one() {
        let s = parse_series("week_start,count\n2024-01-01,3\n2024-01-08, 0\n2024-01-15,12\n").unwrap();
        assert_eq!(s.counts, vec![3.0, 0.0, 12.0]);
        assert_eq!(s.weeks[2], NaiveDate::from_ymd_opt(2024, 1, 15).unwrap());
        let cases = [
            ("date,n\n2024-01-01,3\n", "header"),
            ("week_start,count\n", "no weeks"),
            ("week_start,count\n2024-01-01,3\n2024-01-09,1\n", "8 days after"),
            ("week_start,count\n2024-01-08,3\n2024-01-01,1\n", "-7 days"),
            ("week_start,count\n2024-01-01,-3\n", "whole number"),
            ("week_start,count\n2024-01-01,2.5\n", "whole number"),
            ("week_start,count\n2024-13-01,2\n", "not a date"),
            ("week_start,count\n2024-01-01,2,7\n", "line 2"),
            ("week_start,count\n2024-01-01,99999999999999999\n", "not a weekly count"),
        ];
        for (text, expected) in cases {
            let err = parse_series(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
