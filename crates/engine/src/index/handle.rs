//! An open index of one model and the searches it answers.

use super::options::{native_err, IndexError, IndexOptions};
use super::shards;
use crate::store::ModelRecord;
use serde::Serialize;
use std::path::{Path, PathBuf};
use usearch::Index;

/// An open index of one model.
pub struct SimilarityIndex {
    /// Its shards (see `shards`), searched together.
    pub(crate) shards: Vec<Index>,
    pub model: ModelRecord,
    /// The folder holding the shard files.
    pub path: PathBuf,
    /// Memory-mapped (read-only) rather than loaded.
    pub viewed: bool,
    pub file_sha256: String,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    pub incident_id: i64,
    /// Cosine distance (1 - cosine similarity).
    pub distance: f32,
}

/// Index files larger than this are opened as a memory-mapped view rather than read into
/// memory: searching a view costs page-cache reads, not the index's size in RAM.
pub const VIEW_THRESHOLD_BYTES: u64 = 512 << 20;

pub fn index_dir(project: &Path) -> PathBuf {
    project.join("indexes")
}

/// `indexes/<model>.usearch` (a folder of shards). Characters a file name may not hold are
/// written as `%XX` (their UTF-8 bytes), `%` itself included, so two model names never share
/// a folder (`foo:all` and `foo_all` once did) and names of safe characters keep theirs.
pub fn index_path(project: &Path, model: &str) -> PathBuf {
    let mut safe = String::with_capacity(model.len());
    for (i, c) in model.chars().enumerate() {
        // `run-<id>` is a cluster run's fitted index: a model named so gets `%72un-<id>`.
        let run_like = i == 0 && model.starts_with("run-");
        if !run_like && (c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            safe.push(c);
        } else {
            let mut bytes = [0u8; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                safe.push_str(&format!("%{b:02X}"));
            }
        }
    }
    index_dir(project).join(format!("{safe}.usearch"))
}

/// Opens the index folder at `path` for `record`'s vectors, memory-mapped when `viewed`,
/// ready to search with `options`' expansion.
pub(super) fn open_file(
    record: &ModelRecord,
    options: &IndexOptions,
    path: PathBuf,
    viewed: bool,
    file_sha256: String,
) -> Result<SimilarityIndex, IndexError> {
    let shards = shards::open_dir(&path, record.dimension, options, viewed)?;
    Ok(SimilarityIndex {
        shards,
        model: record.clone(),
        path,
        viewed,
        file_sha256,
    })
}

impl SimilarityIndex {
    pub fn len(&self) -> usize {
        self.shards.iter().map(Index::size).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the index holds incident `key`.
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.shards.iter().any(|s| s.contains(key))
    }

    /// The `k` nearest incidents to `query` (a vector of the model's dimension).
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>, IndexError> {
        Ok(neighbours(self.search_keys(query, k)?))
    }

    /// As `search`, as (key, distance) pairs.
    pub(crate) fn search_keys(&self, query: &[f32], k: usize) -> Result<Vec<(u64, f32)>, IndexError> {
        self.check_dimension(query)?;
        let mut found = Vec::with_capacity(k * self.shards.len());
        for shard in &self.shards {
            let m = shard.search(query, k).map_err(|e| native_err(&self.path, e))?;
            found.extend(m.keys.iter().copied().zip(m.distances.iter().copied()));
        }
        Ok(shards::merge(found, k))
    }

    /// The `k` nearest incidents to `query` among those `keep` accepts: the filter runs
    /// inside the graph walk, so `k` passing neighbours come back however few pass.
    pub fn search_where(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(i64) -> bool,
    ) -> Result<Vec<Neighbour>, IndexError> {
        self.check_dimension(query)?;
        let mut found = Vec::with_capacity(k * self.shards.len());
        for shard in &self.shards {
            let m = shard
                .filtered_search(query, k, |key| keep(key as i64))
                .map_err(|e| native_err(&self.path, e))?;
            found.extend(m.keys.iter().copied().zip(m.distances.iter().copied()));
        }
        Ok(neighbours(shards::merge(found, k)))
    }

    fn check_dimension(&self, query: &[f32]) -> Result<(), IndexError> {
        if query.len() == self.model.dimension {
            return Ok(());
        }
        Err(native_err(
            &self.path,
            format!(
                "query has {} dimensions, index {}",
                query.len(),
                self.model.dimension
            ),
        ))
    }

    /// Sets how wide a search looks (HNSW's ef): higher is slower and more exact.
    pub fn set_expansion(&self, expansion: usize) {
        for shard in &self.shards {
            shard.change_expansion_search(expansion);
        }
    }
}

fn neighbours(found: Vec<(u64, f32)>) -> Vec<Neighbour> {
    found
        .into_iter()
        .map(|(key, distance)| Neighbour {
            incident_id: key as i64,
            distance,
        })
        .collect()
}

/// Opens the index folder at `path` if its digest is `expected_sha256` (None when it is
/// missing or another folder), memory-mapped when larger than `view_over_bytes`.
pub(super) fn open_verified(
    path: PathBuf,
    record: &ModelRecord,
    options: &IndexOptions,
    expected_sha256: &str,
    view_over_bytes: u64,
) -> Result<Option<SimilarityIndex>, IndexError> {
    if !path.is_dir() {
        return Ok(None);
    }
    let (bytes, sha) = shards::dir_digest(&path)?;
    if sha != expected_sha256 {
        return Ok(None);
    }
    open_file(record, options, path, bytes > view_over_bytes, sha).map(Some)
}

#[cfg(test)]
mod tests {
    use super::index_path;
    use std::path::Path;

    #[test]
    fn model_names_never_share_an_index_folder() {
        let p = Path::new("/p");
        let names = ["foo:all", "foo_all", "foo%3Aall", "foo/all", "foo all", "fóo", "all-MiniLM-L6-v2", "run-3", "x~tmp-1-0"];
        let paths: std::collections::HashSet<_> = names.iter().map(|n| index_path(p, n)).collect();
        assert_eq!(paths.len(), names.len());
        assert_eq!(index_path(p, "all-MiniLM-L6-v2"), Path::new("/p/indexes/all-MiniLM-L6-v2.usearch"));
        assert_eq!(index_path(p, "foo/../x"), Path::new("/p/indexes/foo%2F..%2Fx.usearch"));
        // Never a cluster run's index, never a name the leftover sweep takes for its own.
        assert_eq!(index_path(p, "run-3"), Path::new("/p/indexes/%72un-3.usearch"));
        assert_ne!(index_path(p, "run-3"), super::super::run_index_path(p, 3));
        assert_eq!(index_path(p, "x~tmp-1-0"), Path::new("/p/indexes/x%7Etmp-1-0.usearch"));
    }
}
