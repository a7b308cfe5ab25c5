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
    /// For an encrypted project: what is encrypted and what is not, in words.
    pub encryption: Option<String>,
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
        encryption: store.is_encrypted().then(|| engine::store::encryption::UNENCRYPTED.to_string()),
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
        let _ = engine::recent::remember(&dir); // a list that cannot be written costs a dialog later
        state.set_project(dir);
        return project_overview(state).map(Some);
    }
    open_chosen(state, dir).map(Some)
}

/// Opens a project the user chose; an encrypted one waits for `unlock_project` (the error's
/// kind, "needs_passphrase", tells the page to ask), unless the environment gives its
/// passphrase.
pub(crate) fn open_chosen(state: State<'_, AppState>, dir: std::path::PathBuf) -> Result<ProjectOverview, CommandError> {
    let from_env = engine::store::encryption::passphrase_from_env();
    if engine::store::encryption::is_encrypted(&dir)? && from_env.is_none() {
        let message = engine::StoreError::NeedsPassphrase(dir.join(engine::store::DB_FILE)).to_string();
        state.set_locked(Some(dir));
        return Err(CommandError { kind: "needs_passphrase", message });
    }
    engine::Store::open_with(&dir, from_env.as_deref())?;
    let _ = engine::recent::remember(&dir);
    state.set_project(dir);
    project_overview(state)
}

/// Unlocks the encrypted project chosen last with its passphrase. A wrong one is refused
/// ("wrong_passphrase") and the project stays waiting, unchanged.
#[tauri::command(async)]
pub fn unlock_project(state: State<'_, AppState>, passphrase: String) -> Result<ProjectOverview, CommandError> {
    let dir = state.locked().ok_or_else(|| CommandError::invalid("no encrypted project is waiting for its passphrase"))?;
    // Stretched once here; every later opening uses the key.
    let key = engine::store::encryption::derive_key(&dir, &passphrase)?;
    engine::Store::open_key(&dir, Some(engine::store::encryption::Key::Raw(&key)))?;
    state.set_locked(None);
    let _ = engine::recent::remember(&dir);
    state.set_project_with(dir, Some(key));
    project_overview(state)
}

/// Makes a new encrypted project in the folder the user picks; `None` when they cancel.
#[tauri::command(async)]
pub fn create_encrypted_project(app: tauri::AppHandle, state: State<'_, AppState>, passphrase: String) -> Result<Option<ProjectOverview>, CommandError> {
    engine::store::encryption::check_new_passphrase(&passphrase)?;
    let Some(dir) = crate::dialogs::pick_folder(&app, "New encrypted project folder") else {
        return Ok(None);
    };
    drop(engine::Store::create_encrypted(&dir, &passphrase)?);
    let key = engine::store::encryption::derive_key(&dir, &passphrase)?;
    let _ = engine::recent::remember(&dir);
    state.set_project_with(dir, Some(key));
    project_overview(state).map(Some)
}
