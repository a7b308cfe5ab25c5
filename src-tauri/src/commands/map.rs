use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::cluster::RunRecord;
use tauri::ipc::Response;
use tauri::State;

/// The cluster map of a run (the newest when none is given), as the engine's binary
/// columns (the run's kept map file): raw bytes over the IPC, read in place by the webview.
#[tauri::command(async)]
pub fn map_data(state: State<'_, AppState>, run: Option<i64>) -> Result<Response, CommandError> {
    let t0 = std::time::Instant::now();
    let store = open_store(&state)?;
    let t1 = t0.elapsed();
    let run = match run {
        Some(r) => r,
        None => engine::explore::latest_run_id(&store)?.ok_or_else(|| CommandError {
            kind: "no_run",
            message: "The project has not been analysed yet.".into(),
        })?,
    };
    let b = engine::explore::map_bytes(&store, run)?;
    let _ = std::fs::write("/tmp/atlas-timing.log", format!("open {t1:?} bytes {:?}\n", t0.elapsed()));
    Ok(Response::new(b))
}

#[tauri::command(async)]
pub fn list_runs(state: State<'_, AppState>) -> Result<Vec<RunRecord>, CommandError> {
    Ok(engine::cluster::list_runs(&open_store(&state)?)?)
}
