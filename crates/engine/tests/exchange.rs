//! Index shards built outside the project (as the Spark job's executors build them, with
//! the same engine functions the wheel calls) adopted as a model's index: searched
//! together like a locally built index, and every hostile folder refused with nothing
//! changed.

mod common;

use common::baseline_project;
use engine::encode::{registry, BASELINE};
use engine::exchange::{import_index, shard_source, write_manifest, write_shard, ExchangeError, ShardEntry};
use engine::index::{dir_digest, index_path, open_index, similar, update_index, IndexOptions, Quantisation};
use engine::jobs::{CancelToken, NoProgress};
use engine::store::{Store, TextFields};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    /// (external id, vector) of every report, in incident-id order.
    rows: Vec<(String, Vec<f32>)>,
    weights: String,
    provenance: String,
    dimension: usize,
}

fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = baseline_project(dir.path(), n);
    let (record, ids, data) = store.vectors(BASELINE).unwrap().unwrap();
    let external: HashMap<i64, String> = store
        .conn()
        .prepare("SELECT id, external_id FROM incidents")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let d = record.dimension;
    let rows = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (external[id].clone(), data[i * d..(i + 1) * d].to_vec()))
        .collect();
    Fixture {
        weights: record.provenance["weights_sha256"].as_str().unwrap().to_string(),
        provenance: record.provenance.to_string(),
        dimension: d,
        _dir: dir,
        store,
        rows,
    }
}

/// Writes the rows as `shards` shards the way the job does (a report's shard from a hash
/// of its id, not from its place in the project), with `edit` applied to each shard's
/// (ids, vectors) first.
fn write_folder(
    f: &Fixture,
    dir: &Path,
    shards: usize,
    quantisation: Quantisation,
    edit: impl Fn(usize, &mut Vec<String>, &mut Vec<f32>),
) -> Result<Vec<ShardEntry>, ExchangeError> {
    let options = IndexOptions { quantisation, ..IndexOptions::default() };
    let source = shard_source(&f.weights, "description", f.dimension, &f.provenance, &options)?;
    let mut entries = Vec::new();
    for s in 0..shards {
        let mut ids = Vec::new();
        let mut vectors = Vec::new();
        for (id, v) in f.rows.iter().rev() {
            let hash = id.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
            if hash as usize % shards == s {
                ids.push(id.clone());
                vectors.extend_from_slice(v);
            }
        }
        edit(s, &mut ids, &mut vectors);
        entries.push(write_shard(dir, s as u32, &ids, &vectors, &source)?);
    }
    write_manifest(dir, entries.clone())?;
    Ok(entries)
}

fn import(f: &Fixture, dir: &Path) -> Result<engine::exchange::IndexImportReport, ExchangeError> {
    let spec = registry::resolve(f.store.dir(), BASELINE).unwrap();
    import_index(&f.store, dir, &spec, TextFields::Description, &NoProgress, &CancelToken::new())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn shards_built_elsewhere_are_adopted_and_searched_together() {
    let f = fixture(1200);
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("index");
    let entries = write_folder(&f, &folder, 3, Quantisation::F32, |_, _, _| {}).unwrap();
    assert_eq!(entries.iter().map(|e| e.rows).sum::<u64>(), 1200);
    // A retried task writes the same files: the entry is the same.
    let again = write_folder(&f, &out.path().join("again"), 3, Quantisation::F32, |_, _, _| {}).unwrap();
    assert_eq!(entries, again);

    let report = import(&f, &folder).unwrap();
    assert_eq!((report.rows, report.shards), (1200, 3));
    // The project's index is now those shards: up to date, not rebuilt on opening.
    let path = index_path(f.store.dir(), BASELINE);
    assert_eq!(dir_digest(&path).unwrap().1, report.file_sha256);
    let options = engine::index::stored_options(&f.store, BASELINE).unwrap();
    let update = update_index(&f.store, BASELINE, &options, &NoProgress, &CancelToken::new()).unwrap();
    assert!(!update.rebuilt && update.added == 0);
    let index = open_index(&f.store, BASELINE).unwrap();
    assert_eq!((index.len(), index.file_sha256.as_str()), (1200, report.file_sha256.as_str()));

    // Searched together, the shards find each report's exact nearest reports.
    let by_id: HashMap<&str, &Vec<f32>> = f.rows.iter().map(|(id, v)| (id.as_str(), v)).collect();
    let (mut found, mut wanted) = (0, 0);
    for (id, v) in f.rows.iter().step_by(12) {
        let hits = similar(&f.store, BASELINE, id, 10).unwrap();
        let mut exact: Vec<(f32, &str)> =
            f.rows.iter().filter(|(o, _)| o != id).map(|(o, w)| (cosine(v, w), o.as_str())).collect();
        exact.sort_by(|a, b| b.0.total_cmp(&a.0));
        let best: Vec<&str> = exact.iter().take(10).map(|e| e.1).collect();
        found += hits.iter().filter(|h| best.contains(&h.external_id.as_str())).count();
        wanted += best.len();
        for h in &hits {
            assert!((cosine(v, by_id[h.external_id.as_str()]) - h.similarity).abs() < 1e-4);
        }
    }
    let recall = found as f64 / wanted as f64;
    assert!(recall > 0.97, "recall@10 {recall}");

    // A folder of i8 shards replaces it, and the project's index options follow.
    let small = out.path().join("i8");
    write_folder(&f, &small, 2, Quantisation::I8, |_, _, _| {}).unwrap();
    let report = import(&f, &small).unwrap();
    assert_eq!((report.rows, report.shards, report.quantisation), (1200, 2, Quantisation::I8));
    assert_eq!(engine::index::stored_options(&f.store, BASELINE).unwrap().quantisation, Quantisation::I8);
    assert_eq!(similar(&f.store, BASELINE, &f.rows[5].0, 1).unwrap().len(), 1);
}

/// Copies the folder `from` to `to`.
fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn edit_manifest(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut m);
    std::fs::write(path, serde_json::to_vec(&m).unwrap()).unwrap();
}

fn sha(path: &Path) -> String {
    use sha2::Digest;
    engine_hex(&sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

fn engine_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn hostile_shard_folders_are_refused_and_change_nothing() {
    let f = fixture(400);
    let out = tempfile::tempdir().unwrap();
    let good = out.path().join("good");
    write_folder(&f, &good, 2, Quantisation::F32, |_, _, _| {}).unwrap();
    // The project's own index, which every refused import must leave as it was.
    let before = open_index(&f.store, BASELINE).unwrap().file_sha256.clone();
    let path = index_path(f.store.dir(), BASELINE);
    let digest = dir_digest(&path).unwrap().1;

    let case = |name: &str| -> PathBuf {
        let dir = out.path().join(name);
        copy(&good, &dir);
        dir
    };
    let mut cases: Vec<(PathBuf, &str)> = Vec::new();

    cases.push((out.path().join("nothing-here"), "no manifest.json"));
    let d = case("garbage");
    std::fs::write(d.join("manifest.json"), b"{\"format\": [1, 2").unwrap();
    cases.push((d, "not an index manifest"));
    let d = case("version");
    edit_manifest(&d, |m| m["version"] = 2.into());
    cases.push((d, "format version 2"));
    let d = case("traversal");
    edit_manifest(&d, |m| m["shards"][0]["name"] = "../../etc/passwd".into());
    cases.push((d, "not a shard name"));
    let d = case("flipped");
    let shard = d.join("shard-000.usearch");
    let mut bytes = std::fs::read(&shard).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&shard, &bytes).unwrap();
    cases.push((d, "SHA-256 differs"));
    let d = case("ids-changed");
    std::fs::write(d.join("shard-001.ids.json"), b"[]").unwrap();
    cases.push((d, "SHA-256 differs"));
    // Crafted: the graph cut short, its digest made to match.
    let d = case("truncated");
    let shard = d.join("shard-001.usearch");
    let bytes = std::fs::read(&shard).unwrap();
    std::fs::write(&shard, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let new_sha = sha(&shard);
    edit_manifest(&d, |m| m["shards"][1]["index_sha256"] = new_sha.clone().into());
    cases.push((d, "similarity index"));
    let d = case("other-weights");
    edit_manifest(&d, |m| m["source"]["weights_sha256"] = "0".repeat(64).into());
    cases.push((d, "other weights"));
    let d = case("other-text");
    edit_manifest(&d, |m| m["source"]["text_fields"] = "all".into());
    cases.push((d, "text fields"));
    let d = case("rows-do-not-add-up");
    edit_manifest(&d, |m| m["rows"] = 401.into());
    cases.push((d, "do not add up"));

    // Folders written whole by a job, but not of this project's vectors.
    let d = out.path().join("perturbed");
    write_folder(&f, &d, 2, Quantisation::F32, |s, _, v| {
        if s == 1 {
            v[3] += 0.0005;
        }
    })
    .unwrap();
    cases.push((d, "another vector"));
    let d = out.path().join("unknown");
    write_folder(&f, &d, 2, Quantisation::F32, |s, ids, _| {
        if s == 0 {
            ids[0] = "NOT-IN-PROJECT".into();
        }
    })
    .unwrap();
    cases.push((d, "not in this project"));
    let d = out.path().join("duplicate");
    let first_of_shard_1: String = {
        let ids: Vec<String> =
            serde_json::from_slice(&std::fs::read(good.join("shard-001.ids.json")).unwrap()).unwrap();
        ids[0].clone()
    };
    write_folder(&f, &d, 2, Quantisation::F32, |s, ids, _| {
        if s == 0 {
            ids[0] = first_of_shard_1.clone();
        }
    })
    .unwrap();
    cases.push((d, "more than once"));
    let d = out.path().join("missing-one");
    write_folder(&f, &d, 2, Quantisation::F32, |s, ids, v| {
        if s == 0 {
            ids.pop();
            v.truncate(ids.len() * f.dimension);
        }
    })
    .unwrap();
    cases.push((d, "must cover every vector"));

    for (dir, says) in &cases {
        let err = import(&f, dir).err().unwrap_or_else(|| panic!("{} was imported", dir.display())).to_string();
        assert!(err.contains(says), "{}: {err}", dir.display());
        assert_eq!(dir_digest(&path).unwrap().1, digest, "{} changed the index", dir.display());
        let left: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["tfidf-lsa.usearch".to_string()], "{}", dir.display());
    }
    // A cancelled import changes nothing either.
    let cancel = CancelToken::new();
    cancel.cancel();
    let spec = registry::resolve(f.store.dir(), BASELINE).unwrap();
    let err = import_index(&f.store, &good, &spec, TextFields::Description, &NoProgress, &cancel).unwrap_err();
    assert!(matches!(err, ExchangeError::Cancelled), "{err}");
    assert_eq!(open_index(&f.store, BASELINE).unwrap().file_sha256, before);

    // What an executor is given is checked before anything is written.
    let options = IndexOptions::default();
    let source = shard_source(&f.weights, "description", f.dimension, &f.provenance, &options).unwrap();
    let v = f.rows[0].1.clone();
    let scratch = out.path().join("scratch");
    let nan: Vec<f32> = v.iter().map(|_| f32::NAN).collect();
    for (ids, vectors, says) in [
        (vec!["a".to_string(), "a".to_string()], [v.clone(), v.clone()].concat(), "more than once"),
        (vec!["a".to_string()], nan, "NaN"),
        (vec!["a".to_string(), "b".to_string()], v.clone(), "not rows of"),
    ] {
        let err = write_shard(&scratch, 0, &ids, &vectors, &source).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
    assert!(!scratch.join("shard-000.usearch").exists());
    for (sha, fields, provenance, says) in [
        ("xyz", "description", "{}", "not a SHA-256"),
        (f.weights.as_str(), "everything", "{}", "unknown text fields"),
        (f.weights.as_str(), "description", "{not json", "not JSON"),
    ] {
        let err = shard_source(sha, fields, f.dimension, provenance, &options).unwrap_err().to_string();
        assert!(err.contains(says), "{err}");
    }
    // The shards of one folder must agree.
    let other = shard_source(&"1".repeat(64), "description", f.dimension, &f.provenance, &options).unwrap();
    let a = write_shard(&scratch, 0, &["a".to_string()], &v, &source).unwrap();
    let b = write_shard(&scratch, 1, &["b".to_string()], &v, &other).unwrap();
    let err = write_manifest(&scratch, vec![a, b]).unwrap_err().to_string();
    assert!(err.contains("other weights"), "{err}");
}
