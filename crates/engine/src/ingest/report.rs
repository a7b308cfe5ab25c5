//! What an import tells its caller: counts, the mapping it used, and every bad row (up to a
//! limit) with line, column and reason.

use super::mapping::MappedColumn;
use crate::store::DatasetCounts;
use serde::Serialize;

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    /// The source column, where the problem belongs to one.
    pub column: Option<String>,
    pub reason: String,
}

/// Everything wrong with one row.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowProblems {
    /// 1-based line in the file where the row starts.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub line: u64,
    pub external_id: Option<String>,
    pub problems: Vec<Problem>,
}

impl std::fmt::Display for RowProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(id) = &self.external_id {
            write!(f, " (id {id})")?;
        }
        let parts: Vec<String> = self
            .problems
            .iter()
            .map(|p| match &p.column {
                Some(c) => format!("column {c:?}: {}", p.reason),
                None => p.reason.clone(),
            })
            .collect();
        write!(f, ": {}", parts.join("; "))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    /// The rows were written (bad ones set aside when `skip_bad` was on).
    Imported,
    /// A file with the same SHA-256 was imported before; nothing was done.
    AlreadyImported {
        dataset_id: i64,
        imported_at: String,
    },
    /// Bad rows were found and `skip_bad` was off: the store is exactly as before.
    Rejected,
    /// Cancelled by the caller: the store is exactly as before.
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub format: &'static str,
    pub source_sha256: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub dataset_id: Option<i64>,
    pub counts: DatasetCounts,
    pub mapping: Vec<MappedColumn>,
    /// Bad rows, at most `IngestOptions::max_reported`.
    pub bad_rows: Vec<RowProblems>,
    /// All bad rows, reported or not.
    pub bad_rows_total: u64,
    /// Rows imported with invalid UTF-8 replaced, at most `max_reported`.
    pub lossy_rows: Vec<RowProblems>,
    pub elapsed_seconds: f64,
}

impl ImportReport {
    /// Whether the store now holds this file's rows (or already did).
    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Imported | Outcome::AlreadyImported { .. }
        )
    }

    /// Why the file was not imported, with its first problems, when it was refused for bad
    /// rows (`None` when it succeeded). `remedy` tells the reader how to keep the good rows
    /// in the front end they use.
    pub fn refusal(&self, remedy: &str) -> Option<String> {
        if self.succeeded() {
            return None;
        }
        let first: Vec<String> = self.bad_rows.iter().take(5).map(|r| r.to_string()).collect();
        Some(format!(
            "the file was not imported: {} bad row(s); nothing was changed. {remedy} First problems: {}",
            self.bad_rows_total,
            first.join("; ")
        ))
    }
}
