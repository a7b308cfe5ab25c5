//! A Spark job's index shards (`index_shards`) adopted as a model's index in the project,
//! so a national extract is searched and clustered without building its graph here. The
//! shards must index exactly the vectors the project already holds for the model (imported
//! from the same job): every file's digest, every report, every row's vector are checked
//! against the store before the model's index is replaced.

use super::error::ExchangeError;
use super::index_shards::{ids_file, index_file, is_shard_name, IndexManifest, INDEX_FORMAT, INDEX_FORMAT_VERSION, MAX_SHARDS};
use crate::encode::{stored_precision, ModelSpec, Precision};
use crate::index::{ForeignAdoption, ForeignShard, IndexOptions, Quantisation};
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use rusqlite::OptionalExtension;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct IndexImportReport {
    /// The model record whose index the shards now are.
    pub model: String,
    pub shards: usize,
    pub rows: u64,
    pub quantisation: Quantisation,
    pub file_bytes: u64,
    pub file_sha256: String,
    pub seconds: f64,
}

/// A manifest is a few hundred bytes a shard.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// A report id is at most this long in an ids file (the ingest's own limit is far lower).
const MAX_ID_BYTES: u64 = 4096;

/// Replaces the index of `spec`'s model reading `fields` with the shards in `dir`, after
/// checking them whole: nothing changes unless every check passes.
pub fn import_index(
    store: &Store,
    dir: &Path,
    spec: &ModelSpec,
    fields: TextFields,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<IndexImportReport, ExchangeError> {
    let _job = crate::store::job_lock::acquire(store.dir(), "an import of an index")?;
    let started = std::time::Instant::now();
    let manifest = read_manifest(dir)?;
    let record_name = spec.record_name(fields);
    let record = vectors::find_model(store.conn(), &record_name)
        .map_err(|e| store.err(e))?
        .filter(|m| m.vectors > 0)
        .ok_or_else(|| ExchangeError::NoVectors(record_name.clone()))?;
    let source = &manifest.source;
    let stored_sha = record.provenance["weights_sha256"].as_str().unwrap_or_default();
    if source.weights_sha256 != stored_sha {
        return Err(ExchangeError::WeightsDiffer {
            model: record_name,
            file: source.weights_sha256.clone(),
            local: stored_sha.to_string(),
        });
    }
    if source.text_fields != fields.name() {
        return Err(ExchangeError::TextFields {
            file: source.text_fields.clone(),
            requested: fields.name().to_string(),
        });
    }
    if source.dimension != record.dimension {
        return Err(ExchangeError::Dimension {
            model: record_name,
            file: source.dimension,
            local: record.dimension,
        });
    }
    if matches!(spec, ModelSpec::Transformer { .. }) {
        let shards = source.precision.as_deref().and_then(Precision::parse).unwrap_or(Precision::F32);
        let stored = stored_precision(&record.provenance);
        if shards != stored {
            return Err(bad(dir, format!("the shards index {shards} vectors; the project's are {stored}")));
        }
    }
    if manifest.rows != record.vectors {
        return Err(ExchangeError::Coverage {
            model: record_name,
            shards: manifest.rows,
            vectors: record.vectors,
        });
    }
    let options = IndexOptions {
        quantisation: Quantisation::parse(&source.quantisation)?,
        connectivity: source.connectivity,
        ..IndexOptions::default()
    };
    // Rows stored in f32 come back exactly; f16 keeps 11 significant bits and i8 each
    // value of a unit vector to within a 127th (usearch rounds toward zero).
    let tolerance = match options.quantisation {
        Quantisation::F32 => 0.0,
        Quantisation::F16 => 1e-3,
        Quantisation::I8 => 1.0 / 127.0 + 1e-4,
    };

    progress.set_phase("checking index shards");
    progress.set_total(manifest.rows);
    let d = record.dimension;
    let mut seen: HashSet<i64> = HashSet::with_capacity(manifest.rows as usize);
    let mut lookup = store
        .conn()
        .prepare_cached("SELECT id FROM incidents WHERE external_id = ?1")
        .map_err(|e| store.err(e))?;
    // Every shard's reports first (the small files), so a folder of the wrong reports is
    // refused before any graph is read.
    let mut shard_ids = Vec::with_capacity(manifest.shards.len());
    for shard in &manifest.shards {
        if cancel.is_cancelled() {
            return Err(ExchangeError::Cancelled);
        }
        let ids = read_ids(&ids_file(dir, &shard.name), &shard.ids_sha256, shard.rows)?;
        let (mut incidents, mut unknown) = (Vec::with_capacity(ids.len()), Vec::new());
        for id in &ids {
            match lookup.query_row([id], |r| r.get::<_, i64>(0)).optional().map_err(|e| store.err(e))? {
                Some(incident) if !seen.insert(incident) => return Err(ExchangeError::Duplicate(id.clone())),
                Some(incident) => incidents.push(incident),
                None => unknown.push(format!("{id:?}")),
            }
        }
        if !unknown.is_empty() {
            return Err(ExchangeError::UnknownReports {
                count: unknown.len() as u64,
                examples: unknown.into_iter().take(5).collect::<Vec<_>>().join(", "),
            });
        }
        shard_ids.push((ids, incidents));
    }
    let mut adoption = ForeignAdoption::begin(store, &record, &options)?;
    let mut done = 0u64;
    let mut row = vec![0f32; d];
    for (shard, (ids, incidents)) in manifest.shards.iter().zip(shard_ids) {
        if cancel.is_cancelled() {
            return Err(ExchangeError::Cancelled);
        }
        let index_path = index_file(dir, &shard.name);
        check_digest(&index_path, &shard.index_sha256)?;
        let (found, stored) =
            vectors::load_by_ids(store.conn(), record.id, d, &incidents).map_err(|e| store.err(e))?;
        if found.len() != incidents.len() {
            let found: HashSet<i64> = found.into_iter().collect();
            let missing = incidents.iter().zip(&ids).find(|(i, _)| !found.contains(i)).map(|(_, id)| id.clone());
            return Err(bad(
                &ids_file(dir, &shard.name),
                format!("report {:?} has no vector of {record_name} in the project", missing.unwrap_or_default()),
            ));
        }
        let foreign = ForeignShard::open(&index_path, d, &options, shard.rows as usize)?;
        for (r, id) in ids.iter().enumerate() {
            foreign.row_vector(r, &mut row)?;
            let expected = &stored[r * d..(r + 1) * d];
            let difference = row.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            if difference > tolerance || row.iter().any(|x| !x.is_finite()) {
                return Err(ExchangeError::VectorDiffers {
                    id: id.clone(),
                    shard: shard.name.clone(),
                    difference,
                });
            }
        }
        adoption.add(foreign, &incidents)?;
        done += shard.rows;
        progress.set_position(done);
    }
    if cancel.is_cancelled() {
        return Err(ExchangeError::Cancelled);
    }
    let report = adoption.finish(store, &record.name)?;
    Ok(IndexImportReport {
        model: record.name,
        shards: manifest.shards.len(),
        rows: report.size,
        quantisation: report.quantisation,
        file_bytes: report.file_bytes,
        file_sha256: report.file_sha256,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn bad(path: &Path, reason: impl Into<String>) -> ExchangeError {
    ExchangeError::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads at most `limit` bytes of `path`; a longer file is refused unread.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ExchangeError> {
    let len = std::fs::metadata(path).map_err(|e| bad(path, e.to_string()))?.len();
    if len > limit {
        return Err(bad(path, format!("{len} bytes is more than such a file holds ({limit} at most)")));
    }
    std::fs::read(path).map_err(|e| bad(path, e.to_string()))
}

/// `manifest.json` of `dir`, with every field checked that does not need the project.
pub fn read_manifest(dir: &Path) -> Result<IndexManifest, ExchangeError> {
    let path = dir.join("manifest.json");
    if !path.is_file() {
        return Err(bad(dir, "is not a folder of index shards from the Spark job (no manifest.json)"));
    }
    let manifest: IndexManifest = serde_json::from_slice(&read_capped(&path, MAX_MANIFEST_BYTES)?)
        .map_err(|e| bad(&path, format!("not an index manifest: {e}")))?;
    if manifest.format != INDEX_FORMAT {
        return Err(bad(&path, format!("its format is {:?}, not {INDEX_FORMAT:?}", manifest.format)));
    }
    if manifest.version != INDEX_FORMAT_VERSION {
        return Err(bad(&path, format!(
            "format version {} (this app reads version {INDEX_FORMAT_VERSION}); use the job of the same release",
            manifest.version
        )));
    }
    if manifest.shards.is_empty() || manifest.shards.len() > MAX_SHARDS {
        return Err(bad(&path, format!("{} shards; 1 to {MAX_SHARDS} expected", manifest.shards.len())));
    }
    if !(2..=256).contains(&manifest.source.connectivity) {
        return Err(bad(&path, format!("connectivity {} is outside 2..=256", manifest.source.connectivity)));
    }
    let mut names = HashSet::new();
    for shard in &manifest.shards {
        if !is_shard_name(&shard.name) {
            return Err(bad(&path, format!("{:?} is not a shard name (shard-NNN)", shard.name)));
        }
        if !names.insert(shard.name.as_str()) {
            return Err(bad(&path, format!("{} is listed twice", shard.name)));
        }
        if shard.rows == 0 {
            return Err(bad(&path, format!("{} holds no rows", shard.name)));
        }
    }
    let total = manifest.shards.iter().try_fold(0u64, |sum, s| sum.checked_add(s.rows));
    if total != Some(manifest.rows) {
        return Err(bad(&path, "its shards' rows do not add up to its total"));
    }
    Ok(manifest)
}

fn check_digest(path: &Path, expected: &str) -> Result<(), ExchangeError> {
    let (sha, _) = crate::digest::sha256_file(path, |_| true).map_err(|e| bad(path, e.to_string()))?;
    if sha != expected {
        return Err(bad(path, "its SHA-256 differs from the manifest's: changed or truncated since the job wrote it"));
    }
    Ok(())
}

/// A shard's ids file: its digest as the manifest says, a JSON array of `rows` strings.
fn read_ids(path: &Path, expected_sha: &str, rows: u64) -> Result<Vec<String>, ExchangeError> {
    let bytes = read_capped(path, rows.saturating_mul(MAX_ID_BYTES).saturating_add(2))?;
    if crate::digest::sha256_hex(&bytes) != expected_sha {
        return Err(bad(path, "its SHA-256 differs from the manifest's: changed or truncated since the job wrote it"));
    }
    let ids: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| bad(path, format!("not a list of report ids: {e}")))?;
    if ids.len() as u64 != rows {
        return Err(bad(path, format!("{} ids; the manifest says {rows}", ids.len())));
    }
    Ok(ids)
}
