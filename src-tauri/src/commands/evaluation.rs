//! Evaluation: benchmark sets (reviewer-made or derived from a field), evaluations run as
//! jobs, their numbers and charts, and the report saved where the user says.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use base64::Engine;
use engine::evaluate::{self, EvaluationResults, EvaluationSpec, EvaluationSummary};
use engine::review::benchmark::{self, BenchmarkHeader, BenchmarkSummary};
use engine::review::{self, BenchmarkField, FieldBenchmarkSpec};
use engine::Store;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

fn err(e: impl std::fmt::Display) -> CommandError {
    CommandError {
        kind: "evaluate",
        message: e.to_string(),
    }
}

#[derive(Serialize)]
pub struct EvaluationOverview {
    pub benchmarks: Vec<BenchmarkSummary>,
    pub evaluations: Vec<EvaluationSummary>,
    /// Encoded models, the ones an evaluation can compare.
    pub models: Vec<String>,
}

#[tauri::command(async)]
pub fn evaluation_overview(state: State<'_, AppState>) -> Result<EvaluationOverview, CommandError> {
    let store = open_store(&state)?;
    Ok(EvaluationOverview {
        benchmarks: benchmark::list_benchmarks(&store).map_err(err)?,
        evaluations: evaluate::list_evaluations(&store).map_err(err)?,
        models: store
            .models()?
            .into_iter()
            .filter(|m| m.vectors > 0)
            .map(|m| m.name)
            .collect(),
    })
}

/// Makes (or finds, when unchanged) a benchmark from a field of the reports.
#[tauri::command(async)]
pub fn derive_benchmark(
    state: State<'_, AppState>,
    field: String,
    name: Option<String>,
    limit: Option<usize>,
) -> Result<BenchmarkHeader, CommandError> {
    let mut store = open_store(&state)?;
    let field = BenchmarkField::parse(&field).map_err(err)?;
    let mut spec = FieldBenchmarkSpec::new(field);
    if let Some(limit) = limit {
        spec.limit = (limit > 0).then_some(limit);
    }
    let name = name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("field-{}", field.name()));
    Ok(
        review::derive_from_field(&mut store, &name, &spec, &state.author())
            .map_err(err)?
            .benchmark
            .header,
    )
}

/// Evaluates the chosen models (all encoded ones when empty) on a benchmark, as a job.
#[tauri::command(async)]
pub fn start_evaluate(
    app: AppHandle,
    state: State<'_, AppState>,
    benchmark: String,
    version: Option<i64>,
    models: Vec<String>,
) -> Result<u64, CommandError> {
    let dir = state.project().ok_or_else(CommandError::no_project)?;
    open_store(&state)?;
    let spec = EvaluationSpec {
        version,
        models,
        ..EvaluationSpec::new(&benchmark)
    };
    let author = state.author();
    let title = format!("Evaluate on {benchmark}");
    Ok(state.jobs.start(
        "evaluate",
        &title,
        super::jobs::notifier(&app),
        move |progress, cancel| {
            let mut store = Store::open(&dir).map_err(|e| e.to_string())?;
            let stored = evaluate::evaluate_and_report(&mut store, &spec, &author, progress, cancel)
                .map_err(|e| e.to_string())?;
            Ok(serde_json::json!({ "evaluation": stored.id, "best_model": stored.results.best_model }))
        },
    ))
}

#[derive(Serialize)]
pub struct ChartImage {
    pub name: String,
    /// The SVG as a data URI, shown in an <img> so it can never run as markup.
    pub src: String,
}

#[derive(Serialize)]
pub struct EvaluationDetail {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub report: String,
    /// Which model to prefer, honest about differences within chance.
    pub verdict: Option<String>,
    pub results: EvaluationResults,
    pub charts: Vec<ChartImage>,
}

#[tauri::command(async)]
pub fn evaluation_detail(
    state: State<'_, AppState>,
    id: i64,
) -> Result<EvaluationDetail, CommandError> {
    let store = open_store(&state)?;
    let stored = evaluate::load_evaluation(&store, id).map_err(err)?;
    let charts = stored
        .charts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .filter_map(|p| {
            let svg = std::fs::read(p).ok()?;
            Some(ChartImage {
                name: p.file_stem()?.to_string_lossy().into(),
                src: format!(
                    "data:image/svg+xml;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(svg)
                ),
            })
        })
        .collect();
    Ok(EvaluationDetail {
        id,
        created_at: stored.created_at,
        created_by: stored.created_by,
        report: stored.report_html.display().to_string(),
        verdict: stored.results.verdict(),
        results: stored.results,
        charts,
    })
}

/// Copies the report where the user says, through the native save dialog.
#[tauri::command(async)]
pub fn export_report(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Result<Option<String>, CommandError> {
    let store = open_store(&state)?;
    let stored = evaluate::load_evaluation(&store, id).map_err(err)?;
    let Some(path) = app
        .dialog()
        .file()
        .set_file_name(format!("evaluation-{id}.html"))
        .add_filter("HTML report", &["html"])
        .blocking_save_file()
        .and_then(|p| p.into_path().ok())
    else {
        return Ok(None);
    };
    std::fs::copy(&stored.report_html, &path)
        .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}
