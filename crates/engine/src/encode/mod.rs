//! Representations: encoders turn incident text into L2-normalised f32 vectors, stored by
//! (model, incident) so nothing is encoded twice. Encoding is incremental (only incidents
//! without a vector) and resumable: each chunk is committed on its own, so a cancelled or
//! killed run keeps what it finished.

mod error;
pub mod boilerplate;
pub mod registry;

pub use error::EncodeError;
pub use registry::{ModelSpec, BASELINE, DEFAULT_TRANSFORMER};
pub use ml::boilerplate::{Boilerplate, BoilerplateConfig, Phrase};

use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, StoreError, TextFields};
use ml::lsa::{LsaConfig, TfidfLsa};
pub use ml::quant::{bf16_supported, Int8Kernel, Precision, Reduction};
use ml::{EncodeStats, MlError, SentenceEncoder};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// A representation of incident text.
pub trait Encoder {
    fn kind(&self) -> &'static str;
    fn dimension(&self) -> usize;
    /// What identifies these vectors: weights hash, settings, where they came from.
    fn provenance(&self) -> serde_json::Value;
    /// Vectors for `texts`, in order; `done` is told how many texts each step finished.
    fn encode(
        &self,
        texts: &[&str],
        done: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError>;
    /// Where it runs ("cpu", "cuda").
    fn device(&self) -> &'static str {
        "cpu"
    }
}

pub struct TransformerEncoder {
    inner: SentenceEncoder,
    weights_sha256: String,
    batch_size: usize,
    device: &'static str,
}

impl Encoder for TransformerEncoder {
    fn kind(&self) -> &'static str {
        "transformer"
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn provenance(&self) -> serde_json::Value {
        serde_json::json!({
            "folder": self.inner.dir().display().to_string(),
            "weights_sha256": self.weights_sha256,
            "pooling": self.inner.pooling(),
            "normalise": self.inner.normalises(),
            "max_tokens": self.inner.max_tokens(),
            "precision": self.inner.precision(),
        })
    }
    fn encode(
        &self,
        texts: &[&str],
        done: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError> {
        let (mut vectors, stats) = self.inner.encode(texts, self.batch_size, |n| done(n))?;
        // Vectors are stored normalised whatever the model's own pipeline says.
        if !self.inner.normalises() {
            vectors.iter_mut().for_each(|v| l2_normalise(v));
        }
        Ok((vectors, stats))
    }
    fn device(&self) -> &'static str {
        self.device
    }
}

pub struct BaselineEncoder {
    inner: TfidfLsa,
    weights_sha256: String,
}

impl Encoder for BaselineEncoder {
    fn kind(&self) -> &'static str {
        "tfidf-lsa"
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn provenance(&self) -> serde_json::Value {
        serde_json::json!({
            "weights_sha256": self.weights_sha256,
            "fit_documents": self.inner.fit_documents(),
            "features": self.inner.features(),
            "config": self.inner.config(),
        })
    }
    fn encode(
        &self,
        texts: &[&str],
        done: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError> {
        Ok(in_one_pass(self.inner.transform(texts), done))
    }
}

/// Word vectors trained on incident text: SIF-weighted means, encoded in one pass.
pub struct WordVecEncoder {
    inner: ml::wordvec::WordVecModel,
    weights_sha256: String,
}

impl Encoder for WordVecEncoder {
    fn kind(&self) -> &'static str {
        "trained"
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn provenance(&self) -> serde_json::Value {
        serde_json::json!({
            "method": "wordvec",
            "weights_sha256": self.weights_sha256,
            "vocabulary": self.inner.vocabulary(),
            "config": self.inner.config(),
        })
    }
    fn encode(
        &self,
        texts: &[&str],
        done: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError> {
        Ok(in_one_pass(self.inner.encode(texts), done))
    }
}

/// An encoder reading report text with the project's boilerplate taken out (see
/// [`boilerplate`]); its provenance records which boilerplate model.
pub struct WithoutBoilerplate {
    inner: Box<dyn Encoder + Send + Sync>,
    filter: boilerplate::ProjectBoilerplate,
}

impl Encoder for WithoutBoilerplate {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn provenance(&self) -> serde_json::Value {
        let mut p = self.inner.provenance();
        p["boilerplate"] = self.filter.provenance();
        p
    }
    fn encode(
        &self,
        texts: &[&str],
        done: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), MlError> {
        let stripped: Vec<std::borrow::Cow<str>> = texts.iter().map(|t| self.filter.strip(t)).collect();
        let texts: Vec<&str> = stripped.iter().map(|t| t.as_ref()).collect();
        self.inner.encode(&texts, done)
    }
    fn device(&self) -> &'static str {
        self.inner.device()
    }
}

/// Vectors made in one pass (no batches, no tokens to count), reported as all done.
fn in_one_pass(
    vectors: Vec<Vec<f32>>,
    done: &mut dyn FnMut(usize),
) -> (Vec<Vec<f32>>, EncodeStats) {
    done(vectors.len());
    let texts = vectors.len();
    (
        vectors,
        EncodeStats {
            texts,
            ..Default::default()
        },
    )
}

fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

fn sha256_file(path: &Path) -> Result<String, EncodeError> {
    crate::digest::sha256_file(path, |_| true)
        .map(|(sha, _)| sha)
        .map_err(|source| EncodeError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[derive(Debug, Clone)]
pub struct EncodeOptions {
    pub fields: TextFields,
    /// Texts per forward pass of a transformer.
    pub batch_size: usize,
    /// Incidents per committed chunk.
    pub chunk: usize,
    /// Most incidents the baseline is fitted on (evenly spaced over the corpus).
    pub fit_sample: usize,
    /// The arithmetic of a transformer's dense layers. `Auto` means: what the model's
    /// stored vectors were made with, or for a model new to the project the fastest this
    /// CPU runs (int8 on x86-64). An explicit precision other than the stored one is
    /// refused, so one model's vectors never mix precisions.
    pub precision: Precision,
    /// Take the project's boilerplate (see [`boilerplate`]) out of the text of a model new
    /// to the project. A stored model follows what its vectors were made with.
    pub strip_boilerplate: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            fields: TextFields::Description,
            batch_size: 32,
            chunk: 1024,
            fit_sample: 50_000,
            precision: Precision::Auto,
            strip_boilerplate: true,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EncodeReport {
    /// The name vectors are stored under (model name, plus `:all` when reading all text fields).
    pub model: String,
    pub kind: &'static str,
    pub dimension: usize,
    pub device: &'static str,
    /// Incidents encoded by this run.
    pub encoded: u64,
    /// Incidents that already had a vector.
    pub already: u64,
    pub tokens: u64,
    /// Texts cut at the model's maximum length.
    pub truncated: u64,
    pub cancelled: bool,
    pub seconds: f64,
    pub docs_per_second: f64,
    /// Whether the baseline was fitted in this run.
    pub fitted: bool,
}

/// Loads the encoder folder `dir` on the best device this build has, its dense layers in
/// `precision` (`Auto`: the fastest this device runs; see [`SentenceEncoder::load`]).
pub fn open_transformer(
    dir: &Path,
    batch_size: usize,
    precision: Precision,
) -> Result<TransformerEncoder, EncodeError> {
    open_transformer_with(dir, batch_size, precision, None)
}

/// As [`open_transformer`], with the int8 kernel forced (for measuring one kernel).
pub fn open_transformer_with(
    dir: &Path,
    batch_size: usize,
    precision: Precision,
    int8_kernel: Option<Int8Kernel>,
) -> Result<TransformerEncoder, EncodeError> {
    let device = ml::device::best_device();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let inner = SentenceEncoder::load(dir, &device, precision, int8_kernel)
        .map_err(|source| EncodeError::Model { name, source })?;
    let weights_sha256 = sha256_file(&dir.join("model.safetensors"))?;
    Ok(TransformerEncoder {
        inner,
        weights_sha256,
        batch_size: batch_size.max(1),
        device: ml::device::describe(&device),
    })
}

impl TransformerEncoder {
    /// Dense-layer FLOPs per token (see [`SentenceEncoder::dense_flops_per_token`]).
    pub fn dense_flops_per_token(&self) -> f64 {
        self.inner.dense_flops_per_token()
    }

    /// The precision the dense layers run in (never `Auto`).
    pub fn precision(&self) -> Precision {
        self.inner.precision()
    }

    /// What the dense layers run in when not f32 (the int8 kernel, or bf16).
    pub fn reduction(&self) -> Option<Reduction> {
        self.inner.reduction()
    }
}

/// The precision a stored model's vectors were made with: recorded since precisions
/// existed; f32 before that, the only one there was.
pub fn stored_precision(provenance: &serde_json::Value) -> Precision {
    provenance["precision"]
        .as_str()
        .and_then(Precision::parse)
        .unwrap_or(Precision::F32)
}

/// The precision to encode more of a stored model's vectors with: the stored one, unless
/// `requested` is another concrete precision, which is refused.
pub(crate) fn precision_for_stored(
    name: &str,
    provenance: &serde_json::Value,
    requested: Precision,
) -> Result<Precision, EncodeError> {
    let stored = stored_precision(provenance);
    match requested {
        Precision::Auto => Ok(stored),
        p if p == stored => Ok(stored),
        p => Err(EncodeError::PrecisionChanged {
            name: name.to_string(),
            stored,
            requested: p,
        }),
    }
}

/// The CPU's measured int8 multiply-add rate with `kernel` in GOP/s, the ceiling for
/// int8 encoder throughput.
pub fn cpu_int8_gops(kernel: Int8Kernel) -> f64 {
    ml::quant::int8_matmul_gops(kernel, 1024, 10)
}

/// The CPU's measured bf16 multiply-add rate in GFLOP/s (None without AVX-512 BF16), the
/// ceiling for bf16 encoder throughput.
pub fn cpu_bf16_gflops() -> Option<f64> {
    ml::quant::bf16_matmul_gflops(1024, 10)
}

/// The CPU's measured f32 matmul rate in GFLOP/s, the ceiling for encoder throughput.
pub fn cpu_matmul_gflops() -> Result<f64, MlError> {
    Ok(ml::device::matmul_gflops(&ml::Device::Cpu, 1024, 20)?)
}

/// Loads (or, for the baseline, fits and saves) the encoder named by `spec`, reading text
/// without boilerplate when `filter` is given (a baseline fitted now is fitted on that text).
pub fn open_encoder(
    store: &Store,
    spec: &ModelSpec,
    options: &EncodeOptions,
    progress: &dyn Progress,
    filter: Option<boilerplate::ProjectBoilerplate>,
) -> Result<(Box<dyn Encoder + Send + Sync>, bool), EncodeError> {
    let (inner, fitted) = open_plain(store, spec, options, progress, filter.as_ref())?;
    Ok(match filter {
        Some(filter) => (Box::new(WithoutBoilerplate { inner, filter }), fitted),
        None => (inner, fitted),
    })
}

fn open_plain(
    store: &Store,
    spec: &ModelSpec,
    options: &EncodeOptions,
    progress: &dyn Progress,
    filter: Option<&boilerplate::ProjectBoilerplate>,
) -> Result<(Box<dyn Encoder + Send + Sync>, bool), EncodeError> {
    let model_err = |source| EncodeError::Model {
        name: spec.name().to_string(),
        source,
    };
    match spec {
        ModelSpec::Transformer { dir, .. } => {
            progress.set_phase("loading");
            Ok((
                Box::new(open_transformer(dir, options.batch_size, options.precision)?),
                false,
            ))
        }
        ModelSpec::WordVec { dir, .. } => {
            progress.set_phase("loading");
            Ok((Box::new(open_wordvec(dir, spec.name())?), false))
        }
        ModelSpec::Baseline { dir, name } => {
            if dir.join("model.safetensors").is_file() {
                return Ok((Box::new(open_baseline(dir, name)?), false));
            }
            progress.set_phase("fitting");
            // Only the sample is read into memory, never every report's text.
            let texts = vectors::sample_texts(store.conn(), options.fields, options.fit_sample)
                .map_err(|e| store.err(e))?;
            if texts.is_empty() {
                return Err(EncodeError::EmptyCorpus(name.clone()));
            }
            let stripped: Vec<std::borrow::Cow<str>> = match filter {
                Some(f) => texts.iter().map(|t| f.strip(t)).collect(),
                None => texts.iter().map(|t| std::borrow::Cow::Borrowed(t.as_str())).collect(),
            };
            let sample: Vec<&str> = stripped.iter().map(|t| t.as_ref()).collect();
            let model = TfidfLsa::fit(&sample, &LsaConfig::default()).map_err(model_err)?;
            model.save(dir).map_err(model_err)?;
            let weights_sha256 = sha256_file(&dir.join("model.safetensors"))?;
            Ok((Box::new(BaselineEncoder { inner: model, weights_sha256 }), true))
        }
    }
}

fn open_wordvec(dir: &Path, name: &str) -> Result<WordVecEncoder, EncodeError> {
    let inner = ml::wordvec::WordVecModel::load(dir).map_err(|source| EncodeError::Model {
        name: name.to_string(),
        source,
    })?;
    let weights_sha256 = sha256_file(&dir.join("model.safetensors"))?;
    Ok(WordVecEncoder { inner, weights_sha256 })
}

fn open_baseline(dir: &Path, name: &str) -> Result<BaselineEncoder, EncodeError> {
    let inner = TfidfLsa::load(dir).map_err(|source| EncodeError::Model {
        name: name.to_string(),
        source,
    })?;
    let weights_sha256 = sha256_file(&dir.join("model.safetensors"))?;
    Ok(BaselineEncoder { inner, weights_sha256 })
}

/// Loads the encoder in the model folder `dir` on its own, outside any project, by what
/// its `config.json` says it holds: a transformer in the standard layout, trained word
/// vectors, or a fitted TF-IDF/LSA model (a project's `models/tfidf-lsa`, copied). The
/// same loaders and `Encoder`s as `encode` in a project, so the vectors are the same: what
/// the Python wheel runs on a Spark executor. A `batch_size` of 0 is refused.
pub fn open_folder(
    dir: &Path,
    batch_size: usize,
    precision: Precision,
) -> Result<Box<dyn Encoder + Send + Sync>, EncodeError> {
    let not_a_model = |reason: String| EncodeError::NotAModel {
        dir: dir.to_path_buf(),
        reason,
    };
    if !dir.is_dir() {
        return Err(not_a_model("no such folder".into()));
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let config = dir.join("config.json");
    let text = std::fs::read_to_string(&config)
        .map_err(|e| not_a_model(format!("cannot read config.json ({e})")))?;
    let config: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| not_a_model(format!("config.json is not JSON ({e})")))?;
    if batch_size == 0 {
        return Err(EncodeError::BatchSize);
    }
    match config["model_type"].as_str() {
        Some(ml::lsa::MODEL_TYPE) => Ok(Box::new(open_baseline(dir, &name)?)),
        Some(ml::wordvec::MODEL_TYPE) => Ok(Box::new(open_wordvec(dir, &name)?)),
        _ => Ok(Box::new(open_transformer(dir, batch_size, precision)?)),
    }
}

/// As [`open_folder`], reading text without the boilerplate of the model in the file
/// `boilerplate` when one is given (the project's `text/boilerplate-*.json`, copied), so the
/// vectors equal those a project stores when its vectors were made with that file.
pub fn open_folder_reading(
    dir: &Path,
    batch_size: usize,
    precision: Precision,
    boilerplate: Option<&Path>,
) -> Result<Box<dyn Encoder + Send + Sync>, EncodeError> {
    let inner = open_folder(dir, batch_size, precision)?;
    Ok(match boilerplate {
        Some(path) => Box::new(WithoutBoilerplate { inner, filter: boilerplate::open(path)? }),
        None => inner,
    })
}

/// A pool of `threads` worker threads (None: one per core) for running an encoder inside
/// (`pool.install`), so a caller sharing the machine — a Spark executor running several
/// tasks — can hold each encoder to its share of the cores.
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, EncodeError> {
    let threads = match threads {
        Some(0) => return Err(EncodeError::Threads(0)),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("atlas-encode-{i}"))
        .build()
        .map_err(|e| EncodeError::ThreadPool {
            threads,
            reason: e.to_string(),
        })
}

/// Encodes every incident of the project that has no vector for this model yet.
pub fn encode_project(
    store: &mut Store,
    spec: &ModelSpec,
    options: &EncodeOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<EncodeReport, EncodeError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("an encode with {}", spec.name()))?;
    let started = Instant::now();
    let record_name = spec.record_name(options.fields);
    let conn_err = |store: &Store, e| EncodeError::Store(store.err(e));
    let existing =
        vectors::find_model(store.conn(), &record_name).map_err(|e| conn_err(store, e))?;
    let total: u64 =
        crate::store::incidents::stored_count(store.conn()).map_err(|e| conn_err(store, e))?;
    let mut report = EncodeReport {
        model: record_name.clone(),
        kind: spec.kind(),
        dimension: existing.as_ref().map_or(0, |m| m.dimension),
        device: "cpu",
        encoded: 0,
        already: 0,
        tokens: 0,
        truncated: 0,
        cancelled: false,
        seconds: 0.0,
        docs_per_second: 0.0,
        fitted: false,
    };
    // A model not yet in the project has no vectors: everything is pending.
    let (start_after, pending) = match &existing {
        Some(model) => {
            vectors::pending_span(store.conn(), model.id, total).map_err(|e| conn_err(store, e))?
        }
        None => (i64::MIN, total),
    };
    report.already = total - pending;
    let mut options = options.clone();
    if let (Some(model), ModelSpec::Transformer { .. }) = (&existing, spec) {
        options.precision = precision_for_stored(&record_name, &model.provenance, options.precision)?;
    }
    if existing.is_some() && pending == 0 {
        // Nothing to do: answer without loading the model.
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    let filter = match &existing {
        Some(model) => boilerplate::for_stored(store.dir(), &record_name, &model.provenance, options.fields)?,
        None if options.strip_boilerplate => {
            progress.set_phase("learning boilerplate");
            Some(boilerplate::open_or_fit(store, options.fields, options.fit_sample)?)
        }
        None => None,
    };
    let (encoder, fitted) = open_encoder(store, spec, &options, progress, filter)?;
    report.fitted = fitted;
    report.dimension = encoder.dimension();
    report.device = encoder.device();
    let provenance = encoder.provenance();
    let model_id = match &existing {
        Some(model) => {
            let stored = model.provenance["weights_sha256"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let current = provenance["weights_sha256"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if stored != current || model.dimension != encoder.dimension() {
                return Err(EncodeError::WeightsChanged {
                    name: record_name,
                    stored,
                    current,
                });
            }
            model.id
        }
        None => {
            let now = crate::clock::now();
            vectors::insert_model(
                store.conn(),
                &record_name,
                encoder.kind(),
                options.fields,
                encoder.dimension(),
                &provenance,
                &now,
            )
            .map_err(|e| conn_err(store, e))?
        }
    };
    let db_path = store.db_path().to_path_buf();
    let sqlite = |source| {
        EncodeError::Store(StoreError::Sqlite {
            path: db_path.clone(),
            source,
        })
    };
    progress.set_phase("encoding");
    progress.set_total(pending);
    progress.set_position(0);
    let encode_started = Instant::now();
    let mut after = start_after;
    loop {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        let chunk = vectors::pending(store.conn(), model_id, options.fields, after, options.chunk.max(1))
            .map_err(|e| conn_err(store, e))?;
        let Some(&(last, _)) = chunk.last() else {
            break;
        };
        after = last;
        let texts: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
        let base = report.encoded;
        let mut done = 0u64;
        let (vectors_out, stats) = encoder
            .encode(&texts, &mut |n| {
                done += n as u64;
                progress.set_position(base + done);
            })
            .map_err(|source| EncodeError::Model {
                name: record_name.clone(),
                source,
            })?;
        let rows: Vec<(i64, Vec<f32>)> = chunk.iter().map(|(id, _)| *id).zip(vectors_out).collect();
        let tx = store.conn_mut().transaction().map_err(sqlite)?;
        vectors::insert_vectors(&tx, model_id, &rows)
            .and_then(|_| tx.commit())
            .map_err(sqlite)?;
        report.encoded += rows.len() as u64;
        report.tokens += stats.tokens as u64;
        report.truncated += stats.truncated as u64;
        progress.set_position(report.encoded);
    }
    let encode_seconds = encode_started.elapsed().as_secs_f64();
    report.seconds = started.elapsed().as_secs_f64();
    report.docs_per_second = if encode_seconds > 0.0 {
        report.encoded as f64 / encode_seconds
    } else {
        0.0
    };
    Ok(report)
}

/// The encoder that produced a model's stored vectors, for encoding queries the same way.
/// Refuses weights other than those the vectors came from.
/// The encoder a stored model's vectors came from, and the text it read: what encoding
/// more reports the same way needs.
pub fn stored_model_spec(
    store: &Store,
    model: &str,
) -> Result<(vectors::ModelRecord, ModelSpec, TextFields), EncodeError> {
    let record = vectors::find_model(store.conn(), model)
        .map_err(|e| store.err(e))?
        .ok_or_else(|| EncodeError::UnknownModel {
            spec: model.to_string(),
            known: "the models listed by `incident-atlas models list`".into(),
        })?;
    // Record names are the model spec, with ":all" when the model read every text field.
    let (spec_name, fields) = match record.name.rsplit_once(':') {
        Some((spec, f)) if TextFields::parse(f).is_some() => (
            spec,
            TextFields::parse(f).unwrap_or(TextFields::Description),
        ),
        _ => (record.name.as_str(), TextFields::Description),
    };
    let spec = registry::resolve(store.dir(), spec_name)?;
    Ok((record, spec, fields))
}

pub fn query_encoder(
    store: &Store,
    model: &str,
) -> Result<Box<dyn Encoder + Send + Sync>, EncodeError> {
    let (record, spec, fields) = stored_model_spec(store, model)?;
    if let ModelSpec::Baseline { dir, .. } = &spec {
        if !dir.join("model.safetensors").is_file() {
            return Err(EncodeError::Io {
                path: dir.join("model.safetensors"),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the fitted baseline is missing",
                ),
            });
        }
    }
    let options = EncodeOptions {
        fields,
        batch_size: 8,
        precision: stored_precision(&record.provenance),
        ..Default::default()
    };
    let filter = boilerplate::for_stored(store.dir(), &record.name, &record.provenance, fields)?;
    let (encoder, _) = open_encoder(store, &spec, &options, &crate::jobs::NoProgress, filter)?;
    let stored = record.provenance["weights_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let current = encoder.provenance()["weights_sha256"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if stored != current {
        return Err(EncodeError::WeightsChanged {
            name: record.name,
            stored,
            current,
        });
    }
    Ok(encoder)
}
