//! Building, updating and opening a model's index file, recorded in `vector_indexes`.

use super::handle::{add_rows, index_dir, index_path, native_err, new_index, open_file, SimilarityIndex};
use super::options::{IndexError, IndexOptions, Quantisation};
use super::store_rows;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, ModelRecord, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;
use usearch::Index;

/// Index files larger than this are opened as a memory-mapped view rather than read into
/// memory: searching a view costs page-cache reads, not the index's size in RAM.
pub const VIEW_THRESHOLD_BYTES: u64 = 512 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct IndexReport {
    pub model: String,
    pub path: PathBuf,
    pub size: u64,
    pub added: u64,
    pub rebuilt: bool,
    pub quantisation: Quantisation,
    pub file_bytes: u64,
    pub file_sha256: String,
    pub seconds: f64,
}

fn model_record(store: &Store, model: &str) -> Result<ModelRecord, IndexError> {
    vectors::find_model(store.conn(), model)
        .map_err(|e| store.err(e))?
        .filter(|m| m.vectors > 0)
        .ok_or_else(|| IndexError::NoVectors(model.to_string()))
}

/// Brings the model's index up to date with its vectors: adds the vectors it lacks, or
/// builds it afresh when there is none, its file is gone, or the options changed.
pub fn update_index(
    store: &Store,
    model: &str,
    options: &IndexOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    let record = model_record(store, model)?;
    let path = index_path(store.dir(), &record.name);
    let stored = store_rows::get(store, record.id)?;
    let usable = stored.as_ref().filter(|row| {
        row.quantisation == options.quantisation.name()
            && row.connectivity == options.connectivity as i64
            && row.size <= record.vectors as i64
            && path.is_file()
    });
    let rebuilt = usable.is_none();
    // Up to date: answer from the file header, without reading a possibly huge index.
    if let Some(row) = usable {
        let header = Index::metadata(&path.to_string_lossy()).map_err(|e| native_err(&path, e))?;
        if header.count_present == record.vectors && row.size as u64 == record.vectors {
            return Ok(IndexReport {
                model: record.name.clone(),
                path: path.clone(),
                size: record.vectors,
                added: 0,
                rebuilt: false,
                quantisation: options.quantisation,
                file_bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                file_sha256: row.file_sha256.clone(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
    }
    let index = match usable {
        Some(_) => {
            let index = new_index(record.dimension, options, &path)?;
            index
                .load(&path.to_string_lossy())
                .map_err(|e| native_err(&path, e))?;
            index
        }
        None => new_index(record.dimension, options, &path)?,
    };
    if index.dimensions() != record.dimension {
        return Err(native_err(
            &path,
            format!(
                "holds {}-d vectors, model has {}",
                index.dimensions(),
                record.dimension
            ),
        ));
    }
    let size_before = index.size() as u64;
    let mut report = IndexReport {
        model: record.name.clone(),
        path: path.clone(),
        size: size_before,
        added: 0,
        rebuilt,
        quantisation: options.quantisation,
        file_bytes: 0,
        file_sha256: stored
            .as_ref()
            .map(|r| r.file_sha256.clone())
            .unwrap_or_default(),
        seconds: 0.0,
    };
    if !rebuilt && size_before == record.vectors {
        report.file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    let (ids, data) = vectors::load_vectors(store.conn(), record.id, record.dimension)
        .map_err(|e| store.err(e))?;
    index.reserve(ids.len()).map_err(|e| native_err(&path, e))?;
    progress.set_phase("indexing");
    let Some(added) = add_rows(&index, &path, &ids, &data, !rebuilt, progress, cancel)? else {
        // The file on disk is untouched until the final rename.
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    };
    report.added = added;

    std::fs::create_dir_all(index_dir(store.dir())).map_err(|source| IndexError::Io {
        path: index_dir(store.dir()),
        source,
    })?;
    let tmp = path.with_extension("usearch.tmp");
    index
        .save(&tmp.to_string_lossy())
        .map_err(|e| native_err(&tmp, e))?;
    let (bytes, sha) = file_digest(&tmp)?;
    std::fs::rename(&tmp, &path).map_err(|source| IndexError::Io {
        path: path.clone(),
        source,
    })?;
    report.size = index.size() as u64;
    report.file_bytes = bytes;
    report.file_sha256 = sha.clone();
    store_rows::put(store, record.id, &path, options, report.size, &sha)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The options the model's index was last built with, or the defaults.
pub fn stored_options(store: &Store, model: &str) -> Result<IndexOptions, IndexError> {
    Ok(store_rows::get(store, model_record(store, model)?.id)?
        .map(|row| IndexOptions {
            quantisation: Quantisation::parse(&row.quantisation).unwrap_or(Quantisation::F32),
            connectivity: row.connectivity as usize,
            ..IndexOptions::default()
        })
        .unwrap_or_default())
}

/// Opens the model's index, bringing it up to date first. Files over
/// `VIEW_THRESHOLD_BYTES` are memory-mapped.
pub fn open_index(store: &Store, model: &str) -> Result<SimilarityIndex, IndexError> {
    open_index_with(store, model, VIEW_THRESHOLD_BYTES)
}

/// As `open_index`, memory-mapping files larger than `view_over_bytes`.
pub fn open_index_with(
    store: &Store,
    model: &str,
    view_over_bytes: u64,
) -> Result<SimilarityIndex, IndexError> {
    let stored_options = stored_options(store, model)?;
    let report = update_index(
        store,
        model,
        &stored_options,
        &crate::jobs::NoProgress,
        &CancelToken::new(),
    )?;
    let record = model_record(store, model)?;
    let path = report.path.clone();
    let viewed = report.file_bytes > view_over_bytes;
    open_file(&record, &stored_options, path, viewed, report.file_sha256)
}

/// Length and sha256 of a file.
fn file_digest(path: &Path) -> Result<(u64, String), IndexError> {
    let (sha, bytes) =
        crate::digest::sha256_file(path, |_| true).map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok((bytes, sha))
}
