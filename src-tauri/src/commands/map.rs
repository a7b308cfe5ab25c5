use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::cluster::RunRecord;
use tauri::ipc::Response;
use tauri::State;

/// The first part of a run's map (the newest run when none is given): what the first frame
/// needs, from the run's kept map file, as raw bytes read in place by the webview.
#[tauri::command(async)]
pub fn map_data(state: State<'_, AppState>, run: Option<i64>) -> Result<Response, CommandError> {
    let store = open_store(&state)?;
    let run = match run {
        Some(r) => r,
        None => engine::explore::latest_run_id(&store)?.ok_or_else(|| CommandError {
            kind: "no_run",
            message: "The project has not been analysed yet.".into(),
        })?,
    };
    Ok(Response::new(engine::explore::map_bytes(&store, run)?.into_points()))
}

/// The second part of a run's map: fields and external ids, asked for while the first draws.
#[tauri::command(async)]
pub fn map_details(state: State<'_, AppState>, run: i64) -> Result<Response, CommandError> {
    let store = open_store(&state)?;
    Ok(Response::new(engine::explore::map_bytes(&store, run)?.into_details()))
}

#[tauri::command(async)]
pub fn list_runs(state: State<'_, AppState>) -> Result<Vec<RunRecord>, CommandError> {
    Ok(engine::cluster::list_runs(&open_store(&state)?)?)
}
