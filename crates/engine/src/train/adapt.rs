//! Unsupervised domain adaptation of a pretrained encoder on the project's reports, by
//! SimCSE or by masked-language-model continued pre-training, as a job: progress (step,
//! loss, examples/s, ETA), cancellation, a checkpoint every N steps in
//! `models/<name>.training/`, resumption, and the adapted model in `models/<name>/` in the
//! base model's own layout (so `encode --model <name>` and sentence-transformers read it).

use super::finetune::{base_transformer, record_inputs, run_finetune, RunFigures};
use super::{loss_chart_into, new_model_dir, publish, staging, TrainError};
use crate::encode::registry::project_models_dir;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use ml::finetune::{FinetuneConfig, Objective};
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
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AdaptReport {
    pub name: String,
    pub method: &'static str,
    pub base: String,
    pub dir: PathBuf,
    pub documents: usize,
    #[serde(flatten)]
    pub run: RunFigures,
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
}

pub(super) const INPUTS_FILE: &str = "inputs.json";

pub fn train_adapt(
    store: &Store,
    spec: &AdaptSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AdaptReport, TrainError> {
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
    let sample = vectors::texts_at(store.conn(), spec.fields, |total| {
        let max = max.filter(|&m| m < total)?;
        let positions: Vec<i64> = (0..total as i64).collect();
        let mut keep = crate::review::sampling::random(&positions, max, seed);
        keep.sort_unstable();
        Some(keep.into_iter().map(|p| p as usize).collect())
    })
    .map_err(|e| store.err(e))?;
    let texts: Vec<&str> = sample.iter().map(String::as_str).collect();
    if texts.len() < 2 {
        return Err(TrainError::Invalid(
            "adaptation needs at least two reports".into(),
        ));
    }
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
    let run = run_finetune(
        &spec.name,
        &base,
        &spec.config,
        match spec.method {
            Adaptation::Simcse => Objective::Simcse(&texts),
            Adaptation::Mlm => Objective::Mlm(&texts),
            Adaptation::Declutr => Objective::Spans(&pair_refs),
        },
        &ckpt,
        spec.checkpoint_every,
        progress,
        cancel,
    )?;
    progress.set_phase("saving");
    let tmp = staging(&models, &spec.name)?;
    run.trainer.save_model(&base, &tmp).map_err(model_err)?;
    let report = AdaptReport {
        name: spec.name.clone(),
        method: spec.method.name(),
        base: base.display().to_string(),
        dir: out.clone(),
        documents: texts.len(),
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
