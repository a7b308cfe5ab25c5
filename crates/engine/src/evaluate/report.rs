//! The evaluation report: one HTML file with every chart embedded as a data URI and no
//! external asset, so it can be mailed or archived as is. All text from the project
//! (label names, model names, care settings) is escaped; none of it becomes markup.

use super::bootstrap::Estimate;
use super::charts::Chart;
use super::results::EvaluationResults;
use base64::Engine;
use std::fmt::Write;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn est(e: &Option<Estimate>) -> String {
    match e {
        Some(e) => format!(
            "{:.3} <span class=ci>[{:.3}, {:.3}]</span>",
            e.value, e.low, e.high
        ),
        None => "–".into(),
    }
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f8}.ci{color:#666;font-size:90%}.best{background:#eef7ee}code{font-size:90%}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}h2{margin-top:1.8em;border-bottom:1px solid #ddd}";

pub fn render_html(
    results: &EvaluationResults,
    charts: &[Chart],
    created_at: &str,
    created_by: &str,
) -> String {
    let r = results;
    let k = r.spec.k;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=Content-Security-Policy content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\"><title>Evaluation: {} v{}</title><style>{STYLE}</style></head><body>",
        esc(&r.benchmark.name),
        r.benchmark.version
    );
    let _ = write!(
        h,
        "<h1>Model evaluation on benchmark “{}” v{}</h1><p>{} reports scored ({} not in this project, {} without a vector from every model, {} left out because a model was trained on their labels), {} labels, {} model(s). Made {} by {}.</p>",
        esc(&r.benchmark.name),
        r.benchmark.version,
        r.items,
        r.items_missing,
        r.items_unencoded,
        r.items_trained_on,
        r.benchmark.labels.len(),
        r.models.len(),
        esc(created_at),
        esc(created_by)
    );
    if let Some(verdict) = r.verdict() {
        let _ = write!(h, "<p><b>{}</b></p>", esc(&verdict));
    }
    if !r.paired.is_empty() {
        h.push_str("<table><tr><th>paired test</th><th>difference</th><th>p</th></tr>");
        for t in &r.paired {
            let _ = write!(
                h,
                "<tr><td>{} − {} on {}</td><td>{:+.3} <span class=ci>[{:+.3}, {:+.3}]</span></td><td>{:.3}</td></tr>",
                esc(&t.better),
                esc(&t.other),
                esc(&t.metric),
                t.difference.value,
                t.difference.low,
                t.difference.high,
                t.p_value
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Scores</h2><p>Every figure is followed by its 95% percentile bootstrap interval.</p><table><tr><th>model</th><th>kind</th><th>dims</th>");
    let _ = write!(
        h,
        "<th>precision@{k}</th><th>MAP@{k}</th><th>kNN macro-F1</th><th>kNN accuracy</th><th>logistic macro-F1</th><th>logistic accuracy</th></tr>"
    );
    for m in &r.models {
        let class = if Some(&m.model) == r.best_model.as_ref() {
            " class=best"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.model),
            esc(&m.kind),
            m.dimension,
            est(&Some(m.precision_at_k)),
            est(&Some(m.map_at_k)),
            est(&m.knn_macro_f1),
            est(&m.knn_accuracy),
            est(&m.logistic_macro_f1),
            est(&m.logistic_accuracy)
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Clustering runs</h2><table><tr><th>model</th><th>run</th><th>method</th><th>clusters</th><th>noise</th><th>ARI</th><th>NMI</th><th>homogeneity</th><th>completeness</th><th>V-measure</th></tr>");
    for m in &r.models {
        for run in &m.runs {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.model),
                run.run_id,
                esc(&run.method),
                run.clusters,
                run.noise_fraction * 100.0,
                est(&Some(run.adjusted_rand)),
                est(&Some(run.nmi)),
                est(&Some(run.homogeneity)),
                est(&Some(run.completeness)),
                est(&Some(run.v_measure))
            );
        }
    }
    h.push_str("</table><p>Noise (reports HDBSCAN leaves unclustered) counts as one cluster of its own in these scores.</p>");

    if !r.slices.is_empty() {
        h.push_str("<h2>Slices</h2><p>The same scores within each care setting and harm grade, so a model that fails one group shows.</p><table><tr><th>slice</th><th>reports</th>");
        for m in &r.models {
            let _ = write!(
                h,
                "<th>{} kNN macro-F1</th><th>{} MAP@{k}</th>",
                esc(&m.model),
                esc(&m.model)
            );
        }
        h.push_str("</tr>");
        for s in &r.slices {
            let _ = write!(
                h,
                "<tr><td>{}: {}</td><td>{}</td>",
                esc(&s.dimension.replace('_', " ")),
                esc(&s.value),
                s.items
            );
            for m in &s.models {
                let _ = write!(
                    h,
                    "<td>{}</td><td>{}</td>",
                    est(&m.knn_macro_f1),
                    est(&m.map_at_k)
                );
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Charts</h2>");
    for c in charts {
        let data = base64::engine::general_purpose::STANDARD.encode(c.svg.as_bytes());
        let _ = write!(
            h,
            "<h3>{}</h3><img alt=\"{}\" src=\"data:image/svg+xml;base64,{data}\">",
            esc(&c.title),
            esc(&c.title)
        );
    }

    h.push_str("<h2>Labels</h2><table><tr><th>label</th><th>reports</th></tr>");
    for (l, n) in r.benchmark.labels.iter().zip(&r.benchmark.label_counts) {
        let _ = write!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(l));
    }
    h.push_str("</table>");

    let _ = write!(
        h,
        "<h2>Method</h2><ul><li>Retrieval: for {} query reports (a seeded sample when the benchmark is larger), the {k} nearest other benchmark reports through the model's similarity index; a neighbour is relevant when it shares the query's label. MAP@{k} divides by min(relevant reports, {k}).</li><li>Classification: stratified {}-fold cross-validation; every report is predicted once by a classifier that never saw it. kNN: majority of the {k} nearest reports of the other folds (ties to the nearer). Logistic regression: multinomial, L2 penalty alpha = {} (scikit-learn's 1/C), linfa.</li><li>Intervals: {} bootstrap resamples of the reports (queries for retrieval), percentile method, seed {}. Every model is scored on the same resamples, which makes the comparison of the two best models a paired test.</li><li>Slices with fewer than {} reports are not scored alone.</li></ul>",
        r.models.first().map(|m| m.queries).unwrap_or(0),
        r.spec.folds,
        r.spec.logistic_alpha,
        r.spec.resamples,
        r.spec.seed,
        r.spec.min_slice
    );

    let _ = write!(
        h,
        "<h2>Provenance</h2><table><tr><th>dataset</th><td>{} reports, SHA-256 <code>{}</code></td></tr><tr><th>benchmark</th><td>{} v{}, source {}{}, content SHA-256 <code>{}</code></td></tr><tr><th>software</th><td>{}, schema version {}</td></tr><tr><th>parameters</th><td><code>{}</code></td></tr>",
        r.provenance.incidents,
        esc(&r.provenance.dataset_sha256),
        esc(&r.benchmark.name),
        r.benchmark.version,
        esc(&r.benchmark.source),
        r.benchmark
            .derived_from
            .as_deref()
            .map(|f| format!(" (field {})", esc(f)))
            .unwrap_or_default(),
        esc(&r.benchmark.content_sha256),
        esc(&r.provenance.software),
        r.provenance.schema_version,
        esc(&serde_json::to_string(&r.spec).unwrap_or_default())
    );
    for m in &r.models {
        let _ = write!(
            h,
            "<tr><th>model {}</th><td>index SHA-256 <code>{}</code><br><code>{}</code></td></tr>",
            esc(&m.model),
            esc(&m.index_sha256),
            esc(&m.model_provenance.to_string())
        );
    }
    h.push_str("</table>");
    let notes: Vec<String> = r
        .models
        .iter()
        .flat_map(|m| m.notes.iter().map(move |n| format!("{}: {n}", m.model)))
        .collect();
    if !notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>");
        for n in notes {
            let _ = write!(h, "<li>{}</li>", esc(&n));
        }
        h.push_str("</ul>");
    }
    h.push_str("</body></html>\n");
    h
}
