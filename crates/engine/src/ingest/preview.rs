//! What the first-run import shows before anything is stored: the file's columns with the
//! field each would feed (detected from NRLS/LFPSE codes and names, or chosen by the user),
//! its first rows, why the mapping cannot be used when it cannot, and how many rows would
//! import and which would not, with their reasons.

use super::mapping::{same_column, ColumnMapping, Target};
use super::source::{CsvRows, JsonlRows, RowReader};
use super::check::{check_file, FileCheck};
use super::error::IngestError;
use super::options::{Format, IngestOptions};
use crate::fields::Field;
use serde::Serialize;
use std::path::Path;

/// Rows shown in a preview.
pub const PREVIEW_ROWS: usize = 8;
/// A cell longer than this is cut in the preview (the import keeps it whole).
const PREVIEW_CELL_CHARS: usize = 240;
/// A header name longer than this is cut in the preview.
const PREVIEW_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PreviewColumn {
    /// The column's name in the file (cut when long).
    pub name: String,
    /// Where its values go: a field's name (`id`, `date`, `description`...), `extra` or
    /// `ignore` — the names `--map COLUMN=TARGET` and `IngestOptions::overrides` take.
    pub target: String,
    /// The field its name alone says, if any (NRLS/LFPSE code or a known name).
    pub detected: Option<String>,
    /// Whether the user chose its target.
    pub chosen: bool,
}

/// A target a column can be given, for the preview's choices.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TargetChoice {
    pub target: String,
    pub label: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportPreview {
    /// The file's name (not its folder).
    pub file_name: String,
    pub format: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    pub columns: Vec<PreviewColumn>,
    /// The first rows' cells, in column order (a missing cell is empty).
    pub rows: Vec<Vec<String>>,
    pub choices: Vec<TargetChoice>,
    /// Why the mapping cannot be used, naming the columns: two columns feeding one field, a
    /// required field with no column, a chosen column the file lacks. `None`: usable.
    pub mapping_problem: Option<String>,
    /// Every row read as an import would (only when the mapping is usable).
    pub check: Option<FileCheck>,
}

fn cut(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(limit).collect();
        out.push('…');
        out
    }
}

fn choices() -> Vec<TargetChoice> {
    let mut out: Vec<TargetChoice> = Field::ALL
        .into_iter()
        .map(|f| TargetChoice { target: f.name().into(), label: f.label().into(), required: f.required() })
        .collect();
    out.push(TargetChoice { target: "extra".into(), label: "Keep as an extra column".into(), required: false });
    out.push(TargetChoice { target: "ignore".into(), label: "Leave out".into(), required: false });
    out
}

/// Previews an import of `path` with `options` (its overrides are the user's choices):
/// reads the header and the first `PREVIEW_ROWS` rows, and, when the mapping is usable,
/// checks every row as an import would. Stores nothing. Errors are those that make the
/// file unreadable as a whole (I/O, empty, a row over the size or column limits).
pub fn preview_file(path: &Path, options: &IngestOptions) -> Result<ImportPreview, IngestError> {
    let format = options.format.unwrap_or_else(|| Format::from_path(path));
    let bytes = std::fs::metadata(path)
        .map_err(|source| IngestError::Io { path: path.to_path_buf(), source })?
        .len();
    let mut mapping = ColumnMapping::lenient(&options.overrides);
    let mut reader: Box<dyn RowReader> = match format {
        Format::Csv => Box::new(CsvRows::open(path, options.delimiter, &mut mapping)?),
        Format::Jsonl => Box::new(JsonlRows::open(path)?),
    };
    let mut rows = Vec::new();
    while rows.len() < PREVIEW_ROWS {
        let Some(row) = reader.next_row(&mut mapping)? else { break };
        rows.push(row);
    }
    let width = mapping.columns().len();
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            let mut cells: Vec<String> = row
                .cells
                .iter()
                .map(|c| c.as_ref().map(|c| cut(&c.text, PREVIEW_CELL_CHARS)).unwrap_or_default())
                .collect();
            cells.resize(width.max(cells.len()), String::new());
            cells
        })
        .collect();
    let by_user = |name: &str| options.overrides.iter().any(|o| same_column(&o.column, name));
    let columns = mapping
        .columns()
        .iter()
        .zip(mapping.targets())
        .map(|(name, target)| PreviewColumn {
            name: cut(name, PREVIEW_NAME_CHARS),
            target: target.describe().into(),
            detected: super::mapping::detect(name).map(|f| f.name().to_string()),
            chosen: by_user(name),
        })
        .collect();
    let mapping_problem = match mapping.conflicts().first() {
        Some(conflict) => Some(conflict.for_choosing()),
        None => mapping.check_complete().err().map(|e| e.for_choosing()),
    };
    let check = if mapping_problem.is_none() { Some(check_file(path, options)?) } else { None };
    Ok(ImportPreview {
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        format: format.name().into(),
        bytes,
        columns,
        rows,
        choices: choices(),
        mapping_problem,
        check,
    })
}

/// The overrides a preview's choices mean: `(column, target)` pairs as the user set them,
/// each checked (a target must be a field name, `extra` or `ignore`).
pub fn overrides_from_choices(choices: &[(String, String)]) -> Result<Vec<super::mapping::MapOverride>, String> {
    choices
        .iter()
        .map(|(column, target)| {
            let target = Target::parse(target).ok_or_else(|| format!("unknown field '{target}' for column {column:?}"))?;
            if column.trim().is_empty() {
                return Err("a choice names no column".to_string());
            }
            Ok(super::mapping::MapOverride { column: column.trim().to_string(), target })
        })
        .collect()
}
