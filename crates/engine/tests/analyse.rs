//! Search, clustering and the map against real SQLite files, the real default model and the
//! demo data: recall against exact search, recovery of the generator's hidden incident
//! types, the injected spike as its own cluster, reproducibility, ids carried over on grown
//! data, and manual edits.
//!
//! The demo set is encoded once per test binary (the first 18,000 reports, then the last
//! 2,000 on top) and each test works on its own copy.

use engine::cluster::{self, AnalyseOptions, Method, SplitHow, NOISE_CLUSTER};
use engine::encode::DEFAULT_TRANSFORMER;
use engine::evaluate::clustering;
use engine::index::{self, IndexOptions, Quantisation};
use engine::jobs::{CancelToken, NoProgress};
use engine::store::Store;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SPIKE: &str = "epma_upgrade_transfer_orders";
const FIRST_PART: usize = 18_000;

mod common;
use common::demo_slice;

fn ingest_and_encode(project: &Path, csv: &Path) {
    common::ingest_and_encode(&mut Store::open(project).unwrap(), csv, DEFAULT_TRANSFORMER);
}

struct Fixture {
    _dir: tempfile::TempDir,
    /// The first 18,000 demo reports, encoded.
    early: PathBuf,
    /// All 20,000, encoded.
    full: PathBuf,
    rest_csv: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let early = dir.path().join("early");
        Store::create(&early).unwrap();
        let first = demo_slice(dir.path(), "first.csv", 0, FIRST_PART);
        ingest_and_encode(&early, &first);
        let full = dir.path().join("full");
        copy_project(&early, &full);
        let rest_csv = demo_slice(dir.path(), "rest.csv", FIRST_PART, usize::MAX);
        ingest_and_encode(&full, &rest_csv);
        Fixture {
            early,
            full,
            rest_csv,
            _dir: dir,
        }
    })
}

fn copy_project(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_project(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A private copy of a fixture project.
fn copy_of(project: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p");
    copy_project(project, &path);
    (dir, path)
}

fn hidden_types(store: &Store) -> HashMap<i64, String> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, json_extract(extra, '$.ground_truth_type') FROM incidents")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn hdbscan_options() -> AnalyseOptions {
    AnalyseOptions::hdbscan(DEFAULT_TRANSFORMER, 0)
}

/// The default analysis fitted on every report (no sample).
fn analyse_fitting_all(store: &mut Store) -> cluster::RunSummary {
    let options = AnalyseOptions { fit_sample: 0, ..hdbscan_options() };
    cluster::analyse(store, &options, &NoProgress, &CancelToken::new()).unwrap()
}

#[test]
fn search_recall_at_10_against_exact_search() {
    let (_dir, project) = copy_of(&fixture().full);
    let store = Store::open(&project).unwrap();
    let (record, ids, data) = store.vectors(DEFAULT_TRANSFORMER).unwrap().unwrap();
    let d = record.dimension;
    let queries: Vec<usize> = (0..ids.len()).step_by(ids.len() / 400).collect();
    let exact_top10 = |q: usize| -> HashSet<i64> {
        let qv = &data[q * d..(q + 1) * d];
        let mut scored: Vec<(f32, i64)> = (0..ids.len())
            .map(|j| {
                (
                    -qv.iter()
                        .zip(&data[j * d..(j + 1) * d])
                        .map(|(a, b)| a * b)
                        .sum::<f32>(),
                    ids[j],
                )
            })
            .collect();
        scored.select_nth_unstable_by(10, |a, b| a.0.total_cmp(&b.0));
        scored[..10].iter().map(|s| s.1).collect()
    };
    let truth: Vec<HashSet<i64>> = queries.iter().map(|&q| exact_top10(q)).collect();
    for quantisation in [Quantisation::F32, Quantisation::F16] {
        let options = IndexOptions {
            quantisation,
            ..IndexOptions::default()
        };
        let report = index::update_index(
            &store,
            DEFAULT_TRANSFORMER,
            &options,
            &NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
        // Encoding built the default (f32) index already; another quantisation rebuilds it.
        assert!(
            report.rebuilt == (quantisation != Quantisation::F32) && report.size == ids.len() as u64,
            "{report:?}"
        );
        let sim = index::open_index(&store, DEFAULT_TRANSFORMER).unwrap();
        let mut hits = 0;
        for (&q, exact) in queries.iter().zip(&truth) {
            let found = sim.search(&data[q * d..(q + 1) * d], 10).unwrap();
            hits += found
                .iter()
                .filter(|n| exact.contains(&n.incident_id))
                .count();
        }
        let recall = hits as f64 / (10 * queries.len()) as f64;
        println!(
            "recall@10 ({}) over {} queries: {recall:.4}",
            quantisation.name(),
            queries.len()
        );
        assert!(
            recall >= 0.95,
            "recall@10 {recall} with {}",
            quantisation.name()
        );
        // A memory-mapped view of the same file answers the same.
        let viewed = index::open_index_with(&store, DEFAULT_TRANSFORMER, 0).unwrap();
        assert!(viewed.viewed && !sim.viewed);
        for &q in queries.iter().take(20) {
            let query = &data[q * d..(q + 1) * d];
            assert_eq!(
                viewed.search(query, 10).unwrap(),
                sim.search(query, 10).unwrap()
            );
        }
    }
    // Growing the data extends the index instead of rebuilding it.
    let before = index::open_index(&store, DEFAULT_TRANSFORMER)
        .unwrap()
        .file_sha256;
    let report = index::update_index(
        &store,
        DEFAULT_TRANSFORMER,
        &index::stored_options(&store, DEFAULT_TRANSFORMER).unwrap(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(!report.rebuilt && report.added == 0 && report.file_sha256 == before);
}

#[test]
fn similar_and_free_text_search_find_the_right_reports() {
    let (_dir, project) = copy_of(&fixture().full);
    let store = Store::open(&project).unwrap();
    let types = hidden_types(&store);
    let external: HashMap<String, i64> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT external_id, id FROM incidents")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    };
    let spike_report: String = store
        .conn()
        .query_row(
            "SELECT external_id FROM incidents WHERE json_extract(extra, '$.ground_truth_type') = ?1 LIMIT 1",
            [SPIKE],
            |r| r.get(0),
        )
        .unwrap();
    let hits = index::similar(&store, DEFAULT_TRANSFORMER, &spike_report, 20).unwrap();
    assert_eq!(hits.len(), 20);
    assert!(
        hits.iter().all(|h| h.external_id != spike_report),
        "a report is not its own neighbour"
    );
    assert!(hits.windows(2).all(|w| w[0].similarity >= w[1].similarity));
    let same = hits
        .iter()
        .filter(|h| types[&external[&h.external_id]] == SPIKE)
        .count();
    assert!(
        same >= 16,
        "only {same} of 20 similar reports share the spike's type"
    );

    let hits = index::search_text(
        &store,
        DEFAULT_TRANSFORMER,
        "patient found on the floor after a fall in the bathroom",
        10,
    )
    .unwrap();
    let falls = hits
        .iter()
        .filter(|h| types[&external[&h.external_id]].starts_with("fall"))
        .count();
    assert!(falls >= 8, "{hits:#?}");
    assert!(index::similar(&store, DEFAULT_TRANSFORMER, "no-such-report", 5).is_err());
    assert!(index::search_text(&store, DEFAULT_TRANSFORMER, "   ", 5).is_err());
}

#[test]
fn hdbscan_on_minilm_recovers_the_hidden_types_and_isolates_the_spike() {
    let (_dir, project) = copy_of(&fixture().full);
    let mut store = Store::open(&project).unwrap();
    let summary = cluster::analyse(
        &mut store,
        &hdbscan_options(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    let members = cluster::cluster_members(&store, summary.run.id).unwrap();
    let types = hidden_types(&store);
    let truth: Vec<&str> = members
        .iter()
        .map(|m| types[&m.incident_id].as_str())
        .collect();
    // Noise counted as one more label: it costs the scores what it costs a reviewer.
    let predicted: Vec<i64> = members.iter().map(|m| m.cluster).collect();
    let all = clustering::score(&truth, &predicted);
    let clustered: Vec<usize> = (0..members.len())
        .filter(|&i| predicted[i] != NOISE_CLUSTER)
        .collect();
    let core = clustering::score(
        &clustered.iter().map(|&i| truth[i]).collect::<Vec<_>>(),
        &clustered.iter().map(|&i| predicted[i]).collect::<Vec<_>>(),
    );
    println!(
        "HDBSCAN on MiniLM: {} clusters, noise {:.1}%; all reports: ARI {:.3}, V {:.3} (h {:.3}, c {:.3}); \
         clustered only: ARI {:.3}, V {:.3}; timings {:?}",
        summary.run.clusters,
        100.0 * summary.run.noise as f64 / summary.run.incidents as f64,
        all.adjusted_rand,
        all.v_measure,
        all.homogeneity,
        all.completeness,
        core.adjusted_rand,
        core.v_measure,
        summary.run.timings
    );
    // 27 hidden types, each written from several templates (full sentences or clinical
    // shorthand), a third of the reports opening with background that says nothing of the
    // type — taken out before encoding (boilerplate learned from the project's text). With
    // the minimum cluster size chosen by stability (100, the top of 10..100) and UMAP's
    // neighbourhood scaled with the data (40 of 20,000), HDBSCAN finds 70 clusters, 11.6%
    // of reports in none, counted as one label; V ≈ 0.80 and ARI ≈ 0.54 measured. With a
    // fixed neighbourhood of 15: 66 clusters, 13% noise, V ≈ 0.78, ARI ≈ 0.49. Before that:
    // whole text and DBCV, 48 clusters, V ≈ 0.71, ARI ≈ 0.57; the fixed size of one in 500
    // reports, V ≈ 0.69, ARI ≈ 0.48. The floors are issue 20's must-hold (V 0.75, ARI 0.5).
    assert!(all.v_measure >= 0.75, "{all:?}");
    assert!(all.homogeneity >= 0.78, "{all:?}");
    assert!(all.adjusted_rand >= 0.5, "{all:?}");
    // No large cluster is made of background: in each of the 20 largest, one hidden type
    // covers a majority of the reports.
    let mut largest: Vec<_> = summary.clusters.iter().collect();
    largest.sort_by(|a, b| b.size.cmp(&a.size).then(a.cluster_id.cmp(&b.cluster_id)));
    let mut mixed = Vec::new();
    for c in largest.iter().take(20) {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (m, t) in members.iter().zip(&truth) {
            if m.cluster == c.cluster_id {
                *counts.entry(t).or_insert(0) += 1;
            }
        }
        let (dominant, n) = counts.iter().max_by_key(|(t, n)| (**n, std::cmp::Reverse(**t))).map(|(t, n)| (*t, *n)).unwrap();
        println!("cluster {} ({} reports): {dominant} {:.2} {:?}", c.cluster_id, c.size, n as f64 / c.size as f64, c.keywords);
        if n * 2 <= c.size as usize {
            mixed.push((c.cluster_id, c.size, dominant, n, c.keywords.clone()));
        }
    }
    assert!(mixed.is_empty(), "top clusters without a majority type: {mixed:?}");
    keywords_name_their_types(&largest[..20], &members, &truth);
    let chosen = &summary.run.params["granularity"];
    assert!(chosen["candidates"].as_array().is_some_and(|c| c.len() == 7), "{chosen}");
    assert_eq!(chosen["min_cluster_size"], summary.run.params["method"]["min_cluster_size"]);

    // The spike: one cluster holds most of its reports, and little else.
    let mut spike_clusters: HashMap<i64, usize> = HashMap::new();
    for (m, t) in members.iter().zip(&truth) {
        if *t == SPIKE {
            *spike_clusters.entry(m.cluster).or_insert(0) += 1;
        }
    }
    let spike_total: usize = spike_clusters.values().sum();
    let (&best, &inside) = spike_clusters
        .iter()
        .filter(|(c, _)| **c != NOISE_CLUSTER)
        .max_by_key(|(_, n)| **n)
        .unwrap();
    let size = members.iter().filter(|m| m.cluster == best).count();
    println!("spike: {inside} of {spike_total} in cluster {best} of size {size}");
    // Its nearest neighbours in meaning are ordinary missed doses (measured: 138 of 156
    // spike reports in a cluster of 138), so the cluster is asked to be mostly spike.
    assert!(
        inside * 10 >= spike_total * 8,
        "spike spread over {spike_clusters:?}"
    );
    assert!(
        inside * 10 >= size * 6,
        "spike cluster {best} is only {inside}/{size} spike reports"
    );
    let row = summary
        .clusters
        .iter()
        .find(|c| c.cluster_id == best)
        .unwrap();
    assert_eq!(row.representatives.len(), 5);
    assert!(!row.keywords.is_empty());
    println!("spike keywords: {:?}", row.keywords);

    // Every member has a finite map position; every non-noise member's cluster is listed.
    let listed: HashSet<i64> = summary.clusters.iter().map(|c| c.cluster_id).collect();
    assert!(members.iter().all(|m| m.x.is_finite() && m.y.is_finite()));
    assert!(members
        .iter()
        .all(|m| m.cluster == NOISE_CLUSTER || listed.contains(&m.cluster)));
    assert_eq!(
        summary.clusters.iter().map(|c| c.size).sum::<u64>() + summary.run.noise,
        summary.run.incidents
    );

    noise_is_assigned_reported_apart_and_undone(&mut store, &summary, &truth, all.adjusted_rand);
}

/// Each of the largest clusters' keywords names what happened in its dominant hidden type:
/// a keyword names the type when every word of it is one the generator writes for that
/// type (its templates, shorthand and slot fillers: the ground truth of what the type is),
/// so background ("af, ckd, pmh", "dementia lives, package care") does not. The first
/// keyword and six of the eight must. Measured: 160 of 160 over the top 20 clusters with
/// the diversity step (before it, 154 of 160 under a stricter rule that also refused words
/// the background uses, such as "notes" and "bed").
fn keywords_name_their_types(top: &[&cluster::ClusterRow], members: &[cluster::MemberRow], truth: &[&str]) {
    let words = |texts: Vec<&str>| -> HashSet<String> { texts.iter().flat_map(|t| cluster::keywords::content_words(t)).collect() };
    let background = words(synth::written_text(None));
    assert!(background.contains("dementia") && background.contains("ckd"), "the background's words are read");
    let mut named_total = 0;
    let mut failing = Vec::new();
    for c in top {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (m, t) in members.iter().zip(truth) {
            if m.cluster == c.cluster_id {
                *counts.entry(t).or_insert(0) += 1;
            }
        }
        let dominant = counts.iter().max_by_key(|(t, n)| (**n, std::cmp::Reverse(**t))).map(|(t, _)| *t).unwrap();
        let own = words(synth::written_text(Some(dominant)));
        assert!(!own.is_empty(), "no generator text for {dominant}");
        let names = |k: &String| {
            let w = cluster::keywords::content_words(k);
            !w.is_empty() && w.iter().all(|w| own.contains(w))
        };
        let named = c.keywords.iter().filter(|k| names(k)).count();
        named_total += named;
        let off: Vec<&String> = c.keywords.iter().filter(|k| !names(k)).collect();
        let from_background: Vec<&&String> = off.iter().filter(|k| cluster::keywords::content_words(k).iter().all(|w| background.contains(w))).collect();
        println!(
            "keywords of cluster {} ({dominant}): {named} of {} name it; not: {off:?}, of which background: {from_background:?}",
            c.cluster_id,
            c.keywords.len()
        );
        if c.keywords.is_empty() || !names(&c.keywords[0]) || named < 6 {
            failing.push((c.cluster_id, dominant, c.keywords.clone()));
        }
    }
    println!("keywords naming their type: {named_total} over the top {} clusters", top.len());
    assert!(failing.is_empty(), "keywords that do not name their cluster's type: {failing:?}");
}

/// Noise handed to nearby clusters (`assign_noise`) on the run above: one edit that moves
/// only noise, counted apart from the algorithm's noise, that recovers the types better,
/// survives a later merge, is undone whole by `unassign_noise`, and refuses bad requests
/// and a tampered log without changing anything.
fn noise_is_assigned_reported_apart_and_undone(
    store: &mut Store,
    summary: &cluster::RunSummary,
    truth: &[&str],
    ari_before: f64,
) {
    let run = summary.run.id;
    let before = cluster::cluster_members(store, run).unwrap();
    let cancel = CancelToken::new();
    for bad in [0.0, -0.5, 1.5, f64::NAN] {
        assert!(cluster::assign_noise(store, run, bad, "r", &NoProgress, &cancel).is_err(), "agreement {bad}");
    }
    assert!(cluster::assign_noise(store, 999, 0.5, "r", &NoProgress, &cancel).is_err());
    assert!(cluster::unassign_noise(store, run, "r").is_err(), "nothing assigned yet");
    assert_eq!(cluster::cluster_members(store, run).unwrap(), before);

    let outcome = cluster::assign_noise(store, run, cluster::DEFAULT_NOISE_AGREEMENT, "reviewer-1", &NoProgress, &cancel)
        .unwrap()
        .unwrap();
    let after = cluster::cluster_members(store, run).unwrap();
    let moved: Vec<usize> = (0..after.len()).filter(|&i| after[i].cluster != before[i].cluster).collect();
    assert!(outcome.moved > 0 && outcome.moved as usize == moved.len(), "{outcome:?}");
    assert_eq!(outcome.noise_before, summary.run.noise);
    assert_eq!(outcome.noise_after, summary.run.noise - outcome.moved);
    for &i in &moved {
        assert_eq!(before[i].cluster, NOISE_CLUSTER, "only noise moves");
        assert_eq!(after[i].base_cluster, NOISE_CLUSTER, "the algorithm's noise is kept");
        assert!(after[i].cluster >= 0);
    }
    let record = cluster::load_run(store, run).unwrap();
    assert_eq!((record.noise, record.noise_assigned), (summary.run.noise, outcome.moved));
    let rows = cluster::run_clusters(store, run).unwrap();
    assert_eq!(rows.len(), summary.clusters.len(), "no cluster is made or retired");
    assert_eq!(rows.iter().map(|c| c.size).sum::<u64>() + outcome.noise_after, record.incidents);
    let predicted: Vec<i64> = after.iter().map(|m| m.cluster).collect();
    let scored = clustering::score(truth, &predicted);
    // Measured on the 20k demo: 30 of 2,588 noise reports moved, ARI 0.494 -> 0.497 (few
    // sit within a cluster's spread with half their neighbours in it; on the 4,000-report
    // demo and BBC News `bench quality` moves more: noise 4.6% -> 4.2%, 2.8% -> 1.3%).
    println!(
        "noise assigned: {} of {} moved, ARI {ari_before:.3} -> {:.3}, V {:.3}",
        outcome.moved, outcome.noise_before, scored.adjusted_rand, scored.v_measure
    );
    assert!(scored.adjusted_rand > ari_before, "{scored:?}");
    // A second call finds only reports no clustered neighbour vouches for: the ones moved
    // never vote, so nothing creeps outwards.
    let again = cluster::assign_noise(store, run, cluster::DEFAULT_NOISE_AGREEMENT, "reviewer-1", &NoProgress, &cancel)
        .unwrap()
        .unwrap();
    assert_eq!(again.moved, 0, "{again:?}");
    assert!(again.edit.is_none());

    // A merge carries assigned reports along; undoing takes them back from where they are.
    let target = after[moved[0]].cluster;
    let other = rows.iter().map(|c| c.cluster_id).find(|&c| c != target).unwrap();
    let merged = cluster::merge_clusters(store, run, &[target, other], "reviewer-1").unwrap();
    let undone = cluster::unassign_noise(store, run, "reviewer-1").unwrap();
    assert_eq!(undone.moved, outcome.moved);
    let restored = cluster::cluster_members(store, run).unwrap();
    for (i, (m, b)) in restored.iter().zip(&before).enumerate() {
        if b.cluster == NOISE_CLUSTER {
            assert_eq!(m.cluster, NOISE_CLUSTER, "report {i} is noise again");
        }
    }
    assert_eq!(cluster::load_run(store, run).unwrap().noise_assigned, 0);
    let merged_row = cluster::run_clusters(store, run).unwrap().into_iter().find(|c| c.cluster_id == merged.new_clusters[0]).unwrap();
    let merged_size = restored.iter().filter(|m| m.cluster == merged.new_clusters[0]).count() as u64;
    assert_eq!(merged_row.size, merged_size, "sizes follow the undo");
    assert!(cluster::unassign_noise(store, run, "r").is_err(), "nothing left to undo");

    // A noise edit whose list of reports is unreadable is refused, and nothing changes.
    store
        .conn()
        .execute(
            "INSERT INTO cluster_edits (run_id, kind, detail, author, created_at) VALUES (?1, 'assign_noise', '{\"reports\": \"all\"}', 'x', 'now')",
            [run],
        )
        .unwrap();
    let err = cluster::unassign_noise(store, run, "r").unwrap_err().to_string();
    assert!(err.contains("no readable list of reports"), "{err}");
    assert_eq!(cluster::cluster_members(store, run).unwrap(), restored);
    let kinds: Vec<String> = {
        let mut stmt = store.conn().prepare("SELECT kind FROM cluster_edits WHERE run_id = ?1 ORDER BY id").unwrap();
        let rows = stmt.query_map([run], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(kinds, ["assign_noise", "merge", "unassign_noise", "assign_noise"]);
}

#[test]
fn same_inputs_and_seed_give_identical_clusters_and_ids() {
    let (_a, first) = copy_of(&fixture().early);
    let (_b, second) = copy_of(&fixture().early);
    let mut results = Vec::new();
    for project in [&first, &second] {
        let mut store = Store::open(project).unwrap();
        let options = AnalyseOptions {
            model: "all-MiniLM-L6-v2".into(),
            ..hdbscan_options()
        };
        let summary =
            cluster::analyse(&mut store, &options, &NoProgress, &CancelToken::new()).unwrap();
        assert_eq!(summary.run.parent_run_id, None);
        let members: Vec<(String, i64, u64, u64)> =
            cluster::cluster_members(&store, summary.run.id)
                .unwrap()
                .into_iter()
                .map(|m| (m.external_id, m.cluster, m.x.to_bits(), m.y.to_bits()))
                .collect();
        results.push((
            summary.run.dataset_sha256.clone(),
            summary.run.index_sha256.clone(),
            members,
            summary.clusters,
        ));
    }
    assert_eq!(results[0].0, results[1].0, "same vectors");
    assert_eq!(results[0].1, results[1].1, "same index file");
    assert!(
        results[0].2 == results[1].2,
        "assignments or map positions differ"
    );
    assert_eq!(
        results[0].3, results[1].3,
        "cluster ids, keywords or representatives differ"
    );

    // Re-running in the same project keeps every id.
    let mut store = Store::open(&first).unwrap();
    let again = cluster::analyse(
        &mut store,
        &hdbscan_options(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert!(again.run.parent_run_id.is_some());
    assert_eq!(again.clusters, results[0].3);
}

#[test]
fn grown_data_keeps_cluster_ids_and_the_new_spike_gets_a_new_one() {
    let (_dir, project) = copy_of(&fixture().early);
    let mut store = Store::open(&project).unwrap();
    let before = cluster::analyse(
        &mut store,
        &hdbscan_options(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    let imported = engine::ingest::ingest_file(&mut store, &fixture().rest_csv, &Default::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(imported.succeeded(), "{:?}", imported.bad_rows);
    // Encoding the new reports extends the model's index (encode's second half) instead of
    // rebuilding it.
    let spec = engine::encode::registry::resolve(store.dir(), DEFAULT_TRANSFORMER).unwrap();
    let (_, extended) = index::encode_indexed(&mut store, &spec, &Default::default(), &NoProgress, &CancelToken::new()).unwrap();
    let extended = extended.unwrap();
    assert!(!extended.rebuilt, "{extended:?}");
    assert_eq!((extended.added, extended.size), (2_000, 20_000));
    let after = cluster::analyse(
        &mut store,
        &hdbscan_options(),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(after.run.parent_run_id, Some(before.run.id));
    assert_ne!(after.run.dataset_sha256, before.run.dataset_sha256);

    let old: HashMap<i64, i64> = cluster::cluster_members(&store, before.run.id)
        .unwrap()
        .into_iter()
        .map(|m| (m.incident_id, m.cluster))
        .collect();
    let new = cluster::cluster_members(&store, after.run.id).unwrap();
    let types = hidden_types(&store);
    // Most reports clustered both times keep their cluster id.
    let both: Vec<(i64, i64)> = new
        .iter()
        .filter_map(|m| old.get(&m.incident_id).map(|&o| (o, m.cluster)))
        .filter(|(o, n)| *o != NOISE_CLUSTER && *n != NOISE_CLUSTER)
        .collect();
    let kept = both.iter().filter(|(o, n)| o == n).count() as f64 / both.len() as f64;
    println!(
        "grown data: {:.3} of {} reports clustered in both runs keep their cluster id",
        kept,
        both.len()
    );
    assert!(kept >= 0.8, "only {kept} keep their id");

    // The spike (almost all in the new reports) lands in a cluster id the first run never used.
    let max_before = before.clusters.iter().map(|c| c.cluster_id).max().unwrap();
    let mut spike_ids: HashMap<i64, usize> = HashMap::new();
    for m in new.iter().filter(|m| types[&m.incident_id] == SPIKE) {
        *spike_ids.entry(m.cluster).or_insert(0) += 1;
    }
    let (&spike_cluster, _) = spike_ids
        .iter()
        .filter(|(c, _)| **c != NOISE_CLUSTER)
        .max_by_key(|(_, n)| **n)
        .unwrap();
    assert!(
        spike_cluster > max_before,
        "spike cluster {spike_cluster} reused an old id (max {max_before})"
    );
}

#[test]
fn merges_and_splits_are_recorded_on_top_of_a_run() {
    let (_dir, project) = copy_of(&fixture().early);
    let mut store = Store::open(&project).unwrap();
    let options = AnalyseOptions {
        method: Method::Kmeans { k: 20 },
        ..hdbscan_options()
    };
    let run = cluster::analyse(&mut store, &options, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(run.clusters.len(), 20);
    assert_eq!(run.run.noise, 0);
    let (a, b) = (run.clusters[0].cluster_id, run.clusters[1].cluster_id);
    let merged = cluster::merge_clusters(&mut store, run.run.id, &[a, b], "reviewer-1").unwrap();
    let new_id = merged.new_clusters[0];
    assert!(new_id >= 20);
    let row = merged
        .clusters
        .iter()
        .find(|c| c.cluster_id == new_id)
        .unwrap();
    assert_eq!(row.size, run.clusters[0].size + run.clusters[1].size);
    assert_eq!(row.origin, "merge");
    assert!(merged
        .clusters
        .iter()
        .all(|c| c.cluster_id != a && c.cluster_id != b));
    assert_eq!(cluster::load_run(&store, run.run.id).unwrap().clusters, 19);

    let split = cluster::split_cluster(
        &mut store,
        run.run.id,
        new_id,
        &SplitHow::Parts { parts: 2, seed: 1 },
        "reviewer-1",
    )
    .unwrap();
    assert_eq!(split.new_clusters.len(), 2);
    let sizes: u64 = split
        .clusters
        .iter()
        .filter(|c| split.new_clusters.contains(&c.cluster_id))
        .map(|c| c.size)
        .sum();
    assert_eq!(sizes, row.size);
    // The algorithm's own assignment is kept; the edits are logged in order.
    let members = cluster::cluster_members(&store, run.run.id).unwrap();
    assert!(members.iter().all(|m| m.base_cluster < 20));
    assert!(members.iter().any(|m| m.cluster != m.base_cluster));
    let edits: Vec<(String, String)> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT kind, author FROM cluster_edits WHERE run_id = ?1 ORDER BY id")
            .unwrap();
        let rows = stmt
            .query_map([run.run.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(
        edits,
        vec![
            ("merge".into(), "reviewer-1".into()),
            ("split".into(), "reviewer-1".into())
        ]
    );

    // Bad edits are refused and change nothing.
    assert!(
        cluster::merge_clusters(&mut store, run.run.id, &[a, new_id], "r").is_err(),
        "a retired cluster"
    );
    assert!(
        cluster::merge_clusters(&mut store, run.run.id, &[split.new_clusters[0]], "r").is_err()
    );
    assert!(cluster::split_cluster(
        &mut store,
        run.run.id,
        split.new_clusters[0],
        &SplitHow::Incidents(vec!["nope".into()]),
        "r"
    )
    .is_err());
    assert!(cluster::merge_clusters(&mut store, 999, &[1, 2], "r").is_err());
    assert_eq!(
        cluster::cluster_members(&store, run.run.id).unwrap(),
        members
    );
}

/// Fitting UMAP and HDBSCAN on a seeded sample and assigning the other reports by a vote
/// of their nearest fitted ones scores within 0.02 of fitting on everything (V-measure and
/// ARI against the hidden types), records which reports were fitted, and is reproducible.
#[test]
fn fitting_a_sample_and_assigning_the_rest_scores_like_fitting_all() {
    let (_dir, project) = copy_of(&fixture().full);
    let mut store = Store::open(&project).unwrap();
    let types = hidden_types(&store);
    let score_of = |store: &Store, run: i64| {
        let members = cluster::cluster_members(store, run).unwrap();
        let truth: Vec<&str> = members
            .iter()
            .map(|m| types[&m.incident_id].as_str())
            .collect();
        let predicted: Vec<i64> = members.iter().map(|m| m.cluster).collect();
        clustering::score(&truth, &predicted)
    };
    let all = analyse_fitting_all(&mut store);
    assert_eq!(all.run.fitted, all.run.incidents);
    let sampled_options = AnalyseOptions {
        fit_sample: 8_000,
        ..hdbscan_options()
    };
    let sampled = cluster::analyse(
        &mut store,
        &sampled_options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!((sampled.run.fitted, sampled.run.incidents), (8_000, 20_000));
    assert!(sampled
        .run
        .timings
        .stages
        .iter()
        .any(|(s, _)| s == "assigning"));
    let (whole, part) = (
        score_of(&store, all.run.id),
        score_of(&store, sampled.run.id),
    );
    println!(
        "fit on all: {} clusters, noise {}, ARI {:.3}, V {:.3}; fit on 8,000 + assign: {} clusters, noise {}, ARI {:.3}, V {:.3}; timings {:?} vs {:?}",
        all.run.clusters, all.run.noise, whole.adjusted_rand, whole.v_measure,
        sampled.run.clusters, sampled.run.noise, part.adjusted_rand, part.v_measure,
        all.run.timings.total, sampled.run.timings.total
    );
    assert!(
        part.v_measure >= whole.v_measure - 0.02,
        "{part:?} vs {whole:?}"
    );
    assert!(
        part.adjusted_rand >= whole.adjusted_rand - 0.02,
        "{part:?} vs {whole:?}"
    );
    let members = cluster::cluster_members(&store, sampled.run.id).unwrap();
    assert!(members.iter().all(|m| m.x.is_finite() && m.y.is_finite()));
    assert_eq!(
        sampled.clusters.iter().map(|c| c.size).sum::<u64>() + sampled.run.noise,
        sampled.run.incidents
    );
    // The run's neighbour index is kept for later assignments, under the digest it records.
    let run_index = index::run_index_path(&project, sampled.run.id);
    let (_, sha) = index::dir_digest(&run_index).unwrap();
    assert_eq!(sha, sampled.run.index_sha256);

    // The same inputs, seed and history in another project: the same sample, labels and
    // map. (The history counts: a re-analysis keeps the granularity the run before it
    // chose when nearly as valid as the best.)
    let (_other_dir, other) = copy_of(&fixture().full);
    let mut other_store = Store::open(&other).unwrap();
    analyse_fitting_all(&mut other_store);
    let again = cluster::analyse(
        &mut other_store,
        &sampled_options,
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    assert_eq!(again.run.index_sha256, sampled.run.index_sha256);
    // (The first project's run took its cluster ids from the fit-on-all run before it, so
    // clusters are compared up to their ids.)
    let key = |store: &Store, run: i64| -> Vec<(i64, i64, u64, u64)> {
        let mut renamed = HashMap::new();
        cluster::cluster_members(store, run)
            .unwrap()
            .into_iter()
            .map(|m| {
                let next = renamed.len() as i64;
                let c = if m.cluster < 0 {
                    -1
                } else {
                    *renamed.entry(m.cluster).or_insert(next)
                };
                (m.incident_id, c, m.x.to_bits(), m.y.to_bits())
            })
            .collect()
    };
    assert!(
        key(&store, sampled.run.id) == key(&other_store, again.run.id),
        "a sampled run is not reproducible"
    );
}

/// Reports imported after a run are placed into it without refitting: counts and sizes
/// follow, a second call finds nothing to do, a cancelled call writes nothing, and a
/// changed run index is never loaded but rebuilt from the fitted reports.
#[test]
fn new_reports_are_assigned_into_an_existing_run() {
    let (_dir, project) = copy_of(&fixture().early);
    let mut store = Store::open(&project).unwrap();
    let options = AnalyseOptions {
        fit_sample: 8_000,
        ..hdbscan_options()
    };
    let run = cluster::analyse(&mut store, &options, &NoProgress, &CancelToken::new())
        .unwrap()
        .run;
    assert_eq!((run.fitted, run.incidents), (8_000, FIRST_PART as u64));
    assert!(matches!(
        cluster::assign_to_run(&mut store, run.id + 100, &NoProgress, &CancelToken::new()),
        Err(cluster::ClusterError::UnknownRun(_))
    ));
    let nothing =
        cluster::assign_to_run(&mut store, run.id, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(
        (nothing.assigned, nothing.incidents),
        (0, FIRST_PART as u64)
    );
    drop(store);
    ingest_and_encode(&project, &fixture().rest_csv);
    let mut store = Store::open(&project).unwrap();
    let members_before = cluster::cluster_members(&store, run.id).unwrap();

    let cancel = CancelToken::new();
    cancel.cancel();
    let cancelled = cluster::assign_to_run(&mut store, run.id, &NoProgress, &cancel).unwrap();
    assert!(cancelled.cancelled);
    assert_eq!(
        cluster::cluster_members(&store, run.id).unwrap(),
        members_before
    );

    let report =
        cluster::assign_to_run(&mut store, run.id, &NoProgress, &CancelToken::new()).unwrap();
    println!("{report:?}");
    assert_eq!(report.assigned, 2_000);
    assert!(!report.rebuilt_index);
    assert!(report.unassigned < report.assigned / 2, "{report:?}");
    let after = cluster::load_run(&store, run.id).unwrap();
    assert_eq!((after.incidents, after.fitted), (20_000, 8_000));
    let clusters = cluster::run_clusters(&store, run.id).unwrap();
    assert_eq!(
        clusters.iter().map(|c| c.size).sum::<u64>() + after.noise,
        20_000
    );
    let members = cluster::cluster_members(&store, run.id).unwrap();
    assert_eq!(members.len(), 20_000);
    let map_file = std::fs::read(project.join("maps").join(format!("run-{}.iamap", run.id))).unwrap();
    assert_eq!(
        map_file,
        engine::explore::map_data(&store, run.id).unwrap().to_binary().unwrap().bytes,
        "the assignment rewrote the run's map file with the new reports"
    );
    assert!(members.iter().all(|m| m.x.is_finite() && m.y.is_finite()));
    let kept: HashMap<i64, (i64, u64)> = members_before
        .iter()
        .map(|m| (m.incident_id, (m.cluster, m.x.to_bits())))
        .collect();
    assert!(
        members
            .iter()
            .filter_map(|m| kept
                .get(&m.incident_id)
                .map(|k| *k == (m.cluster, m.x.to_bits())))
            .all(|same| same),
        "earlier members moved"
    );
    let again =
        cluster::assign_to_run(&mut store, run.id, &NoProgress, &CancelToken::new()).unwrap();
    assert_eq!(again.assigned, 0);

    // A changed index file is rebuilt from the fitted reports and gives the same answers,
    // also for the reports the analysis itself assigned: a report's place does not depend
    // on the batch it came in.
    let fitted: HashSet<i64> = store
        .conn()
        .prepare(
            "SELECT incident_id FROM cluster_members WHERE run_id = ?1 AND placement = 'fitted'",
        )
        .unwrap()
        .query_map([run.id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let placed: Vec<(i64, i64, u64)> = members
        .iter()
        .filter(|m| !fitted.contains(&m.incident_id))
        .map(|m| (m.incident_id, m.cluster, m.x.to_bits()))
        .collect();
    assert_eq!(placed.len(), 12_000);
    let (_copy_dir, copy) = copy_of(&project);
    let mut other = Store::open(&copy).unwrap();
    other
        .conn()
        .execute(
            "DELETE FROM cluster_members WHERE run_id = ?1 AND placement = 'assigned'",
            [run.id],
        )
        .unwrap();
    std::fs::write(
        index::run_index_path(&copy, run.id).join("shard-000.usearch"),
        b"not an index",
    )
    .unwrap();
    let rebuilt =
        cluster::assign_to_run(&mut other, run.id, &NoProgress, &CancelToken::new()).unwrap();
    assert!(rebuilt.rebuilt_index);
    let replaced: Vec<(i64, i64, u64)> = cluster::cluster_members(&other, run.id)
        .unwrap()
        .into_iter()
        .filter(|m| !fitted.contains(&m.incident_id))
        .map(|m| (m.incident_id, m.cluster, m.x.to_bits()))
        .collect();
    assert!(
        placed == replaced,
        "a rebuilt index placed reports differently"
    );
}
