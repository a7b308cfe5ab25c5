//! Jobs: the list, cancellation, and the long work started from the UI (import, encode,
//! analyse, assign), each an engine call run by `background::start_job`.

use crate::background::start_job;
use crate::dialogs;
use crate::error::CommandError;
use crate::state::AppState;
use engine::cluster::{AnalyseOptions, Method};
use engine::encode::{registry, EncodeOptions};
use engine::ingest::IngestOptions;
use engine::jobs::JobSnapshot;
use engine::store::TextFields;
use tauri::{AppHandle, State};

#[tauri::command(async)]
pub fn list_jobs(state: State<'_, AppState>) -> Vec<JobSnapshot> {
    state.jobs.list()
}

#[tauri::command(async)]
pub fn cancel_job(state: State<'_, AppState>, id: u64) -> bool {
    state.jobs.cancel(id)
}

/// Imports the CSV or JSONL file the user picks in the native dialog. Returns the job id,
/// or `None` when the user cancelled the dialog.
#[tauri::command(async)]
pub fn start_import(app: AppHandle, state: State<'_, AppState>, skip_bad: bool) -> Result<Option<u64>, CommandError> {
    let Some(file) = dialogs::pick_import(&app) else {
        return Ok(None);
    };
    let title = format!("Import {}", dialogs::file_name(&file));
    let options = IngestOptions { skip_bad, ..IngestOptions::default() };
    start_job(&app, &state, "import", &title, move |store, progress, cancel| {
        let report = engine::ingest::ingest_file(store, &file, &options, progress, cancel).map_err(|e| e.to_string())?;
        match report.refusal("Import again with \"set bad rows aside\" to keep the good rows.") {
            Some(why) => Err(why),
            None => Ok(report),
        }
    })
    .map(Some)
}

/// Encodes every report not yet encoded by the model (resumable: chunks are committed),
/// then brings its index up to date.
#[tauri::command(async)]
pub fn start_encode(app: AppHandle, state: State<'_, AppState>, model: String) -> Result<u64, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    let spec = registry::resolve_installed(&dir, &model).map_err(|e| CommandError::invalid(e.to_string()))?;
    start_job(&app, &state, "encode", &format!("Encode with {}", spec.name()), move |store, progress, cancel| {
        engine::index::encode_indexed(store, &spec, &EncodeOptions::default(), progress, cancel).map(|(encoded, _)| encoded)
    })
}

/// Imports vectors a Spark job made for `model` (an installed model's name) from the
/// output folder the user picks. `None` when the user cancelled the dialog.
#[tauri::command(async)]
pub fn start_vectors_import(app: AppHandle, state: State<'_, AppState>, model: String) -> Result<Option<u64>, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    let spec = registry::resolve_installed(&dir, &model).map_err(|e| CommandError::invalid(e.to_string()))?;
    let Some(file) = dialogs::pick_vectors(&app) else {
        return Ok(None);
    };
    let title = format!("Import {} vectors from {}", spec.name(), dialogs::file_name(&file));
    start_job(&app, &state, "vectors-import", &title, move |store, progress, cancel| {
        engine::exchange::import_vectors_indexed(store, &file, &spec, TextFields::Description, true, progress, cancel)
    })
    .map(Some)
}

/// Adopts the index shards a Spark job built (its --index-out folder, picked by the user)
/// as `model`'s index, after its vectors were imported. `None` when the user cancelled.
#[tauri::command(async)]
pub fn start_index_import(app: AppHandle, state: State<'_, AppState>, model: String) -> Result<Option<u64>, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    let spec = registry::resolve_installed(&dir, &model).map_err(|e| CommandError::invalid(e.to_string()))?;
    let Some(folder) = dialogs::pick_index_shards(&app) else {
        return Ok(None);
    };
    let title = format!("Import the {} index from {}", spec.name(), dialogs::file_name(&folder));
    start_job(&app, &state, "index-import", &title, move |store, progress, cancel| {
        engine::exchange::import_index(store, &folder, &spec, TextFields::Description, progress, cancel)
    })
    .map(Some)
}

/// Encodes the reports a run's model has not encoded yet and places them into the run (the
/// newest when none is given) without refitting: what follows an import. The run's signals
/// are then stored again for the triage list.
#[tauri::command(async)]
pub fn start_assign(app: AppHandle, state: State<'_, AppState>, run: Option<i64>) -> Result<u64, CommandError> {
    let title = run.map_or_else(|| "Assign new reports to the newest run".to_string(), |r| format!("Assign new reports to run {r}"));
    start_job(&app, &state, "assign", &title, move |store, progress, cancel| {
        let report = engine::cluster::encode_and_assign(store, run, progress, cancel)?;
        // The triage list shows the run's signals as stored: store them for its new reports.
        let signals = engine::signals::refresh_signals(store, report.run_id, progress);
        Ok::<_, engine::cluster::ClusterError>(serde_json::json!({ "report": report, "signals": signals }))
    })
}

/// Indexes, lays out and clusters one model's vectors as a new run, and stores its signals
/// for the triage list.
#[tauri::command(async)]
pub fn start_analyse(
    app: AppHandle,
    state: State<'_, AppState>,
    model: Option<String>,
    method: String,
    k: Option<usize>,
    min_cluster_size: Option<usize>,
) -> Result<u64, CommandError> {
    let parsed = Method::parse(&method, k, min_cluster_size)?;
    let title = format!("Analyse {} ({method})", model.as_deref().unwrap_or("the preferred model"));
    start_job(&app, &state, "analyse", &title, move |store, progress, cancel| {
        let (model, representation) = engine::representation::choose_representation(store, model.as_deref())?;
        let options = AnalyseOptions { representation: Some(representation), ..AnalyseOptions::new(&model, parsed) };
        let summary = engine::cluster::analyse(store, &options, progress, cancel)?;
        let signals = engine::signals::refresh_signals(store, summary.run.id, progress);
        Ok::<_, engine::cluster::ClusterError>(serde_json::json!({ "run": summary.run.id, "clusters": summary.clusters.len(), "noise": summary.run.noise, "signals": signals }))
    })
}
