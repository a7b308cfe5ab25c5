//! Supervised fine-tuning from a benchmark set's labels, as SetFit does it (Tunstall et al.
//! 2022): a few labelled reports per label are drawn as the training split and everything
//! else in the benchmark is held out; pairs of training reports (same label: cosine pulled
//! to 1, different labels: to 0) fine-tune the encoder; then a logistic-regression head is
//! fitted on the tuned vectors of the training split and scored on the held-out split,
//! beside the same head on the untuned base model's vectors.
//!
//! The training split is written into `training.json`, and `evaluate` leaves those reports
//! out of every comparison that includes the model, so its scores stay honest.

use super::finetune::{base_transformer, record_inputs, run_finetune, RunFigures};
use super::{loss_chart_into, new_model_dir, publish, staging, TrainError};
use crate::encode::registry::project_models_dir;
use crate::evaluate::classification;
use crate::jobs::{CancelToken, Progress};
use crate::review::benchmark::load_benchmark;
use crate::store::{Store, TextFields};
use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ml::finetune::{ClassifierHead, FinetuneConfig, HeadInfo, Objective};
use ml::rng::SplitMix64;
use ml::sentence::SentenceEncoder;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SupervisedSpec {
    pub name: String,
    /// The encoder to fine-tune (a name `encode --model` knows, or a folder).
    pub base: String,
    pub benchmark: String,
    pub version: Option<i64>,
    pub config: FinetuneConfig,
    pub fields: TextFields,
    /// Training reports drawn per label (SetFit's few-shot setting); never more than half
    /// of a label's reports, so every label keeps a held-out part.
    pub per_label: usize,
    /// SetFit's `num_iterations`: rounds in which every training report gets one
    /// same-label and one different-label partner.
    pub iterations: usize,
    pub checkpoint_every: u64,
}

impl SupervisedSpec {
    pub fn new(name: &str, benchmark: &str) -> Self {
        SupervisedSpec {
            name: name.into(),
            base: crate::encode::DEFAULT_TRANSFORMER.into(),
            benchmark: benchmark.into(),
            version: None,
            config: Self::default_config(),
            fields: TextFields::Description,
            per_label: 16,
            iterations: 5,
            checkpoint_every: 50,
        }
    }

    /// SetFit's defaults for its contrastive stage: batch 16, learning rate 2e-5, one
    /// epoch; the rest as SimCSE (warm-up 10%, clipping at 1, dropout 0.1).
    pub fn default_config() -> FinetuneConfig {
        FinetuneConfig {
            batch_size: 16,
            learning_rate: 2e-5,
            ..FinetuneConfig::default()
        }
    }
}

/// The held-out scores of a logistic-regression head.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct HeadScores {
    pub macro_f1: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SupervisedReport {
    pub name: String,
    pub method: &'static str,
    pub base: String,
    pub dir: PathBuf,
    pub benchmark: String,
    pub benchmark_version: i64,
    pub labels: usize,
    pub train_reports: usize,
    pub held_out_reports: usize,
    pub pairs: usize,
    /// Its examples per second are pairs (each two texts through the encoder).
    #[serde(flatten)]
    pub run: RunFigures,
    /// The head on the fine-tuned vectors, scored on the held-out split.
    pub held_out: HeadScores,
    /// The same head fitted on the base model's vectors, on the same split.
    pub held_out_base: HeadScores,
}

/// What a checkpoint of a supervised run was made from; resuming with anything else
/// would train on other pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SplitRecord {
    base: String,
    benchmark: String,
    benchmark_version: i64,
    per_label: usize,
    iterations: usize,
    train_external_ids: Vec<String>,
}

const SPLIT_FILE: &str = "split.json";

/// A benchmark report with its text and label.
struct Example {
    external_id: String,
    text: String,
    label: usize,
}

pub fn train_supervised(
    store: &Store,
    spec: &SupervisedSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<SupervisedReport, TrainError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("a training of {}", spec.name))?;
    let out = new_model_dir(store, &spec.name)?;
    let models = project_models_dir(store.dir());
    let model_err = |source| TrainError::Model {
        name: spec.name.clone(),
        source,
    };
    if spec.per_label == 0 || spec.iterations == 0 {
        return Err(TrainError::Invalid(
            "reports per label and iterations must be at least 1".into(),
        ));
    }
    let base = base_transformer(store, &spec.base, "supervised fine-tuning")?;
    progress.set_phase("reading the benchmark");
    let bench = load_benchmark(store, &spec.benchmark, spec.version)
        .map_err(|e| TrainError::Invalid(e.to_string()))?;
    if bench.header.multi {
        return Err(TrainError::Invalid(format!(
            "benchmark {} is multi-label; supervised fine-tuning needs one label per report",
            bench.header.name
        )));
    }
    let examples = benchmark_examples(store, &bench, spec.fields)?;
    let (train, held_out) = split(
        &examples,
        bench.header.labels.len(),
        spec.per_label,
        spec.config.seed,
    );
    let train_labels: std::collections::BTreeSet<usize> =
        train.iter().map(|&i| examples[i].label).collect();
    if train_labels.len() < 2 || held_out.is_empty() {
        return Err(TrainError::Invalid(format!(
            "benchmark {} has too few reports in this project: at least two labels with two reports each are needed",
            bench.header.name
        )));
    }
    let pairs = pairs(&examples, &train, spec.iterations, spec.config.seed);
    let ckpt = models.join(format!("{}.training", spec.name));
    let train_ids: Vec<String> = train
        .iter()
        .map(|&i| examples[i].external_id.clone())
        .collect();
    record_inputs(
        &ckpt,
        SPLIT_FILE,
        "another base model, benchmark split or pair settings",
        &SplitRecord {
            base: spec.base.clone(),
            benchmark: bench.header.name.clone(),
            benchmark_version: bench.header.version,
            per_label: spec.per_label,
            iterations: spec.iterations,
            train_external_ids: train_ids.clone(),
        },
    )?;
    let pair_refs: Vec<(&str, &str, f32)> = pairs
        .iter()
        .map(|&(a, b, t)| (examples[a].text.as_str(), examples[b].text.as_str(), t))
        .collect();
    let run = run_finetune(
        &spec.name,
        &base,
        &spec.config,
        Objective::Pairs(&pair_refs),
        None,
        &ckpt,
        spec.checkpoint_every,
        progress,
        cancel,
    )?;
    progress.set_phase("saving");
    let tmp = staging(&models, &spec.name)?;
    run.trainer.save_model(&base, &tmp).map_err(model_err)?;

    progress.set_phase("fitting the classification head");
    let labels = &bench.header.labels;
    let (head, held_out_scores) = fit_head(&tmp, &examples, &train, &held_out, labels)?;
    head.save(&tmp).map_err(model_err)?;
    progress.set_phase("fitting the same head on the base model");
    let (_, base_scores) = fit_head(&base, &examples, &train, &held_out, labels)?;

    let report = SupervisedReport {
        name: spec.name.clone(),
        method: "supervised",
        base: base.display().to_string(),
        dir: out.clone(),
        benchmark: bench.header.name.clone(),
        benchmark_version: bench.header.version,
        labels: train_labels.len(),
        train_reports: train.len(),
        held_out_reports: held_out.len(),
        pairs: pairs.len(),
        run: run.figures(),
        held_out: held_out_scores,
        held_out_base: base_scores,
    };
    loss_chart_into(
        &tmp,
        &format!("{}: SetFit pair loss", spec.name),
        "step",
        &run.state.loss_curve,
    )?;
    publish(
        &tmp,
        &out,
        &ckpt,
        &serde_json::json!({
            "method": "supervised",
            "config": spec.config,
            "fields": spec.fields.name(),
            "per_label": spec.per_label,
            "iterations": spec.iterations,
            "trained_on": {
                "benchmark": bench.header.name,
                "version": bench.header.version,
                "external_ids": train_ids,
            },
            "report": report,
        }),
    )?;
    Ok(report)
}

/// The benchmark's reports that are in this project, with their text, in benchmark order.
fn benchmark_examples(
    store: &Store,
    bench: &crate::review::benchmark::Benchmark,
    fields: TextFields,
) -> Result<Vec<Example>, TrainError> {
    let index: BTreeMap<&str, usize> = bench
        .header
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut stmt = store
        .conn()
        .prepare(&format!(
            "SELECT {} FROM incidents i WHERE i.external_id = ?1",
            fields.sql()
        ))
        .map_err(|e| store.err(e))?;
    let mut examples = Vec::new();
    for item in &bench.items {
        let Some(&label) = item.labels.first().and_then(|l| index.get(l.as_str())) else {
            continue;
        };
        let text: Option<String> = stmt.query_row([&item.external_id], |r| r.get(0)).ok();
        if let Some(text) = text {
            examples.push(Example {
                external_id: item.external_id.clone(),
                text,
                label,
            });
        }
    }
    Ok(examples)
}

/// Training and held-out positions: per label a seeded draw of min(per_label, half the
/// label's reports), the rest held out. Both lists are in benchmark order.
fn split(
    examples: &[Example],
    labels: usize,
    per_label: usize,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_label: Vec<Vec<i64>> = vec![Vec::new(); labels];
    for (i, e) in examples.iter().enumerate() {
        by_label[e.label].push(i as i64);
    }
    let mut train = Vec::new();
    for (label, members) in by_label.iter().enumerate() {
        let take = per_label.min(members.len() / 2);
        train.extend(crate::review::sampling::random(
            members,
            take,
            seed ^ (label as u64 + 1).wrapping_mul(0x9E37_79B9),
        ));
    }
    let mut train: Vec<usize> = train.into_iter().map(|i| i as usize).collect();
    train.sort_unstable();
    let chosen: std::collections::HashSet<usize> = train.iter().copied().collect();
    let held_out = (0..examples.len())
        .filter(|i| !chosen.contains(i))
        .collect();
    (train, held_out)
}

/// SetFit's pair sampling: in each round every training report gets one partner of its
/// own label (target 1) and one of another label (target 0), drawn with a seeded
/// generator. A label with a single training report gets no positive pair.
fn pairs(
    examples: &[Example],
    train: &[usize],
    iterations: usize,
    seed: u64,
) -> Vec<(usize, usize, f32)> {
    let mut rng = SplitMix64::new(seed ^ 0x5E7F17);
    let mut by_label: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in train {
        by_label.entry(examples[i].label).or_default().push(i);
    }
    let mut out = Vec::with_capacity(train.len() * iterations * 2);
    for _ in 0..iterations {
        for &i in train {
            let own = &by_label[&examples[i].label];
            if own.len() > 1 {
                let mut j = own[rng.below(own.len() - 1)];
                if j == i {
                    j = own[own.len() - 1];
                }
                out.push((i, j, 1.0));
            }
            let others = train.len() - own.len();
            if others > 0 {
                // The k-th training report of another label, skipping this label's.
                let mut k = rng.below(others);
                let j = *train
                    .iter()
                    .find(|&&t| {
                        if examples[t].label == examples[i].label {
                            return false;
                        }
                        if k == 0 {
                            return true;
                        }
                        k -= 1;
                        false
                    })
                    .unwrap_or(&i);
                out.push((i, j, 0.0));
            }
        }
    }
    out
}

/// Logistic regression (scikit-learn's default C = 1, as SetFit's head) on the vectors the
/// model in `dir` gives the training split, scored on the held-out split.
fn fit_head(
    dir: &Path,
    examples: &[Example],
    train: &[usize],
    held_out: &[usize],
    labels: &[String],
) -> Result<(ClassifierHead, HeadScores), TrainError> {
    let model_err = |source| TrainError::Model {
        name: dir.display().to_string(),
        source,
    };
    // The precision the project's encoding picks for a new model by default, so the head
    // is fitted on vectors made the way the model's stored vectors will be.
    let encoder = SentenceEncoder::load(
        dir,
        &ml::device::best_device(),
        crate::encode::Precision::Auto,
        None,
    )
    .map_err(model_err)?;
    let encode = |positions: &[usize]| -> Result<Vec<Vec<f32>>, TrainError> {
        let texts: Vec<&str> = positions
            .iter()
            .map(|&i| examples[i].text.as_str())
            .collect();
        Ok(encoder.encode(&texts, 32, |_| {}).map_err(model_err)?.0)
    };
    let train_vectors = encode(train)?;
    let held_vectors = encode(held_out)?;
    let dimension = encoder.dimension();
    let x = Array2::from_shape_fn((train.len(), dimension), |(r, c)| {
        train_vectors[r][c] as f64
    });
    let y: Array1<usize> = train.iter().map(|&i| examples[i].label).collect();
    let fitted = MultiLogisticRegression::default()
        .alpha(1.0)
        .max_iterations(200)
        .fit(&Dataset::new(x, y))
        .map_err(|e| TrainError::Invalid(format!("fitting the classification head: {e}")))?;
    // linfa keeps parameters as dimension × classes, classes in sorted order.
    let classes = fitted.classes().to_vec();
    let params = fitted.params();
    let mut weight = Vec::with_capacity(classes.len() * dimension);
    for c in 0..classes.len() {
        weight.extend((0..dimension).map(|d| params[(d, c)] as f32));
    }
    let head = ClassifierHead {
        info: HeadInfo {
            labels: classes.iter().map(|&c| labels[c].clone()).collect(),
            fitted_by: "multinomial logistic regression, L2 alpha 1, on the training split".into(),
        },
        weight,
        bias: fitted.intercept().iter().map(|&b| b as f32).collect(),
        dimension,
    };
    let truth: Vec<usize> = held_out.iter().map(|&i| examples[i].label).collect();
    let predicted: Vec<usize> = held_vectors
        .iter()
        .map(|v| classes[head.predict(v)])
        .collect();
    let scores = classification::score(&truth, &predicted);
    Ok((
        head,
        HeadScores {
            macro_f1: scores.macro_f1,
            accuracy: scores.accuracy,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(per_label: &[usize]) -> Vec<Example> {
        per_label
            .iter()
            .enumerate()
            .flat_map(|(label, &n)| {
                (0..n).map(move |i| Example {
                    external_id: format!("{label}-{i}"),
                    text: format!("text {label} {i}"),
                    label,
                })
            })
            .collect()
    }

    #[test]
    fn split_keeps_half_of_every_label_held_out_and_is_seeded() {
        let ex = examples(&[40, 10, 3, 1]);
        let (train, held) = split(&ex, 4, 8, 7);
        let count = |set: &[usize], l: usize| set.iter().filter(|&&i| ex[i].label == l).count();
        assert_eq!(
            (0..4).map(|l| count(&train, l)).collect::<Vec<_>>(),
            [8, 5, 1, 0]
        );
        assert_eq!(train.len() + held.len(), ex.len());
        assert_eq!(split(&ex, 4, 8, 7), (train.clone(), held));
        assert_ne!(split(&ex, 4, 8, 8).0, train);
    }

    #[test]
    fn pairs_match_labels_to_targets() {
        let ex = examples(&[6, 6, 1]);
        let train: Vec<usize> = (0..ex.len()).collect();
        let p = pairs(&ex, &train, 3, 1);
        // Labels with several reports get a positive and a negative per round; the single
        // report of label 2 only a negative.
        assert_eq!(p.len(), 3 * (12 * 2 + 1));
        for &(a, b, t) in &p {
            assert_ne!(a, b);
            assert_eq!(t == 1.0, ex[a].label == ex[b].label, "{a} {b} {t}");
        }
        assert_eq!(p, pairs(&ex, &train, 3, 1));
    }
}
