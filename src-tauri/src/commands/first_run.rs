//! The first run: a file of reports picked in the native dialog, previewed with its column
//! mapping (which the user may change), then made into a project in one job (import,
//! encode, analyse); and the recent projects and the About box of the start page.

use crate::background::start_job_without_project;
use crate::dialogs;
use crate::error::CommandError;
use crate::state::AppState;
use engine::ingest::{ImportPreview, IngestOptions};
use serde::Deserialize;
use tauri::{AppHandle, Manager, State};

/// One column's field as the user chose it in the preview.
#[derive(Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ColumnChoice {
    pub column: String,
    pub target: String,
}

fn options(choices: Vec<ColumnChoice>, skip_bad: bool) -> Result<IngestOptions, CommandError> {
    let pairs: Vec<(String, String)> = choices.into_iter().map(|c| (c.column, c.target)).collect();
    let overrides = engine::ingest::overrides_from_choices(&pairs).map_err(CommandError::invalid)?;
    Ok(IngestOptions { overrides, skip_bad, ..IngestOptions::default() })
}

fn pending(state: &AppState) -> Result<std::path::PathBuf, CommandError> {
    state.pending_import().ok_or_else(|| CommandError::invalid("no file is chosen yet: choose the file of reports first"))
}

/// Asks for the file of reports and previews it with the detected mapping; `None` when the
/// user cancels.
#[tauri::command(async)]
pub fn choose_import_file(app: AppHandle, state: State<'_, AppState>) -> Result<Option<ImportPreview>, CommandError> {
    let Some(file) = dialogs::pick_import(&app) else {
        return Ok(None);
    };
    let preview = engine::ingest::preview_file(&file, &IngestOptions::default()).map_err(|e| CommandError::invalid(e.to_string()))?;
    state.set_pending_import(file);
    Ok(Some(preview))
}

/// The chosen file previewed again with the user's column choices.
#[tauri::command(async)]
pub fn preview_import(state: State<'_, AppState>, choices: Vec<ColumnChoice>) -> Result<ImportPreview, CommandError> {
    let file = pending(&state)?;
    engine::ingest::preview_file(&file, &options(choices, false)?).map_err(|e| CommandError::invalid(e.to_string()))
}

/// Asks for the new project's folder, then makes the project from the chosen file in one
/// job (`engine::first_run`), which opens it when done. `None` when the user cancels.
#[tauri::command(async)]
pub fn start_first_run(app: AppHandle, state: State<'_, AppState>, choices: Vec<ColumnChoice>, skip_bad: bool, model: Option<String>) -> Result<Option<u64>, CommandError> {
    let (file, options) = (pending(&state)?, options(choices, skip_bad)?);
    let Some(dir) = dialogs::pick_folder(&app, "Folder for the new project (new or empty)") else {
        return Ok(None);
    };
    let (title, handle) = (format!("New project from {}", dialogs::file_name(&file)), app.clone());
    Ok(Some(start_job_without_project(&app, &state, "first-run", &title, move |progress, cancel| {
        let report = engine::first_run::first_run(&dir, &file, &options, model.as_deref(), progress, cancel)?;
        handle.state::<AppState>().set_project(dir.clone());
        let _ = engine::recent::remember(&dir); // a list that cannot be written costs a dialog later
        Ok::<_, engine::first_run::FirstRunError>(report)
    })))
}

#[tauri::command(async)]
pub fn recent_projects() -> Vec<engine::recent::RecentProject> {
    engine::recent::list()
}

/// Opens the project at `index` in the recent list.
#[tauri::command(async)]
pub fn open_recent(state: State<'_, AppState>, index: usize) -> Result<super::projects::ProjectOverview, CommandError> {
    let dir = engine::recent::project_at(index).ok_or_else(|| CommandError::invalid("that project is no longer in the list, or no longer there"))?;
    super::projects::open_chosen(state, dir)
}

#[tauri::command(async)]
pub fn about(state: State<'_, AppState>) -> engine::about::About {
    engine::about::about(state.project().as_deref())
}
