//! The engine's encoders as a Python extension module (`incident_atlas._native`), for
//! running the app's own models where the data lives: a Spark executor, a notebook. A thin
//! adapter: the engine loads the folder (`engine::encode::open_folder`, the loaders `encode`
//! uses in a project) and owns every default and check; this module turns Python values
//! into Rust ones and errors into Python exceptions, and lets go of the GIL while encoding.

use engine::encode::{self as encode, EncodeError, Precision};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::path::PathBuf;

pyo3::create_exception!(
    _native,
    AtlasError,
    PyException,
    "A model folder that cannot be loaded, a setting out of range, or text that cannot be encoded."
);

fn atlas_err(e: impl std::fmt::Display) -> PyErr {
    AtlasError::new_err(e.to_string())
}

/// A model folder loaded for encoding: a transformer in the standard sentence-transformers
/// layout, trained word vectors, or a fitted TF-IDF/LSA model (a project's
/// `models/tfidf-lsa`). Its vectors are the ones `incident-atlas encode` stores for the
/// same model and text.
#[pyclass(module = "incident_atlas._native", frozen)]
struct Encoder {
    inner: Box<dyn encode::Encoder + Send + Sync>,
    pool: rayon::ThreadPool,
    dir: PathBuf,
}

#[pymethods]
impl Encoder {
    /// `threads`: worker threads (None: one per core; on Spark, `spark.task.cpus`).
    /// `batch_size`: texts per forward pass of a transformer. `precision`: "auto", "f32",
    /// "int8" or "bf16", as `incident-atlas encode --precision`; it must match the
    /// precision of vectors they are to be stored beside. `boilerplate`: a project's
    /// boilerplate model (`text/boilerplate-description.json`), when the project's vectors
    /// read reports without it (their provenance names it); the texts are read the same way.
    #[new]
    #[pyo3(signature = (model_dir, threads=None, batch_size=32, precision="auto", boilerplate=None))]
    fn new(
        model_dir: PathBuf,
        threads: Option<usize>,
        batch_size: usize,
        precision: &str,
        boilerplate: Option<PathBuf>,
    ) -> PyResult<Self> {
        let precision: Precision = precision.parse().map_err(atlas_err)?;
        let pool = encode::thread_pool(threads).map_err(atlas_err)?;
        // Loading runs in the pool too: calibration and quantisation use the threads.
        let inner = pool
            .install(|| encode::open_folder_reading(&model_dir, batch_size, precision, boilerplate.as_deref()))
            .map_err(|e: EncodeError| atlas_err(e))?;
        Ok(Encoder { inner, pool, dir: model_dir })
    }

    /// One L2-normalised float32 vector per text: an array of shape (len(texts), dimension).
    /// `texts` is a list (or other iterable) of str; the GIL is released while encoding.
    fn encode<'py>(&self, py: Python<'py>, texts: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if texts.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err("encode takes a list of texts, not one str"));
        }
        let mut owned: Vec<String> = Vec::new();
        for (i, item) in texts.try_iter()?.enumerate() {
            let item = item?;
            if !item.is_instance_of::<PyString>() {
                let kind = item.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                return Err(PyTypeError::new_err(format!("text {i} is a {kind}, not a str")));
            }
            let text: String = item.extract().map_err(|e| {
                atlas_err(format!(
                    "text {i} is not valid Unicode ({e}); decode its source with errors=\"replace\""
                ))
            })?;
            owned.push(text);
        }
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        let dimension = self.inner.dimension();
        let vectors = py
            .detach(|| self.pool.install(|| self.inner.encode(&refs, &mut |_| {})))
            .map_err(atlas_err)?
            .0;
        let mut flat = Vec::with_capacity(vectors.len() * dimension);
        for v in &vectors {
            if v.len() != dimension {
                return Err(atlas_err(format!("the model made a vector of {} values, not {dimension}", v.len())));
            }
            flat.extend_from_slice(v);
        }
        let array = PyArray1::from_vec(py, flat).reshape([vectors.len(), dimension])?;
        Ok(array.into_any())
    }

    /// Values per vector.
    #[getter]
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    /// "transformer", "tfidf-lsa" or "trained" (word vectors), as the project lists models.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    /// SHA-256 of the folder's weights: what `incident-atlas vectors import` checks against
    /// the desktop's copy of the model.
    #[getter]
    fn weights_sha256(&self) -> String {
        self.inner.provenance()["weights_sha256"].as_str().unwrap_or_default().to_string()
    }

    /// The SHA-256 of the boilerplate model the texts are read without (None: whole).
    #[getter]
    fn boilerplate_sha256(&self) -> Option<String> {
        engine::encode::boilerplate::digest_in(&self.inner.provenance()).map(str::to_string)
    }

    /// What identifies these vectors (weights hash, settings, precision), as JSON text.
    #[getter]
    fn provenance(&self) -> String {
        self.inner.provenance().to_string()
    }

    #[getter]
    fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn __repr__(&self) -> String {
        format!(
            "Encoder({:?}, kind={:?}, dimension={}, threads={})",
            self.dir.display().to_string(),
            self.inner.kind(),
            self.inner.dimension(),
            self.pool.current_num_threads()
        )
    }
}

/// A cluster run exported from a project (`incident-atlas run export`), to assign vectors
/// to its clusters as the desktop's `assign` would: the vote of their nearest fitted
/// reports in the run's own index.
#[pyclass(module = "incident_atlas._native", frozen)]
struct Assigner {
    inner: engine::cluster::ExportedRun,
    pool: rayon::ThreadPool,
}

#[pymethods]
impl Assigner {
    /// `threads`: search threads (None: one per core; on Spark, `spark.task.cpus`).
    #[new]
    #[pyo3(signature = (export_dir, threads=None))]
    fn new(export_dir: PathBuf, threads: Option<usize>) -> PyResult<Self> {
        let pool = encode::thread_pool(threads).map_err(atlas_err)?;
        let inner = engine::cluster::ExportedRun::open(&export_dir).map_err(atlas_err)?;
        Ok(Assigner { inner, pool })
    }

    /// `(cluster, base_cluster)` for float32 `vectors` of shape (n, dimension), each an
    /// int64 array of n: the cluster after the run's edits and as the algorithm gave it;
    /// -1 where no fitted report is close. The GIL is released while searching.
    fn assign<'py>(
        &self,
        py: Python<'py>,
        vectors: numpy::PyReadonlyArray2<'py, f32>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let d = self.inner.manifest().dimension;
        let array = vectors.as_array();
        if array.ncols() != d {
            return Err(atlas_err(format!("vectors have {} values each; the run's model makes {d}", array.ncols())));
        }
        let flat: Vec<f32> = array.iter().copied().collect();
        let result = py.detach(|| self.pool.install(|| self.inner.assign(&flat))).map_err(atlas_err)?;
        Ok((
            PyArray1::from_vec(py, result.cluster).into_any(),
            PyArray1::from_vec(py, result.base).into_any(),
        ))
    }

    /// The weights hash of the encoder the run's vectors came from: an `Encoder` whose
    /// `weights_sha256` differs makes vectors this run cannot place.
    #[getter]
    fn weights_sha256(&self) -> String {
        self.inner.manifest().weights_sha256.clone()
    }

    #[getter]
    fn run_id(&self) -> i64 {
        self.inner.manifest().run_id
    }

    /// The SHA-256 of the boilerplate model the run's vectors read reports without (its
    /// file is `boilerplate.json` in the export), or None: reports are encoded whole.
    #[getter]
    fn boilerplate_sha256(&self) -> Option<String> {
        self.inner.manifest().boilerplate_sha256.clone()
    }

    #[getter]
    fn dimension(&self) -> usize {
        self.inner.manifest().dimension
    }

    /// "description" or "all": the text the run's model reads.
    #[getter]
    fn text_fields(&self) -> String {
        self.inner.manifest().text_fields.clone()
    }

    fn __repr__(&self) -> String {
        let m = self.inner.manifest();
        format!("Assigner(run {} of {:?}, {} fitted reports)", m.run_id, m.model, m.fitted)
    }
}

/// The text `incident-atlas encode` encodes for one report from its raw fields, as the
/// app would store and join them: each field trimmed with line endings as `\n` (empty:
/// absent, like None); with `fields="all"` the causes and actions follow the description,
/// each after a blank line; with `fields="description"` the description alone. None when
/// the description is empty, a report the app does not import.
#[pyfunction]
#[pyo3(signature = (description, causes=None, actions=None, fields="all"))]
fn incident_text(
    description: Option<&str>,
    causes: Option<&str>,
    actions: Option<&str>,
    fields: &str,
) -> PyResult<Option<String>> {
    let fields = engine::store::TextFields::parse(fields)
        .ok_or_else(|| atlas_err(format!("unknown fields {fields:?}; choose description or all")))?;
    let stored = |raw: Option<&str>| raw.and_then(engine::ingest::stored_text);
    let (causes, actions) = (stored(causes), stored(actions));
    Ok(stored(description).map(|d| fields.join(&d, causes.as_deref(), actions.as_deref())))
}

/// Writes shard `number` of an index folder (the Spark job's --index-out): the HNSW
/// graph of float32 `vectors` (n, dimension), row i being report `ids[i]`, with the ids
/// and the shard's entry beside it. `weights_sha256`, `text_fields` and `provenance` are
/// the vectors' own columns from the job's output. Returns the entry (JSON text) for
/// `write_index_manifest`. The GIL is released while the graph is built.
#[pyfunction]
#[pyo3(signature = (dir, number, ids, vectors, weights_sha256, text_fields, provenance, quantisation="f32", connectivity=16))]
#[allow(clippy::too_many_arguments)]
fn write_index_shard<'py>(
    py: Python<'py>,
    dir: PathBuf,
    number: u32,
    ids: Vec<String>,
    vectors: numpy::PyReadonlyArray2<'py, f32>,
    weights_sha256: &str,
    text_fields: &str,
    provenance: &str,
    quantisation: &str,
    connectivity: usize,
) -> PyResult<String> {
    let options = engine::index::IndexOptions {
        quantisation: engine::index::Quantisation::parse(quantisation).map_err(atlas_err)?,
        connectivity,
        ..Default::default()
    };
    let array = vectors.as_array();
    let source = engine::exchange::shard_source(weights_sha256, text_fields, array.ncols(), provenance, &options)
        .map_err(atlas_err)?;
    let flat: Vec<f32> = array.iter().copied().collect();
    let entry = py
        .detach(|| engine::exchange::write_shard(&dir, number, &ids, &flat, &source))
        .map_err(atlas_err)?;
    serde_json::to_string(&entry).map_err(atlas_err)
}

/// Writes the index folder's manifest.json from every shard's entry (JSON text, as
/// `write_index_shard` returned them), once all are written; they must agree. Returns the
/// manifest as JSON text.
#[pyfunction]
fn write_index_manifest(dir: PathBuf, entries: Vec<String>) -> PyResult<String> {
    let entries = entries
        .iter()
        .map(|e| serde_json::from_str(e).map_err(|err| atlas_err(format!("not a shard entry: {err}"))))
        .collect::<PyResult<Vec<engine::exchange::ShardEntry>>>()?;
    let manifest = engine::exchange::write_manifest(&dir, entries).map_err(atlas_err)?;
    serde_json::to_string(&manifest).map_err(atlas_err)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Encoder>()?;
    m.add_class::<Assigner>()?;
    m.add_function(wrap_pyfunction!(incident_text, m)?)?;
    m.add_function(wrap_pyfunction!(write_index_shard, m)?)?;
    m.add_function(wrap_pyfunction!(write_index_manifest, m)?)?;
    // The most rows the desktop puts in one shard: the job's shards are as large.
    m.add("SHARD_ROWS", engine::index::SHARD_ROWS)?;
    m.add("AtlasError", m.py().get_type::<AtlasError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
