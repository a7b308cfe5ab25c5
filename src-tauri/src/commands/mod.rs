//! Commands the web UI may call. Each one opens the project, calls one engine function
//! and returns what it returns; nothing here decides anything (ARCHITECTURE.md, "src-tauri").

pub mod clusters;
pub mod evaluation;
pub mod first_run;
pub mod incidents;
pub mod jobs;
pub mod map;
pub mod models;
pub mod privacy;
pub mod projects;
pub mod review;
pub mod signals;

use crate::error::CommandError;
use crate::state::AppState;
use engine::Store;

pub(crate) fn open_store(state: &AppState) -> Result<Store, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    Ok(state.open_store_at(&dir)?)
}
