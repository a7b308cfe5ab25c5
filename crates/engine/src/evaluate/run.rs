//! One evaluation: every chosen model scored on the same benchmark reports — retrieval
//! through the model's similarity index, cross-validated kNN and logistic-regression
//! classification, agreement of each stored clustering run — each with a bootstrap
//! interval, per care setting and harm grade, and a paired test of the two best models.

use super::bootstrap::{estimate, paired_p_value, replicate, resample, Estimate};
use super::classification::{confusion_matrix, score as classify};
use super::clustering::score as cluster_score;
use super::cv::{knn_vote, logistic_out_of_fold, stratified_folds};
use super::results::*;
use super::retrieval::{average_precision_at, precision_at};
use super::EvaluateError;
use crate::cluster::{cluster_members, list_runs, RunRecord};
use crate::index::{update_and_open, SimilarityIndex};
use crate::jobs::{CancelToken, Progress};
use crate::review::benchmark::{load_benchmark, Benchmark};
use crate::review::harm_name;
use crate::store::{ModelRecord, Store};
use ndarray::Array2;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// A benchmark report as the evaluation sees it.
struct Item {
    incident_id: i64,
    /// Indices into the benchmark's label list.
    labels: Vec<usize>,
    care_setting: Option<String>,
    harm: Option<i64>,
}

/// One model's per-item results, kept for slices and the paired test.
struct ModelDetail {
    /// Per query (indices into the query sample): precision@k and AP@k.
    precision: Vec<f64>,
    average_precision: Vec<f64>,
    /// Per item: kNN prediction (single-label sets only).
    knn: Option<Vec<usize>>,
}

/// The benchmark reports every chosen model is scored on, and what all the scores share:
/// labels, folds, the query sample and each query's number of relevant reports.
struct Sample {
    items: Vec<Item>,
    /// Each item's (first) label.
    truth: Vec<usize>,
    /// One label per report: classification and clustering can be scored.
    single: bool,
    label_counts: Vec<usize>,
    /// Item index of an incident id.
    position: HashMap<i64, usize>,
    fold_of: Vec<usize>,
    /// Item indices used as retrieval queries (a seeded sample of large sets).
    queries: Vec<usize>,
    /// For each query: how many other reports share one of its labels.
    relevant_total: Vec<usize>,
}

/// Reports dropped on the way to the sample, and why.
struct Dropped {
    missing: usize,
    unencoded: usize,
    trained_on: usize,
}

pub fn evaluate(
    store: &Store,
    spec: &EvaluationSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<EvaluationResults, EvaluateError> {
    let _job = crate::store::job_lock::acquire(store.dir(), "an evaluation")?;
    if spec.k == 0 || spec.folds < 2 || spec.resamples == 0 {
        return Err(EvaluateError::Invalid(
            "k must be at least 1, folds at least 2, resamples at least 1".into(),
        ));
    }
    let bench = load_benchmark(store, &spec.benchmark, spec.version)?;
    let (items, missing) = benchmark_items(store, &bench)?;
    let chosen = chosen_models(store, spec)?;
    progress.set_phase("reading vectors");
    let vectors = chosen
        .iter()
        .map(|model| model_vectors(store, model, &items))
        .collect::<Result<Vec<_>, _>>()?;
    let (sample, dropped) = sample(store, spec, &bench, items, missing, &chosen, &vectors)?;

    let runs = list_runs(store)?;
    progress.set_total(chosen.len() as u64);
    let mut models = Vec::new();
    let mut details = Vec::new();
    for (m, record) in chosen.iter().enumerate() {
        if cancel.is_cancelled() {
            return Err(EvaluateError::Cancelled);
        }
        let (scores, detail) = score_model(store, spec, &sample, record, &vectors[m], &runs, progress, cancel)?;
        models.push(scores);
        details.push(detail);
        progress.set_position((m + 1) as u64);
    }

    progress.set_phase("slices and paired test");
    let slices = slice_scores(&sample.items, &sample.truth, &sample.queries, &models, &details, spec);
    let paired = paired_tests(&sample.truth, &models, &details, spec);
    let best_model = models
        .iter()
        .max_by(|a, b| a.headline().total_cmp(&b.headline()))
        .map(|m| m.model.clone());

    Ok(EvaluationResults {
        spec: spec.clone(),
        benchmark: BenchmarkRef {
            id: bench.id,
            name: bench.header.name.clone(),
            version: bench.header.version,
            source: bench.header.source.clone(),
            derived_from: bench.header.derived_from.clone(),
            content_sha256: bench.header.content_sha256.clone(),
            multi: bench.header.multi,
            labels: bench.header.labels.clone(),
            label_counts: sample.label_counts,
        },
        items: sample.items.len(),
        items_missing: dropped.missing,
        items_unencoded: dropped.unencoded,
        items_trained_on: dropped.trained_on,
        models,
        slices,
        paired,
        best_model,
        provenance: provenance(store)?,
    })
}

/// Benchmark reports that are in this project, in the benchmark's order, with their
/// labels as indices; and how many are not.
fn benchmark_items(store: &Store, bench: &Benchmark) -> Result<(Vec<Item>, usize), EvaluateError> {
    let label_index: HashMap<&str, usize> = bench
        .header
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut items = Vec::new();
    let mut missing = 0;
    let mut stmt = store
        .conn()
        .prepare("SELECT id, care_setting, harm FROM incidents WHERE external_id = ?1")?;
    for b in &bench.items {
        let mut labels: Vec<usize> = b
            .labels
            .iter()
            .filter_map(|l| label_index.get(l.as_str()).copied())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        let row = stmt
            .query_row([&b.external_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?))
            })
            .ok();
        match row {
            Some((incident_id, care_setting, harm)) if !labels.is_empty() => items.push(Item {
                incident_id,
                labels,
                care_setting,
                harm,
            }),
            _ => missing += 1,
        }
    }
    Ok((items, missing))
}

/// The models the spec names, or every encoded model when it names none.
fn chosen_models(store: &Store, spec: &EvaluationSpec) -> Result<Vec<ModelRecord>, EvaluateError> {
    let all_models = store.models()?;
    let chosen: Vec<_> = if spec.models.is_empty() {
        all_models.into_iter().filter(|m| m.vectors > 0).collect()
    } else {
        spec.models
            .iter()
            .map(|name| {
                all_models
                    .iter()
                    .find(|m| &m.name == name)
                    .cloned()
                    .ok_or_else(|| {
                        EvaluateError::Invalid(format!(
                            "the project has no model {name:?}; `incident-atlas models list` shows them"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?
    };
    if chosen.is_empty() {
        return Err(EvaluateError::Invalid(
            "the project has no encoded model to evaluate; run `incident-atlas encode` first"
                .into(),
        ));
    }
    Ok(chosen)
}

/// The model's vectors of the items, by incident id.
fn model_vectors(
    store: &Store,
    model: &ModelRecord,
    items: &[Item],
) -> Result<HashMap<i64, Vec<f32>>, EvaluateError> {
    let (_, ids, data) = store
        .vectors(&model.name)?
        .ok_or_else(|| EvaluateError::Invalid(format!("no vectors for {}", model.name)))?;
    let wanted: std::collections::HashSet<i64> = items.iter().map(|i| i.incident_id).collect();
    let d = model.dimension;
    Ok(ids
        .iter()
        .enumerate()
        .filter(|(_, id)| wanted.contains(id))
        .map(|(row, &id)| (id, data[row * d..(row + 1) * d].to_vec()))
        .collect())
}

/// Keeps only reports every model has encoded (so all models are scored on the same
/// reports and can be compared pair by pair) and that no model was trained on, then draws
/// the folds and the query sample.
fn sample(
    store: &Store,
    spec: &EvaluationSpec,
    bench: &Benchmark,
    mut items: Vec<Item>,
    missing: usize,
    chosen: &[ModelRecord],
    vectors: &[HashMap<i64, Vec<f32>>],
) -> Result<(Sample, Dropped), EvaluateError> {
    let before = items.len();
    items.retain(|it| vectors.iter().all(|v| v.contains_key(&it.incident_id)));
    let unencoded = before - items.len();
    let trained_on = trained_on_reports(store, chosen)?;
    let before = items.len();
    items.retain(|it| !trained_on.contains(&it.incident_id));
    let dropped = Dropped { missing, unencoded, trained_on: before - items.len() };
    if items.len() < spec.folds * 2 {
        return Err(EvaluateError::Invalid(format!(
            "only {} of the benchmark's {} reports are in this project and encoded by every model compared; too few to score",
            items.len(),
            bench.items.len()
        )));
    }
    let n = items.len();
    let single = !bench.header.multi && items.iter().all(|i| i.labels.len() == 1);
    let truth: Vec<usize> = items.iter().map(|i| i.labels[0]).collect();
    let mut label_counts = vec![0usize; bench.header.labels.len()];
    for it in &items {
        for &l in &it.labels {
            label_counts[l] += 1;
        }
    }
    let position = items.iter().enumerate().map(|(i, it)| (it.incident_id, i)).collect();
    let fold_of = stratified_folds(&truth, spec.folds, spec.seed);
    let queries: Vec<usize> = if n > spec.max_queries {
        let ids: Vec<i64> = (0..n as i64).collect();
        let mut q: Vec<usize> = crate::review::sampling::random(&ids, spec.max_queries, spec.seed)
            .into_iter()
            .map(|i| i as usize)
            .collect();
        q.sort_unstable();
        q
    } else {
        (0..n).collect()
    };
    let relevant_total = queries
        .iter()
        .map(|&q| {
            if single {
                label_counts[truth[q]] - 1
            } else {
                items
                    .iter()
                    .enumerate()
                    .filter(|(j, it)| *j != q && shares(&it.labels, &items[q].labels))
                    .count()
            }
        })
        .collect();
    let sample = Sample { items, truth, single, label_counts, position, fold_of, queries, relevant_total };
    Ok((sample, dropped))
}

/// Every score of one model: retrieval, out-of-fold classification (single-label sets)
/// and agreement of each of its stored clustering runs.
#[allow(clippy::too_many_arguments)]
fn score_model(
    store: &Store,
    spec: &EvaluationSpec,
    sample: &Sample,
    record: &ModelRecord,
    vectors: &HashMap<i64, Vec<f32>>,
    runs: &[RunRecord],
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<(ModelScores, ModelDetail), EvaluateError> {
    progress.set_phase(&format!("{}: retrieval", record.name));
    let index = update_and_open(store, &record.name)?;
    let (precision, average_precision) = retrieval(&index, sample, vectors, spec)?;
    let all_q: Vec<usize> = (0..sample.queries.len()).collect();
    let mut notes = Vec::new();
    let classified = if sample.single {
        Some(classification(&index, sample, record, vectors, spec, &mut notes, progress, cancel)?)
    } else {
        notes.push(
            "multi-label benchmark: retrieval counts a neighbour relevant when it shares a label; classification and clustering scores need one label per report".into(),
        );
        None
    };
    progress.set_phase(&format!("{}: clustering runs", record.name));
    let (run_scores, cluster_sizes) = clustering_agreement(store, runs, record, sample, spec, &mut notes)?;
    let c = classified.as_ref();
    let scores = ModelScores {
        model: record.name.clone(),
        kind: record.kind.clone(),
        dimension: record.dimension,
        model_provenance: record.provenance.clone(),
        index_sha256: index.file_sha256.clone(),
        queries: sample.queries.len(),
        precision_at_k: mean_estimate(&precision, &all_q, spec),
        map_at_k: mean_estimate(&average_precision, &all_q, spec),
        knn_macro_f1: c.map(|c| c.knn.0),
        knn_accuracy: c.map(|c| c.knn.1),
        logistic_macro_f1: c.and_then(|c| c.logistic).map(|l| l.0),
        logistic_accuracy: c.and_then(|c| c.logistic).map(|l| l.1),
        confusion: c.map(|c| c.confusion.clone()).unwrap_or_default(),
        runs: run_scores,
        cluster_sizes,
        notes,
    };
    let detail = ModelDetail { precision, average_precision, knn: classified.map(|c| c.knn_predicted) };
    Ok((scores, detail))
}

/// Precision@k and AP@k of each query, its neighbours found through the model's index
/// among the other benchmark reports.
fn retrieval(
    index: &SimilarityIndex,
    sample: &Sample,
    vectors: &HashMap<i64, Vec<f32>>,
    spec: &EvaluationSpec,
) -> Result<(Vec<f64>, Vec<f64>), EvaluateError> {
    let items = &sample.items;
    let mut precision = Vec::with_capacity(sample.queries.len());
    let mut average_precision = Vec::with_capacity(sample.queries.len());
    for (qi, &q) in sample.queries.iter().enumerate() {
        let me = items[q].incident_id;
        let hits = index.search_where(&vectors[&me], spec.k, |id| {
            id != me && sample.position.contains_key(&id)
        })?;
        let relevant: Vec<bool> = hits
            .iter()
            .map(|h| shares(&items[sample.position[&h.incident_id]].labels, &items[q].labels))
            .collect();
        precision.push(precision_at(&relevant, spec.k));
        average_precision.push(average_precision_at(&relevant, spec.k, sample.relevant_total[qi]));
    }
    Ok((precision, average_precision))
}

/// One model's out-of-fold classification scores.
struct Classified {
    /// kNN macro-F1 and accuracy.
    knn: (Estimate, Estimate),
    knn_predicted: Vec<usize>,
    confusion: Vec<Vec<u64>>,
    /// Logistic regression's, when it could be fitted.
    logistic: Option<(Estimate, Estimate)>,
}

/// Every report predicted once by classifiers that never saw it: a kNN vote of the other
/// folds' nearest reports, and logistic regression fitted on the other folds.
#[allow(clippy::too_many_arguments)]
fn classification(
    index: &SimilarityIndex,
    sample: &Sample,
    record: &ModelRecord,
    vectors: &HashMap<i64, Vec<f32>>,
    spec: &EvaluationSpec,
    notes: &mut Vec<String>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Classified, EvaluateError> {
    let n = sample.items.len();
    let n_labels = sample.label_counts.len();
    let vec_of = |i: usize| &vectors[&sample.items[i].incident_id];
    progress.set_phase(&format!("{}: kNN cross-validation", record.name));
    let mut predicted = Vec::with_capacity(n);
    for i in 0..n {
        let fold = sample.fold_of[i];
        let hits = index.search_where(vec_of(i), spec.k, |id| {
            sample.position.get(&id).is_some_and(|&j| sample.fold_of[j] != fold)
        })?;
        let votes: Vec<(usize, f32)> = hits
            .iter()
            .map(|h| (sample.truth[sample.position[&h.incident_id]], 1.0 - h.distance))
            .collect();
        // No neighbour at all only happens on tiny sets: predict the commonest label.
        predicted.push(knn_vote(&votes, n_labels).unwrap_or_else(|| argmax(&sample.label_counts)));
    }
    let knn = classification_estimates(&sample.truth, &predicted, spec);
    let confusion = confusion_matrix(&sample.truth, &predicted, n_labels);
    if cancel.is_cancelled() {
        return Err(EvaluateError::Cancelled);
    }
    progress.set_phase(&format!("{}: logistic regression", record.name));
    let features = Array2::from_shape_fn((n, record.dimension), |(i, j)| vec_of(i)[j] as f64);
    let logistic = match logistic_out_of_fold(&features, &sample.truth, &sample.fold_of, spec.folds, spec.logistic_alpha, 200) {
        Ok(predicted) => Some(classification_estimates(&sample.truth, &predicted, spec)),
        Err(e) => {
            notes.push(format!("logistic regression not scored: {e}"));
            None
        }
    };
    Ok(Classified { knn, knn_predicted: predicted, confusion, logistic })
}

/// Agreement of each stored run of the model with the labels (single-label sets), and the
/// cluster sizes of its latest run.
fn clustering_agreement(
    store: &Store,
    runs: &[RunRecord],
    record: &ModelRecord,
    sample: &Sample,
    spec: &EvaluationSpec,
    notes: &mut Vec<String>,
) -> Result<(Vec<RunScores>, Vec<usize>), EvaluateError> {
    let mut run_scores = Vec::new();
    let mut cluster_sizes = Vec::new();
    for run in runs.iter().filter(|r| r.model == record.name) {
        let members = cluster_members(store, run.id)?;
        if cluster_sizes.is_empty() {
            // Runs come newest first: the first is the latest.
            let mut sizes: BTreeMap<i64, usize> = BTreeMap::new();
            for mbr in members.iter().filter(|m| m.base_cluster >= 0) {
                *sizes.entry(mbr.base_cluster).or_default() += 1;
            }
            cluster_sizes = sizes.into_values().collect();
            cluster_sizes.sort_unstable_by(|a, b| b.cmp(a));
        }
        if !sample.single {
            continue;
        }
        let mut t = Vec::new();
        let mut p = Vec::new();
        for mbr in &members {
            if let Some(&i) = sample.position.get(&mbr.incident_id) {
                t.push(sample.truth[i]);
                p.push(mbr.base_cluster);
            }
        }
        if t.len() < 2 {
            notes.push(format!("run {} places {} benchmark report(s); not scored", run.id, t.len()));
            continue;
        }
        run_scores.push(run_estimates(run, &t, &p, spec));
    }
    Ok((run_scores, cluster_sizes))
}

/// The mean of `values` over `over`, with its bootstrap interval.
fn mean_estimate(values: &[f64], over: &[usize], spec: &EvaluationSpec) -> Estimate {
    let v: Vec<f64> = over.iter().map(|&i| values[i]).collect();
    let mean = |idx: &[usize]| idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len().max(1) as f64;
    let all: Vec<usize> = (0..v.len()).collect();
    estimate(
        mean(&all),
        replicate(v.len(), spec.resamples, spec.seed, mean),
    )
}

fn shares(a: &[usize], b: &[usize]) -> bool {
    a.iter().any(|x| b.contains(x))
}

fn argmax(counts: &[usize]) -> usize {
    (0..counts.len())
        .max_by(|&a, &b| counts[a].cmp(&counts[b]).then(b.cmp(&a)))
        .unwrap_or(0)
}

/// Runs `f` on every bootstrap resample of the paired columns `a` and `b`.
fn for_each_resample<A: Copy, B: Copy>(
    a: &[A],
    b: &[B],
    spec: &EvaluationSpec,
    mut f: impl FnMut(&[A], &[B]),
) {
    let mut idx = Vec::new();
    let (mut ra, mut rb) = (Vec::with_capacity(a.len()), Vec::with_capacity(b.len()));
    for r in 0..spec.resamples {
        resample(a.len(), r, spec.seed, &mut idx);
        ra.clear();
        rb.clear();
        ra.extend(idx.iter().map(|&i| a[i]));
        rb.extend(idx.iter().map(|&i| b[i]));
        f(&ra, &rb);
    }
}

fn classification_estimates(
    truth: &[usize],
    predicted: &[usize],
    spec: &EvaluationSpec,
) -> (Estimate, Estimate) {
    let point = classify(truth, predicted);
    let mut f1 = Vec::with_capacity(spec.resamples);
    let mut acc = Vec::with_capacity(spec.resamples);
    for_each_resample(truth, predicted, spec, |t, p| {
        let s = classify(t, p);
        f1.push(s.macro_f1);
        acc.push(s.accuracy);
    });
    (estimate(point.macro_f1, f1), estimate(point.accuracy, acc))
}

fn run_estimates(
    run: &RunRecord,
    truth: &[usize],
    predicted: &[i64],
    spec: &EvaluationSpec,
) -> RunScores {
    let point = cluster_score(truth, predicted);
    let mut reps: [Vec<f64>; 5] = Default::default();
    for_each_resample(truth, predicted, spec, |t, p| {
        let s = cluster_score(t, p);
        for (r, v) in reps.iter_mut().zip([
            s.adjusted_rand,
            s.nmi,
            s.homogeneity,
            s.completeness,
            s.v_measure,
        ]) {
            r.push(v);
        }
    });
    let [ari, nmi, hom, com, v] = reps;
    let clusters = predicted
        .iter()
        .filter(|&&c| c >= 0)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    RunScores {
        run_id: run.id,
        method: run.method.clone(),
        created_at: run.created_at.clone(),
        clusters,
        items: truth.len(),
        adjusted_rand: estimate(point.adjusted_rand, ari),
        nmi: estimate(point.nmi, nmi),
        homogeneity: estimate(point.homogeneity, hom),
        completeness: estimate(point.completeness, com),
        v_measure: estimate(point.v_measure, v),
        noise_fraction: predicted.iter().filter(|&&c| c < 0).count() as f64
            / predicted.len() as f64,
    }
}

fn slice_scores(
    items: &[Item],
    truth: &[usize],
    queries: &[usize],
    models: &[ModelScores],
    details: &[ModelDetail],
    spec: &EvaluationSpec,
) -> Vec<SliceScores> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        if let Some(cs) = it.care_setting.as_deref().filter(|s| !s.trim().is_empty()) {
            groups
                .entry(("care_setting".into(), cs.to_string()))
                .or_default()
                .push(i);
        }
        if let Some(name) = it.harm.and_then(|h| harm_name(&h.to_string())) {
            groups
                .entry(("harm".into(), name.to_string()))
                .or_default()
                .push(i);
        }
    }
    let query_pos: HashMap<usize, usize> =
        queries.iter().enumerate().map(|(qi, &q)| (q, qi)).collect();
    groups
        .into_iter()
        .filter(|(_, members)| members.len() >= spec.min_slice)
        .map(|((dimension, value), members)| {
            let slice_queries: Vec<usize> = members
                .iter()
                .filter_map(|i| query_pos.get(i).copied())
                .collect();
            let per_model = models
                .iter()
                .zip(details)
                .map(|(m, d)| {
                    let knn_macro_f1 = d.knn.as_ref().map(|pred| {
                        let t: Vec<usize> = members.iter().map(|&i| truth[i]).collect();
                        let p: Vec<usize> = members.iter().map(|&i| pred[i]).collect();
                        classification_estimates(&t, &p, spec).0
                    });
                    let map_at_k = (slice_queries.len() >= 10)
                        .then(|| mean_estimate(&d.average_precision, &slice_queries, spec));
                    SliceModel {
                        model: m.model.clone(),
                        knn_macro_f1,
                        map_at_k,
                    }
                })
                .collect();
            SliceScores {
                dimension,
                value,
                items: members.len(),
                models: per_model,
            }
        })
        .collect()
}

/// The two best models by headline score, compared on kNN macro-F1 (single-label sets)
/// and MAP@k over the same bootstrap resamples.
fn paired_tests(
    truth: &[usize],
    models: &[ModelScores],
    details: &[ModelDetail],
    spec: &EvaluationSpec,
) -> Vec<PairedTest> {
    if models.len() < 2 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..models.len()).collect();
    order.sort_by(|&a, &b| {
        models[b]
            .headline()
            .total_cmp(&models[a].headline())
            .then(a.cmp(&b))
    });
    let (a, b) = (order[0], order[1]);
    let mut tests = Vec::new();
    if let (Some(pa), Some(pb)) = (&details[a].knn, &details[b].knn) {
        let f1 = |pred: &[usize], idx: &[usize]| {
            let t: Vec<usize> = idx.iter().map(|&i| truth[i]).collect();
            let p: Vec<usize> = idx.iter().map(|&i| pred[i]).collect();
            classify(&t, &p).macro_f1
        };
        let all: Vec<usize> = (0..truth.len()).collect();
        let observed = f1(pa, &all) - f1(pb, &all);
        let diffs = replicate(truth.len(), spec.resamples, spec.seed, |idx| {
            f1(pa, idx) - f1(pb, idx)
        });
        tests.push(PairedTest {
            metric: "knn_macro_f1".into(),
            better: models[a].model.clone(),
            other: models[b].model.clone(),
            p_value: paired_p_value(observed, &diffs),
            difference: estimate(observed, diffs),
            resamples: spec.resamples,
        });
    }
    let per_query = [
        ("map_at_k", &details[a].average_precision, &details[b].average_precision),
        ("precision_at_k", &details[a].precision, &details[b].precision),
    ];
    for (metric, score_a, score_b) in per_query {
        let mean_diff = |idx: &[usize]| {
            idx.iter().map(|&i| score_a[i] - score_b[i]).sum::<f64>() / idx.len() as f64
        };
        let all: Vec<usize> = (0..score_a.len()).collect();
        let observed = mean_diff(&all);
        let diffs = replicate(score_a.len(), spec.resamples, spec.seed, mean_diff);
        tests.push(PairedTest {
            metric: metric.into(),
            better: models[a].model.clone(),
            other: models[b].model.clone(),
            p_value: paired_p_value(observed, &diffs),
            difference: estimate(observed, diffs),
            resamples: spec.resamples,
        });
    }
    tests
}

fn provenance(store: &Store) -> Result<Provenance, EvaluateError> {
    let mut hasher = Sha256::new();
    let mut incidents = 0u64;
    let mut stmt = store
        .conn()
        .prepare("SELECT content_sha256 FROM incidents ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let h: Vec<u8> = r.get(0)?;
        hasher.update(&h);
        incidents += 1;
    }
    Ok(Provenance {
        dataset_sha256: crate::digest::hex(&hasher.finalize()),
        incidents,
        software: format!("incident-atlas {}", env!("CARGO_PKG_VERSION")),
        schema_version: store.schema_version()?,
    })
}

/// Reports whose labels a compared model was trained on, from the `trained_on` list a
/// supervised training writes into the model folder's `training.json`.
fn trained_on_reports(
    store: &Store,
    models: &[crate::store::ModelRecord],
) -> Result<std::collections::HashSet<i64>, EvaluateError> {
    let mut out = std::collections::HashSet::new();
    let dir = crate::encode::registry::project_models_dir(store.dir());
    let mut stmt = store
        .conn()
        .prepare("SELECT id FROM incidents WHERE external_id = ?1")?;
    for model in models {
        let path = dir.join(&model.name).join("training.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let training: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            EvaluateError::Invalid(format!("{} is not valid JSON: {e}", path.display()))
        })?;
        let ids = training["trained_on"]["external_ids"].as_array();
        for external in ids.into_iter().flatten().filter_map(|v| v.as_str()) {
            if let Ok(id) = stmt.query_row([external], |r| r.get::<_, i64>(0)) {
                out.insert(id);
            }
        }
    }
    Ok(out)
}
