//! Models: what the project can encode with, what it has trained, trainings that can
//! resume, and training started as a job.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use base64::Engine;
use engine::store::ModelRecord;
use engine::train::{self, PendingTraining, WordVecSpec};
use engine::Store;
use serde::Serialize;
use tauri::{AppHandle, State};

#[derive(Serialize)]
pub struct TrainedView {
    pub name: String,
    pub method: String,
    pub training: serde_json::Value,
    /// The loss curve SVG as a data URI (shown in an <img>, never as markup).
    pub loss_chart: Option<String>,
}

#[derive(Serialize)]
pub struct ModelsOverview {
    /// Representations with vectors in the project.
    pub encoded: Vec<ModelRecord>,
    /// Encoder folders that `encode` can read (project models first).
    pub available: Vec<String>,
    pub trained: Vec<TrainedView>,
    pub pending: Vec<PendingTraining>,
}

#[tauri::command(async)]
pub fn models_overview(state: State<'_, AppState>) -> Result<ModelsOverview, CommandError> {
    let store = open_store(&state)?;
    let (trained, pending) = train::trained_models(store.dir());
    let mut available = vec![engine::encode::BASELINE.to_string()];
    available.extend(
        engine::encode::registry::installed(store.dir())
            .into_iter()
            .map(|(name, _)| name),
    );
    Ok(ModelsOverview {
        encoded: store.models()?,
        available,
        trained: trained
            .into_iter()
            .map(|t| TrainedView {
                loss_chart: t.loss_svg.and_then(|p| std::fs::read(p).ok()).map(|svg| {
                    format!(
                        "data:image/svg+xml;base64,{}",
                        base64::engine::general_purpose::STANDARD.encode(svg)
                    )
                }),
                name: t.name,
                method: t.method,
                training: t.training,
            })
            .collect(),
        pending,
    })
}

/// Trains word vectors on the project's reports as a job (resuming a checkpoint of the
/// same name and settings).
#[tauri::command(async)]
pub fn start_train(
    app: AppHandle,
    state: State<'_, AppState>,
    method: String,
    name: String,
    dimension: usize,
    epochs: usize,
    seed: u64,
) -> Result<u64, CommandError> {
    if method != "wordvec" {
        return Err(CommandError::invalid(format!(
            "unknown training method {method:?}; this version trains wordvec"
        )));
    }
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    open_store(&state)?;
    let mut spec = WordVecSpec::new(&name);
    spec.config.dimension = dimension.clamp(8, 1024);
    spec.config.epochs = epochs.clamp(1, 100);
    spec.config.seed = seed;
    let title = format!("Train {name} (word vectors)");
    Ok(state.jobs.start(
        "train",
        &title,
        super::jobs::notifier(&app),
        move |progress, cancel| {
            let store = Store::open(&dir).map_err(|e| e.to_string())?;
            let report =
                train::train_wordvec(&store, &spec, progress, cancel).map_err(|e| e.to_string())?;
            serde_json::to_value(&report).map_err(|e| e.to_string())
        },
    ))
}
