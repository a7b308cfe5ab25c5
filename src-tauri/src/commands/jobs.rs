//! Long work runs as engine jobs on their own threads; progress reaches the UI as `job`
//! events carrying the job's snapshot, and the UI never waits on a command for it.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::cluster::{AnalyseOptions, Method};
use engine::encode::{registry, EncodeOptions};
use engine::ingest::IngestOptions;
use engine::jobs::JobSnapshot;
use engine::Store;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

pub(crate) fn notifier(app: &AppHandle) -> Arc<dyn Fn(&JobSnapshot) + Send + Sync> {
    let app = app.clone();
    Arc::new(move |snapshot: &JobSnapshot| {
        // A closed window cannot take the event; the job itself goes on regardless.
        let _ = app.emit("job", snapshot);
    })
}

fn project(state: &AppState) -> Result<PathBuf, CommandError> {
    state.project().ok_or_else(CommandError::no_project)
}

#[tauri::command(async)]
pub fn list_jobs(state: State<'_, AppState>) -> Vec<JobSnapshot> {
    state.jobs.list()
}

#[tauri::command(async)]
pub fn cancel_job(state: State<'_, AppState>, id: u64) -> bool {
    state.jobs.cancel(id)
}

/// Imports a CSV or JSONL file; with no path, asks for one with the native dialog.
/// Returns the job id, or `None` when the user cancelled the dialog.
#[tauri::command(async)]
pub fn start_import(
    app: AppHandle,
    state: State<'_, AppState>,
    path: Option<String>,
    skip_bad: bool,
) -> Result<Option<u64>, CommandError> {
    let dir = project(&state)?;
    let file = match path {
        Some(p) => PathBuf::from(p),
        None => match app
            .dialog()
            .file()
            .set_title("Import incident reports")
            .add_filter(
                "Incident reports (CSV, JSONL)",
                &["csv", "jsonl", "ndjson", "json"],
            )
            .blocking_pick_file()
            .and_then(|p| p.into_path().ok())
        {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let title = format!(
        "Import {}",
        file.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    );
    let id = state.jobs.start("import", &title, notifier(&app), move |progress, cancel| {
        let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
        let options = IngestOptions { skip_bad, ..IngestOptions::default() };
        let report = engine::ingest::ingest_file(&mut store, &file, &options, progress, cancel).map_err(|e| e.to_string())?;
        if !report.succeeded() {
            let first: Vec<String> = report.bad_rows.iter().take(5).map(|r| r.to_string()).collect();
            return Err(format!(
                "the file was not imported: {} bad row(s); nothing was changed. Import again with \"set bad rows aside\" to keep the good rows. First problems: {}",
                report.bad_rows_total,
                first.join("; ")
            ));
        }
        serde_json::to_value(&report).map_err(|e| e.to_string())
    });
    Ok(Some(id))
}

/// Encodes every report not yet encoded by the model (resumable: chunks are committed).
#[tauri::command(async)]
pub fn start_encode(
    app: AppHandle,
    state: State<'_, AppState>,
    model: String,
) -> Result<u64, CommandError> {
    let dir = project(&state)?;
    let spec = registry::resolve(&dir, &model).map_err(|e| CommandError::invalid(e.to_string()))?;
    let title = format!("Encode with {}", spec.name());
    Ok(state
        .jobs
        .start("encode", &title, notifier(&app), move |progress, cancel| {
            let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
            let report = engine::encode::encode_project(
                &mut store,
                &spec,
                &EncodeOptions::default(),
                progress,
                cancel,
            )
            .map_err(|e| e.to_string())?;
            serde_json::to_value(&report).map_err(|e| e.to_string())
        }))
}

/// Indexes, lays out and clusters one model's vectors as a new run.
#[tauri::command(async)]
pub fn start_analyse(
    app: AppHandle,
    state: State<'_, AppState>,
    model: String,
    method: String,
    k: Option<usize>,
    min_cluster_size: Option<usize>,
) -> Result<u64, CommandError> {
    let dir = project(&state)?;
    let mut options = AnalyseOptions::hdbscan(&model, min_cluster_size.unwrap_or(0));
    match method.as_str() {
        "hdbscan" => {}
        "kmeans" => options.method = Method::Kmeans { k: k.unwrap_or(20) },
        other => {
            return Err(CommandError::invalid(format!(
                "unknown method {other:?}; use hdbscan or kmeans"
            )))
        }
    }
    open_store(&state)?;
    let title = format!("Analyse {model} ({method})");
    Ok(state.jobs.start("analyse", &title, notifier(&app), move |progress, cancel| {
        let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
        let summary = engine::cluster::analyse(&mut store, &options, progress, cancel).map_err(|e| e.to_string())?;
        Ok(serde_json::json!({ "run": summary.run.id, "clusters": summary.clusters.len(), "noise": summary.run.noise }))
    }))
}
