//! Which model's vectors an analysis clusters when none is named, and why. The project's
//! own evaluation decides when it prefers one model clearly (its paired test on the
//! ranking metric, p < 0.05) and that model has vectors now; otherwise the model measured
//! best across the public benchmark corpora (`bench quality`: all-MiniLM-L6-v2 ahead of
//! TF-IDF/LSA on V-measure and ARI on the demo and on three of the four public corpora).
//! The choice and its reason are recorded in the run (`AnalyseOptions::representation`)
//! and shown beside its clusters.

use crate::cluster::{ClusterError, RepresentationChoice};
use crate::evaluate::{list_evaluations, load_evaluation};
use crate::store::{vectors, ModelRecord, Store};

/// The representation measured best across the benchmark corpora.
pub const BENCHMARK_BEST: &str = crate::encode::DEFAULT_TRANSFORMER;

/// The model to cluster and why: `asked` when one is named (the reason then says which
/// model the project's evaluation prefers, if another), else as the module says.
pub fn choose_representation(
    store: &Store,
    asked: Option<&str>,
) -> Result<(String, RepresentationChoice), ClusterError> {
    let encoded: Vec<ModelRecord> = vectors::list_models(store.conn())
        .map_err(|e| store.err(e))?
        .into_iter()
        .filter(|m| m.vectors > 0)
        .collect();
    let has = |name: &str| encoded.iter().any(|m| m.name == name);
    let preferred = evaluation_preference(store, &has)?;
    if let Some(model) = asked {
        let reason = match &preferred {
            Some(p) if p.model != model => format!(
                "Named when the analysis was started. The project's evaluation {} prefers {}: {}",
                p.id, p.model, p.verdict
            ),
            _ => "Named when the analysis was started.".to_string(),
        };
        let evaluation_id = preferred.as_ref().map(|p| p.id);
        return Ok((model.to_string(), RepresentationChoice { chosen_by: "asked".into(), reason, evaluation_id }));
    }
    if let Some(p) = preferred {
        let reason = format!("The project's evaluation {} (benchmark {}): {}", p.id, p.benchmark, p.verdict);
        return Ok((p.model, RepresentationChoice { chosen_by: "evaluation".into(), reason, evaluation_id: Some(p.id) }));
    }
    if has(BENCHMARK_BEST) {
        let reason = format!(
            "No evaluation in this project prefers a model clearly, so the representation that clustered best across \
             the public benchmark corpora is used ({BENCHMARK_BEST}). Evaluate the project's models on a benchmark \
             of its own reports to let its data decide."
        );
        return Ok((BENCHMARK_BEST.to_string(), RepresentationChoice { chosen_by: "benchmark".into(), reason, evaluation_id: None }));
    }
    match encoded.as_slice() {
        [only] => Ok((
            only.name.clone(),
            RepresentationChoice {
                chosen_by: "only".into(),
                reason: format!("The only model with vectors in this project ({BENCHMARK_BEST}, the benchmark's best, has none)."),
                evaluation_id: None,
            },
        )),
        [] => Err(ClusterError::Invalid(
            "no model has vectors in this project yet; encode the reports first (`incident-atlas encode`)".into(),
        )),
        several => Err(ClusterError::Invalid(format!(
            "several models have vectors ({}), none is preferred by an evaluation and {BENCHMARK_BEST} has none; \
             name the model to cluster or evaluate them first",
            several.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

struct Preference {
    id: i64,
    benchmark: String,
    model: String,
    verdict: String,
}

/// What the newest evaluation that compared two or more models with vectors now says,
/// when it prefers one of them clearly. An older evaluation is not consulted: the newest
/// one saw the most recent data and models, and its "no clear preference" stands.
fn evaluation_preference(store: &Store, has: &dyn Fn(&str) -> bool) -> Result<Option<Preference>, ClusterError> {
    let unreadable = |e: crate::evaluate::EvaluateError| ClusterError::Invalid(format!("the project's evaluations cannot be read ({e}); name the model to cluster"));
    let Some(summary) = list_evaluations(store)
        .map_err(unreadable)?
        .into_iter()
        .find(|s| s.models.iter().filter(|m| has(m)).count() >= 2)
    else {
        return Ok(None);
    };
    let stored = load_evaluation(store, summary.id).map_err(unreadable)?;
    Ok(stored.results.clear_preference().filter(|m| has(m)).map(|model| Preference {
        id: summary.id,
        benchmark: format!("{} v{}", summary.benchmark, summary.version),
        model: model.to_string(),
        verdict: stored.results.verdict().unwrap_or_default(),
    }))
}
