//! Reading a file as an import would, storing nothing: the dry run behind the first-run
//! preview and the fuzz targets, and the row reader and mapping every import opens with.

use super::error::IngestError;
use super::mapping::ColumnMapping;
use super::options::{rules, Format, IngestOptions};
use super::pipeline::{self, Parsed};
use super::report::RowProblems;
use super::source::{CsvRows, JsonlRows, RowReader};
use serde::Serialize;
use std::path::Path;

/// What an import of the file would find.
#[derive(Debug, Default, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileCheck {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub good: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bad: u64,
    /// The first bad rows (up to `IngestOptions::max_reported`) with their problems.
    pub problems: Vec<RowProblems>,
}

/// Reads every row of `path` and validates it as an import would, storing nothing. Errors
/// are those an import would stop on (unreadable file, unusable mapping, a row over the
/// size or column limits).
pub fn check_file(path: &Path, options: &IngestOptions) -> Result<FileCheck, IngestError> {
    let format = options.format.unwrap_or_else(|| Format::from_path(path));
    let (rows, mapping, mapping_checked) = open_rows(path, format, options)?;
    let (sender, receiver) = std::sync::mpsc::sync_channel(pipeline::BATCHES_IN_FLIGHT);
    let rules = rules(options);
    let mut check = FileCheck::default();
    std::thread::scope(|scope| {
        scope.spawn(|| pipeline::parse_all(rows, mapping, mapping_checked, rules, false, path, sender));
        for batch in receiver {
            for row in batch?.rows {
                match row {
                    Parsed::Good { .. } => check.good += 1,
                    Parsed::Bad { line, problems, external_id, .. } => {
                        check.bad += 1;
                        if check.problems.len() < options.max_reported {
                            check.problems.push(RowProblems { line, external_id, problems });
                        }
                    }
                }
            }
        }
        Ok(check)
    })
}

/// The file's row reader and column mapping, and whether the mapping is already complete
/// (a CSV's is once the header is read; JSONL's only after the first object).
pub(super) fn open_rows(
    path: &Path,
    format: Format,
    options: &IngestOptions,
) -> Result<(Box<dyn RowReader + Send>, ColumnMapping, bool), IngestError> {
    let mut mapping = ColumnMapping::new(&options.overrides);
    let rows: Box<dyn RowReader + Send> = match format {
        Format::Csv => {
            let rows = CsvRows::open(path, options.delimiter, &mut mapping)?;
            mapping
                .check_complete()
                .map_err(|source| IngestError::Mapping {
                    path: path.to_path_buf(),
                    source,
                })?;
            Box::new(rows)
        }
        Format::Jsonl => Box::new(JsonlRows::open(path)?),
    };
    Ok((rows, mapping, format == Format::Csv))
}
