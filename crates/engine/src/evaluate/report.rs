//! The evaluation report: one HTML file with every chart embedded as a data URI and no
//! external asset, so it can be mailed or archived as is. It is a maud template: every
//! value from the project (label names, model names, care settings) is escaped by the
//! template engine, so none of it can become markup; only the fixed style sheet below is
//! written unescaped.

use super::bootstrap::Estimate;
use super::charts::Chart;
use super::results::{EvaluationResults, ModelScores};
use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f8}.ci{color:#666;font-size:90%}.best{background:#eef7ee}code{font-size:90%}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}h2{margin-top:1.8em;border-bottom:1px solid #ddd}";

/// The report's own policy: nothing loads, nothing runs; images only from data URIs.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

pub fn render_html(
    results: &EvaluationResults,
    charts: &[Chart],
    created_at: &str,
) -> String {
    let r = results;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                title { "Evaluation: " (r.benchmark.name) " v" (r.benchmark.version) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (summary(r, created_at))
                (scores(r))
                (clustering_runs(r))
                (slices(r))
                (chart_images(charts))
                (labels(r))
                (method(r))
                (provenance(r))
                (notes(r))
            }
        }
    };
    page.into_string() + "\n"
}

/// A figure with its interval, or a dash where there is none.
fn est(e: &Option<Estimate>) -> Markup {
    match e {
        Some(e) => html! {
            (format!("{:.3} ", e.value))
            span.ci { (format!("[{:.3}, {:.3}]", e.low, e.high)) }
        },
        None => html! { "–" },
    }
}

fn summary(r: &EvaluationResults, created_at: &str) -> Markup {
    html! {
        h1 { "Model evaluation on benchmark “" (r.benchmark.name) "” v" (r.benchmark.version) }
        p {
            (r.items) " reports scored (" (r.items_missing) " not in this project, "
            (r.items_unencoded) " without a vector from every model, " (r.items_trained_on)
            " left out because a model was trained on their labels), "
            (r.benchmark.labels.len()) " labels, " (r.models.len()) " model(s). Made "
            (created_at) "."
        }
        @if let Some(verdict) = r.verdict() {
            p { b { (verdict) } }
        }
        @if !r.paired.is_empty() {
            table {
                tr { th { "paired test" } th { "difference" } th { "p" } }
                @for t in &r.paired {
                    tr {
                        td { (t.better) " − " (t.other) " on " (t.metric) }
                        td {
                            (format!("{:+.3} ", t.difference.value))
                            span.ci { (format!("[{:+.3}, {:+.3}]", t.difference.low, t.difference.high)) }
                        }
                        td { (format!("{:.3}", t.p_value)) }
                    }
                }
            }
        }
    }
}

fn scores(r: &EvaluationResults) -> Markup {
    let k = r.spec.k;
    let best = |m: &ModelScores| (Some(&m.model) == r.best_model.as_ref()).then_some("best");
    html! {
        h2 { "Scores" }
        p { "Every figure is followed by its 95% percentile bootstrap interval." }
        table {
            tr {
                th { "model" } th { "kind" } th { "dims" }
                th { "precision@" (k) } th { "MAP@" (k) } th { "kNN macro-F1" } th { "kNN accuracy" }
                th { "logistic macro-F1" } th { "logistic accuracy" }
            }
            @for m in &r.models {
                tr class=[best(m)] {
                    td { (m.model) } td { (m.kind) } td { (m.dimension) }
                    td { (est(&Some(m.precision_at_k))) } td { (est(&Some(m.map_at_k))) }
                    td { (est(&m.knn_macro_f1)) } td { (est(&m.knn_accuracy)) }
                    td { (est(&m.logistic_macro_f1)) } td { (est(&m.logistic_accuracy)) }
                }
            }
        }
    }
}

fn clustering_runs(r: &EvaluationResults) -> Markup {
    html! {
        h2 { "Clustering runs" }
        table {
            tr {
                th { "model" } th { "run" } th { "method" } th { "clusters" } th { "noise" }
                th { "ARI" } th { "NMI" } th { "homogeneity" } th { "completeness" } th { "V-measure" }
            }
            @for m in &r.models {
                @for run in &m.runs {
                    tr {
                        td { (m.model) } td { (run.run_id) } td { (run.method) } td { (run.clusters) }
                        td { (format!("{:.1}%", run.noise_fraction * 100.0)) }
                        td { (est(&Some(run.adjusted_rand))) } td { (est(&Some(run.nmi))) }
                        td { (est(&Some(run.homogeneity))) } td { (est(&Some(run.completeness))) }
                        td { (est(&Some(run.v_measure))) }
                    }
                }
            }
        }
        p { "Noise (reports HDBSCAN leaves unclustered) counts as one cluster of its own in these scores." }
    }
}

fn slices(r: &EvaluationResults) -> Markup {
    let k = r.spec.k;
    html! {
        @if !r.slices.is_empty() {
            h2 { "Slices" }
            p { "The same scores within each care setting and harm grade, so a model that fails one group shows." }
            table {
                tr {
                    th { "slice" } th { "reports" }
                    @for m in &r.models {
                        th { (m.model) " kNN macro-F1" } th { (m.model) " MAP@" (k) }
                    }
                }
                @for s in &r.slices {
                    tr {
                        td { (s.dimension.replace('_', " ")) ": " (s.value) }
                        td { (s.items) }
                        @for m in &s.models {
                            td { (est(&m.knn_macro_f1)) } td { (est(&m.map_at_k)) }
                        }
                    }
                }
            }
        }
    }
}

fn chart_images(charts: &[Chart]) -> Markup {
    html! {
        h2 { "Charts" }
        @for c in charts {
            h3 { (c.title) }
            img alt=(c.title) src={
                "data:image/svg+xml;base64,"
                (base64::engine::general_purpose::STANDARD.encode(c.svg.as_bytes()))
            };
        }
    }
}

fn labels(r: &EvaluationResults) -> Markup {
    html! {
        h2 { "Labels" }
        table {
            tr { th { "label" } th { "reports" } }
            @for (l, n) in r.benchmark.labels.iter().zip(&r.benchmark.label_counts) {
                tr { td { (l) } td { (n) } }
            }
        }
    }
}

fn method(r: &EvaluationResults) -> Markup {
    let k = r.spec.k;
    let queries = r.models.first().map(|m| m.queries).unwrap_or(0);
    html! {
        h2 { "Method" }
        ul {
            li {
                "Retrieval: for " (queries) " query reports (a seeded sample when the benchmark is larger), the "
                (k) " nearest other benchmark reports through the model's similarity index; a neighbour is relevant when it shares the query's label. MAP@"
                (k) " divides by min(relevant reports, " (k) ")."
            }
            li {
                "Classification: stratified " (r.spec.folds) "-fold cross-validation; every report is predicted once by a classifier that never saw it. kNN: majority of the "
                (k) " nearest reports of the other folds (ties to the nearer). Logistic regression: multinomial, L2 penalty alpha = "
                (r.spec.logistic_alpha) " (scikit-learn's 1/C), linfa."
            }
            li {
                "Intervals: " (r.spec.resamples) " bootstrap resamples of the reports (queries for retrieval), percentile method, seed "
                (r.spec.seed) ". Every model is scored on the same resamples, which makes the comparison of the two best models a paired test."
            }
            li { "Slices with fewer than " (r.spec.min_slice) " reports are not scored alone." }
        }
    }
}

/// `provenance` with every absolute path cut to its last component: a report is shared,
/// and where a model lies on the evaluator's disk (their home folder, their account name)
/// is nobody's business; the weights' digest says which model it was.
fn without_paths(provenance: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match provenance {
        Value::String(s) if s.starts_with('/') || s.starts_with('~') || s.get(1..3) == Some(":\\") => {
            let name = s.rsplit(['/', '\\']).find(|p| !p.is_empty()).unwrap_or_default();
            Value::String(format!("…/{name}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(without_paths).collect()),
        Value::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), without_paths(v))).collect()),
        other => other.clone(),
    }
}

fn provenance(r: &EvaluationResults) -> Markup {
    let b = &r.benchmark;
    html! {
        h2 { "Provenance" }
        table {
            tr { th { "dataset" } td { (r.provenance.incidents) " reports, SHA-256 " code { (r.provenance.dataset_sha256) } } }
            tr {
                th { "benchmark" }
                td {
                    (b.name) " v" (b.version) ", source " (b.source)
                    @if let Some(field) = &b.derived_from { " (field " (field) ")" }
                    ", content SHA-256 " code { (b.content_sha256) }
                }
            }
            tr { th { "software" } td { (r.provenance.software) ", schema version " (r.provenance.schema_version) } }
            tr { th { "parameters" } td { code { (serde_json::to_string(&r.spec).unwrap_or_default()) } } }
            @for m in &r.models {
                tr {
                    th { "model " (m.model) }
                    td { "index SHA-256 " code { (m.index_sha256) } br; code { (without_paths(&m.model_provenance).to_string()) } }
                }
            }
        }
    }
}

fn notes(r: &EvaluationResults) -> Markup {
    let notes: Vec<String> = r
        .models
        .iter()
        .flat_map(|m| m.notes.iter().map(move |n| format!("{}: {n}", m.model)))
        .collect();
    html! {
        @if !notes.is_empty() {
            h2 { "Notes" }
            ul { @for n in &notes { li { (n) } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_text_is_escaped_by_the_template() {
        let markup = html! { td { ("<img src=x onerror=alert(1)> & \"q\"") } };
        assert_eq!(markup.into_string(), "<td>&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;</td>");
        let e = est(&Some(Estimate { value: 0.5, low: 0.25, high: 0.75 })).into_string();
        assert_eq!(e, "0.500 <span class=\"ci\">[0.250, 0.750]</span>");
    }
}
