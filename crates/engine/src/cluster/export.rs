//! A cluster run exported for assignment elsewhere — a Spark executor, through the Python
//! wheel — so tens of millions of reports can be placed into a run where they were encoded.
//! One versioned folder: `manifest.json` (format, run, model and its weights hash, the
//! voting parameters, digests), `fitted.bin` (the fitted reports' index keys, reach and
//! both labellings) and `index/` (the run's own neighbour index). Opening checks every
//! digest, so a damaged or edited export is refused rather than giving other clusters.

use super::assign::{vote_all, Fitted};
use super::options::ClusterError;
use super::runs::{fitted_members, load_run_inputs, newest_run_id};
use crate::index::{self, IndexOptions, Quantisation, SimilarityIndex};
use crate::jobs::{CancelToken, NoProgress};
use crate::store::{ModelRecord, Store};
use crate::digest::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FORMAT: &str = "incident-atlas run export";
const VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"IAFITTED";
/// A manifest is a few hundred bytes; anything far larger is not one.
const MANIFEST_LIMIT: u64 = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportManifest {
    pub format: String,
    pub version: u32,
    pub run_id: i64,
    /// The model record the run clusters (with `:all` when it reads every text field).
    pub model: String,
    pub text_fields: String,
    pub dimension: usize,
    /// The encoder weights the run's vectors came from: vectors to assign must come from
    /// the same (the wheel's `Encoder.weights_sha256`).
    pub weights_sha256: String,
    pub precision: Option<String>,
    pub n_neighbors: usize,
    pub index_quantisation: String,
    pub index_connectivity: usize,
    pub index_expansion_search: usize,
    pub index_sha256: String,
    pub fitted: u64,
    pub fitted_sha256: String,
    pub created_at: String,
    /// When the run's vectors read reports without boilerplate: the SHA-256 of the
    /// project's boilerplate model, copied as `boilerplate.json`. Reports to assign must be
    /// encoded reading it (the wheel's `Encoder(boilerplate=...)`).
    #[serde(default)]
    pub boilerplate_sha256: Option<String>,
}

/// The boilerplate model's file in an export folder.
pub const BOILERPLATE_FILE: &str = "boilerplate.json";

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub run_id: i64,
    pub dir: PathBuf,
    pub fitted: u64,
    pub bytes: u64,
}

fn invalid(reason: impl Into<String>) -> ClusterError {
    ClusterError::Invalid(reason.into())
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ClusterError + '_ {
    move |e| invalid(format!("{}: {e}", path.display()))
}

/// Writes run `run_id` (the newest when None) to the new folder `dir` for assignment
/// elsewhere. Refuses a `dir` that exists, so nothing is overwritten.
pub fn export_run(store: &Store, run_id: Option<i64>, dir: &Path) -> Result<ExportReport, ClusterError> {
    let run_id = match run_id {
        Some(id) => id,
        None => newest_run_id(store)?.ok_or_else(|| invalid("the project has no cluster run to export; analyse first"))?,
    };
    if dir.exists() {
        return Err(invalid(format!("{} exists; export into a new folder", dir.display())));
    }
    let (run, options, record) = load_run_inputs(store, run_id)?;
    let index_options = index::stored_options(store, &run.model)?;
    // The run's index as it recorded it (checked by digest; nothing is loaded).
    let source = index::run_index_path(store.dir(), run_id);
    if !source.is_dir() || index::dir_digest(&source)?.1 != run.index_sha256 {
        return Err(invalid(format!(
            "run {run_id}'s neighbour index is missing or changed; `incident-atlas assign --run {run_id}` rebuilds it"
        )));
    }
    let fitted = fitted_members(store, run_id)?;
    let reach: Vec<f32> = fitted.reach.iter().copied().collect::<Option<_>>().ok_or_else(|| {
        invalid(format!("run {run_id} predates recorded reaches; `incident-atlas assign --run {run_id}` records them"))
    })?;

    let staging = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    let result = (|| {
        let (index_bytes, index_sha256) = index::copy_index(&source, &staging.join("index"))?;
        let mut bytes = Vec::with_capacity(20 + fitted.ids.len() * 28);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&(fitted.ids.len() as u64).to_le_bytes());
        bytes.extend(fitted.ids.iter().flat_map(|v| v.to_le_bytes()));
        bytes.extend(reach.iter().flat_map(|v| v.to_le_bytes()));
        bytes.extend(fitted.base.iter().flat_map(|v| v.to_le_bytes()));
        bytes.extend(fitted.cluster.iter().flat_map(|v| v.to_le_bytes()));
        let fitted_path = staging.join("fitted.bin");
        std::fs::write(&fitted_path, &bytes).map_err(io_err(&fitted_path))?;
        let fields = crate::store::TextFields::parse(&record.text_fields).unwrap_or(crate::store::TextFields::Description);
        let boilerplate = crate::encode::boilerplate::for_stored(store.dir(), &record.name, &record.provenance, fields)?;
        if boilerplate.is_some() {
            let from = crate::encode::boilerplate::path(store.dir(), fields);
            let to = staging.join(BOILERPLATE_FILE);
            std::fs::copy(&from, &to).map_err(io_err(&to))?;
        }
        let manifest = ExportManifest {
            format: FORMAT.into(),
            version: VERSION,
            run_id,
            model: run.model.clone(),
            text_fields: record.text_fields.clone(),
            dimension: record.dimension,
            weights_sha256: record.provenance["weights_sha256"].as_str().unwrap_or_default().to_string(),
            precision: record.provenance["precision"].as_str().map(str::to_string),
            n_neighbors: options.n_neighbors,
            index_quantisation: index_options.quantisation.name().to_string(),
            index_connectivity: index_options.connectivity,
            index_expansion_search: index_options.expansion_search,
            index_sha256,
            fitted: fitted.ids.len() as u64,
            fitted_sha256: sha256_hex(&bytes),
            created_at: crate::clock::now(),
            boilerplate_sha256: boilerplate.map(|b| b.sha256().to_string()),
        };
        let manifest_path = staging.join("manifest.json");
        let text = serde_json::to_string_pretty(&manifest).map_err(|e| invalid(e.to_string()))?;
        std::fs::write(&manifest_path, text).map_err(io_err(&manifest_path))?;
        ml::durable::commit_rename(&staging, dir).map_err(io_err(dir))?;
        Ok(ExportReport {
            run_id,
            dir: dir.to_path_buf(),
            fitted: manifest.fitted,
            bytes: index_bytes + bytes.len() as u64,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// An exported run opened for assignment: every digest checked.
pub struct ExportedRun {
    manifest: ExportManifest,
    index: SimilarityIndex,
    ids: Vec<i64>,
    reach: Vec<f32>,
    base: Vec<i64>,
    cluster: Vec<i64>,
}

/// Each assigned vector's cluster after the run's edits (`cluster`) and as the algorithm
/// gave it (`base`); -1: not close to any cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignments {
    pub base: Vec<i64>,
    pub cluster: Vec<i64>,
}

impl ExportedRun {
    pub fn open(dir: &Path) -> Result<ExportedRun, ClusterError> {
        let manifest_path = dir.join("manifest.json");
        let size = std::fs::metadata(&manifest_path).map_err(io_err(&manifest_path))?.len();
        if size > MANIFEST_LIMIT {
            return Err(invalid(format!("{} is {size} bytes: not a run export's manifest", manifest_path.display())));
        }
        let text = std::fs::read_to_string(&manifest_path).map_err(io_err(&manifest_path))?;
        let manifest: ExportManifest = serde_json::from_str(&text)
            .map_err(|e| invalid(format!("{} is not a run export's manifest: {e}", manifest_path.display())))?;
        if manifest.format != FORMAT || manifest.version != VERSION {
            return Err(invalid(format!(
                "{} is {:?} version {}, not {FORMAT:?} version {VERSION}",
                dir.display(),
                manifest.format,
                manifest.version
            )));
        }
        if let Some(expected) = &manifest.boilerplate_sha256 {
            let path = dir.join(BOILERPLATE_FILE);
            let model = crate::encode::boilerplate::open(&path)?;
            if model.sha256() != expected {
                return Err(invalid(format!("{} does not match its manifest (damaged or changed)", path.display())));
            }
        }
        let fitted_path = dir.join("fitted.bin");
        let bytes = std::fs::read(&fitted_path).map_err(io_err(&fitted_path))?;
        if sha256_hex(&bytes) != manifest.fitted_sha256 {
            return Err(invalid(format!("{} does not match its manifest (damaged or changed)", fitted_path.display())));
        }
        let n = manifest.fitted as usize;
        if bytes.len() != 20 + n * 28 || &bytes[..8] != MAGIC {
            return Err(invalid(format!("{} is not {n} fitted reports", fitted_path.display())));
        }
        let body = &bytes[20..];
        let i64s = |at: usize| -> Vec<i64> {
            body[at..at + 8 * n].chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect()
        };
        let ids = i64s(0);
        let reach = body[8 * n..12 * n].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap_or([0; 4]))).collect();
        let (base, cluster) = (i64s(12 * n), i64s(20 * n));
        let record = ModelRecord {
            id: 0,
            name: manifest.model.clone(),
            kind: String::new(),
            text_fields: manifest.text_fields.clone(),
            dimension: manifest.dimension,
            provenance: serde_json::json!({ "weights_sha256": manifest.weights_sha256 }),
            created_at: manifest.created_at.clone(),
            vectors: manifest.fitted,
        };
        let options = IndexOptions {
            quantisation: Quantisation::parse(&manifest.index_quantisation)?,
            connectivity: manifest.index_connectivity,
            expansion_search: manifest.index_expansion_search,
            ..IndexOptions::default()
        };
        let index = index::open_checked(dir.join("index"), &record, &options, &manifest.index_sha256)?
            .ok_or_else(|| invalid(format!("{}/index is missing or does not match its manifest", dir.display())))?;
        if index.len() != n {
            return Err(invalid(format!("the index holds {} reports, the manifest {n}", index.len())));
        }
        Ok(ExportedRun { manifest, index, ids, reach, base, cluster })
    }

    pub fn manifest(&self) -> &ExportManifest {
        &self.manifest
    }

    /// The clusters of `vectors` (row-major, the run's dimension, L2-normalised as the
    /// encoders make them): the vote of their nearest fitted reports, as `assign` does on
    /// the desktop.
    pub fn assign(&self, vectors: &[f32]) -> Result<Assignments, ClusterError> {
        let d = self.manifest.dimension;
        if d == 0 || vectors.len() % d != 0 {
            return Err(invalid(format!("{} values are not whole vectors of {d}", vectors.len())));
        }
        if let Some(at) = vectors.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!("vector {} holds a NaN or infinite value", at / d)));
        }
        if vectors.is_empty() {
            return Ok(Assignments { base: Vec::new(), cluster: Vec::new() });
        }
        let fitted = Fitted {
            ids: &self.ids,
            reach: &self.reach,
            map: &[],
            labellings: vec![&self.base, &self.cluster],
        };
        let (_, mut labels) = vote_all(&self.index, &fitted, vectors, self.manifest.n_neighbors, &NoProgress, &CancelToken::new())?
            .ok_or_else(|| invalid("assignment was cancelled"))?;
        let cluster = labels.pop().unwrap_or_default();
        let base = labels.pop().unwrap_or_default();
        Ok(Assignments { base, cluster })
    }
}
