//! An open index of one model and the searches it answers.

use super::options::{IndexError, IndexOptions};
use crate::store::ModelRecord;
use serde::Serialize;
use std::path::{Path, PathBuf};
use usearch::{Index, IndexOptions as NativeOptions, MetricKind};

/// An open index of one model.
pub struct SimilarityIndex {
    pub(crate) index: Index,
    pub model: ModelRecord,
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

pub fn index_dir(project: &Path) -> PathBuf {
    project.join("indexes")
}

/// `indexes/<model>.usearch`, with characters a file name cannot hold replaced.
pub fn index_path(project: &Path, model: &str) -> PathBuf {
    let safe: String = model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    index_dir(project).join(format!("{safe}.usearch"))
}

pub(super) fn native_err(path: &Path, e: impl std::fmt::Display) -> IndexError {
    IndexError::Native {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

pub(super) fn new_index(dimension: usize, options: &IndexOptions, path: &Path) -> Result<Index, IndexError> {
    let native = NativeOptions {
        dimensions: dimension,
        metric: MetricKind::Cos,
        quantization: options.quantisation.scalar(),
        connectivity: options.connectivity,
        expansion_add: options.expansion_add,
        expansion_search: options.expansion_search,
        multi: false,
    };
    Index::new(&native).map_err(|e| native_err(path, e))
}

/// Opens the index file at `path` for `record`'s vectors, memory-mapped when `viewed`,
/// ready to search with `options`' expansion.
pub(super) fn open_file(
    record: &ModelRecord,
    options: &IndexOptions,
    path: PathBuf,
    viewed: bool,
    file_sha256: String,
) -> Result<SimilarityIndex, IndexError> {
    let index = new_index(record.dimension, options, &path)?;
    let name = path.to_string_lossy();
    if viewed { index.view(&name) } else { index.load(&name) }.map_err(|e| native_err(&path, e))?;
    if index.dimensions() != record.dimension {
        let message = format!("holds {}-d vectors, model has {}", index.dimensions(), record.dimension);
        return Err(native_err(&path, message));
    }
    index.change_expansion_search(options.expansion_search);
    Ok(SimilarityIndex {
        index,
        model: record.clone(),
        path,
        viewed,
        file_sha256,
    })
}

/// Adds `ids` with their vectors (rows of `data`) in order, from this thread, so the graph
/// depends only on the input; with `skip_present`, keys already in the index are left as
/// they are. Returns how many were added, or None when cancelled.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_rows(
    index: &Index,
    path: &Path,
    ids: &[i64],
    data: &[f32],
    skip_present: bool,
    progress: &dyn crate::jobs::Progress,
    cancel: &crate::jobs::CancelToken,
) -> Result<Option<u64>, IndexError> {
    let mut added = 0;
    progress.set_total(ids.len() as u64);
    for (i, (id, v)) in ids.iter().zip(data.chunks_exact(index.dimensions().max(1))).enumerate() {
        if i % 1024 == 0 {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            progress.set_position(i as u64);
        }
        let key = *id as u64;
        if skip_present && index.contains(key) {
            continue;
        }
        index.add(key, v).map_err(|e| native_err(path, e))?;
        added += 1;
    }
    progress.set_position(ids.len() as u64);
    Ok(Some(added))
}

impl SimilarityIndex {
    pub fn len(&self) -> usize {
        self.index.size()
    }

    pub fn is_empty(&self) -> bool {
        self.index.size() == 0
    }

    /// The `k` nearest incidents to `query` (a vector of the model's dimension).
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<Neighbour>, IndexError> {
        self.check_dimension(query)?;
        let found = self
            .index
            .search(query, k)
            .map_err(|e| native_err(&self.path, e))?;
        Ok(neighbours(&found))
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
        let found = self
            .index
            .filtered_search(query, k, |key| keep(key as i64))
            .map_err(|e| native_err(&self.path, e))?;
        Ok(neighbours(&found))
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
        self.index.change_expansion_search(expansion);
    }
}

fn neighbours(found: &usearch::ffi::Matches) -> Vec<Neighbour> {
    found
        .keys
        .iter()
        .zip(&found.distances)
        .map(|(&key, &distance)| Neighbour {
            incident_id: key as i64,
            distance,
        })
        .collect()
}
