//! What an import is asked to do: the file's format, the user's column choices, and the
//! limits and rules every row is held to.

use super::mapping::MapOverride;
use super::validate::Rules;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// From the file extension: `.jsonl`, `.ndjson` and `.json` are JSONL, anything else CSV.
    pub fn from_path(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("jsonl" | "ndjson" | "json") => Format::Jsonl,
            _ => Format::Csv,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Import the good rows and set the bad ones aside instead of rejecting the file.
    pub skip_bad: bool,
    pub overrides: Vec<MapOverride>,
    /// `None`: from the extension.
    pub format: Option<Format>,
    /// CSV separator; `None`: sniffed from the header line.
    pub delimiter: Option<u8>,
    /// Bad rows described in the report (all are counted).
    pub max_reported: usize,
    /// A field longer than this makes its row bad. Real reports are a few KiB at most; a
    /// multi-megabyte cell is a broken export, not an incident.
    pub max_field_bytes: usize,
    /// The dataset's name; `None`: the file name.
    pub name: Option<String>,
    /// Import cells with invalid UTF-8 with the bad bytes replaced by U+FFFD (listed in the
    /// report) instead of treating their rows as bad.
    pub repair_utf8: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            skip_bad: false,
            overrides: Vec::new(),
            format: None,
            delimiter: None,
            max_reported: 100,
            max_field_bytes: 100_000,
            name: None,
            repair_utf8: false,
        }
    }
}

/// What a row must satisfy: field sizes, dates from 1900 to tomorrow, UTF-8 repair.
pub(super) fn rules(options: &IngestOptions) -> Rules {
    let today = chrono::Local::now().date_naive();
    Rules {
        max_field_bytes: options.max_field_bytes,
        latest_date: today + chrono::Days::new(1),
        earliest_date: chrono::NaiveDate::from_ymd_opt(1900, 1, 1)
            .unwrap_or(chrono::NaiveDate::MIN),
        repair_utf8: options.repair_utf8,
    }
}
