//! Importing incident reports from CSV or JSONL into the store.
//!
//! An import is one SQLite transaction: it either lands whole or leaves the store exactly
//! as it was (bad rows without `skip_bad`, cancellation, a crash or SIGKILL half way).
//! Rows are streamed, so memory does not depend on the file's size. Every bad row is
//! counted and the first `max_reported` are described (line, column, reason). A file whose
//! SHA-256 was imported before is a no-op.

mod check;
mod error;
mod mapping;
mod options;
mod pipeline;
mod preview;
mod report;
mod source;
mod validate;

pub use mapping::{
    detect, normalise_header, ColumnMapping, MapOverride, MappedColumn, MappingError, Target,
};
pub use check::{check_file, FileCheck};
pub use error::IngestError;
pub use options::{Format, IngestOptions};
pub use preview::{overrides_from_choices, preview_file, ImportPreview, PreviewColumn, TargetChoice, PREVIEW_ROWS};
pub use validate::stored_text;
pub use report::{ImportReport, Outcome, Problem, RowProblems};

use crate::jobs::{CancelToken, Progress};
use crate::store::{
    self, DatasetCounts, IncidentRow, InsertOutcome, NewDataset, Store, StoreError,
};
use pipeline::Parsed;
use std::path::{Path, PathBuf};
use std::time::Instant;
use check::open_rows;
use options::rules;

/// Imports `path` into `store`. Returns a report for every outcome that leaves the store
/// consistent (imported, already imported, rejected, cancelled); errors are for I/O,
/// unreadable files and mappings that cannot work.
pub fn ingest_file(
    store: &mut Store,
    path: &Path,
    options: &IngestOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<ImportReport, IngestError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("an import of {}", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()))?;
    let started = Instant::now();
    let format = options.format.unwrap_or_else(|| Format::from_path(path));
    let (sha256, bytes) = hash_file(path, progress, cancel)?;
    let mut report = empty_report(path, format, &sha256);
    if cancel.is_cancelled() {
        report.outcome = Outcome::Cancelled;
        return Ok(report);
    }
    if let Some(existing) =
        store::datasets::find_by_sha256(store.conn(), &sha256).map_err(|e| store.err(e))?
    {
        report.outcome = Outcome::AlreadyImported {
            dataset_id: existing.id,
            imported_at: existing.imported_at,
        };
        report.dataset_id = Some(existing.id);
        report.elapsed_seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let (rows, mapping, mapping_checked) = open_rows(path, format, options)?;
    progress.set_phase("importing");
    progress.set_total(bytes);
    let dataset = new_dataset(path, options, sha256, bytes, format);
    let db_path = store.db_path().to_path_buf();
    let sqlite = |source| {
        IngestError::Store(StoreError::Sqlite {
            path: db_path.clone(),
            source,
        })
    };

    let conn = store.conn_mut();
    // A larger page cache keeps the import's pages in memory until commit; bounded, so
    // memory stays flat whatever the file size.
    conn.execute_batch("PRAGMA cache_size = -65536")
        .map_err(sqlite)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    let dataset_id = store::datasets::insert(&tx, &dataset, &crate::clock::now()).map_err(sqlite)?;

    let (sender, receiver) = std::sync::mpsc::sync_channel(pipeline::BATCHES_IN_FLIGHT);
    let rules = rules(options);
    let (written, mapping) = std::thread::scope(|scope| {
        let parser = scope.spawn(|| {
            pipeline::parse_all(rows, mapping, mapping_checked, rules, options.skip_bad, path, sender)
        });
        // `write_all` owns the receiver, so an early return hangs up and the parser stops.
        let written = write_all(&tx, dataset_id, receiver, options, progress, cancel, &mut report);
        (written, parser.join())
    });
    let mapping =
        mapping.map_err(|_| IngestError::Internal("the parsing thread panicked".into()))?;
    let Some(counts) = written? else {
        tx.rollback().map_err(sqlite)?;
        report.outcome = Outcome::Cancelled;
        report.elapsed_seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    };
    progress.set_position(bytes);
    report.mapping = mapping.describe();
    report.counts = counts;
    if counts.rejected > 0 && !options.skip_bad {
        tx.rollback().map_err(sqlite)?;
        report.outcome = Outcome::Rejected;
        report.counts.imported = 0;
        report.counts.duplicate = 0;
    } else {
        store::datasets::set_counts(&tx, dataset_id, &counts).map_err(sqlite)?;
        store::datasets::set_mapping(&tx, dataset_id, &serde_json::json!({ "columns": report.mapping }))
            .map_err(sqlite)?;
        progress.set_phase("counting");
        store::summaries::record(&tx, dataset_id).map_err(sqlite)?;
        progress.set_phase("committing");
        tx.commit().map_err(sqlite)?;
        report.dataset_id = Some(dataset_id);
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The report of an import that has not started: imported until found otherwise.
fn empty_report(path: &Path, format: Format, sha256: &str) -> ImportReport {
    ImportReport {
        file: path.display().to_string(),
        format: format.name(),
        source_sha256: sha256.to_string(),
        outcome: Outcome::Imported,
        dataset_id: None,
        counts: DatasetCounts::default(),
        mapping: Vec::new(),
        bad_rows: Vec::new(),
        bad_rows_total: 0,
        lossy_rows: Vec::new(),
        elapsed_seconds: 0.0,
    }
}

/// The dataset row an import of `path` starts with (its column mapping is filled in
/// when the import commits).
fn new_dataset(path: &Path, options: &IngestOptions, sha256: String, bytes: u64, format: Format) -> NewDataset {
    let name = options.name.clone().unwrap_or_else(|| {
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let source_path = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    NewDataset {
        name,
        source_path,
        source_sha256: sha256,
        source_bytes: bytes,
        format: format.name(),
        column_mapping: serde_json::json!({ "columns": [] }),
    }
}

/// The writing half: inserts what the parser sends, inside the import's transaction, and
/// fills the report. `Ok(None)` when cancelled.
fn write_all(
    tx: &rusqlite::Transaction<'_>,
    dataset_id: i64,
    receiver: std::sync::mpsc::Receiver<Result<pipeline::Batch, IngestError>>,
    options: &IngestOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
    report: &mut ImportReport,
) -> Result<Option<DatasetCounts>, IngestError> {
    let sqlite = |source| {
        IngestError::Store(StoreError::Sqlite {
            path: PathBuf::from(tx.path().unwrap_or("")),
            source,
        })
    };
    let mut writer = store::incidents::IncidentWriter::new(tx).map_err(sqlite)?;
    let mut counts = DatasetCounts::default();
    for batch in receiver {
        let batch = batch?;
        progress.set_position(batch.position);
        if cancel.is_cancelled() {
            report.counts = counts;
            return Ok(None);
        }
        for parsed in batch.rows {
            counts.read += 1;
            let (line, external_id, problems, raw) = match parsed {
                Parsed::Good {
                    line,
                    incident,
                    lossy_columns,
                    external_id,
                } => match writer.insert(dataset_id, line, &incident).map_err(sqlite)? {
                    outcome @ (InsertOutcome::Inserted | InsertOutcome::Duplicate) => {
                        if outcome == InsertOutcome::Inserted {
                            counts.imported += 1;
                        } else {
                            counts.duplicate += 1;
                        }
                        if !lossy_columns.is_empty() {
                            counts.lossy += 1;
                            if report.lossy_rows.len() < options.max_reported {
                                report.lossy_rows.push(lossy_entry(
                                    line,
                                    external_id,
                                    lossy_columns,
                                ));
                            }
                        }
                        continue;
                    }
                    InsertOutcome::Conflict {
                        dataset_id: other,
                        line: other_line,
                    } => {
                        let problem = conflict_problem(
                            batch.id_column.clone(),
                            &incident,
                            other,
                            dataset_id,
                            other_line,
                        );
                        let raw = options.skip_bad.then(|| incident_fields(&incident));
                        (line, external_id, vec![problem], raw)
                    }
                },
                Parsed::Bad {
                    line,
                    external_id,
                    problems,
                    raw_fields,
                } => (line, external_id, problems, raw_fields),
            };
            counts.rejected += 1;
            report.bad_rows_total += 1;
            if let Some(raw) = raw {
                let problems_json = serde_json::to_value(&problems).unwrap_or_default();
                store::datasets::insert_reject(tx, dataset_id, line, &problems_json, &raw)
                    .map_err(sqlite)?;
            }
            if report.bad_rows.len() < options.max_reported {
                report.bad_rows.push(RowProblems {
                    line,
                    external_id,
                    problems,
                });
            }
        }
    }
    Ok(Some(counts))
}

fn conflict_problem(
    column: Option<String>,
    incident: &IncidentRow,
    other: i64,
    this: i64,
    line: i64,
) -> Problem {
    let whence = if other == this {
        format!("line {line} of this file")
    } else {
        format!("line {line} of dataset {other}")
    };
    Problem {
        column,
        reason: format!(
            "id {:?} is already stored with different content (from {whence})",
            incident.external_id
        ),
    }
}

/// A conflicting row as it would have been stored, for the rejects table.
fn incident_fields(i: &IncidentRow) -> serde_json::Value {
    serde_json::json!({
        "id": i.external_id, "date": i.occurred_on, "description": i.description, "causes": i.causes,
        "actions": i.actions, "category": i.category, "harm": i.harm, "care_setting": i.care_setting,
        "specialty": i.specialty, "location": i.location, "extra": i.extra,
    })
}

fn lossy_entry(line: u64, external_id: Option<String>, columns: Vec<String>) -> RowProblems {
    RowProblems {
        line,
        external_id,
        problems: columns
            .into_iter()
            .map(|c| Problem {
                column: Some(c),
                reason: "invalid UTF-8: bad bytes replaced by U+FFFD".into(),
            })
            .collect(),
    }
}


/// SHA-256 and size of the file, read once in large blocks.
fn hash_file(
    path: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(String, u64), IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let total = std::fs::metadata(path).map_err(io)?.len();
    progress.set_phase("checking");
    progress.set_total(total);
    let (sha, done) = crate::digest::sha256_file(path, |done| {
        progress.set_position(done);
        !cancel.is_cancelled()
    })
    .map_err(io)?;
    Ok((sha, done))
}
