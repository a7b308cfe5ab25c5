//! Shards built outside a project — on Spark executors, which know reports by their ids
//! in the source, not by the project's incident ids — and adopted into one: written keyed
//! by row, opened with every header field checked, re-keyed to incident ids and saved as
//! the model's index folder, replacing the old one only once the new one is complete.

use super::build::IndexReport;
use super::handle::{index_dir, index_path};
use super::options::{native_err, new_index, IndexError, IndexOptions};
use super::shards;
use super::store_rows;
use crate::store::{ModelRecord, Store};
use std::path::{Path, PathBuf};
use std::time::Instant;
use usearch::{Index, MetricKind};

/// The key of row `r` of a shard written outside a project: the top bit set, so that no
/// such key is an incident id (a positive i64) and re-keying a row never lands on another
/// row's key.
const ROW_KEY: u64 = 1 << 63;

/// Builds one shard of `data`'s rows (`dimension` values each) from one thread in row
/// order, so the file depends on the rows alone, and saves it at `path` (written beside it
/// and renamed, so a reader never sees half a file).
pub fn write_foreign_shard(
    path: &Path,
    data: &[f32],
    dimension: usize,
    options: &IndexOptions,
) -> Result<(), IndexError> {
    if dimension == 0 || !data.len().is_multiple_of(dimension) {
        return Err(native_err(path, format!("{} values do not make rows of {dimension}", data.len())));
    }
    let rows = data.len() / dimension;
    let index = shards::new_shard(dimension, options, path, rows)?;
    for (r, vector) in data.chunks_exact(dimension).enumerate() {
        index.add(ROW_KEY | r as u64, vector).map_err(|e| native_err(path, e))?;
    }
    let partial = shards::transient_path(path, "partial");
    index.save(&partial.to_string_lossy()).map_err(|e| native_err(&partial, e))?;
    ml::durable::commit_rename(&partial, path).map_err(|source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A shard written by `write_foreign_shard`, loaded into memory.
pub struct ForeignShard {
    index: Index,
    path: PathBuf,
    rows: usize,
}

impl ForeignShard {
    /// Opens the shard at `path`, which must hold `rows` rows of `dimension`-d vectors
    /// built with `options` (cosine, one vector a key): its header is read and checked
    /// before the graph is loaded, then every row's key is looked up.
    pub fn open(path: &Path, dimension: usize, options: &IndexOptions, rows: usize) -> Result<Self, IndexError> {
        // A Spark job's file is checked whole before usearch reads a byte of it.
        super::file_check::check_shard(path, dimension, options.quantisation.vector_bytes(dimension))?;
        let name = path.to_string_lossy();
        let header = Index::metadata(&name).map_err(|e| native_err(path, e))?;
        let expected = new_index(dimension, options, path)?;
        let problem = if header.dimensions != dimension as u64 {
            Some(format!("holds {}-d vectors, the model makes {dimension}", header.dimensions))
        } else if header.metric != MetricKind::Cos {
            Some("was not built for cosine distance".to_string())
        } else if header.quantization != expected.scalar_kind() {
            Some(format!("stores its vectors in another precision than {}", options.quantisation.name()))
        } else if header.multi {
            Some("allows several vectors a key".to_string())
        } else if header.count_present != rows as u64 || header.count_deleted != 0 {
            Some(format!("holds {} vectors, its manifest says {rows}", header.count_present))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(native_err(path, problem));
        }
        expected.load(&name).map_err(|e| native_err(path, e))?;
        if expected.size() != rows || expected.dimensions() != dimension || expected.connectivity() != options.connectivity {
            return Err(native_err(path, "its graph does not match its header"));
        }
        if let Some(r) = (0..rows).find(|&r| !expected.contains(ROW_KEY | r as u64)) {
            return Err(native_err(path, format!("has no vector for row {r}")));
        }
        Ok(ForeignShard {
            index: expected,
            path: path.to_path_buf(),
            rows,
        })
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Row `r`'s vector as the shard stores it (decoded to f32) into `out`.
    pub fn row_vector(&self, r: usize, out: &mut [f32]) -> Result<(), IndexError> {
        let found = self.index.get(ROW_KEY | r as u64, out).map_err(|e| native_err(&self.path, e))?;
        if found != 1 {
            return Err(native_err(&self.path, format!("has no vector for row {r}")));
        }
        Ok(())
    }
}

/// The model's new index folder, filled one re-keyed shard at a time (so only one shard is
/// in memory) and put in place by `finish`; dropped unfinished, it leaves the old one.
pub struct ForeignAdoption {
    staging: PathBuf,
    target: PathBuf,
    model_id: i64,
    options: IndexOptions,
    shards: usize,
    rows: u64,
    started: Instant,
    finished: bool,
}

impl ForeignAdoption {
    /// Starts replacing `record`'s index with shards built with `options`.
    pub fn begin(store: &Store, record: &ModelRecord, options: &IndexOptions) -> Result<Self, IndexError> {
        let dir = index_dir(store.dir());
        std::fs::create_dir_all(&dir).map_err(|source| IndexError::Io { path: dir, source })?;
        let target = index_path(store.dir(), &record.name);
        Ok(ForeignAdoption {
            staging: shards::staging_dir(&target)?,
            target,
            model_id: record.id,
            options: *options,
            shards: 0,
            rows: 0,
            started: Instant::now(),
            finished: false,
        })
    }

    /// Adds `shard` as the next shard, row `r` keyed by incident id `incidents[r]`.
    pub fn add(&mut self, shard: ForeignShard, incidents: &[i64]) -> Result<(), IndexError> {
        if incidents.len() != shard.rows {
            return Err(native_err(&shard.path, format!("{} rows, {} incident ids", shard.rows, incidents.len())));
        }
        for (r, &incident) in incidents.iter().enumerate() {
            let renamed = shard
                .index
                .rename(ROW_KEY | r as u64, incident as u64)
                .map_err(|e| native_err(&shard.path, e))?;
            if renamed != 1 {
                return Err(native_err(&shard.path, format!("row {r} could not be re-keyed")));
            }
        }
        let target = shards::shard_path(&self.staging, self.shards);
        shard.index.save(&target.to_string_lossy()).map_err(|e| native_err(&target, e))?;
        self.shards += 1;
        self.rows += shard.rows as u64;
        Ok(())
    }

    /// Puts the new folder in place of the model's index and records it.
    pub fn finish(mut self, store: &Store, model: &str) -> Result<IndexReport, IndexError> {
        let (bytes, sha) = shards::dir_digest(&self.staging)?;
        shards::replace_dir(&self.staging, &self.target)?;
        self.finished = true;
        store_rows::put(store, self.model_id, &self.target, &self.options, self.rows, &sha)?;
        Ok(IndexReport {
            model: model.to_string(),
            path: self.target.clone(),
            size: self.rows,
            added: self.rows,
            rebuilt: true,
            quantisation: self.options.quantisation,
            file_bytes: bytes,
            file_sha256: sha,
            seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}

impl Drop for ForeignAdoption {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, d: usize) -> Vec<f32> {
        let mut rng = ml::rng::SplitMix64::new(11);
        let mut data: Vec<f32> = (0..n * d).map(|_| rng.next_f64() as f32 - 0.5).collect();
        for row in data.chunks_exact_mut(d) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            row.iter_mut().for_each(|x| *x /= norm);
        }
        data
    }

    #[test]
    fn a_written_shard_reopens_with_its_rows_and_refuses_the_wrong_shape() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shard-000.usearch");
        let data = rows(300, 16);
        let options = IndexOptions::default();
        write_foreign_shard(&path, &data, 16, &options).unwrap();
        let shard = ForeignShard::open(&path, 16, &options, 300).unwrap();
        let mut v = vec![0.0; 16];
        shard.row_vector(299, &mut v).unwrap();
        assert_eq!(&v[..], &data[299 * 16..]);
        assert!(shard.row_vector(300, &mut v).is_err());
        for (d, n, opts, says) in [
            // Checked from the file's layout before usearch reads it: 16 f32 are 64 bytes.
            (8, 300, options, "vectors of 64 bytes, expected 32"),
            (16, 299, options, "manifest says 299"),
            (16, 300, IndexOptions { quantisation: super::super::Quantisation::I8, ..options }, "expected 16"),
        ] {
            let err = ForeignShard::open(&path, d, &opts, n).err().expect("refused").to_string();
            assert!(err.contains(says), "{err}");
        }
        // A truncated file is an error, not a crash.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(ForeignShard::open(&path, 16, &options, 300).is_err());
        assert!(write_foreign_shard(&path, &data[..17], 16, &options).is_err());
    }
}
