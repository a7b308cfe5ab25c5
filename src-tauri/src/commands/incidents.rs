use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::explore::{IncidentDetail, SearchHit};
use engine::fields::Filter;
use engine::store::Preview;
use tauri::State;

#[tauri::command(async)]
pub fn incident_detail(
    state: State<'_, AppState>,
    id: String,
    run: Option<i64>,
) -> Result<IncidentDetail, CommandError> {
    Ok(engine::explore::incident_detail(
        &open_store(&state)?,
        &state.cache(),
        &id,
        run,
    )?)
}

/// Short previews for hover cards and lists, in the order asked.
#[tauri::command(async)]
pub fn incident_previews(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> Result<Vec<Preview>, CommandError> {
    Ok(engine::store::previews(&open_store(&state)?, &ids)?)
}

#[tauri::command(async)]
pub fn search_incidents(
    state: State<'_, AppState>,
    model: String,
    text: String,
    filter: Filter,
    k: usize,
) -> Result<Vec<SearchHit>, CommandError> {
    let store = open_store(&state)?;
    Ok(engine::explore::search(
        &store,
        &state.cache(),
        &model,
        &text,
        &filter,
        k.clamp(1, 1000),
    )?)
}
