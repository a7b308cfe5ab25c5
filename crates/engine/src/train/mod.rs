//! Models trained on the project's own incident text, covering the families the NHS's
//! ELM4PSIR study compared: word vectors from scratch (`ml::wordvec`), unsupervised
//! adaptation of a pretrained encoder by SimCSE or masked-language-model continued
//! pre-training (`adapt`), and supervised SetFit-style fine-tuning on a benchmark's labels
//! (`supervised`). Training is a job: progress (epoch or step, loss, speed, ETA),
//! cancellation, checkpoints in `models/<name>.training/`, and resumption from them after
//! a cancel or a crash. The result is an ordinary model folder `models/<name>/` that
//! `encode --model <name>` reads, with its loss curve (`loss.svg`, `loss.png`) and
//! `training.json` beside the weights.

mod adapt;
mod error;
mod finetune;
mod model_dir;
mod request;
mod spans;
mod supervised;
mod wordvec;

pub use adapt::{train_adapt, AdaptReport, AdaptSpec, Adaptation, HeldOutFigures, HeldOutSpec};
pub use finetune::RunFigures;
pub use error::TrainError;
pub use request::{TrainOutcome, TrainPlan, TrainRequest, METHODS};
pub use supervised::{train_supervised, SupervisedReport, SupervisedSpec};
pub use wordvec::{train_wordvec, TrainReport, WordVecSpec};

// Shared by the trainings that save a model folder.
use model_dir::{loss_chart_into, new_model_dir, publish, staging};

use crate::encode::registry::project_models_dir;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A model trained in this project, as its folder and `training.json` describe it.
#[derive(Debug, Clone, Serialize)]
pub struct TrainedModel {
    pub name: String,
    pub dir: PathBuf,
    pub method: String,
    /// What `training.json` holds: configuration, text fields, the report.
    pub training: serde_json::Value,
    /// The loss curve chart beside the weights, if drawn.
    pub loss_svg: Option<PathBuf>,
}

/// A training that stopped before the end (cancelled or killed) and can resume.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PendingTraining {
    pub name: String,
    pub method: String,
    pub epoch: usize,
    pub document: usize,
    /// The configuration it must resume with.
    pub config: serde_json::Value,
}

/// Trained models and resumable trainings of the project, by name.
pub fn trained_models(project: &Path) -> (Vec<TrainedModel>, Vec<PendingTraining>) {
    let mut done = Vec::new();
    let mut pending = Vec::new();
    let Ok(entries) = std::fs::read_dir(project_models_dir(project)) else {
        return (done, pending);
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    let read_json = |path: &Path| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
    };
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(base) = name.strip_suffix(".training") {
            if let Some(state) = read_json(&dir.join("state.json")) {
                // A fine-tuning checkpoint keeps its optimiser moments beside the weights
                // and names its objective (checkpoints from before that are SimCSE's).
                let finetune = std::fs::read_dir(&dir)
                    .map(|mut e| {
                        e.any(|f| {
                            f.is_ok_and(|f| {
                                f.file_name().to_string_lossy().starts_with("optimizer-")
                            })
                        })
                    })
                    .unwrap_or(false);
                // A supervised one also records its benchmark split; resuming needs it.
                let split = read_json(&dir.join("split.json"));
                let mut config = state["config"].clone();
                if let (Some(split), Some(c)) = (&split, config.as_object_mut()) {
                    for key in ["base", "benchmark", "per_label", "iterations"] {
                        c.insert(key.into(), split[key].clone());
                    }
                    c.insert("version".into(), split["benchmark_version"].clone());
                }
                // An adaptation records its base model and report cap.
                if let (Some(inputs), Some(c)) = (
                    read_json(&dir.join(adapt::INPUTS_FILE)),
                    config.as_object_mut(),
                ) {
                    for key in ["base", "max_documents"] {
                        c.insert(key.into(), inputs[key].clone());
                    }
                }
                let method = match (&split, finetune, state["objective"].as_str()) {
                    (Some(_), _, _) => "supervised",
                    (None, true, Some("mlm")) => "mlm",
                    (None, true, Some("spans")) => "declutr",
                    (None, true, _) => "simcse",
                    (None, false, _) => "wordvec",
                };
                pending.push(PendingTraining {
                    name: base.to_string(),
                    method: method.into(),
                    epoch: state["epoch"].as_u64().unwrap_or(0) as usize,
                    document: state["document"]
                        .as_u64()
                        .or_else(|| state["batch"].as_u64())
                        .unwrap_or(0) as usize,
                    config,
                });
            }
        } else if let Some(training) = read_json(&dir.join("training.json")) {
            let loss = dir.join("loss.svg");
            done.push(TrainedModel {
                name,
                method: training["method"].as_str().unwrap_or("").to_string(),
                loss_svg: loss.is_file().then_some(loss),
                dir,
                training,
            });
        }
    }
    (done, pending)
}
