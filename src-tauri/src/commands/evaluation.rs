//! Evaluation: benchmark sets (reviewer-made or derived from a field), evaluations run as
//! jobs, their numbers and charts, and the report saved where the user says.

use super::open_store;
use crate::error::CommandError;
use crate::state::AppState;
use crate::background::start_job;
use crate::dialogs;
use crate::images::svg_data_uri;
use engine::evaluate::{self, EvaluationResults, EvaluationSpec, EvaluationSummary, StoredEvaluation};
use engine::review::benchmark::{self, BenchmarkHeader, BenchmarkSummary};
use engine::review::{self, BenchmarkField, FieldBenchmarkSpec};
use serde::Serialize;
use tauri::{AppHandle, State};

fn err(e: impl std::fmt::Display) -> CommandError {
    CommandError {
        kind: "evaluate",
        message: e.to_string(),
    }
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
    let spec = EvaluationSpec { version, models, ..EvaluationSpec::new(&benchmark) };
    let author = state.author();
    start_job(&app, &state, "evaluate", &format!("Evaluate on {benchmark}"), move |store, progress, cancel| {
        let stored = evaluate::evaluate_and_report(store, &spec, &author, progress, cancel)?;
        Ok::<_, evaluate::EvaluateError>(serde_json::json!({ "evaluation": stored.id, "best_model": stored.results.best_model }))
    })
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChartImage {
    pub name: String,
    /// The SVG as a data URI, shown in an <img> so it can never run as markup.
    pub src: String,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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

impl EvaluationDetail {
    fn new(id: i64, stored: StoredEvaluation) -> Self {
        let charts = stored
            .charts
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "svg"))
            .filter_map(|p| {
                Some(ChartImage {
                    name: p.file_stem()?.to_string_lossy().into(),
                    src: svg_data_uri(p)?,
                })
            })
            .collect();
        EvaluationDetail {
            id,
            created_at: stored.created_at,
            created_by: stored.created_by,
            report: stored.report_html.display().to_string(),
            verdict: stored.results.verdict(),
            results: stored.results,
            charts,
        }
    }
}

#[tauri::command(async)]
pub fn evaluation_detail(state: State<'_, AppState>, id: i64) -> Result<EvaluationDetail, CommandError> {
    let stored = evaluate::load_evaluation(&open_store(&state)?, id).map_err(err)?;
    Ok(EvaluationDetail::new(id, stored))
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
    let Some(path) = dialogs::save_as(&app, &format!("evaluation-{id}.html"), "HTML report", &["html"]) else {
        return Ok(None);
    };
    std::fs::copy(&stored.report_html, &path)
        .map_err(|e| err(format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path.display().to_string()))
}
