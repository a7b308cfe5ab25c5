//! The parsing half of an import, run on its own thread: read, map and validate rows, and
//! hand them to the writer in batches through a bounded channel. Reading and validating
//! then overlap with SQLite's work on the other core, and memory stays bounded by the
//! channel's capacity.

use super::mapping::ColumnMapping;
use super::report::Problem;
use super::source::{RowReader, SourceRow};
use super::validate::{self, Rules, Validated};
use super::IngestError;
use crate::fields::Field;
use crate::store::IncidentRow;
use std::path::Path;
use std::sync::mpsc::SyncSender;

/// Rows per batch: large enough that channel traffic is negligible, small enough that
/// progress and cancellation stay responsive.
pub(super) const BATCH_ROWS: usize = 1024;
/// Batches in flight between the threads.
pub(super) const BATCHES_IN_FLIGHT: usize = 4;

pub(super) enum Parsed {
    Good {
        line: u64,
        incident: IncidentRow,
        lossy_columns: Vec<String>,
        external_id: Option<String>,
    },
    Bad {
        line: u64,
        external_id: Option<String>,
        problems: Vec<Problem>,
        raw_fields: Option<serde_json::Value>,
    },
}

pub(super) struct Batch {
    pub rows: Vec<Parsed>,
    /// Bytes of the file consumed when the batch was sent.
    pub position: u64,
    /// The source column that holds the external id, once known.
    pub id_column: Option<String>,
}

/// Parses every row and sends it on. Stops early when the receiver hangs up (the import
/// was cancelled or failed). Returns the mapping as it ended up (JSONL adds columns).
/// `mapping_checked`: the caller already checked the mapping (CSV, from its header);
/// otherwise it is checked once the first row has shown its columns.
pub(super) fn parse_all(
    mut rows: Box<dyn RowReader + Send>,
    mut mapping: ColumnMapping,
    mut mapping_checked: bool,
    rules: Rules,
    keep_raw: bool,
    path: &Path,
    out: SyncSender<Result<Batch, IngestError>>,
) -> ColumnMapping {
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    loop {
        let row: SourceRow = match rows.next_row(&mut mapping) {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => {
                let _ = out.send(Err(e));
                return mapping;
            }
        };
        if !mapping_checked {
            if !mapping_complete(&mapping, path, &out) {
                return mapping;
            }
            mapping_checked = true;
        }
        let Validated {
            row: validated,
            lossy_columns,
            external_id,
        } = validate::validate(&row, &mapping, &rules);
        batch.push(match validated {
            Ok(incident) => Parsed::Good {
                line: row.line,
                incident,
                lossy_columns,
                external_id,
            },
            Err(problems) => Parsed::Bad {
                line: row.line,
                external_id,
                problems,
                raw_fields: keep_raw.then(|| raw_fields(&row, &mapping)),
            },
        });
        if batch.len() == BATCH_ROWS && !send(&out, &mut batch, rows.position(), &mapping) {
            return mapping;
        }
    }
    if !mapping_checked && !mapping_complete(&mapping, path, &out) {
        return mapping;
    }
    send(&out, &mut batch, rows.position(), &mapping);
    mapping
}

/// Checks the mapping; on failure sends the error to the writer and returns false.
fn mapping_complete(
    mapping: &ColumnMapping,
    path: &Path,
    out: &SyncSender<Result<Batch, IngestError>>,
) -> bool {
    match mapping.check_complete() {
        Ok(()) => true,
        Err(source) => {
            let _ = out.send(Err(IngestError::Mapping {
                path: path.to_path_buf(),
                source,
            }));
            false
        }
    }
}

fn send(
    out: &SyncSender<Result<Batch, IngestError>>,
    batch: &mut Vec<Parsed>,
    position: u64,
    mapping: &ColumnMapping,
) -> bool {
    let rows = std::mem::replace(batch, Vec::with_capacity(BATCH_ROWS));
    let id_column = mapping
        .column_for(Field::ExternalId)
        .map(|i| mapping.columns()[i].clone());
    out.send(Ok(Batch {
        rows,
        position,
        id_column,
    }))
    .is_ok()
}

/// Keeps rejected cells readable without letting one huge cell bloat the rejects table.
const REJECT_CELL_LIMIT: usize = 64 * 1024;

fn raw_fields(row: &SourceRow, mapping: &ColumnMapping) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    for (index, cell) in row.cells.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let name = mapping
            .columns()
            .get(index)
            .cloned()
            .unwrap_or_else(|| format!("column_{}", index + 1));
        let mut text = cell.text.replace('\0', "\u{FFFD}");
        if text.len() > REJECT_CELL_LIMIT {
            let mut cut = REJECT_CELL_LIMIT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(" [truncated]");
        }
        object.insert(name, serde_json::Value::String(text));
    }
    serde_json::Value::Object(object)
}
