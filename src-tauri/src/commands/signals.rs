//! Signals: the run's Signals view as last computed, the job that computes them, and a
//! reviewer's dismissal of a cluster's signal.

use super::open_store;
use crate::background::start_job;
use crate::error::CommandError;
use crate::state::AppState;
use engine::signals::{Dismissal, SignalKind, SignalsView};
use tauri::{AppHandle, State};

/// The run's signals as last computed (`computed_at` None when never), and whether the run's
/// reports are still those they were computed from.
#[tauri::command(async)]
pub fn signals_view(state: State<'_, AppState>, run: i64) -> Result<SignalsView, CommandError> {
    Ok(engine::signals::signals_view(&open_store(&state)?, run)?)
}

/// Computes and stores the run's signals with the engine's defaults (at once when the
/// stored ones are current), as a job: at a million reports it takes seconds.
#[tauri::command(async)]
pub fn start_signals(app: AppHandle, state: State<'_, AppState>, run: i64) -> Result<u64, CommandError> {
    start_job(&app, &state, "signals", &format!("Signals of run {run}"), move |store, _progress, _cancel| {
        let signals = engine::signals::stored_signals(store, run)?;
        Ok::<_, engine::signals::SignalError>(serde_json::json!({ "run": run, "alarms": signals.alarms.len() }))
    })
}

/// Dismisses the cluster's current signal of `kind` (alarm, novelty, concentration) until
/// the series moves again; recorded on the audit chain under the reviewer's name.
#[tauri::command(async)]
pub fn dismiss_signal(
    state: State<'_, AppState>,
    run: i64,
    cluster: i64,
    kind: String,
    note: String,
) -> Result<Dismissal, CommandError> {
    let kind = SignalKind::parse(&kind)?;
    let mut store = open_store(&state)?;
    Ok(engine::signals::dismiss_signal(&mut store, run, cluster, kind, &note, &state.author())?)
}
