//! Long work runs as engine jobs on their own threads; progress reaches the UI as `job`
//! events carrying the job's snapshot, and the UI never waits on a command for it.

use crate::error::CommandError;
use crate::state::AppState;
use engine::jobs::{CancelToken, JobSnapshot, Progress};
use engine::Store;
use serde::Serialize;
use std::fmt::Display;
use tauri::{AppHandle, Emitter};

/// Starts `work` as a job of `kind`: it gets the project's store, opened on the job's own
/// thread, and its result reaches the UI as JSON in the job's snapshot. Fails at once,
/// before any thread starts, when no project is open or the project cannot be opened.
pub fn start_job<R, E>(
    app: &AppHandle,
    state: &AppState,
    kind: &str,
    title: &str,
    work: impl FnOnce(&mut Store, &dyn Progress, &CancelToken) -> Result<R, E> + Send + 'static,
) -> Result<u64, CommandError>
where
    R: Serialize,
    E: Display,
{
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    let key = state.key();
    crate::state::open_with_key(&dir, key.as_ref())?;
    Ok(start_job_without_project(app, state, kind, title, move |progress, cancel| {
        let mut store = crate::state::open_with_key(&dir, key.as_ref()).map_err(|e| e.to_string())?;
        work(&mut store, progress, cancel).map_err(|e| e.to_string())
    }))
}

/// As `start_job`, for work that makes its project (the first run) instead of opening one.
pub fn start_job_without_project<R, E>(
    app: &AppHandle,
    state: &AppState,
    kind: &str,
    title: &str,
    work: impl FnOnce(&dyn Progress, &CancelToken) -> Result<R, E> + Send + 'static,
) -> u64
where
    R: Serialize,
    E: Display,
{
    let app = app.clone();
    let notify = std::sync::Arc::new(move |snapshot: &JobSnapshot| {
        // A closed window cannot take the event; the job itself goes on regardless.
        let _ = app.emit("job", snapshot);
    });
    state.jobs.start(kind, title, notify, move |progress, cancel| {
        let result = work(progress, cancel).map_err(|e| e.to_string())?;
        serde_json::to_value(&result).map_err(|e| e.to_string())
    })
}
