//! Labelling: reviewers, schemas, sessions, labels (acknowledged only once committed),
//! agreement, adjudication, benchmark sets and the audit check.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use engine::review::benchmark::{self, BenchmarkHeader, TextMode};
use engine::review::{
    self, AgreementReport, ItemState, LabelAck, LabelDef, Reviewer, Role, Schema, Session,
    SessionSpec, Suggestion,
};
use serde::Serialize;
use tauri::State;

fn err(e: review::ReviewError) -> CommandError {
    CommandError {
        kind: "review",
        message: e.to_string(),
    }
}

fn who(state: &AppState) -> Result<String, CommandError> {
    state.reviewer().ok_or_else(|| CommandError {
        kind: "no_reviewer",
        message: "Choose who you are first.".into(),
    })
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ReviewOverview {
    pub me: Option<Reviewer>,
    pub reviewers: Vec<Reviewer>,
    pub sessions: Vec<Session>,
    pub schemas: Vec<Schema>,
}

#[tauri::command(async)]
pub fn review_overview(state: State<'_, AppState>) -> Result<ReviewOverview, CommandError> {
    let store = open_store(&state)?;
    let reviewers = review::reviewers(&store).map_err(err)?;
    let me = state.reviewer().and_then(|name| reviewers.iter().find(|r| r.name == name).cloned());
    Ok(ReviewOverview {
        me,
        reviewers,
        sessions: review::list_sessions(&store).map_err(err)?,
        schemas: review::latest_schemas(&store).map_err(err)?,
    })
}

/// Picks (creating when new) the reviewer this app session works as.
#[tauri::command(async)]
pub fn choose_reviewer(
    state: State<'_, AppState>,
    name: String,
    role: String,
) -> Result<Reviewer, CommandError> {
    let role = Role::parse(&role)
        .ok_or_else(|| CommandError::invalid(format!("unknown role {role:?}")))?;
    let mut store = open_store(&state)?;
    let r = review::add_reviewer(&mut store, &name, role).map_err(err)?;
    state.set_reviewer(&r.name);
    Ok(r)
}

#[tauri::command(async)]
pub fn save_schema(
    state: State<'_, AppState>,
    name: String,
    multi: bool,
    labels: Vec<LabelDef>,
) -> Result<Schema, CommandError> {
    let mut store = open_store(&state)?;
    review::save_schema(&mut store, &name, multi, &labels, &who(&state)?).map_err(err)
}

#[tauri::command(async)]
pub fn create_session(
    state: State<'_, AppState>,
    spec: SessionSpec,
) -> Result<Session, CommandError> {
    let mut store = open_store(&state)?;
    review::create_session(&mut store, &spec, &who(&state)?).map_err(err)
}

#[tauri::command(async)]
pub fn session_items(
    state: State<'_, AppState>,
    session: i64,
) -> Result<Vec<ItemState>, CommandError> {
    review::items(&open_store(&state)?, session, &who(&state)?).map_err(err)
}

/// Records a label; the reply is the acknowledgement, sent only after the commit.
#[tauri::command(async)]
pub fn record_label(
    state: State<'_, AppState>,
    session: i64,
    id: String,
    labels: Vec<String>,
    note: String,
) -> Result<LabelAck, CommandError> {
    let mut store = open_store(&state)?;
    review::record_label(
        &mut store,
        session,
        &id,
        &who(&state)?,
        &labels,
        &note,
        None,
    )
    .map_err(err)
}

#[tauri::command(async)]
pub fn undo_label(
    state: State<'_, AppState>,
    session: i64,
) -> Result<Option<String>, CommandError> {
    let mut store = open_store(&state)?;
    review::undo_last(&mut store, session, &who(&state)?).map_err(err)
}

#[tauri::command(async)]
pub fn label_suggestion(
    state: State<'_, AppState>,
    session: i64,
    id: String,
) -> Result<Option<Suggestion>, CommandError> {
    review::suggest(&open_store(&state)?, session, &id).map_err(err)
}

#[tauri::command(async)]
pub fn session_agreement(
    state: State<'_, AppState>,
    session: i64,
) -> Result<AgreementReport, CommandError> {
    review::agreement_report(&open_store(&state)?, session).map_err(err)
}

#[tauri::command(async)]
pub fn adjudicate(
    state: State<'_, AppState>,
    session: i64,
    id: String,
    labels: Vec<String>,
    note: String,
) -> Result<LabelAck, CommandError> {
    let mut store = open_store(&state)?;
    review::adjudicate(&mut store, session, &id, &who(&state)?, &labels, &note).map_err(err)
}

#[tauri::command(async)]
pub fn freeze_benchmark(
    state: State<'_, AppState>,
    session: i64,
    name: String,
) -> Result<BenchmarkHeader, CommandError> {
    let mut store = open_store(&state)?;
    Ok(
        benchmark::freeze_session(&mut store, session, &name, &who(&state)?)
            .map_err(err)?
            .header,
    )
}

/// Exports a benchmark where the user says, through the native save dialog.
#[tauri::command(async)]
pub fn export_benchmark(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    name: String,
    version: i64,
    text: String,
) -> Result<Option<String>, CommandError> {
    let mode = TextMode::parse(&text).map_err(err)?;
    let store = open_store(&state)?;
    let b = benchmark::load_benchmark(&store, &name, Some(version)).map_err(err)?;
    let Some(path) = crate::dialogs::save_as(&app, &format!("{name}-v{version}.jsonl"), "Benchmark (JSONL, CSV)", &["jsonl", "csv"]) else {
        return Ok(None);
    };
    benchmark::export(&store, &b, &path, mode, &who(&state)?).map_err(err)?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command(async)]
pub fn audit_verify(state: State<'_, AppState>) -> Result<engine::audit::AuditReport, CommandError> {
    let store = open_store(&state)?;
    Ok(engine::audit::check(&store, None)?)
}

/// Labels a whole cluster: a session over its reports with the label proposed on each.
#[tauri::command(async)]
pub fn label_cluster(
    state: State<'_, AppState>,
    run: i64,
    cluster: i64,
    schema: i64,
    label: String,
    model: Option<String>,
) -> Result<Session, CommandError> {
    let mut store = open_store(&state)?;
    review::label_cluster(
        &mut store,
        run,
        cluster,
        schema,
        &label,
        model,
        &who(&state)?,
    )
    .map_err(err)
}
