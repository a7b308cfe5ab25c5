//! What SimCSE and supervised fine-tuning share as jobs: the base encoder they start from,
//! and the training loop's job side (progress with step, loss, examples/s and ETA;
//! cancellation; a checkpoint every N steps in `models/<name>.training/`; resumption).

use super::TrainError;
use crate::encode::registry::{self, ModelSpec};
use crate::jobs::{CancelToken, Progress};
use crate::store::Store;
use ml::finetune::{FinetuneConfig, FinetuneState, Finetuner, Objective, Validation};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The folder of the transformer encoder named `base`; refused for other model kinds.
pub(super) fn base_transformer(
    store: &Store,
    base: &str,
    method: &str,
) -> Result<PathBuf, TrainError> {
    match registry::resolve(store.dir(), base).map_err(|e| TrainError::Invalid(e.to_string()))? {
        ModelSpec::Transformer { dir, .. } => Ok(dir),
        other => Err(TrainError::Invalid(format!(
            "{} is not a transformer encoder; {method} fine-tunes a BERT-family model",
            other.name()
        ))),
    }
}

/// A finished fine-tuning run: the trainer holding the final weights and its state.
pub(super) struct FinetuneRun {
    pub trainer: Finetuner,
    pub state: FinetuneState,
    pub steps: u64,
    pub start_step: u64,
    pub resumed_from_step: Option<u64>,
    pub seconds: f64,
    pub examples_this_run: usize,
}

/// Records in the checkpoint folder what a run trains on beyond its settings (`file`,
/// JSON), or, when the folder already has a record, refuses to resume from one made from
/// something else (`differs` says what).
pub(super) fn record_inputs<T>(
    ckpt: &Path,
    file: &str,
    differs: &str,
    inputs: &T,
) -> Result<(), TrainError>
where
    T: Serialize + serde::de::DeserializeOwned + PartialEq,
{
    let path = ckpt.join(file);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let stored: Option<T> = serde_json::from_str(&text).ok();
        if stored.as_ref() != Some(inputs) {
            return Err(TrainError::Invalid(format!(
                "the checkpoint in {} was made from {differs}; remove it to start again",
                ckpt.display()
            )));
        }
        return Ok(());
    }
    let io = |source| TrainError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(ckpt).map_err(io)?;
    std::fs::write(
        &path,
        serde_json::to_string_pretty(inputs).unwrap_or_default(),
    )
    .map_err(io)
}

/// What a fine-tuning run did, as both kinds of report show it.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    pub steps: u64,
    pub steps_this_run: u64,
    pub seconds: f64,
    /// Examples per second in this run: texts (adaptation) or pairs (supervised).
    pub examples_per_second: f64,
    pub resumed_from_step: Option<u64>,
    pub final_loss: Option<f64>,
    pub loss_curve: Vec<(u64, f64)>,
}

impl FinetuneRun {
    pub fn figures(&self) -> RunFigures {
        RunFigures {
            steps: self.steps,
            steps_this_run: self.state.step - self.start_step,
            seconds: self.seconds,
            examples_per_second: self.examples_this_run as f64 / self.seconds.max(1e-9),
            resumed_from_step: self.resumed_from_step,
            final_loss: self.state.loss_curve.last().map(|p| p.1),
            loss_curve: self.state.loss_curve.clone(),
        }
    }
}

/// Loads the base model, resumes from the checkpoint in `ckpt` if there is one, and trains
/// to the end (or, judged on `validation`, until it stops helping), checkpointing every
/// `checkpoint_every` steps and on cancel. A judged run ends holding its best weights.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_finetune(
    name: &str,
    base: &Path,
    config: &FinetuneConfig,
    objective: Objective,
    validation: Option<Validation>,
    ckpt: &Path,
    checkpoint_every: u64,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<FinetuneRun, TrainError> {
    let model_err = |source| TrainError::Model {
        name: name.to_string(),
        source,
    };
    progress.set_phase("loading the base model");
    let device = ml::device::best_device();
    let mut trainer = Finetuner::new(base, config, &device).map_err(model_err)?;
    if matches!(objective, Objective::Mlm(_)) {
        trainer.add_mlm_head().map_err(model_err)?;
    }
    let mut state = match trainer.resume(ckpt, objective).map_err(model_err)? {
        Some(s) => s,
        None => trainer.fresh_state(objective),
    };
    let resumed_from_step = (state.step > 0).then_some(state.step);
    let start_step = state.step;
    let steps = (trainer.batches(objective.len()) * config.epochs) as u64;
    progress.set_total(steps);
    let started = Instant::now();
    let mut examples = 0usize;
    let finished = trainer
        .train(objective, validation, &mut state, &mut |t, s, p| {
            examples += p.examples;
            progress.set_position(p.step);
            let elapsed = started.elapsed().as_secs_f64().max(1e-9);
            let rate = examples as f64 / elapsed;
            let per_step = elapsed / (p.step - start_step).max(1) as f64;
            let judged = match (s.held_out.last(), s.best_score()) {
                (Some(last), Some(best)) => format!(", held-out {:.4} (best {best:.4})", last.1),
                _ => String::new(),
            };
            progress.set_phase(&format!(
                "step {}/{}, loss {:.4}{judged}, {:.1} examples/s, ETA {:.0} s",
                p.step,
                p.steps,
                p.loss,
                rate,
                per_step * (p.steps - p.step) as f64
            ));
            let stop = cancel.is_cancelled();
            if stop || p.step % checkpoint_every.max(1) == 0 {
                t.save_checkpoint(ckpt, s)?;
            }
            Ok(!stop)
        })
        .map_err(model_err)?;
    if !finished {
        return Err(TrainError::Cancelled(ckpt.to_path_buf()));
    }
    trainer.restore_best().map_err(model_err)?;
    Ok(FinetuneRun {
        trainer,
        state,
        steps,
        start_step,
        resumed_from_step,
        seconds: started.elapsed().as_secs_f64(),
        examples_this_run: examples,
    })
}
