//! Models: what the project can encode with, what it has trained, trainings that can
//! resume, and training started as a job.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use base64::Engine;
use engine::review::benchmark::{self, BenchmarkSummary};
use engine::store::ModelRecord;
use engine::train::{self, AdaptSpec, Adaptation, PendingTraining, SupervisedSpec, WordVecSpec};
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
    /// Benchmark sets a supervised fine-tuning can learn from.
    pub benchmarks: Vec<BenchmarkSummary>,
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
        benchmarks: benchmark::list_benchmarks(&store)
            .map_err(|e| CommandError::invalid(e.to_string()))?,
    })
}

/// Training settings the Models view sends; unset ones take the method's defaults.
#[derive(serde::Deserialize, Default)]
pub struct TrainRequest {
    pub dimension: Option<usize>,
    pub epochs: Option<usize>,
    pub seed: Option<u64>,
    /// adaptation: the encoder to adapt, texts per step, and a cap on the reports used.
    pub base: Option<String>,
    pub batch_size: Option<usize>,
    pub max_documents: Option<usize>,
    /// supervised: the benchmark to learn, training reports per label, pair rounds.
    pub benchmark: Option<String>,
    pub version: Option<i64>,
    pub per_label: Option<usize>,
    pub iterations: Option<usize>,
}

/// Trains a model on the project's reports as a job: word vectors from scratch, adaptation
/// of a pretrained encoder (SimCSE, masked language model, DeCLUTR-style spans), or
/// supervised fine-tuning on a benchmark's labels. A checkpoint of the same name and settings resumes.
#[tauri::command(async)]
pub fn start_train(
    app: AppHandle,
    state: State<'_, AppState>,
    method: String,
    name: String,
    settings: TrainRequest,
) -> Result<u64, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    open_store(&state)?;
    let notify = super::jobs::notifier(&app);
    match method.as_str() {
        "wordvec" => {
            let mut spec = WordVecSpec::new(&name);
            spec.config.dimension = settings.dimension.unwrap_or(100).clamp(8, 1024);
            spec.config.epochs = settings.epochs.unwrap_or(5).clamp(1, 100);
            spec.config.seed = settings.seed.unwrap_or(42);
            let title = format!("Train {name} (word vectors)");
            Ok(state
                .jobs
                .start("train", &title, notify, move |progress, cancel| {
                    let store = Store::open(&dir).map_err(|e| e.to_string())?;
                    let report = train::train_wordvec(&store, &spec, progress, cancel)
                        .map_err(|e| e.to_string())?;
                    serde_json::to_value(&report).map_err(|e| e.to_string())
                }))
        }
        "simcse" | "mlm" | "declutr" => {
            let adaptation = Adaptation::parse(&method).unwrap_or(Adaptation::Simcse);
            let mut spec = AdaptSpec::new(&name, adaptation);
            if let Some(base) = settings.base.filter(|b| !b.trim().is_empty()) {
                spec.base = base;
            }
            spec.config.epochs = settings.epochs.unwrap_or(1).clamp(1, 20);
            spec.config.batch_size = settings.batch_size.unwrap_or(32).clamp(2, 256);
            spec.config.seed = settings.seed.unwrap_or(42);
            spec.max_documents = settings.max_documents.filter(|&m| m > 0);
            let title = format!("Adapt {} as {name} ({method})", spec.base);
            Ok(state
                .jobs
                .start("train", &title, notify, move |progress, cancel| {
                    let store = Store::open(&dir).map_err(|e| e.to_string())?;
                    let report = train::train_adapt(&store, &spec, progress, cancel)
                        .map_err(|e| e.to_string())?;
                    serde_json::to_value(&report).map_err(|e| e.to_string())
                }))
        }
        "supervised" => {
            let benchmark = settings
                .benchmark
                .filter(|b| !b.trim().is_empty())
                .ok_or_else(|| CommandError::invalid("choose the benchmark set to learn from"))?;
            let mut spec = SupervisedSpec::new(&name, &benchmark);
            if let Some(base) = settings.base.filter(|b| !b.trim().is_empty()) {
                spec.base = base;
            }
            spec.version = settings.version;
            spec.config.epochs = settings.epochs.unwrap_or(1).clamp(1, 20);
            spec.config.batch_size = settings
                .batch_size
                .unwrap_or(spec.config.batch_size)
                .clamp(1, 256);
            spec.config.seed = settings.seed.unwrap_or(42);
            spec.per_label = settings.per_label.unwrap_or(16).clamp(1, 10_000);
            spec.iterations = settings.iterations.unwrap_or(5).clamp(1, 100);
            let title = format!("Fine-tune {} as {name} on {benchmark}", spec.base);
            Ok(state
                .jobs
                .start("train", &title, notify, move |progress, cancel| {
                    let store = Store::open(&dir).map_err(|e| e.to_string())?;
                    let report = train::train_supervised(&store, &spec, progress, cancel)
                        .map_err(|e| e.to_string())?;
                    serde_json::to_value(&report).map_err(|e| e.to_string())
                }))
        }
        other => Err(CommandError::invalid(format!(
            "unknown training method {other:?}; use wordvec, simcse, mlm, declutr or supervised"
        ))),
    }
}
