//! Building, updating and opening a model's index file, recorded in `vector_indexes`.

use super::handle::{index_dir, index_path, SimilarityIndex, VIEW_THRESHOLD_BYTES};
use super::options::{native_err, IndexError, IndexOptions, Quantisation};
use super::shards::{self, ShardFile};
use super::store_rows;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, ModelRecord, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// Brings the model's index up to date with its vectors: adds the vectors it lacks (to its
/// last shard, then new ones), or builds it afresh when there is none, its folder is gone,
/// or the options changed.
pub fn update_index(
    store: &Store,
    model: &str,
    options: &IndexOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<IndexReport, IndexError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("an index build for {model}"))?;
    let started = Instant::now();
    let record = model_record(store, model)?;
    let path = index_path(store.dir(), &record.name);
    let stored = store_rows::get(store, record.id)?;
    // Kept only when the folder is the very one recorded: anything else (a damaged shard,
    // a folder from elsewhere, one a crash left half replaced) is built again.
    let mut present = 0;
    let usable = stored.as_ref().filter(|row| {
        row.quantisation == options.quantisation.name()
            && row.connectivity == options.connectivity as i64
            && row.size <= record.vectors as i64
            && path.is_dir()
            && shards::dir_digest(&path).is_ok_and(|(_, sha)| sha == row.file_sha256)
            && shards::checked_count(&path, record.dimension, options).is_ok_and(|n| {
                present = n;
                true
            })
    });
    let rebuilt = usable.is_none();
    let mut report = IndexReport {
        model: record.name.clone(),
        path: path.clone(),
        size: 0,
        added: 0,
        rebuilt,
        quantisation: options.quantisation,
        file_bytes: 0,
        file_sha256: stored.as_ref().map(|r| r.file_sha256.clone()).unwrap_or_default(),
        seconds: 0.0,
    };
    // Up to date: answer from the shards' headers, without reading a possibly huge index.
    if let Some(row) = usable {
        if present == record.vectors && row.size as u64 == record.vectors {
            report.size = record.vectors;
            report.file_bytes = folder_bytes(&path);
            report.seconds = started.elapsed().as_secs_f64();
            return Ok(report);
        }
    }
    let existing = match usable {
        Some(_) => shards::open_dir(&path, record.dimension, options, false)?,
        None => Vec::new(),
    };
    let index = SimilarityIndex {
        shards: existing,
        model: record.clone(),
        path: path.clone(),
        viewed: false,
        file_sha256: report.file_sha256.clone(),
    };
    report.size = index.len() as u64;

    // Growing an index reads only the vectors it lacks: which those are comes from the
    // model's ids, not from reading a million vectors to keep the last few thousand.
    let (ids, data) = if index.is_empty() {
        vectors::load_vectors(store.conn(), record.id, record.dimension)
    } else {
        vectors::model_ids(store.conn(), record.id).and_then(|mut ids| {
            ids.retain(|&id| !index.contains(id as u64));
            vectors::load_by_ids(store.conn(), record.id, record.dimension, &ids)
        })
    }
    .map_err(|e| store.err(e))?;
    if !rebuilt && ids.is_empty() {
        report.file_bytes = folder_bytes(&path);
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    progress.set_phase("indexing");
    let sizes: Vec<usize> = index.shards.iter().map(|s| s.size()).collect();
    let jobs = if rebuilt {
        shards::fresh_layout(ids.len(), true).into_iter().enumerate().collect()
    } else {
        shards::append_layout(&sizes, ids.len())
    };
    let mut all = index.shards;
    for (shard, rows) in &jobs {
        match all.get(*shard) {
            Some(open) => open.reserve(open.size() + rows.len()).map_err(|e| native_err(&path, e))?,
            None => all.push(shards::new_shard(record.dimension, options, &path, rows.len())?),
        }
    }
    // The folder on disk is untouched until the finished one replaces it.
    if !shards::fill(&all, &jobs, &ids, &data, &path, progress, cancel)? {
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    report.added = ids.len() as u64;
    drop(data);

    std::fs::create_dir_all(index_dir(store.dir())).map_err(|source| IndexError::Io {
        path: index_dir(store.dir()),
        source,
    })?;
    let old_files = shards::shard_files(&path);
    let files: Vec<ShardFile> = all
        .iter()
        .enumerate()
        .map(|(j, shard)| match old_files.get(j) {
            Some(file) if !rebuilt && !jobs.iter().any(|(s, _)| *s == j) => ShardFile::Keep(file.clone()),
            _ => ShardFile::Write(shard),
        })
        .collect();
    let (bytes, sha) = shards::write_dir(&path, &files)?;
    report.size = all.iter().map(|s| s.size() as u64).sum();
    report.file_bytes = bytes;
    report.file_sha256 = sha.clone();
    store_rows::put(store, record.id, &path, options, report.size, &sha)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Total size of the shard files in `dir`.
fn folder_bytes(dir: &Path) -> u64 {
    shards::shard_files(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
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

/// The digest the project recorded for the model's index folder, if it has one.
pub fn stored_digest(store: &Store, model: &str) -> Result<Option<String>, IndexError> {
    Ok(store_rows::get(store, model_record(store, model)?.id)?.map(|row| row.file_sha256))
}

/// Opens the model's index as it stands, writing nothing: what searches and the incident
/// panel read, while an encode may be replacing the folder. The folder must be the one the
/// project recorded (its digest) and each shard well formed (`file_check`); else
/// `IndexError::Unusable`, and the jobs that write (encode, `index`, analysis) rebuild it.
/// An index behind its model's vectors opens: reports encoded since are not found yet.
/// Files over `VIEW_THRESHOLD_BYTES` are memory-mapped.
pub fn open_index(store: &Store, model: &str) -> Result<SimilarityIndex, IndexError> {
    open_index_with(store, model, VIEW_THRESHOLD_BYTES)
}

/// As `open_index`, memory-mapping files larger than `view_over_bytes`.
pub fn open_index_with(
    store: &Store,
    model: &str,
    view_over_bytes: u64,
) -> Result<SimilarityIndex, IndexError> {
    let record = model_record(store, model)?;
    let unusable = || IndexError::Unusable(record.name.clone());
    let row = store_rows::get(store, record.id)?.ok_or_else(unusable)?;
    let options = IndexOptions {
        quantisation: Quantisation::parse(&row.quantisation).map_err(|_| unusable())?,
        connectivity: row.connectivity as usize,
        ..IndexOptions::default()
    };
    let path = index_path(store.dir(), &record.name);
    super::handle::open_verified(path, &record, &options, &row.file_sha256, view_over_bytes)?.ok_or_else(unusable)
}

/// Encodes the reports `spec` has not encoded yet, then brings its model's index up to date
/// (unless cancelled): what "encode" means to a user, since searches never write and find
/// only what the index holds.
pub fn encode_indexed(
    store: &mut Store,
    spec: &crate::encode::ModelSpec,
    options: &crate::encode::EncodeOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(crate::encode::EncodeReport, Option<IndexReport>), IndexError> {
    let encoded = crate::encode::encode_project(store, spec, options, progress, cancel)?;
    if encoded.cancelled || cancel.is_cancelled() {
        return Ok((encoded, None));
    }
    let index_options = stored_options(store, &encoded.model)?;
    let indexed = update_index(store, &encoded.model, &index_options, progress, cancel)?;
    Ok((encoded, Some(indexed)))
}

/// Brings the model's index up to date, then opens it: for the jobs that may write (an
/// analysis, an evaluation, signals).
pub fn update_and_open(store: &Store, model: &str) -> Result<SimilarityIndex, IndexError> {
    let options = stored_options(store, model)?;
    update_index(store, model, &options, &crate::jobs::NoProgress, &CancelToken::new())?;
    open_index(store, model)
}
