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
mod finetune;
mod spans;
mod supervised;

pub use adapt::{train_adapt, AdaptReport, AdaptSpec, Adaptation};
pub use finetune::RunFigures;
pub use supervised::{train_supervised, SupervisedReport, SupervisedSpec};

use crate::encode::registry::project_models_dir;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, StoreError, TextFields};
use ml::wordvec::{TrainState, Trainer, WordVecConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Invalid(String),
    #[error("training cancelled; the last checkpoint is kept in {}, and training again resumes from it", .0.display())]
    Cancelled(PathBuf),
    #[error("model {name}: {source}")]
    Model { name: String, source: ml::MlError },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("loss chart: {0}")]
    Chart(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct WordVecSpec {
    /// Folder name under the project's `models/`, and the model's name.
    pub name: String,
    pub config: WordVecConfig,
    pub fields: TextFields,
    /// Documents between checkpoints.
    pub checkpoint_every: usize,
}

impl WordVecSpec {
    pub fn new(name: &str) -> Self {
        WordVecSpec {
            name: name.into(),
            config: WordVecConfig::default(),
            // As `encode` reads by default, so the model learns from the text it encodes.
            fields: TextFields::Description,
            checkpoint_every: 5000,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub name: String,
    pub method: &'static str,
    pub dir: PathBuf,
    pub documents: usize,
    pub vocabulary: usize,
    pub tokens: u64,
    /// Tokens processed in this call (less than `tokens` when it resumed).
    pub tokens_this_run: u64,
    pub seconds: f64,
    pub tokens_per_second: f64,
    pub documents_per_second: f64,
    /// Where it resumed from (epoch, document), if it did.
    pub resumed_from: Option<(usize, usize)>,
    pub final_loss: Option<f64>,
    pub loss_curve: Vec<(u64, f64)>,
}

fn checkpoint_dir(project: &Path, name: &str) -> PathBuf {
    project_models_dir(project).join(format!("{name}.training"))
}

/// A fresh staging folder `models/.<name>.tmp` for a model being saved.
fn staging(models: &Path, name: &str) -> Result<PathBuf, TrainError> {
    let tmp = models.join(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|source| TrainError::Io {
            path: tmp.clone(),
            source,
        })?;
    }
    Ok(tmp)
}

/// Writes `training.json` into the staged model, moves it to its final name (the model
/// appears whole or not at all), and removes the checkpoint folder it came from.
fn publish(
    tmp: &Path,
    out: &Path,
    checkpoint: &Path,
    training: &serde_json::Value,
) -> Result<(), TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    };
    let meta = tmp.join("training.json");
    std::fs::write(
        &meta,
        serde_json::to_string_pretty(training).unwrap_or_default(),
    )
    .map_err(io(&meta))?;
    std::fs::rename(tmp, out).map_err(io(out))?;
    if checkpoint.exists() {
        std::fs::remove_dir_all(checkpoint).map_err(io(checkpoint))?;
    }
    Ok(())
}

/// Draws a loss curve as `loss.svg` and `loss.png` in `dir`.
fn loss_chart_into(
    dir: &Path,
    title: &str,
    x_desc: &str,
    curve: &[(u64, f64)],
) -> Result<(), TrainError> {
    let points: Vec<(f64, f64)> = curve.iter().map(|&(x, l)| (x as f64, l)).collect();
    crate::evaluate::loss_chart(dir, title, x_desc, &points)
        .map(|_| ())
        .map_err(|e| TrainError::Chart(e.to_string()))
}

/// The folder a newly trained model named `name` goes to: refused when the name is not a
/// plain folder name, is the baseline's, or is taken.
fn new_model_dir(store: &Store, name: &str) -> Result<PathBuf, TrainError> {
    if !valid_name(name) || name == crate::encode::BASELINE {
        return Err(TrainError::Invalid(format!(
            "{name:?} cannot name a model: use letters, digits, '-', '_' or '.'"
        )));
    }
    let out = project_models_dir(store.dir()).join(name);
    if out.exists() {
        return Err(TrainError::Invalid(format!(
            "a model named {name} already exists in {}; choose another name",
            out.display()
        )));
    }
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
        && !name.ends_with(".training")
}

/// Trains word vectors on every report of the project, resuming from a checkpoint of the
/// same name and configuration when there is one.
pub fn train_wordvec(
    store: &Store,
    spec: &WordVecSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<TrainReport, TrainError> {
    let out = new_model_dir(store, &spec.name)?;
    let model_err = |source| TrainError::Model {
        name: spec.name.clone(),
        source,
    };
    progress.set_phase("reading reports");
    let texts = vectors::all_texts(store.conn(), spec.fields).map_err(|e| store.err(e))?;
    let refs: Vec<&str> = texts.iter().map(|(_, t)| t.as_str()).collect();
    if refs.is_empty() {
        return Err(TrainError::Invalid(
            "the project has no reports to train on".into(),
        ));
    }
    progress.set_phase("building the vocabulary");
    let trainer = Trainer::new(&refs, &spec.config).map_err(model_err)?;
    let ckpt = checkpoint_dir(store.dir(), &spec.name);
    let (mut state, resumed_from) =
        match TrainState::load(&ckpt, &spec.config).map_err(model_err)? {
            Some(s) => {
                let at = (s.epoch, s.document);
                (s, Some(at))
            }
            None => (trainer.initial_state(), None),
        };
    let total = trainer.total_tokens();
    progress.set_total(total);
    let started = Instant::now();
    let start_tokens = state.processed;
    let mut since_checkpoint = 0usize;
    let mut documents_this_run = 0usize;
    let mut last_document = state.document;
    let finished = trainer
        .train(&mut state, &mut |s, p| {
            let done_now = if p.document >= last_document {
                p.document - last_document
            } else {
                p.documents - last_document + p.document
            };
            last_document = p.document;
            since_checkpoint += done_now;
            documents_this_run += done_now;
            progress.set_position(p.processed);
            let elapsed = started.elapsed().as_secs_f64().max(1e-9);
            let rate = (p.processed - start_tokens) as f64 / elapsed;
            let eta = (p.total_tokens - p.processed) as f64 / rate.max(1e-9);
            progress.set_phase(&format!(
                "epoch {}/{}, loss {}, {:.0} tokens/s, ETA {:.0} s",
                (p.epoch + 1).min(spec.config.epochs),
                spec.config.epochs,
                p.loss
                    .map(|l| format!("{l:.4}"))
                    .unwrap_or_else(|| "-".into()),
                rate,
                eta
            ));
            let stop = cancel.is_cancelled();
            if stop || since_checkpoint >= spec.checkpoint_every {
                s.save(&ckpt, &spec.config)?;
                since_checkpoint = 0;
            }
            Ok(!stop)
        })
        .map_err(model_err)?;
    if !finished {
        return Err(TrainError::Cancelled(ckpt));
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.set_phase("saving");
    let model = trainer.finish(&state, &refs);
    let tmp = staging(&project_models_dir(store.dir()), &spec.name)?;
    model.save(&tmp).map_err(model_err)?;
    loss_chart_into(
        &tmp,
        &format!("{}: skip-gram loss while training", spec.name),
        "tokens processed",
        &state.loss_curve,
    )?;
    let tokens_this_run = state.processed - start_tokens;
    let report = TrainReport {
        name: spec.name.clone(),
        method: "wordvec",
        dir: out.clone(),
        documents: trainer.documents(),
        vocabulary: trainer.vocabulary(),
        tokens: total,
        tokens_this_run,
        seconds,
        tokens_per_second: tokens_this_run as f64 / seconds.max(1e-9),
        documents_per_second: documents_this_run as f64 / seconds.max(1e-9),
        resumed_from,
        final_loss: state.loss_curve.last().map(|p| p.1),
        loss_curve: state.loss_curve.clone(),
    };
    publish(
        &tmp,
        &out,
        &ckpt,
        &serde_json::json!({
            "method": "wordvec",
            "config": spec.config,
            "fields": spec.fields.name(),
            "report": report,
        }),
    )?;
    Ok(report)
}

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
