//! SimCSE domain adaptation of a pretrained encoder on the project's reports, as a job:
//! progress (step, loss, examples/s, ETA), cancellation, a checkpoint every N steps in
//! `models/<name>.training/`, resumption, and the adapted model in `models/<name>/` in the
//! base model's own layout (so `encode --model <name>` and sentence-transformers read it).

use super::{loss_chart_into, new_model_dir, publish, staging, TrainError};
use crate::encode::registry::{self, project_models_dir, ModelSpec};
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use ml::finetune::{SimcseConfig, SimcseTrainer};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct SimcseSpec {
    pub name: String,
    /// The encoder to adapt (a name `encode --model` knows, or a folder).
    pub base: String,
    pub config: SimcseConfig,
    pub fields: TextFields,
    /// Train on at most this many reports (a seeded sample), to fit a time budget.
    pub max_documents: Option<usize>,
    /// Steps between checkpoints.
    pub checkpoint_every: u64,
}

impl SimcseSpec {
    pub fn new(name: &str) -> Self {
        SimcseSpec {
            name: name.into(),
            base: crate::encode::DEFAULT_TRANSFORMER.into(),
            config: SimcseConfig::default(),
            fields: TextFields::Description,
            max_documents: None,
            checkpoint_every: 50,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimcseReport {
    pub name: String,
    pub method: &'static str,
    pub base: String,
    pub dir: PathBuf,
    pub documents: usize,
    pub steps: u64,
    pub steps_this_run: u64,
    pub seconds: f64,
    pub examples_per_second: f64,
    pub resumed_from_step: Option<u64>,
    pub final_loss: Option<f64>,
    pub loss_curve: Vec<(u64, f64)>,
}

pub fn train_simcse(
    store: &Store,
    spec: &SimcseSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<SimcseReport, TrainError> {
    let out = new_model_dir(store, &spec.name)?;
    let models = project_models_dir(store.dir());
    let model_err = |source| TrainError::Model {
        name: spec.name.clone(),
        source,
    };
    let base = match registry::resolve(store.dir(), &spec.base)
        .map_err(|e| TrainError::Invalid(e.to_string()))?
    {
        ModelSpec::Transformer { dir, .. } => dir,
        other => {
            return Err(TrainError::Invalid(format!(
                "{} is not a transformer encoder; SimCSE adapts a BERT-family model",
                other.name()
            )))
        }
    };
    progress.set_phase("reading reports");
    let all = vectors::all_texts(store.conn(), spec.fields).map_err(|e| store.err(e))?;
    let mut texts: Vec<&str> = all.iter().map(|(_, t)| t.as_str()).collect();
    if let Some(max) = spec.max_documents.filter(|&m| m < texts.len()) {
        let ids: Vec<i64> = (0..texts.len() as i64).collect();
        let mut keep = crate::review::sampling::random(&ids, max, spec.config.seed);
        keep.sort_unstable();
        texts = keep.into_iter().map(|i| texts[i as usize]).collect();
    }
    if texts.len() < 2 {
        return Err(TrainError::Invalid(
            "SimCSE needs at least two reports".into(),
        ));
    }
    progress.set_phase("loading the base model");
    let device = ml::device::best_device();
    let mut trainer = SimcseTrainer::new(&base, &spec.config, &device).map_err(model_err)?;
    let ckpt = models.join(format!("{}.training", spec.name));
    let mut state = match trainer.resume(&ckpt).map_err(model_err)? {
        Some(s) => s,
        None => trainer.fresh_state(),
    };
    let resumed_from_step = (state.step > 0).then_some(state.step);
    let start_step = state.step;
    let steps = (trainer.batches(texts.len()) * spec.config.epochs) as u64;
    progress.set_total(steps);
    let started = Instant::now();
    let mut examples = 0usize;
    let finished = trainer
        .train(&texts, &mut state, &mut |t, s, p| {
            examples += p.examples;
            progress.set_position(p.step);
            let elapsed = started.elapsed().as_secs_f64().max(1e-9);
            let rate = examples as f64 / elapsed;
            let per_step = elapsed / (p.step - start_step).max(1) as f64;
            progress.set_phase(&format!(
                "step {}/{}, loss {:.4}, {:.1} examples/s, ETA {:.0} s",
                p.step,
                p.steps,
                p.loss,
                rate,
                per_step * (p.steps - p.step) as f64
            ));
            let stop = cancel.is_cancelled();
            if stop || p.step % spec.checkpoint_every.max(1) == 0 {
                t.save_checkpoint(&ckpt, s)?;
            }
            Ok(!stop)
        })
        .map_err(model_err)?;
    if !finished {
        return Err(TrainError::Cancelled(ckpt));
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.set_phase("saving");
    let tmp = staging(&models, &spec.name)?;
    trainer.save_model(&base, &tmp).map_err(model_err)?;
    let report = SimcseReport {
        name: spec.name.clone(),
        method: "simcse",
        base: base.display().to_string(),
        dir: out.clone(),
        documents: texts.len(),
        steps,
        steps_this_run: state.step - start_step,
        seconds,
        examples_per_second: examples as f64 / seconds.max(1e-9),
        resumed_from_step,
        final_loss: state.loss_curve.last().map(|p| p.1),
        loss_curve: state.loss_curve.clone(),
    };
    loss_chart_into(
        &tmp,
        &format!("{}: SimCSE loss", spec.name),
        "step",
        &state.loss_curve,
    )?;
    publish(
        &tmp,
        &out,
        &ckpt,
        &serde_json::json!({
            "method": "simcse",
            "config": spec.config,
            "fields": spec.fields.name(),
            "report": report,
        }),
    )?;
    Ok(report)
}
