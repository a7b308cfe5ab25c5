//! Unsupervised domain adaptation of a pretrained encoder on the project's reports, by
//! SimCSE or by masked-language-model continued pre-training, as a job: progress (step,
//! loss, examples/s, ETA), cancellation, a checkpoint every N steps in
//! `models/<name>.training/`, resumption, and the adapted model in `models/<name>/` in the
//! base model's own layout (so `encode --model <name>` and sentence-transformers read it).
//!
//! Adaptation can make an encoder worse for a project's clusters, most easily on a small
//! project, so it judges itself as it goes: a seeded share of the reports is held out, and
//! how well two spans of each held-out report find each other (the signal DeCLUTR trains
//! on, measured on reports training never saw) is scored before the first step and
//! regularly after. Training stops when the score stops rising and keeps its best weights;
//! when no step beat the base model, nothing is saved and the error says so. A project too
//! small to hold out enough reports is refused before training starts.

use super::finetune::{base_transformer, record_inputs, run_finetune, RunFigures};
use super::{loss_chart_into, new_model_dir, publish, staging, TrainError};
use crate::encode::registry::project_models_dir;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use ml::finetune::{FinetuneConfig, Objective, Structure, Validation};
use serde::Serialize;
use std::path::PathBuf;

/// How the encoder learns from unlabelled reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adaptation {
    /// Each report against its own second dropout view, the batch as negatives.
    Simcse,
    /// BERT's masked-language-model objective (15% of tokens), the head then dropped.
    Mlm,
    /// DeCLUTR-style: two spans of one report against the batch's other spans.
    Declutr,
}

impl Adaptation {
    pub fn parse(name: &str) -> Option<Adaptation> {
        match name {
            "simcse" => Some(Adaptation::Simcse),
            "mlm" => Some(Adaptation::Mlm),
            "declutr" => Some(Adaptation::Declutr),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Adaptation::Simcse => "simcse",
            Adaptation::Mlm => "mlm",
            Adaptation::Declutr => "declutr",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Adaptation::Simcse => "SimCSE",
            Adaptation::Mlm => "masked-language-model",
            Adaptation::Declutr => "DeCLUTR-style span",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AdaptSpec {
    pub name: String,
    pub method: Adaptation,
    /// The encoder to adapt (a name `encode --model` knows, or a folder).
    pub base: String,
    pub config: FinetuneConfig,
    pub fields: TextFields,
    /// Train on at most this many reports (a seeded sample), to fit a time budget.
    pub max_documents: Option<usize>,
    /// Steps between checkpoints.
    pub checkpoint_every: u64,
    /// How training is judged; None trains on every report and keeps the last weights.
    pub held_out: Option<HeldOutSpec>,
}

/// How an adaptation is judged as it trains.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOutSpec {
    /// Share of the reports held out (a seeded pick), between `min_reports` and
    /// `max_reports` of them.
    pub share: f64,
    pub min_reports: usize,
    pub max_reports: usize,
    /// Fewest held-out reports with two spans to pair (one sentence and no clause break
    /// gives none); fewer leaves a score too coarse to stop on.
    pub min_pairs: usize,
    /// Fewest reports left to train on.
    pub min_training: usize,
    /// Judgements over the planned steps (a judgement every steps / this).
    pub judgements: u64,
    /// Judgements in a row without a new best before training stops.
    pub patience: usize,
    /// The structure guard (`ml::finetune::Structure`): reports it judges on at most (the
    /// held-out ones the base model clustered, then a seeded pick of the training ones),
    /// the nearest neighbours it looks at, and how far below the base model's share of
    /// them in the same cluster a step may fall and still be kept.
    pub structure_reports: usize,
    pub neighbours: usize,
    pub tolerance: f64,
}

impl Default for HeldOutSpec {
    fn default() -> Self {
        HeldOutSpec {
            share: 0.1,
            min_reports: 60,
            max_reports: 500,
            min_pairs: 50,
            min_training: 240,
            judgements: 10,
            patience: 3,
            structure_reports: 500,
            neighbours: 10,
            tolerance: 0.02,
        }
    }
}

impl HeldOutSpec {
    /// How many of `total` reports to hold out, or why `total` is too few.
    pub fn reports_of(&self, total: usize) -> Result<usize, TrainError> {
        let held = ((total as f64 * self.share).round() as usize).clamp(self.min_reports, self.max_reports);
        if total < held + self.min_training {
            return Err(TrainError::Invalid(format!(
                "adaptation needs at least {} reports ({} held out to judge whether it helps, {} to train on); \
                 this project has {total}, so the base model is the better choice here",
                self.min_reports + self.min_training,
                self.min_reports,
                self.min_training
            )));
        }
        Ok(held)
    }
}

impl AdaptSpec {
    /// Span training reads the whole report (what happened, causes, actions), since its
    /// parts explain one another; the others read what `encode` reads by default.
    pub fn default_fields(method: Adaptation) -> TextFields {
        match method {
            Adaptation::Declutr => TextFields::All,
            Adaptation::Simcse | Adaptation::Mlm => TextFields::Description,
        }
    }

    pub fn new(name: &str, method: Adaptation) -> Self {
        AdaptSpec {
            name: name.into(),
            method,
            base: crate::encode::DEFAULT_TRANSFORMER.into(),
            config: FinetuneConfig::default(),
            fields: Self::default_fields(method),
            max_documents: None,
            checkpoint_every: 50,
            held_out: Some(HeldOutSpec::default()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AdaptReport {
    pub name: String,
    pub method: &'static str,
    pub base: String,
    pub dir: PathBuf,
    /// Reports trained on (the held-out ones are apart).
    pub documents: usize,
    /// None when the run kept its last weights unjudged.
    pub held_out_spans: Option<HeldOutFigures>,
    #[serde(flatten)]
    pub run: RunFigures,
}

/// How the adaptation scored on the held-out reports' span pairs (mean reciprocal rank of
/// each first span's partner among all second spans): the base model, the weights kept,
/// and every judgement.
#[derive(Debug, Clone, Serialize)]
pub struct HeldOutFigures {
    pub reports: usize,
    pub pairs: usize,
    pub base: f64,
    pub best: f64,
    pub best_step: u64,
    pub stopped_early: bool,
    pub curve: Vec<(u64, f64)>,
    /// The structure guard: the base model's run whose clusters it keeps, how many of its
    /// clustered reports it judges on, and the share of their nearest neighbours in the
    /// same cluster before training, for the weights kept, and at every judgement.
    pub structure_run: i64,
    pub structure_reports: usize,
    pub structure_base: f64,
    pub structure_kept: f64,
    pub structure_curve: Vec<(u64, f64)>,
}

/// What an adaptation trains on beyond its settings, kept beside its checkpoint: resuming
/// from another base (whose folder the result copies) or another report sample is refused,
/// and the Models view resumes with these.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
struct AdaptInputs {
    base: String,
    base_dir: String,
    max_documents: Option<usize>,
    fields: String,
    documents: usize,
    #[serde(default)]
    held_out: usize,
    #[serde(default)]
    structure_run: Option<i64>,
}

pub(super) const INPUTS_FILE: &str = "inputs.json";

pub fn train_adapt(
    store: &Store,
    spec: &AdaptSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AdaptReport, TrainError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("a training of {}", spec.name))?;
    let out = new_model_dir(store, &spec.name)?;
    let models = project_models_dir(store.dir());
    let model_err = |source| TrainError::Model {
        name: spec.name.clone(),
        source,
    };
    let base = base_transformer(store, &spec.base, spec.method.title())?;
    progress.set_phase("reading reports");
    // All the reports, or a seeded sample of `max_documents` positions.
    let (max, seed) = (spec.max_documents, spec.config.seed);
    let sample = vectors::texts_with_ids_at(store.conn(), spec.fields, |total| {
        let max = max.filter(|&m| m < total)?;
        Some(pick_positions(total, max, seed))
    })
    .map_err(|e| store.err(e))?;
    let (texts, held) = match &spec.held_out {
        Some(judge) => split_held_out(&sample, judge, spec.config.seed)?,
        None => (sample.iter().map(|(id, t)| (*id, t.as_str())).collect(), Vec::new()),
    };
    if texts.len() < 2 {
        return Err(TrainError::Invalid("adaptation needs at least two reports".into()));
    }
    let held_texts: Vec<&str> = held.iter().map(|(_, t)| *t).collect();
    let held_pairs: Vec<(String, String)> = super::spans::span_pairs(&held_texts, spec.config.seed ^ 0x4E1D)
        .into_iter()
        .filter(|(a, p)| a != p)
        .collect();
    if let Some(judge) = spec.held_out.as_ref().filter(|j| held_pairs.len() < j.min_pairs) {
        return Err(TrainError::Invalid(format!(
            "only {} of the {} held-out reports have two sentences or clauses to pair, and judging \
             whether adaptation helps needs {}; the reports are too short to adapt on",
            held_pairs.len(),
            held.len(),
            judge.min_pairs
        )));
    }
    let held_refs: Vec<(&str, &str)> = held_pairs.iter().map(|(a, p)| (a.as_str(), p.as_str())).collect();
    let guard = match &spec.held_out {
        Some(judge) => Some(structure_guard(store, &spec.base, judge, &texts, &held, spec.config.seed)?),
        None => None,
    };
    let texts: Vec<&str> = texts.iter().map(|(_, t)| *t).collect();
    let ckpt = models.join(format!("{}.training", spec.name));
    record_inputs(
        &ckpt,
        INPUTS_FILE,
        "another base model or report sample",
        &AdaptInputs {
            base: spec.base.clone(),
            base_dir: base.display().to_string(),
            max_documents: spec.max_documents,
            fields: spec.fields.name().to_string(),
            documents: texts.len(),
            held_out: held.len(),
            structure_run: guard.as_ref().map(|g| g.run),
        },
    )?;
    let pairs = match spec.method {
        Adaptation::Declutr => super::spans::span_pairs(&texts, spec.config.seed),
        _ => Vec::new(),
    };
    let pair_refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, p)| (a.as_str(), p.as_str()))
        .collect();
    let planned_steps = (texts.len().div_ceil(spec.config.batch_size.max(2)) * spec.config.epochs) as u64;
    let run = run_finetune(
        &spec.name,
        &base,
        &spec.config,
        match spec.method {
            Adaptation::Simcse => Objective::Simcse(&texts),
            Adaptation::Mlm => Objective::Mlm(&texts),
            Adaptation::Declutr => Objective::Spans(&pair_refs),
        },
        match (&spec.held_out, &guard) {
            (Some(judge), Some(g)) => Some(Validation {
                pairs: &held_refs,
                every: planned_steps.div_ceil(judge.judgements.max(1)).max(1),
                patience: judge.patience,
                structure: Some(Structure {
                    texts: &g.texts,
                    labels: &g.labels,
                    neighbours: judge.neighbours,
                    tolerance: judge.tolerance,
                }),
            }),
            _ => None,
        },
        &ckpt,
        spec.checkpoint_every,
        progress,
        cancel,
    )?;
    let curve = run.state.held_out.clone();
    let structure = run.state.structure.clone();
    let base_score = curve.first().map_or(f64::NAN, |p| p.1);
    let base_structure = structure.first().map_or(f64::NAN, |p| p.1);
    let (best_step, best) = (run.state.best_step.unwrap_or(0), run.state.best_score().unwrap_or(f64::NAN));
    let structure_at = |step: u64| structure.iter().find(|p| p.0 == step).map_or(f64::NAN, |p| p.1);
    if let (Some(judge), Some(g), 0) = (&spec.held_out, &guard, best_step) {
        // Nothing to save; the checkpoint would only resume to this answer.
        let _ = std::fs::remove_dir_all(&ckpt);
        let top = curve.iter().skip(1).max_by(|a, b| a.1.total_cmp(&b.1));
        let why = match top {
            Some(&(step, score)) if score > base_score => format!(
                "its span score rose to {score:.4} (step {step}), but then only {:.3} of each report's {} nearest \
                 neighbours shared its cluster in run {} of the base model, against {base_structure:.3} before \
                 (at most {} less is allowed): the clusters would have been worse",
                structure_at(step),
                judge.neighbours,
                g.run,
                judge.tolerance
            ),
            Some(&(_, score)) => format!("no step beat it (its best {score:.4})"),
            None => "no step was judged".to_string(),
        };
        return Err(TrainError::Invalid(format!(
            "adaptation did not help, so no model was saved: on {} span pairs of {} held-out reports the base \
             model scores {base_score:.4} (mean reciprocal rank) and in {} training {why}; keep using {}",
            held_refs.len(),
            held.len(),
            spec.method.title(),
            spec.base
        )));
    }
    progress.set_phase("saving");
    let tmp = staging(&models, &spec.name)?;
    run.trainer.save_model(&base, &tmp).map_err(model_err)?;
    let report = AdaptReport {
        name: spec.name.clone(),
        method: spec.method.name(),
        base: base.display().to_string(),
        dir: out.clone(),
        documents: texts.len(),
        held_out_spans: guard.as_ref().map(|g| HeldOutFigures {
            reports: held.len(),
            pairs: held_refs.len(),
            base: base_score,
            best,
            best_step,
            stopped_early: run.state.stopped_early,
            curve,
            structure_run: g.run,
            structure_reports: g.labels.len(),
            structure_base: base_structure,
            structure_kept: structure_at(best_step),
            structure_curve: structure.clone(),
        }),
        run: run.figures(),
    };
    loss_chart_into(
        &tmp,
        &format!("{}: {} loss", spec.name, spec.method.title()),
        "step",
        &run.state.loss_curve,
    )?;
    publish(
        &tmp,
        &out,
        &ckpt,
        &serde_json::json!({
            "method": spec.method.name(),
            "config": spec.config,
            "fields": spec.fields.name(),
            "report": report,
        }),
    )?;
    Ok(report)
}

/// The reports to train on and the ones held out to judge the training, a seeded pick of
/// `spec.reports_of` them; both keep the reports' order.
#[allow(clippy::type_complexity)]
fn split_held_out<'t>(
    sample: &'t [(i64, String)],
    spec: &HeldOutSpec,
    seed: u64,
) -> Result<(Vec<(i64, &'t str)>, Vec<(i64, &'t str)>), TrainError> {
    let held = spec.reports_of(sample.len())?;
    let picked: std::collections::HashSet<usize> = pick_positions(sample.len(), held, seed ^ 0x4E1D).into_iter().collect();
    let (mut train, mut out) = (Vec::new(), Vec::new());
    for (i, (id, text)) in sample.iter().enumerate() {
        if picked.contains(&i) {
            out.push((*id, text.as_str()));
        } else {
            train.push((*id, text.as_str()));
        }
    }
    Ok((train, out))
}

/// A seeded pick of `count` of the positions 0..n, in ascending order (all of them when
/// `count` ≥ n).
fn pick_positions(n: usize, count: usize, seed: u64) -> Vec<usize> {
    let positions: Vec<i64> = (0..n as i64).collect();
    let mut picked: Vec<usize> = crate::review::sampling::random(&positions, count, seed).into_iter().map(|p| p as usize).collect();
    picked.sort_unstable();
    picked
}

/// The reports the structure guard judges on, with their clusters in the base model's
/// newest run.
struct Guard<'t> {
    run: i64,
    texts: Vec<&'t str>,
    labels: Vec<i64>,
}

/// The held-out reports the base model's newest run put in a cluster, then a seeded pick
/// of the training reports it did, up to `judge.structure_reports`. Refused when the base
/// model has no run (its clusters are what adaptation must not make worse) or its run
/// clustered too few of these reports to judge on.
fn structure_guard<'t>(
    store: &Store,
    base: &str,
    judge: &HeldOutSpec,
    training: &[(i64, &'t str)],
    held: &[(i64, &'t str)],
    seed: u64,
) -> Result<Guard<'t>, TrainError> {
    let name = crate::encode::registry::resolve(store.dir(), base)
        .map_err(|e| TrainError::Invalid(e.to_string()))?
        .name()
        .to_string();
    let cluster_err = |e: crate::cluster::ClusterError| TrainError::Invalid(e.to_string());
    let run = crate::cluster::list_runs(store)
        .map_err(cluster_err)?
        .into_iter()
        .filter(|r| r.model == name)
        .max_by_key(|r| r.id)
        .ok_or_else(|| {
            TrainError::Invalid(format!(
                "adaptation is judged against the clusters of {name}, which has no analysis in this project yet: \
                 analyse with it first (incident-atlas analyse --model {name})"
            ))
        })?;
    let clusters: std::collections::HashMap<i64, i64> = crate::cluster::cluster_members(store, run.id)
        .map_err(cluster_err)?
        .into_iter()
        .filter(|m| m.cluster >= 0)
        .map(|m| (m.incident_id, m.cluster))
        .collect();
    let mut chosen: Vec<(i64, &str)> = held.iter().filter(|(id, _)| clusters.contains_key(id)).copied().collect();
    let clustered: Vec<(i64, &str)> = training.iter().filter(|(id, _)| clusters.contains_key(id)).copied().collect();
    let room = judge.structure_reports.saturating_sub(chosen.len());
    chosen.extend(pick_positions(clustered.len(), room, seed ^ 0x57C7).into_iter().map(|p| clustered[p]));
    chosen.truncate(judge.structure_reports);
    let needed = judge.neighbours * 5;
    if chosen.len() < needed {
        return Err(TrainError::Invalid(format!(
            "run {} of {name} put only {} of the reports to train on in a cluster, and judging whether adaptation \
             keeps its clusters needs {needed}: analyse again with {name} after importing reports",
            run.id,
            chosen.len()
        )));
    }
    Ok(Guard {
        run: run.id,
        texts: chosen.iter().map(|(_, t)| *t).collect(),
        labels: chosen.iter().map(|(id, _)| clusters[id]).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_out_share_is_clamped_and_too_few_reports_are_refused() {
        let spec = HeldOutSpec::default();
        assert_eq!(spec.reports_of(300).unwrap(), 60);
        assert_eq!(spec.reports_of(2_000).unwrap(), 200);
        assert_eq!(spec.reports_of(1_000_000).unwrap(), 500);
        let refused = spec.reports_of(299).unwrap_err().to_string();
        assert!(refused.contains("at least 300 reports") && refused.contains("has 299"), "{refused}");
    }

    #[test]
    fn the_split_is_seeded_disjoint_and_whole() {
        let sample: Vec<(i64, String)> = (0..1_000).map(|i| (i, format!("report {i}"))).collect();
        let spec = HeldOutSpec::default();
        let (train, held) = split_held_out(&sample, &spec, 7).unwrap();
        assert_eq!((train.len(), held.len()), (900, 100));
        let mut all: Vec<&str> = train.iter().chain(&held).map(|p| p.1).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 1_000);
        assert_eq!(split_held_out(&sample, &spec, 7).unwrap().1, held);
        assert_ne!(split_held_out(&sample, &spec, 8).unwrap().1, held);
    }
}
