//! Projects: the open project's overview, and choosing, opening or creating one.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::stats::ProjectStats;
use engine::store::ModelRecord;
use serde::Serialize;
use tauri::State;

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ProjectOverview {
    pub path: String,
    pub reviewer: String,
    pub stats: ProjectStats,
    pub models: Vec<ModelRecord>,
    pub latest_run: Option<i64>,
}

/// Summary of the open project: what the start page and the empty states need.
#[tauri::command(async)]
pub fn project_overview(state: State<'_, AppState>) -> Result<ProjectOverview, CommandError> {
    let store = open_store(&state)?;
    Ok(ProjectOverview {
        path: store.dir().display().to_string(),
        reviewer: state.author(),
        stats: engine::stats::project_stats(&store)?,
        models: store.models()?,
        latest_run: engine::explore::latest_run_id(&store)?,
    })
}

/// Opens an existing project (`create`: false) or makes a new one, in the folder the user
/// picks in the native dialog; `None` when they cancel.
#[tauri::command(async)]
pub fn open_project(app: tauri::AppHandle, state: State<'_, AppState>, create: bool) -> Result<Option<ProjectOverview>, CommandError> {
    let title = if create { "New project folder" } else { "Project folder" };
    let Some(dir) = crate::dialogs::pick_folder(&app, title) else {
        return Ok(None);
    };
    if create {
        engine::Store::create(&dir)?;
    } else {
        engine::Store::open(&dir)?;
    }
    let _ = engine::recent::remember(&dir); // a list that cannot be written costs a dialog later
    state.set_project(dir);
    project_overview(state).map(Some)
}
