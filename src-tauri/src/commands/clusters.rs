use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::cluster::{EditOutcome, NoiseOutcome, SplitHow};
use engine::triage::{Decision, HistoryEntry, Status, TriageRow};
use tauri::State;

#[tauri::command(async)]
pub fn cluster_triage(
    state: State<'_, AppState>,
    run: i64,
) -> Result<Vec<TriageRow>, CommandError> {
    Ok(engine::triage::cluster_triage(&open_store(&state)?, run)?)
}

#[tauri::command(async)]
pub fn set_cluster_status(
    state: State<'_, AppState>,
    run: i64,
    cluster: i64,
    status: String,
    note: String,
) -> Result<Decision, CommandError> {
    let status = Status::parse(&status)
        .ok_or_else(|| CommandError::invalid(format!("unknown status {status:?}")))?;
    let mut store = open_store(&state)?;
    Ok(engine::triage::set_status(
        &mut store,
        run,
        cluster,
        status,
        &note,
        &state.author(),
    )?)
}

#[tauri::command(async)]
pub fn cluster_history(
    state: State<'_, AppState>,
    run: i64,
    cluster: i64,
) -> Result<Vec<HistoryEntry>, CommandError> {
    Ok(engine::triage::history(&open_store(&state)?, run, cluster)?)
}

#[tauri::command(async)]
pub fn merge_clusters(
    state: State<'_, AppState>,
    run: i64,
    clusters: Vec<i64>,
) -> Result<EditOutcome, CommandError> {
    let mut store = open_store(&state)?;
    Ok(engine::cluster::merge_clusters(
        &mut store,
        run,
        &clusters,
        &state.author(),
    )?)
}

/// Splits a cluster into `parts` by k-means, or moves the listed reports into a new cluster.
#[tauri::command(async)]
pub fn split_cluster(
    state: State<'_, AppState>,
    run: i64,
    cluster: i64,
    parts: Option<usize>,
    incidents: Option<Vec<String>>,
) -> Result<EditOutcome, CommandError> {
    let how = SplitHow::from_request(parts, incidents)?;
    let mut store = open_store(&state)?;
    Ok(engine::cluster::split_cluster(
        &mut store,
        run,
        cluster,
        &how,
        &state.author(),
    )?)
}

/// Gives the run's noise reports to the cluster their close neighbours agree on, at the
/// engine's default agreement unless one is given.
#[tauri::command(async)]
pub fn assign_noise(
    state: State<'_, AppState>,
    run: i64,
    agreement: Option<f64>,
) -> Result<NoiseOutcome, CommandError> {
    let mut store = open_store(&state)?;
    let agreement = agreement.unwrap_or(engine::cluster::DEFAULT_NOISE_AGREEMENT);
    let cancel = engine::jobs::CancelToken::new();
    engine::cluster::assign_noise(&mut store, run, agreement, &state.author(), &engine::jobs::NoProgress, &cancel)?
        .ok_or_else(|| CommandError::invalid("cancelled".to_string()))
}

/// Moves the noise reports `assign_noise` gave to clusters back to noise.
#[tauri::command(async)]
pub fn unassign_noise(state: State<'_, AppState>, run: i64) -> Result<NoiseOutcome, CommandError> {
    let mut store = open_store(&state)?;
    Ok(engine::cluster::unassign_noise(&mut store, run, &state.author())?)
}
