//! Vectors made elsewhere — the Spark job's Parquet (`parquet_vectors`) — stored for the
//! project's reports as if `encode` had made them here: only for the model whose weights
//! made them (same hash as the local folder), for reports the project holds, in the
//! precision already stored for that model, all in one transaction.

use super::error::ExchangeError;
use super::parquet_vectors::{self, Chunk};
use crate::encode::{boilerplate, open_folder, precision_for_stored, stored_precision, EncodeError, ModelSpec, Precision};
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct VectorImportReport {
    /// The model record the vectors are stored under.
    pub model: String,
    pub files: usize,
    pub dimension: usize,
    pub precision: Option<Precision>,
    /// Vectors stored by this import.
    pub imported: u64,
    /// Reports that already had a vector for this model (kept as they were).
    pub already: u64,
}

/// `import_vectors`, then (with `index`) the model's index brought up to date, so the
/// vectors serve search at once, as encoded ones do; without, when the index the Spark job
/// built is imported next (`import_index`), which would replace it anyway.
pub fn import_vectors_indexed(
    store: &mut Store,
    path: &Path,
    spec: &ModelSpec,
    fields: TextFields,
    index: bool,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<VectorImportReport, ExchangeError> {
    let report = import_vectors(store, path, spec, fields, progress, cancel)?;
    if index && !cancel.is_cancelled() {
        let options = crate::index::stored_options(store, &report.model)?;
        crate::index::update_index(store, &report.model, &options, progress, cancel)?;
    }
    Ok(report)
}

/// Imports the vectors at `path` (a Parquet file or a folder of part files) for `spec`'s
/// model reading `fields`. Everything is checked before anything is kept: the weights hash
/// against the local folder, the text fields, one dimension, every report known and once,
/// every vector finite and unit length (or zero, for a text with no known term).
pub fn import_vectors(
    store: &mut Store,
    path: &Path,
    spec: &ModelSpec,
    fields: TextFields,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<VectorImportReport, ExchangeError> {
    let _job = crate::store::job_lock::acquire(store.dir(), "an import of vectors")?;
    let file_err = |p: parquet_vectors::FileProblem| ExchangeError::File {
        path: p.path,
        reason: p.reason,
    };
    let parts = parquet_vectors::part_files(path).map_err(file_err)?;
    if let ModelSpec::Baseline { name, dir } = spec {
        if !dir.join("model.safetensors").is_file() {
            return Err(ExchangeError::NotFitted(name.clone()));
        }
    }
    // The local model, loaded once (in f32: only its weights hash and dimension are read).
    let local = open_folder(spec.dir(), 1, Precision::F32)?;
    let local_sha = local.provenance()["weights_sha256"].as_str().unwrap_or_default().to_string();
    let local_dimension = local.dimension();
    drop(local);
    let record_name = spec.record_name(fields);
    let existing = vectors::find_model(store.conn(), &record_name).map_err(|e| store.err(e))?;
    progress.set_phase("importing");

    let db = store.db_path().to_path_buf();
    let project_dir = store.dir().to_path_buf();
    let tx = store.conn_mut().transaction().map_err(|e| sqlite(&db, e))?;
    let mut report = VectorImportReport {
        model: record_name.clone(),
        files: parts.len(),
        dimension: local_dimension,
        precision: None,
        imported: 0,
        already: 0,
    };
    let mut model_id: Option<i64> = existing.as_ref().map(|m| m.id);
    let mut seen: HashSet<String> = HashSet::new();
    let (mut unknown, mut examples) = (0u64, Vec::new());
    let mut failure: Option<ExchangeError> = None;
    for part in &parts {
        let mut each = |chunk: Chunk| -> Result<(), String> {
            if cancel.is_cancelled() {
                failure = Some(ExchangeError::Cancelled);
                return Err("cancelled".into());
            }
            let outcome = (|| -> Result<(), ExchangeError> {
                if chunk.ids.is_empty() {
                    return Ok(());
                }
                if chunk.weights_sha256 != local_sha {
                    return Err(ExchangeError::WeightsDiffer {
                        model: spec.name().to_string(),
                        file: chunk.weights_sha256.clone(),
                        local: local_sha.clone(),
                    });
                }
                if chunk.text_fields != fields.name() {
                    return Err(ExchangeError::TextFields {
                        file: chunk.text_fields.clone(),
                        requested: fields.name().to_string(),
                    });
                }
                if chunk.dimension != local_dimension {
                    return Err(ExchangeError::Dimension {
                        model: spec.name().to_string(),
                        file: chunk.dimension,
                        local: local_dimension,
                    });
                }
                let provenance = file_provenance(&chunk.provenance, path)?;
                let id = match model_id {
                    Some(id) => id,
                    None => {
                        check_boilerplate_file(&project_dir, &record_name, fields, &provenance, path)?;
                        let mut stored = provenance.clone();
                        stored["imported_from"] = serde_json::Value::String(path.display().to_string());
                        let now = crate::clock::now();
                        let id = vectors::insert_model(&tx, &record_name, spec.kind(), fields, local_dimension, &stored, &now)
                            .map_err(|e| sqlite(&db, e))?;
                        model_id = Some(id);
                        id
                    }
                };
                if let Some(model) = &existing {
                    check_stored(&record_name, &model.provenance, &chunk, &provenance, model.dimension, path)?;
                }
                // Every part must be in one precision (executors may differ in other
                // provenance, such as where their copy of the folder was).
                if matches!(spec, ModelSpec::Transformer { .. }) {
                    let precision = stored_precision(&provenance);
                    match report.precision {
                        Some(p) if p != precision => {
                            return Err(ExchangeError::File {
                                path: path.to_path_buf(),
                                reason: format!("parts in {p} and in {precision}: one precision per import"),
                            })
                        }
                        _ => report.precision = Some(precision),
                    }
                }
                let mut rows = Vec::with_capacity(chunk.ids.len());
                let mut lookup = tx
                    .prepare_cached("SELECT id FROM incidents WHERE external_id = ?1")
                    .map_err(|e| sqlite(&db, e))?;
                let mut has = tx
                    .prepare_cached("SELECT 1 FROM vectors WHERE model_id = ?1 AND incident_id = ?2")
                    .map_err(|e| sqlite(&db, e))?;
                for (r, external) in chunk.ids.iter().enumerate() {
                    if !seen.insert(external.clone()) {
                        return Err(ExchangeError::Duplicate(external.clone()));
                    }
                    let vector = &chunk.vectors[r * chunk.dimension..(r + 1) * chunk.dimension];
                    check_vector(external, vector)?;
                    let incident: Option<i64> = lookup
                        .query_row([external], |row| row.get(0))
                        .optional()
                        .map_err(|e| sqlite(&db, e))?;
                    let Some(incident) = incident else {
                        unknown += 1;
                        if examples.len() < 5 {
                            examples.push(format!("{external:?}"));
                        }
                        continue;
                    };
                    if has.exists(rusqlite::params![id, incident]).map_err(|e| sqlite(&db, e))? {
                        report.already += 1;
                        continue;
                    }
                    rows.push((incident, vector.to_vec()));
                }
                if unknown == 0 {
                    vectors::insert_vectors(&tx, id, &rows).map_err(|e| sqlite(&db, e))?;
                    report.imported += rows.len() as u64;
                    progress.set_position(seen.len() as u64);
                }
                Ok(())
            })();
            outcome.map_err(|e| {
                let text = e.to_string();
                failure = Some(e);
                text
            })
        };
        let read = parquet_vectors::read(part, &mut each);
        if let Some(e) = failure.take() {
            return Err(e); // the transaction rolls back as it is dropped
        }
        read.map_err(file_err)?;
    }
    if unknown > 0 {
        return Err(ExchangeError::UnknownReports {
            count: unknown,
            examples: examples.join(", "),
        });
    }
    tx.commit().map_err(|e| sqlite(&db, e))?;
    Ok(report)
}

fn sqlite(db: &Path, source: rusqlite::Error) -> ExchangeError {
    ExchangeError::Store(crate::store::StoreError::Sqlite {
        path: db.to_path_buf(),
        source,
    })
}

/// The job's provenance column, which must be a JSON object.
fn file_provenance(text: &str, path: &Path) -> Result<serde_json::Value, ExchangeError> {
    let provenance: serde_json::Value = serde_json::from_str(text).map_err(|e| ExchangeError::File {
        path: path.to_path_buf(),
        reason: format!("the provenance column is not JSON: {e}"),
    })?;
    if !provenance.is_object() {
        return Err(ExchangeError::File {
            path: path.to_path_buf(),
            reason: "the provenance column is not a JSON object".into(),
        });
    }
    Ok(provenance)
}

/// Vectors already stored for the model came from the same weights and precision.
fn check_stored(
    name: &str,
    stored: &serde_json::Value,
    chunk: &Chunk,
    file: &serde_json::Value,
    dimension: usize,
    path: &Path,
) -> Result<(), ExchangeError> {
    let stored_sha = stored["weights_sha256"].as_str().unwrap_or_default();
    if stored_sha != chunk.weights_sha256 || dimension != chunk.dimension {
        return Err(EncodeError::WeightsChanged {
            name: name.to_string(),
            stored: stored_sha.to_string(),
            current: chunk.weights_sha256.clone(),
        }
        .into());
    }
    if file.get("precision").is_some() || stored.get("precision").is_some() {
        precision_for_stored(name, stored, stored_precision(file))?;
    }
    // Vectors of text without boilerplate and of whole text do not mix.
    let (stored_digest, file_digest) = (boilerplate::digest_in(stored), boilerplate::digest_in(file));
    if stored_digest != file_digest {
        let read = |d: Option<&str>| d.map_or("whole reports".to_string(), |d| format!("reports without the boilerplate of model {d}"));
        return Err(ExchangeError::File {
            path: path.to_path_buf(),
            reason: format!(
                "the project's {name} vectors read {}, these read {}; one model's vectors are made one way",
                read(stored_digest),
                read(file_digest),
            ),
        });
    }
    Ok(())
}

/// Vectors of text read without a boilerplate model need that model in the project (later
/// encodes, queries and keywords read text the same way): the file the job was given,
/// copied to `text/`.
fn check_boilerplate_file(
    project: &Path,
    name: &str,
    fields: TextFields,
    provenance: &serde_json::Value,
    path: &Path,
) -> Result<(), ExchangeError> {
    match boilerplate::for_stored(project, name, provenance, fields) {
        Err(EncodeError::BoilerplateChanged { path: file, stored, current, .. }) => Err(ExchangeError::File {
            path: path.to_path_buf(),
            reason: format!(
                "these vectors read reports without the boilerplate model {stored}, and the project's {} is {}; \
                 copy the file the job was given (--boilerplate) there first",
                file.display(),
                if current == boilerplate::NO_FILE { "missing".to_string() } else { format!("another ({current})") }
            ),
        }),
        other => other.map(|_| ()).map_err(ExchangeError::from),
    }
}

/// A stored vector is finite and unit length (zero for a text with no known term).
pub(super) fn check_vector(id: &str, v: &[f32]) -> Result<(), ExchangeError> {
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ExchangeError::BadVector {
            id: id.to_string(),
            reason: "it holds a NaN or infinite value".into(),
        });
    }
    let norm = v.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
    if norm != 0.0 && (norm - 1.0).abs() > 1e-3 {
        return Err(ExchangeError::BadVector {
            id: id.to_string(),
            reason: format!("its length is {norm:.4}, not 1 (vectors are stored normalised)"),
        });
    }
    Ok(())
}
