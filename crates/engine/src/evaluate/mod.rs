//! Scoring representations against benchmark sets: metric definitions (`clustering`,
//! `classification`, `retrieval`), cross-validated classifiers (`cv`), bootstrap
//! intervals (`bootstrap`), the evaluation itself (`run`), its charts (`charts`) and the
//! self-contained HTML report (`report`). Each evaluation is stored with its numbers and
//! the folder of its report (`reports/evaluation-N/` in the project).

mod bootstrap;
mod error;
mod charts;
pub mod classification;
pub mod clustering;
pub mod cv;
mod report;
mod results;
pub mod retrieval;
mod run;

pub use error::EvaluateError;
pub use bootstrap::{estimate, paired_p_value, percentile, replicate, resample, Estimate};
pub(crate) use charts::loss_chart;
pub use results::*;
pub use run::evaluate;

use crate::jobs::{CancelToken, Progress};
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::path::PathBuf;

/// A stored evaluation: its numbers and where its report lies.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEvaluation {
    pub id: i64,
    pub created_at: String,
    pub created_by: String,
    pub report_dir: PathBuf,
    pub report_html: PathBuf,
    /// Chart files (SVG and PNG) beside the report.
    pub charts: Vec<PathBuf>,
    pub results: EvaluationResults,
}

/// A stored evaluation in a list: what it compared and what came out on top.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvaluationSummary {
    pub id: i64,
    pub benchmark: String,
    pub version: i64,
    pub models: Vec<String>,
    pub best_model: Option<String>,
    pub items: usize,
    pub created_at: String,
    pub created_by: String,
}

/// Evaluates, draws the charts, writes the report into `reports/evaluation-N/` of the
/// project, and stores the evaluation. The report folder is filled before the row is
/// committed, so a stored evaluation always has its report.
pub fn evaluate_and_report(
    store: &mut Store,
    spec: &EvaluationSpec,
    author: &str,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<StoredEvaluation, EvaluateError> {
    let results = evaluate(store, spec, progress, cancel)?;
    progress.set_phase("charts and report");
    let created_at = crate::clock::now();
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| EvaluateError::Io { path, source }
    };
    // Charts and report are drawn in a staging folder first, so the database is not held
    // for writing while they render; the row, the folder's final name and the audit entry
    // then commit together.
    let reports = store.dir().join("reports");
    let staging = reports.join(format!(
        ".evaluation-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let staged = (|| -> Result<Vec<charts::Chart>, EvaluateError> {
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        let charts = charts::draw_all(&results, &staging)?;
        let html = report::render_html(&results, &charts, &created_at);
        std::fs::write(staging.join("report.html"), html).map_err(io(&staging))?;
        std::fs::write(
            staging.join("results.json"),
            serde_json::to_string_pretty(&results).unwrap_or_default(),
        )
        .map_err(io(&staging))?;
        Ok(charts)
    })();
    let charts = match staged {
        Ok(charts) => charts,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    store.sync_full()?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO evaluations (set_id, params, results, report_dir, created_by, created_at)
         VALUES (?1, ?2, ?3, '', ?4, ?5)",
        params![
            results.benchmark.id,
            serde_json::to_string(&results.spec).unwrap_or_default(),
            serde_json::to_string(&results).unwrap_or_default(),
            author,
            created_at
        ],
    )?;
    let id = tx.last_insert_rowid();
    let relative = format!("reports/evaluation-{id}");
    let dir = reports.join(format!("evaluation-{id}"));
    // A folder left by an evaluation whose row never committed is replaced.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    ml::durable::commit_rename(&staging, &dir).map_err(io(&dir))?;
    let report_html = dir.join("report.html");
    tx.execute(
        "UPDATE evaluations SET report_dir = ?1 WHERE id = ?2",
        params![relative, id],
    )?;
    crate::store::audit::append(
        &tx,
        author,
        "evaluation",
        &serde_json::json!({ "evaluation": id, "benchmark": results.benchmark.name, "version": results.benchmark.version, "models": results.models.iter().map(|m| &m.model).collect::<Vec<_>>(), "best_model": results.best_model }),
    )?;
    tx.commit()?;
    let chart_files = charts
        .iter()
        .flat_map(|c| ["svg", "png"].map(|ext| dir.join(format!("{}.{ext}", c.name))))
        .collect();
    Ok(StoredEvaluation {
        id,
        created_at,
        created_by: author.into(),
        report_dir: dir,
        report_html,
        charts: chart_files,
        results,
    })
}

/// Every stored evaluation, newest first.
pub fn list_evaluations(store: &Store) -> Result<Vec<EvaluationSummary>, EvaluateError> {
    let mut stmt = store.conn().prepare(
        "SELECT e.id, s.name, s.version, e.results, e.created_at, e.created_by
         FROM evaluations e JOIN benchmark_sets s ON s.id = e.set_id ORDER BY e.id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, benchmark, version, results, created_at, created_by) = row?;
        let results: EvaluationResults = serde_json::from_str(&results).map_err(|e| {
            EvaluateError::Invalid(format!("evaluation {id} has unreadable results: {e}"))
        })?;
        out.push(EvaluationSummary {
            id,
            benchmark,
            version,
            models: results.models.iter().map(|m| m.model.clone()).collect(),
            best_model: results.best_model,
            items: results.items,
            created_at,
            created_by,
        });
    }
    Ok(out)
}

/// A stored evaluation with its numbers and report paths.
pub fn load_evaluation(store: &Store, id: i64) -> Result<StoredEvaluation, EvaluateError> {
    let row = store
        .conn()
        .query_row(
            "SELECT results, report_dir, created_at, created_by FROM evaluations WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| EvaluateError::Invalid(format!("no evaluation {id}")))?;
    let results: EvaluationResults = serde_json::from_str(&row.0).map_err(|e| {
        EvaluateError::Invalid(format!("evaluation {id} has unreadable results: {e}"))
    })?;
    let dir = store.dir().join(&row.1);
    let mut charts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "svg" || x == "png"))
                .collect()
        })
        .unwrap_or_default();
    charts.sort();
    Ok(StoredEvaluation {
        id,
        report_html: dir.join("report.html"),
        report_dir: dir,
        charts,
        created_at: row.2,
        created_by: row.3,
        results,
    })
}
