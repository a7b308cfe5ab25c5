//! Models: what the project can encode with, what it has trained, trainings that can
//! resume, and training started as a job.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::review::benchmark::{self, BenchmarkSummary};
use engine::store::ModelRecord;
use crate::background::start_job;
use crate::images::svg_data_uri;
use engine::train::{self, PendingTraining, TrainRequest, TrainedModel};
use serde::Serialize;
use tauri::{AppHandle, State};

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TrainedView {
    pub name: String,
    pub method: String,
    pub training: serde_json::Value,
    /// The loss curve SVG as a data URI (shown in an <img>, never as markup).
    pub loss_chart: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ModelsOverview {
    /// Representations with vectors in the project.
    pub encoded: Vec<ModelRecord>,
    /// Encoder folders that `encode` can read (project models first).
    pub available: Vec<String>,
    pub trained: Vec<TrainedView>,
    pub pending: Vec<PendingTraining>,
    /// Benchmark sets a supervised fine-tuning can learn from.
    pub benchmarks: Vec<BenchmarkSummary>,
}

impl TrainedView {
    fn new(t: TrainedModel) -> Self {
        TrainedView {
            loss_chart: t.loss_svg.as_deref().and_then(svg_data_uri),
            name: t.name,
            method: t.method,
            training: t.training,
        }
    }
}

#[tauri::command(async)]
pub fn models_overview(state: State<'_, AppState>) -> Result<ModelsOverview, CommandError> {
    let store = open_store(&state)?;
    let (trained, pending) = train::trained_models(store.dir());
    Ok(ModelsOverview {
        encoded: store.models()?,
        available: engine::encode::registry::available(store.dir()),
        trained: trained.into_iter().map(TrainedView::new).collect(),
        pending,
        benchmarks: benchmark::list_benchmarks(&store).map_err(|e| CommandError::invalid(e.to_string()))?,
    })
}

/// Trains a model on the project's reports as a job: word vectors from scratch, adaptation
/// of a pretrained encoder (SimCSE, masked language model, DeCLUTR-style spans), or
/// supervised fine-tuning on a benchmark's labels. The engine fills unset settings with the
/// method's defaults and refuses values out of range. A checkpoint of the same name and
/// settings resumes.
#[tauri::command(async)]
pub fn start_train(
    app: AppHandle,
    state: State<'_, AppState>,
    method: String,
    name: String,
    settings: TrainRequest,
) -> Result<u64, CommandError> {
    let request = TrainRequest { method, name, ..settings };
    let plan = request.plan()?;
    // A base model is one of the installed ones, by name: never a folder the page names.
    if let (Some(base), Some(dir)) = (plan.base(), state.project()) {
        engine::encode::registry::resolve_installed(&dir, base).map_err(|e| CommandError::invalid(e.to_string()))?;
    }
    start_job(&app, &state, "train", &plan.title(), move |store, progress, cancel| plan.run(store, progress, cancel))
}

/// A method's settings as the engine fills them when none are given: the Models view's
/// starting values.
#[tauri::command(async)]
pub fn train_defaults(method: String) -> Result<TrainRequest, CommandError> {
    Ok(TrainRequest::defaults(&method)?)
}
