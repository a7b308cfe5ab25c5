//! The index a cluster run was fitted with, when the run fitted a sample: the fitted
//! reports' vectors only, added in incident-id order from one thread (so the graph depends
//! only on them), kept as `indexes/run-<id>.usearch`. Later reports are assigned to the run
//! by searching it, without refitting and without touching the model's own index.

use super::build::VIEW_THRESHOLD_BYTES;
use super::handle::{add_rows, index_dir, native_err, new_index, open_file, SimilarityIndex};
use super::options::{IndexError, IndexOptions};
use crate::jobs::{CancelToken, Progress};
use crate::store::ModelRecord;
use std::path::{Path, PathBuf};

/// `indexes/run-<id>.usearch`.
pub fn run_index_path(project: &Path, run_id: i64) -> PathBuf {
    index_dir(project).join(format!("run-{run_id}.usearch"))
}

/// An in-memory index over `ids` (rows of `data`), built on one thread in the given order.
/// None when cancelled.
pub fn build_fit_index(
    record: &ModelRecord,
    ids: &[i64],
    data: &[f32],
    options: &IndexOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<SimilarityIndex>, IndexError> {
    let here = PathBuf::from("<fit index>");
    let index = new_index(record.dimension, options, &here)?;
    index.reserve(ids.len()).map_err(|e| native_err(&here, e))?;
    if add_rows(&index, &here, ids, data, false, progress, cancel)?.is_none() {
        return Ok(None);
    }
    index.change_expansion_search(options.expansion_search);
    Ok(Some(SimilarityIndex {
        index,
        model: record.clone(),
        path: here,
        viewed: false,
        file_sha256: String::new(),
    }))
}

/// Writes an in-memory index next to the project's indexes under a temporary name and
/// records its digest; `adopt_run_index` gives it the run's name once the run is stored.
pub fn save_pending(index: &mut SimilarityIndex, project: &Path) -> Result<(), IndexError> {
    let dir = index_dir(project);
    std::fs::create_dir_all(&dir).map_err(|source| IndexError::Io {
        path: dir.clone(),
        source,
    })?;
    let pending = dir.join(format!("run-pending-{}.usearch.tmp", std::process::id()));
    index
        .index
        .save(&pending.to_string_lossy())
        .map_err(|e| native_err(&pending, e))?;
    let (sha, _) =
        crate::digest::sha256_file(&pending, |_| true).map_err(|source| IndexError::Io {
            path: pending.clone(),
            source,
        })?;
    index.path = pending;
    index.file_sha256 = sha;
    Ok(())
}

/// Gives the run its index file: the pending file saved by `save_pending` is renamed, or
/// the model's index file (replaced by rename whenever it changes, never rewritten in
/// place) is hard-linked, or copied where links are not supported.
pub fn adopt_run_index(
    source: &Path,
    project: &Path,
    run_id: i64,
    pending: bool,
) -> Result<PathBuf, IndexError> {
    let target = run_index_path(project, run_id);
    let io = |source| IndexError::Io {
        path: target.clone(),
        source,
    };
    if target.exists() {
        // A leftover from a run id reused after a rolled-back transaction.
        std::fs::remove_file(&target).map_err(io)?;
    }
    if pending {
        std::fs::rename(source, &target).map_err(io)?;
    } else if std::fs::hard_link(source, &target).is_err() {
        std::fs::copy(source, &target).map_err(io)?;
    }
    Ok(target)
}

/// Opens the index run `run_id` was fitted with (memory-mapped when large); None when the
/// file is missing or is not the file the run recorded (`expected_sha256`): a changed or
/// truncated file is never handed to the native loader.
pub fn open_run_index(
    project: &Path,
    run_id: i64,
    record: &ModelRecord,
    options: &IndexOptions,
    expected_sha256: &str,
) -> Result<Option<SimilarityIndex>, IndexError> {
    let path = run_index_path(project, run_id);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    let (sha, _) =
        crate::digest::sha256_file(&path, |_| true).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
    if sha != expected_sha256 {
        return Ok(None);
    }
    let viewed = meta.len() > VIEW_THRESHOLD_BYTES;
    open_file(record, options, path, viewed, sha).map(Some)
}
