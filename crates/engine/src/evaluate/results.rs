//! What an evaluation produces: every number of the report, serialisable so it can be
//! stored with the evaluation, compared between runs and sent to the app.

use super::bootstrap::Estimate;
use serde::{Deserialize, Serialize};

/// What an evaluation was asked to do. Stored with it, and part of the report's provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvaluationSpec {
    pub benchmark: String,
    /// The benchmark's latest version when None.
    pub version: Option<i64>,
    /// Every model with vectors when empty.
    pub models: Vec<String>,
    /// Neighbours for retrieval scores and for the kNN vote.
    pub k: usize,
    pub folds: usize,
    /// Bootstrap resamples behind every interval and the paired test.
    pub resamples: usize,
    pub seed: u64,
    /// Retrieval is scored on at most this many query reports (a seeded sample).
    pub max_queries: usize,
    /// L2 penalty of the logistic regression (scikit-learn's 1/C).
    pub logistic_alpha: f64,
    /// Slices (care setting, harm grade) with fewer reports are not scored on their own.
    pub min_slice: usize,
}

impl EvaluationSpec {
    pub fn new(benchmark: &str) -> Self {
        EvaluationSpec {
            benchmark: benchmark.into(),
            version: None,
            models: Vec::new(),
            k: 10,
            folds: 5,
            resamples: 1000,
            seed: crate::DEFAULT_SEED,
            max_queries: 2000,
            logistic_alpha: 1.0,
            min_slice: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BenchmarkRef {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub source: String,
    pub derived_from: Option<String>,
    pub content_sha256: String,
    pub multi: bool,
    pub labels: Vec<String>,
    /// Reports per label among those evaluated.
    pub label_counts: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunScores {
    pub run_id: i64,
    pub method: String,
    pub created_at: String,
    pub clusters: usize,
    /// Benchmark reports the run placed (noise included).
    pub items: usize,
    /// Noise counts as a cluster of its own in these scores.
    pub adjusted_rand: Estimate,
    pub nmi: Estimate,
    pub homogeneity: Estimate,
    pub completeness: Estimate,
    pub v_measure: Estimate,
    pub noise_fraction: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelScores {
    pub model: String,
    pub kind: String,
    pub dimension: usize,
    pub model_provenance: serde_json::Value,
    pub index_sha256: String,
    pub queries: usize,
    pub precision_at_k: Estimate,
    pub map_at_k: Estimate,
    /// Classification scores are for single-label benchmarks only.
    pub knn_macro_f1: Option<Estimate>,
    pub knn_accuracy: Option<Estimate>,
    pub logistic_macro_f1: Option<Estimate>,
    pub logistic_accuracy: Option<Estimate>,
    /// kNN predictions: rows are true labels, columns predicted, in benchmark label order.
    pub confusion: Vec<Vec<u64>>,
    pub runs: Vec<RunScores>,
    /// Sizes of the clusters of the model's latest run over the whole project.
    pub cluster_sizes: Vec<usize>,
    /// Anything scored only in part, said plainly.
    pub notes: Vec<String>,
}

impl ModelScores {
    /// The score models are ranked by: kNN macro-F1 where there is one, else MAP@k.
    pub fn headline(&self) -> f64 {
        self.knn_macro_f1
            .map(|e| e.value)
            .unwrap_or(self.map_at_k.value)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SliceModel {
    pub model: String,
    pub knn_macro_f1: Option<Estimate>,
    pub map_at_k: Option<Estimate>,
}

/// The same scores within one group of reports: a model that fails one care setting or
/// harm grade shows here even when its overall score is good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SliceScores {
    /// care_setting or harm.
    pub dimension: String,
    pub value: String,
    pub items: usize,
    pub models: Vec<SliceModel>,
}

/// Paired bootstrap comparison of the two best models on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PairedTest {
    pub metric: String,
    pub better: String,
    pub other: String,
    /// better minus other, with its 95% interval over the shared resamples.
    pub difference: Estimate,
    pub p_value: f64,
    pub resamples: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Provenance {
    /// SHA-256 over every report's content hash, in id order.
    pub dataset_sha256: String,
    pub incidents: u64,
    pub software: String,
    pub schema_version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvaluationResults {
    pub spec: EvaluationSpec,
    pub benchmark: BenchmarkRef,
    /// Benchmark reports scored: in the project and encoded by every model compared.
    pub items: usize,
    /// Benchmark reports not in this project.
    pub items_missing: usize,
    /// Benchmark reports some compared model has no vector for.
    pub items_unencoded: usize,
    /// Benchmark reports some compared model was fine-tuned on with their labels
    /// (supervised training): left out for every model so no score is inflated.
    #[serde(default)]
    pub items_trained_on: usize,
    pub models: Vec<ModelScores>,
    pub slices: Vec<SliceScores>,
    pub paired: Vec<PairedTest>,
    pub best_model: Option<String>,
    pub provenance: Provenance,
}

impl EvaluationResults {
    /// The metric models are ranked by: kNN macro-F1 where any model has one, else MAP@k.
    pub fn ranking_metric(&self) -> &'static str {
        if self.models.iter().any(|m| m.knn_macro_f1.is_some()) {
            "knn_macro_f1"
        } else {
            "map_at_k"
        }
    }

    /// The best model when the paired test on the ranking metric tells it from the next
    /// (p < 0.05); None when one model alone was scored or the lead is within chance.
    pub fn clear_preference(&self) -> Option<&str> {
        let best = self.best_model.as_deref()?;
        let metric = self.ranking_metric();
        self.paired
            .iter()
            .find(|t| t.metric == metric && t.better == best)
            .filter(|t| t.p_value < 0.05)
            .map(|_| best)
    }

    /// One sentence on which model to prefer, honest about a difference the paired test
    /// cannot tell from chance (p >= 0.05 on the ranking metric).
    pub fn verdict(&self) -> Option<String> {
        let best = self.best_model.as_ref()?;
        let metric = self.ranking_metric();
        let shown = if metric == "knn_macro_f1" {
            "kNN macro-F1".to_string()
        } else {
            format!("MAP@{}", self.spec.k)
        };
        Some(match self.paired.iter().find(|t| t.metric == metric) {
            None => format!("{best} is the only model scored."),
            Some(t) if t.p_value < 0.05 => format!(
                "Preferred: {best}, ahead of {} on {shown} by {:+.3} (95% interval {:+.3} to {:+.3}; paired bootstrap p = {:.3}).",
                t.other, t.difference.value, t.difference.low, t.difference.high, t.p_value
            ),
            Some(t) => format!(
                "No clear preference: {best} ranks first on {shown}, but its lead over {} ({:+.3}, 95% interval {:+.3} to {:+.3}) is within chance (paired bootstrap p = {:.3}).",
                t.other, t.difference.value, t.difference.low, t.difference.high, t.p_value
            ),
        })
    }
}
