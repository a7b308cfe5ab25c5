//! Shared by the engine's integration tests: projects made from slices of the demo data.
#![allow(dead_code)] // each test binary uses its own subset

use engine::cluster::{analyse, AnalyseOptions, Method};
use engine::encode::{registry, EncodeOptions, BASELINE};
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::store::Store;
use std::path::{Path, PathBuf};

pub fn demo_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv")
}

/// Writes demo rows `skip..skip+take` (with the header) to `dir/name`.
pub fn demo_slice(dir: &Path, name: &str, skip: usize, take: usize) -> PathBuf {
    let mut reader = csv::Reader::from_path(demo_csv()).unwrap();
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().skip(skip).take(take) {
        w.write_record(&r.unwrap()).unwrap();
    }
    w.flush().unwrap();
    path
}

/// Imports `csv` into the project and encodes every new report with `model`.
pub fn ingest_and_encode(store: &mut Store, csv: &Path, model: &str) {
    let report = ingest_file(
        store,
        csv,
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(report.succeeded(), "{:?}", report.bad_rows);
    encode(store, model);
}

/// Encodes every report of the project that `model` has not encoded yet, and indexes them,
/// as the CLI's and the app's encode do.
pub fn encode(store: &mut Store, model: &str) {
    let spec = registry::resolve(store.dir(), model).unwrap();
    engine::index::encode_indexed(
        store,
        &spec,
        &EncodeOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
}

/// A k-means run of `model`'s vectors.
pub fn kmeans(store: &mut Store, model: &str, k: usize) {
    let mut options = AnalyseOptions::hdbscan(model, 0);
    options.method = Method::Kmeans { k };
    analyse(store, &options, &NoProgress, &CancelToken::new()).unwrap();
}

/// A project in `dir/project` with the first `rows` demo reports, encoded by the
/// TF-IDF/LSA baseline.
pub fn baseline_project(dir: &Path, rows: usize) -> Store {
    let csv = demo_slice(dir, "part.csv", 0, rows);
    let mut store = Store::create(&dir.join("project")).unwrap();
    ingest_and_encode(&mut store, &csv, BASELINE);
    store
}
