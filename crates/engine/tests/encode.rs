//! Encoding against real SQLite files and the real default model: incremental, never
//! twice, refusing to mix weights, and vectors that say something about the text.

use engine::encode::{encode_project, registry, EncodeError, EncodeOptions, Precision};
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::store::Store;
use std::path::{Path, PathBuf};

fn demo_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv")
}

fn ingest(store: &mut Store, path: &Path) {
    let report = ingest_file(
        store,
        path,
        &IngestOptions::default(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(report.succeeded(), "{:?}", report.bad_rows);
}

/// Rows `range` of the demo file (every `step`-th), as a CSV of their own.
fn demo_slice(dir: &Path, name: &str, skip: usize, take: usize, step: usize) -> PathBuf {
    let mut reader = csv::Reader::from_path(demo_csv()).unwrap();
    let path = dir.join(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(reader.headers().unwrap()).unwrap();
    for r in reader.records().skip(skip).step_by(step).take(take) {
        w.write_record(&r.unwrap()).unwrap();
    }
    w.flush().unwrap();
    path
}

/// Takes one report's vector away (its model's count kept in step), as if it had never been
/// encoded.
fn lose_vector(store: &Store, model_id: i64, incident_id: i64) {
    store
        .conn()
        .execute_batch(&format!(
            "DELETE FROM vectors WHERE model_id = {model_id} AND incident_id = {incident_id};
             UPDATE models SET vector_count = vector_count - 1 WHERE id = {model_id};"
        ))
        .unwrap();
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Share of sampled incidents whose nearest other incident has the same hidden type.
fn nearest_neighbour_agreement(store: &Store, model: &str, queries: usize) -> f64 {
    let (record, ids, data) = store.vectors(model).unwrap().unwrap();
    let d = record.dimension;
    let mut types = std::collections::HashMap::new();
    let mut stmt = store
        .conn()
        .prepare("SELECT id, json_extract(extra, '$.ground_truth_type') FROM incidents")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (id, t) = row.unwrap();
        types.insert(id, t);
    }
    let step = ids.len() / queries;
    let mut agree = 0;
    for q in (0..ids.len()).step_by(step).take(queries) {
        let qv = &data[q * d..(q + 1) * d];
        let best = (0..ids.len())
            .filter(|&j| j != q)
            .max_by(|&a, &b| {
                dot(qv, &data[a * d..(a + 1) * d]).total_cmp(&dot(qv, &data[b * d..(b + 1) * d]))
            })
            .unwrap();
        agree += usize::from(types[&ids[q]] == types[&ids[best]]);
    }
    agree as f64 / queries as f64
}

#[test]
fn baseline_on_the_demo_set_encodes_each_incident_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    ingest(&mut store, &demo_csv());
    let spec = registry::resolve(dir.path(), "tfidf-lsa").unwrap();
    let options = EncodeOptions::default();
    let first = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(first.fitted);
    assert_eq!(
        (first.encoded, first.already, first.dimension),
        (20_000, 0, 256)
    );
    assert!(dir
        .path()
        .join("models/tfidf-lsa/model.safetensors")
        .is_file());

    let second = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(
        (second.encoded, second.already),
        (0, 20_000),
        "the second run encodes nothing"
    );

    let (record, ids, data) = store.vectors("tfidf-lsa").unwrap().unwrap();
    assert_eq!(ids.len(), 20_000);
    assert_eq!(record.vectors, 20_000);
    for v in data.chunks(record.dimension).take(500) {
        assert!(
            (dot(v, v) - 1.0).abs() < 1e-3,
            "stored vectors are L2-normalised"
        );
    }
    // A report below the newest encoded one that lost its vector (with the count kept in
    // step) is found and encoded again, not skipped by the seek past the newest.
    let vector_of = |store: &Store, id: i64| -> Vec<u8> {
        store
            .conn()
            .query_row("SELECT vector FROM vectors WHERE model_id = ?1 AND incident_id = ?2", [record.id, id], |r| r.get(0))
            .unwrap()
    };
    let before = vector_of(&store, 777);
    lose_vector(&store, record.id, 777);
    let refilled = encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!((refilled.encoded, refilled.already), (1, 19_999));
    assert_eq!(vector_of(&store, 777), before, "the same vector as before");
    assert_eq!(store.vectors("tfidf-lsa").unwrap().unwrap().0.vectors, 20_000);

    let agreement = nearest_neighbour_agreement(&store, "tfidf-lsa", 200);
    eprintln!("tfidf-lsa nearest-neighbour type agreement: {agreement:.3}");
    assert!(
        agreement > 0.6,
        "the baseline groups incidents of a type ({agreement})"
    );
}

#[test]
fn transformer_encodes_only_new_incidents_and_refuses_other_weights() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let mut store = Store::create(&project).unwrap();
    ingest(&mut store, &demo_slice(dir.path(), "a.csv", 0, 120, 97));
    let spec = registry::resolve(&project, registry::DEFAULT_TRANSFORMER)
        .expect("the default model is installed (scripts/test.sh installs it)");
    let options = EncodeOptions {
        batch_size: 16,
        chunk: 50,
        ..Default::default()
    };
    let first = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(
        (first.encoded, first.already, first.dimension),
        (120, 0, 384)
    );

    ingest(&mut store, &demo_slice(dir.path(), "b.csv", 50, 40, 97));
    let second = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!((second.encoded, second.already), (40, 120));
    let third = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!((third.encoded, third.already), (0, 160));

    // Vectors stored in chunks equal a direct encoding of the same text.
    let (record, ids, data) = store
        .vectors(registry::DEFAULT_TRANSFORMER)
        .unwrap()
        .unwrap();
    let text: String = store
        .conn()
        .query_row(
            "SELECT description FROM incidents WHERE id = ?1",
            [ids[7]],
            |r| r.get(0),
        )
        .unwrap();
    // The default precision is recorded; a batch of one gives the stored bits.
    assert_eq!(
        record.provenance["precision"].as_str(),
        Some(Precision::Auto.resolve().name())
    );
    let encoder = engine::encode::open_transformer(spec.dir(), 1, Precision::Auto).unwrap();
    let (direct, _) =
        engine::encode::Encoder::encode(&encoder, &[text.as_str()], &mut |_| {}).unwrap();
    let stored = &data[7 * record.dimension..8 * record.dimension];
    assert_eq!(stored, &direct[0][..], "batch composition changed a vector");

    // The same name with other weights must not mix into the same vector space.
    store
        .conn()
        .execute("UPDATE models SET provenance = json_set(provenance, '$.weights_sha256', 'other') WHERE name = ?1", [
            registry::DEFAULT_TRANSFORMER,
        ])
        .unwrap();
    ingest(&mut store, &demo_slice(dir.path(), "c.csv", 60, 5, 97));
    let err = encode_project(
        &mut store,
        &spec,
        &options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap_err();
    assert!(matches!(err, EncodeError::WeightsChanged { .. }), "{err}");
}

/// A model's vectors keep one precision: it is recorded with them, later encoding follows
/// it when the precision is left at auto, and another explicit precision is refused
/// without writing anything. Vectors from before precisions were recorded count as f32.
#[test]
fn precision_is_recorded_followed_and_never_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let mut store = Store::create(&project).unwrap();
    ingest(&mut store, &demo_slice(dir.path(), "a.csv", 3, 30, 101));
    let spec = registry::resolve(&project, registry::DEFAULT_TRANSFORMER).unwrap();
    let encode = |store: &mut Store, precision| {
        let options = EncodeOptions {
            batch_size: 8,
            precision,
            ..Default::default()
        };
        encode_project(store, &spec, &options, &NoProgress, &CancelToken::new())
    };
    let stored_precision = |store: &Store| {
        let (record, ..) = store.vectors(registry::DEFAULT_TRANSFORMER).unwrap().unwrap();
        record.provenance["precision"].as_str().map(str::to_string)
    };
    let count = |store: &Store| store.vectors(registry::DEFAULT_TRANSFORMER).unwrap().unwrap().1.len();

    assert_eq!(encode(&mut store, Precision::F32).unwrap().encoded, 30);
    assert_eq!(stored_precision(&store).as_deref(), Some("f32"));

    ingest(&mut store, &demo_slice(dir.path(), "b.csv", 5, 10, 101));
    let err = encode(&mut store, Precision::Int8).unwrap_err();
    assert!(matches!(err, EncodeError::PrecisionChanged { .. }), "{err}");
    assert!(err.to_string().contains("f32") && err.to_string().contains("int8"), "{err}");
    assert_eq!(count(&store), 30, "nothing written");

    // Auto follows the stored f32, and the new vectors are f32's.
    assert_eq!(encode(&mut store, Precision::Auto).unwrap().encoded, 10);
    assert_eq!(stored_precision(&store).as_deref(), Some("f32"));
    let (record, ids, data) = store.vectors(registry::DEFAULT_TRANSFORMER).unwrap().unwrap();
    let last = ids.len() - 1;
    let text: String = store
        .conn()
        .query_row("SELECT description FROM incidents WHERE id = ?1", [ids[last]], |r| r.get(0))
        .unwrap();
    let f32_encoder = engine::encode::open_transformer(spec.dir(), 4, Precision::F32).unwrap();
    let (direct, _) = engine::encode::Encoder::encode(&f32_encoder, &[text.as_str()], &mut |_| {}).unwrap();
    assert_eq!(&data[last * record.dimension..], &direct[0][..]);

    // Vectors stored before precisions were recorded are f32's.
    store
        .conn()
        .execute(
            "UPDATE models SET provenance = json_remove(provenance, '$.precision') WHERE name = ?1",
            [registry::DEFAULT_TRANSFORMER],
        )
        .unwrap();
    ingest(&mut store, &demo_slice(dir.path(), "c.csv", 7, 4, 101));
    assert!(matches!(encode(&mut store, Precision::Int8), Err(EncodeError::PrecisionChanged { .. })));
    assert_eq!(count(&store), 40);
    assert_eq!(encode(&mut store, Precision::Auto).unwrap().encoded, 4);

    // Search queries of the model are encoded in its stored precision too.
    let query = engine::encode::query_encoder(&store, registry::DEFAULT_TRANSFORMER).unwrap();
    assert_eq!(query.provenance()["precision"].as_str(), Some("f32"));
}

#[test]
fn unknown_models_list_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let err = registry::resolve(dir.path(), "no-such-model").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("no-such-model") && text.contains("tfidf-lsa"),
        "{text}"
    );
    let err = registry::resolve(dir.path(), "/no/such/folder").unwrap_err();
    assert!(err.to_string().contains("/no/such/folder"));
}

/// Boilerplate is learned from the project's own reports, taken out before encoding, named
/// in the vectors' provenance, followed by later encodes and queries, and a changed file is
/// refused rather than mixing texts.
#[test]
fn boilerplate_is_learned_recorded_and_never_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let csv = demo_slice(dir.path(), "slice.csv", 0, 6000, 1);
    let project = dir.path().join("p");
    let mut store = Store::create(&project).unwrap();
    ingest(&mut store, &csv);
    let spec = registry::resolve(&project, "tfidf-lsa").unwrap();
    let options = EncodeOptions::default();
    encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap();
    let file = engine::encode::boilerplate::path(&project, engine::store::TextFields::Description);
    let model = engine::encode::Boilerplate::load(&file).unwrap();
    let flagged: Vec<_> = model.phrases().iter().filter(|p| p.boilerplate).collect();
    eprintln!(
        "{} of {} recurring phrases are boilerplate; commonest: {:?}",
        flagged.len(),
        model.phrases().len(),
        flagged.iter().take(6).map(|p| (&p.text, p.reports, p.lift.unwrap_or(f64::NAN))).collect::<Vec<_>>()
    );
    assert!(!flagged.is_empty() && flagged.len() < model.phrases().len());
    let (record, _, _) = store.vectors("tfidf-lsa").unwrap().unwrap();
    let digest = record.provenance["boilerplate"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(digest.len(), 64);

    // The same reports encoded whole, in a second project, for comparison.
    let whole_project = dir.path().join("whole");
    let mut whole = Store::create(&whole_project).unwrap();
    ingest(&mut whole, &csv);
    let keep = EncodeOptions { strip_boilerplate: false, ..Default::default() };
    let whole_spec = registry::resolve(&whole_project, "tfidf-lsa").unwrap();
    encode_project(&mut whole, &whole_spec, &keep, &NoProgress, &CancelToken::new()).unwrap();
    assert!(whole.vectors("tfidf-lsa").unwrap().unwrap().0.provenance.get("boilerplate").is_none());
    assert!(!engine::encode::boilerplate::path(&whole_project, engine::store::TextFields::Description).exists());
    let (with, without) = (
        nearest_neighbour_agreement(&store, "tfidf-lsa", 300),
        nearest_neighbour_agreement(&whole, "tfidf-lsa", 300),
    );
    eprintln!("nearest-neighbour type agreement: {with:.3} without boilerplate, {without:.3} whole");

    // A query is read the way the reports were.
    let query = engine::encode::query_encoder(&store, "tfidf-lsa").unwrap();
    assert_eq!(query.provenance()["boilerplate"]["sha256"], digest.as_str());

    // A changed file: encoding more and querying are refused, and nothing is written.
    let saved = std::fs::read(&file).unwrap();
    std::fs::write(&file, [saved.as_slice(), b" "].concat()).unwrap();
    lose_vector(&store, record.id, 5);
    let err = encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap_err();
    assert!(matches!(err, EncodeError::BoilerplateChanged { .. }), "{err}");
    assert!(err.to_string().contains("boilerplate"), "{err}");
    assert!(engine::encode::query_encoder(&store, "tfidf-lsa").is_err());
    std::fs::remove_file(&file).unwrap();
    assert!(matches!(
        encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap_err(),
        EncodeError::BoilerplateChanged { .. }
    ));
    assert_eq!(store.vectors("tfidf-lsa").unwrap().unwrap().0.vectors, 5999);
    // Restored, the missing report is encoded as before.
    std::fs::write(&file, &saved).unwrap();
    let refilled = encode_project(&mut store, &spec, &options, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(refilled.encoded, 1);
}
