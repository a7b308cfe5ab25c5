//! The index a cluster run was fitted with, when the run fitted a sample: the fitted
//! reports' vectors only, in shards built in incident-id order (so the graphs depend only
//! on them), kept as `indexes/run-<id>.usearch/`. Later reports are assigned to the run
//! by searching it, without refitting and without touching the model's own index.

use super::handle::{index_dir, open_verified, SimilarityIndex, VIEW_THRESHOLD_BYTES};
use super::options::{IndexError, IndexOptions};
use super::shards::{self, ShardFile};
use crate::jobs::{CancelToken, Progress};
use crate::store::ModelRecord;
use std::path::{Path, PathBuf};

/// `indexes/run-<id>.usearch` (a folder of shards).
pub fn run_index_path(project: &Path, run_id: i64) -> PathBuf {
    index_dir(project).join(format!("run-{run_id}.usearch"))
}

/// An in-memory index over `ids` (rows of `data`), its shards (one up to `SHARD_ROWS`)
/// each built in the given order, side by side. None when cancelled.
pub fn build_fit_index(
    record: &ModelRecord,
    ids: &[i64],
    data: &[f32],
    options: &IndexOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<SimilarityIndex>, IndexError> {
    let here = PathBuf::from("<fit index>");
    // Searched by every report of the run, built once: as few shards as allowed.
    let layout = shards::fresh_layout(ids.len(), false);
    let built = layout
        .iter()
        .map(|rows| shards::new_shard(record.dimension, options, &here, rows.len()))
        .collect::<Result<Vec<_>, _>>()?;
    let jobs: Vec<_> = layout.into_iter().enumerate().collect();
    if !shards::fill(&built, &jobs, ids, data, &here, progress, cancel)? {
        return Ok(None);
    }
    for shard in &built {
        shard.change_expansion_search(options.expansion_search);
    }
    Ok(Some(SimilarityIndex {
        shards: built,
        model: record.clone(),
        path: here,
        viewed: false,
        file_sha256: String::new(),
    }))
}

/// Writes an in-memory index next to the project's indexes under a temporary name and
/// records its digest; `adopt_run_index` gives it the run's name once the run is stored.
pub fn save_pending(index: &mut SimilarityIndex, project: &Path) -> Result<(), IndexError> {
    let pending = shards::transient_path(&index_dir(project).join("run"), "pending");
    let files: Vec<ShardFile> = index.shards.iter().map(ShardFile::Write).collect();
    let (_, sha) = shards::write_dir(&pending, &files)?;
    index.path = pending;
    index.file_sha256 = sha;
    Ok(())
}

/// Gives the run its index folder: the pending folder saved by `save_pending` is renamed,
/// or the model's index shards (replaced by rename whenever they change, never rewritten in
/// place) are hard-linked, or copied where links are not supported.
pub fn adopt_run_index(
    source: &Path,
    project: &Path,
    run_id: i64,
    pending: bool,
) -> Result<PathBuf, IndexError> {
    let target = run_index_path(project, run_id);
    // A leftover from a run id reused after a rolled-back transaction is replaced.
    if pending {
        shards::replace_dir(source, &target)?;
    } else {
        let kept: Vec<ShardFile> = shards::shard_files(source).into_iter().map(ShardFile::Keep).collect();
        shards::write_dir(&target, &kept)?;
    }
    Ok(target)
}

/// Copies the index folder `source` to `target` (hard links where the file system allows:
/// shard files are never rewritten in place). Returns its size in bytes and digest.
pub fn copy_index(source: &Path, target: &Path) -> Result<(u64, String), IndexError> {
    let kept: Vec<ShardFile> = shards::shard_files(source).into_iter().map(ShardFile::Keep).collect();
    shards::write_dir(target, &kept)
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
    open_checked(run_index_path(project, run_id), record, options, expected_sha256)
}

/// Opens the index folder at `path` (memory-mapped when large) if its digest is
/// `expected_sha256`; None when it is missing or is another file: what a run's index and
/// an exported run's copy of it are opened through.
pub fn open_checked(
    path: PathBuf,
    record: &ModelRecord,
    options: &IndexOptions,
    expected_sha256: &str,
) -> Result<Option<SimilarityIndex>, IndexError> {
    open_verified(path, record, options, expected_sha256, VIEW_THRESHOLD_BYTES)
}

