use crate::error::CommandError;
use crate::state::AppState;
use engine::stats::ProjectStats;
use serde::Serialize;
use tauri::State;

#[derive(Serialize)]
pub struct ProjectOverview {
    pub path: String,
    pub stats: ProjectStats,
}

/// Summary of the open project for the start page.
#[tauri::command(async)]
pub fn project_overview(state: State<'_, AppState>) -> Result<ProjectOverview, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    let store = engine::Store::open(&dir)?;
    Ok(ProjectOverview { path: dir.display().to_string(), stats: engine::stats::project_stats(&store)? })
}
