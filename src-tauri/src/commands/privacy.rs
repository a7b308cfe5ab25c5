//! Privacy: the organisation's hospital-number patterns (kept in the project, each change on
//! the audit chain) and the dataset's privacy fingerprint, taken as a job.

use super::open_store;
use crate::background::start_job;
use crate::error::CommandError;
use crate::state::AppState;
use engine::store::privacy_rules::{self, PrivacyRulesError};
use serde::Serialize;
use tauri::{AppHandle, State};

impl From<PrivacyRulesError> for CommandError {
    fn from(err: PrivacyRulesError) -> Self {
        match err {
            PrivacyRulesError::Store(e) => e.into(),
            PrivacyRulesError::Rule(_) | PrivacyRulesError::Unknown(_) => CommandError::invalid(err.to_string()),
        }
    }
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HospitalNumberPattern {
    pub name: String,
    pub pattern: String,
}

/// The project's own hospital-number patterns, which every export masks with beside the
/// built-in rules. (Whether the project is encrypted is in the project overview.)
#[tauri::command(async)]
pub fn privacy_patterns(state: State<'_, AppState>) -> Result<Vec<HospitalNumberPattern>, CommandError> {
    let store = open_store(&state)?;
    Ok(privacy_rules::list(&store)?.into_iter().map(|(name, pattern)| HospitalNumberPattern { name, pattern }).collect())
}

/// Adds an organisation's hospital-number pattern, checked by the engine before it is kept.
#[tauri::command(async)]
pub fn add_privacy_pattern(state: State<'_, AppState>, name: String, pattern: String) -> Result<(), CommandError> {
    let store = open_store(&state)?;
    Ok(privacy_rules::add(&store, &name, &pattern, &state.author())?)
}

#[tauri::command(async)]
pub fn remove_privacy_pattern(state: State<'_, AppState>, name: String) -> Result<(), CommandError> {
    let store = open_store(&state)?;
    Ok(privacy_rules::remove(&store, &name, &state.author())?)
}

/// Takes the project's privacy fingerprint as a job; the fingerprint is the job's result.
#[tauri::command(async)]
pub fn start_fingerprint(app: AppHandle, state: State<'_, AppState>) -> Result<u64, CommandError> {
    start_job(&app, &state, "fingerprint", "Privacy fingerprint", |store, progress, cancel| {
        engine::fingerprint::fingerprint_with(store, progress, cancel)
    })
}
