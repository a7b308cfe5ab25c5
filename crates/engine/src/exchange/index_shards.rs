//! The folder of index shards a Spark job writes beside its vectors, so that a national
//! extract's index is built on the executors instead of on the desktop:
//!
//! - `shard-NNN.usearch`: one HNSW graph of a partition's vectors, keyed by row
//!   (`index::write_foreign_shard`), with `shard-NNN.ids.json`, the reports' ids in row
//!   order, and `shard-NNN.json`, the shard's entry: its rows, the SHA-256 of both files,
//!   and what made the vectors. Each executor writes its own three files.
//! - `manifest.json`: the entries together, written by the driver once every shard is
//!   written (`write_manifest` checks they agree).
//!
//! `index_import` reads it on the desktop.

use super::error::ExchangeError;
use crate::index::{write_foreign_shard, IndexOptions, Quantisation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const INDEX_FORMAT: &str = "incident-atlas-index-shards";
pub const INDEX_FORMAT_VERSION: u32 = 1;
/// The most shards a folder may hold: each search asks every shard.
pub const MAX_SHARDS: usize = 4096;

/// What made a shard's vectors and how its graph was built; all shards of a folder agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardSource {
    pub weights_sha256: String,
    /// "description" or "all", as the vectors' text_fields.
    pub text_fields: String,
    pub dimension: usize,
    /// The encoder's precision, from the vectors' provenance (absent: not a transformer).
    pub precision: Option<String>,
    /// How the graph stores vectors: f32, f16 or i8.
    pub quantisation: String,
    pub connectivity: usize,
}

/// One shard's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardEntry {
    /// `shard-NNN`: the files are `<name>.usearch` and `<name>.ids.json`.
    pub name: String,
    pub rows: u64,
    pub index_sha256: String,
    pub ids_sha256: String,
    #[serde(flatten)]
    pub source: ShardSource,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexManifest {
    pub format: String,
    pub version: u32,
    pub source: ShardSource,
    pub rows: u64,
    pub shards: Vec<ManifestShard>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestShard {
    pub name: String,
    pub rows: u64,
    pub index_sha256: String,
    pub ids_sha256: String,
}

/// `shard-NNN` for shard `number`.
pub fn shard_name(number: u32) -> String {
    format!("shard-{number:03}")
}

/// Whether `name` is a shard name (`shard-` and 3 to 6 digits): never a path.
pub(super) fn is_shard_name(name: &str) -> bool {
    name.strip_prefix("shard-")
        .is_some_and(|digits| (3..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn index_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.usearch"))
}

pub(super) fn ids_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.ids.json"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExchangeError + '_ {
    move |e| ExchangeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> ExchangeError {
    ExchangeError::File {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Writes `bytes` at `path` through a file beside it, so a reader never sees half of it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), ExchangeError> {
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, bytes).map_err(io(&partial))?;
    ml::durable::commit_rename(&partial, path).map_err(io(path))
}

/// The source described by a vectors' provenance (the job's JSON column) and the options.
pub fn shard_source(
    weights_sha256: &str,
    text_fields: &str,
    dimension: usize,
    provenance: &str,
    options: &IndexOptions,
) -> Result<ShardSource, ExchangeError> {
    let here = Path::new("provenance");
    let provenance: serde_json::Value =
        serde_json::from_str(provenance).map_err(|e| bad(here, format!("not JSON: {e}")))?;
    if crate::store::TextFields::parse(text_fields).is_none() {
        return Err(bad(here, format!("unknown text fields {text_fields:?}")));
    }
    if !(2..=256).contains(&options.connectivity) {
        return Err(bad(here, format!("connectivity {} is outside 2..=256", options.connectivity)));
    }
    if weights_sha256.len() != 64 || !weights_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(here, format!("{weights_sha256:?} is not a SHA-256")));
    }
    Ok(ShardSource {
        weights_sha256: weights_sha256.to_string(),
        text_fields: text_fields.to_string(),
        dimension,
        precision: provenance["precision"].as_str().map(str::to_string),
        quantisation: options.quantisation.name().to_string(),
        connectivity: options.connectivity,
    })
}

/// Writes shard `number` of the folder `dir` (created if need be): the graph of `vectors`
/// (rows of `source.dimension`, unit length or zero) keyed by row, the `ids` in row order,
/// and the entry, which is returned for the driver's manifest. Written again with the same
/// input (a retried task), the files are the same.
pub fn write_shard(
    dir: &Path,
    number: u32,
    ids: &[String],
    vectors: &[f32],
    source: &ShardSource,
) -> Result<ShardEntry, ExchangeError> {
    let name = shard_name(number);
    if !is_shard_name(&name) {
        return Err(bad(dir, format!("shard number {number} is too large")));
    }
    let d = source.dimension;
    if d == 0 || vectors.len() != ids.len() * d {
        return Err(bad(dir, format!("{} ids and {} values: not rows of {d}", ids.len(), vectors.len())));
    }
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    for (r, id) in ids.iter().enumerate() {
        if !seen.insert(id.as_str()) {
            return Err(ExchangeError::Duplicate(id.clone()));
        }
        super::vectors_import::check_vector(id, &vectors[r * d..(r + 1) * d])?;
    }
    let options = IndexOptions {
        quantisation: Quantisation::parse(&source.quantisation)?,
        connectivity: source.connectivity,
        ..IndexOptions::default()
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let index = index_file(dir, &name);
    write_foreign_shard(&index, vectors, d, &options)?;
    let ids_json = serde_json::to_vec(ids).map_err(|e| bad(dir, e.to_string()))?;
    let ids_path = ids_file(dir, &name);
    write_whole(&ids_path, &ids_json)?;
    let (index_sha256, _) = crate::digest::sha256_file(&index, |_| true).map_err(io(&index))?;
    let entry = ShardEntry {
        name: name.clone(),
        rows: ids.len() as u64,
        index_sha256,
        ids_sha256: crate::digest::sha256_hex(&ids_json),
        source: source.clone(),
    };
    let entry_json = serde_json::to_vec_pretty(&entry).map_err(|e| bad(dir, e.to_string()))?;
    write_whole(&dir.join(format!("{name}.json")), &entry_json)?;
    Ok(entry)
}

/// Writes `manifest.json` in `dir` from the shards' entries (as `write_shard` returned
/// them, in any order), once they are all written: they must agree on their source and
/// have distinct names. Returns the manifest.
pub fn write_manifest(dir: &Path, mut entries: Vec<ShardEntry>) -> Result<IndexManifest, ExchangeError> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    entries.dedup(); // a task Spark ran twice
    let Some(first) = entries.first() else {
        return Err(bad(dir, "no shards were written (were there no vectors?)"));
    };
    if entries.len() > MAX_SHARDS {
        return Err(bad(dir, format!("{} shards; at most {MAX_SHARDS}", entries.len())));
    }
    let source = first.source.clone();
    for pair in entries.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(bad(dir, format!("{} was written twice with different entries", pair[0].name)));
        }
    }
    if let Some(other) = entries.iter().find(|e| e.source != source) {
        return Err(bad(dir, format!("{} was made with other weights, text or options than {}", other.name, first.name)));
    }
    let manifest = IndexManifest {
        format: INDEX_FORMAT.to_string(),
        version: INDEX_FORMAT_VERSION,
        source,
        rows: entries.iter().map(|e| e.rows).sum(),
        shards: entries
            .into_iter()
            .map(|e| ManifestShard {
                name: e.name,
                rows: e.rows,
                index_sha256: e.index_sha256,
                ids_sha256: e.ids_sha256,
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| bad(dir, e.to_string()))?;
    write_whole(&dir.join("manifest.json"), &json)?;
    Ok(manifest)
}
