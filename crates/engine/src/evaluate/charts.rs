//! The report's charts, drawn with plotters as SVG (embedded in the HTML report) and PNG
//! (for slides and documents): metric bars with their intervals, the per-slice heat map,
//! the best model's confusion matrix and each model's cluster-size distribution.
//!
//! Text is laid out with ab_glyph from a TrueType file read at run time (DejaVu Sans from
//! Debian's fonts-dejavu-core, or `INCIDENT_ATLAS_FONT`), so no system font discovery
//! library is linked.

use super::results::{EvaluationResults, ModelScores};
use super::EvaluateError;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Registers the chart font once per process.
fn ensure_font() -> Result<(), EvaluateError> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut tried = Vec::new();
        let from_env = std::env::var_os("INCIDENT_ATLAS_FONT").map(PathBuf::from);
        for path in from_env
            .into_iter()
            .chain(FONT_CANDIDATES.iter().map(PathBuf::from))
        {
            match std::fs::read(&path) {
                Ok(bytes) => {
                    // plotters keeps fonts for the life of the process; so does this one copy.
                    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                    return plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                        .map_err(|_| format!("{} is not a usable TrueType font", path.display()));
                }
                Err(_) => tried.push(path.display().to_string()),
            }
        }
        Err(format!(
            "no font for chart text; install Debian's fonts-dejavu-core or set INCIDENT_ATLAS_FONT to a .ttf file (tried {})",
            tried.join(", ")
        ))
    })
    .clone()
    .map_err(EvaluateError::Chart)
}

/// One chart as SVG text, also written as `<name>.svg` and `<name>.png` under the report.
#[derive(Debug, Clone)]
pub struct Chart {
    pub name: &'static str,
    pub title: String,
    pub svg: String,
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

fn chart_err(e: impl std::fmt::Display) -> EvaluateError {
    EvaluateError::Chart(e.to_string())
}

/// Short enough to sit on an axis.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Runs the same drawing code against the SVG and the bitmap backend (plotters' backends
/// are different types, so a closure cannot serve both).
macro_rules! render_both {
    ($dir:expr, $name:expr, $title:expr, $size:expr, |$root:ident| $body:block) => {{
        let mut svg = String::new();
        {
            let $root = SVGBackend::with_string(&mut svg, $size).into_drawing_area();
            $root.fill(&WHITE).map_err(chart_err)?;
            $body
            $root.present().map_err(chart_err)?;
        }
        let png = $dir.join(format!("{}.png", $name));
        {
            let $root = BitMapBackend::new(&png, $size).into_drawing_area();
            $root.fill(&WHITE).map_err(chart_err)?;
            $body
            $root.present().map_err(chart_err)?;
        }
        std::fs::write($dir.join(format!("{}.svg", $name)), &svg).map_err(|e| {
            EvaluateError::Io {
                path: $dir.join(format!("{}.svg", $name)),
                source: e,
            }
        })?;
        Ok::<Chart, EvaluateError>(Chart {
            name: $name,
            title: $title,
            svg,
        })
    }};
}

/// The metrics drawn as bars: (label, value with interval) per model.
fn bar_metrics(m: &ModelScores, k: usize) -> Vec<(String, Option<super::Estimate>)> {
    let best_run = m
        .runs
        .iter()
        .max_by(|a, b| a.v_measure.value.total_cmp(&b.v_measure.value));
    vec![
        (format!("precision@{k}"), Some(m.precision_at_k)),
        (format!("MAP@{k}"), Some(m.map_at_k)),
        ("kNN macro-F1".into(), m.knn_macro_f1),
        ("logistic macro-F1".into(), m.logistic_macro_f1),
        ("clusters V-measure".into(), best_run.map(|r| r.v_measure)),
        ("clusters ARI".into(), best_run.map(|r| r.adjusted_rand)),
    ]
}

pub fn draw_all(results: &EvaluationResults, dir: &Path) -> Result<Vec<Chart>, EvaluateError> {
    ensure_font()?;
    let mut charts = vec![metric_bars(results, dir)?];
    if let Some(c) = slice_heat_map(results, dir)? {
        charts.push(c);
    }
    if let Some(c) = confusion(results, dir)? {
        charts.push(c);
    }
    if let Some(c) = cluster_sizes(results, dir)? {
        charts.push(c);
    }
    Ok(charts)
}

fn metric_bars(results: &EvaluationResults, dir: &Path) -> Result<Chart, EvaluateError> {
    let k = results.spec.k;
    let names: Vec<String> = results
        .models
        .first()
        .map(|m| bar_metrics(m, k).into_iter().map(|(n, _)| n).collect())
        .unwrap_or_default();
    let n_metrics = names.len().max(1);
    let n_models = results.models.len().max(1);
    let width = 0.8 / n_models as f64;
    render_both!(
        dir,
        "metrics",
        "Scores by model, with 95% bootstrap intervals".to_string(),
        (1000, 520),
        |root| {
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!(
                        "{} v{}: scores with 95% intervals",
                        results.benchmark.name, results.benchmark.version
                    ),
                    ("sans-serif", 20),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(0f64..n_metrics as f64, 0f64..1.05f64)
                .map_err(chart_err)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(n_metrics * 2 + 1)
                .x_label_formatter(&|x| label_at(*x, &names))
                .y_desc("score")
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(chart_err)?;
            for (j, m) in results.models.iter().enumerate() {
                let c = colour(j);
                let metrics = bar_metrics(m, k);
                let bars: Vec<(f64, super::Estimate)> = metrics
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (_, e))| e.map(|e| (i as f64 + 0.1 + width * j as f64, e)))
                    .collect();
                chart
                    .draw_series(bars.iter().map(|&(x, e)| {
                        Rectangle::new([(x, 0.0), (x + width * 0.92, e.value.max(0.0))], c.filled())
                    }))
                    .map_err(chart_err)?
                    .label(m.model.clone())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled())
                    });
                chart
                    .draw_series(bars.iter().map(|&(x, e)| {
                        ErrorBar::new_vertical(
                            x + width * 0.46,
                            e.low.max(0.0),
                            e.value.max(0.0),
                            e.high.max(0.0),
                            BLACK.stroke_width(1),
                            6,
                        )
                    }))
                    .map_err(chart_err)?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(chart_err)?;
        }
    )
}

/// Heat colour from white (0) to deep blue (1).
fn heat(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * v).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

fn text_on(v: f64) -> RGBColor {
    if v > 0.55 {
        WHITE
    } else {
        BLACK
    }
}

fn slice_heat_map(results: &EvaluationResults, dir: &Path) -> Result<Option<Chart>, EvaluateError> {
    if results.slices.is_empty() || results.models.is_empty() {
        return Ok(None);
    }
    let use_f1 = results
        .slices
        .iter()
        .any(|s| s.models.iter().any(|m| m.knn_macro_f1.is_some()));
    let metric = if use_f1 {
        "kNN macro-F1".to_string()
    } else {
        format!("MAP@{}", results.spec.k)
    };
    let rows: Vec<String> = results
        .slices
        .iter()
        .map(|s| {
            shorten(
                &format!(
                    "{}: {} (n={})",
                    s.dimension.replace('_', " "),
                    s.value,
                    s.items
                ),
                48,
            )
        })
        .collect();
    let cols: Vec<String> = results
        .models
        .iter()
        .map(|m| shorten(&m.model, 24))
        .collect();
    let cell = |r: usize, c: usize| -> Option<f64> {
        let m = &results.slices[r].models[c];
        if use_f1 {
            m.knn_macro_f1.map(|e| e.value)
        } else {
            m.map_at_k.map(|e| e.value)
        }
    };
    let height = (120 + 28 * rows.len()) as u32;
    let width = (420 + 170 * cols.len()) as u32;
    let (nr, nc) = (rows.len(), cols.len());
    render_both!(
        dir,
        "slices",
        format!("{metric} by care setting and harm grade"),
        (width, height),
        |root| {
            let mut chart = ChartBuilder::on(&root)
                .caption(format!("{metric} by slice"), ("sans-serif", 20))
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(340)
                .build_cartesian_2d(0f64..nc as f64, 0f64..nr as f64)
                .map_err(chart_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(nc * 2 + 1)
                .y_labels(nr * 2 + 1)
                .x_label_formatter(&|x| label_at(*x, &cols))
                .y_label_formatter(&|y| label_at(nr as f64 - *y, &rows))
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(chart_err)?;
            for r in 0..nr {
                for c in 0..nc {
                    let y0 = (nr - 1 - r) as f64;
                    let v = cell(r, c);
                    let fill = v.map(heat).unwrap_or(RGBColor(230, 230, 230));
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(c as f64, y0), (c as f64 + 1.0, y0 + 1.0)],
                            fill.filled(),
                        )))
                        .map_err(chart_err)?;
                    let text = v.map(|v| format!("{v:.3}")).unwrap_or_else(|| "–".into());
                    let style = ("sans-serif", 13)
                        .into_font()
                        .color(&text_on(v.unwrap_or(0.0)));
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            (c as f64 + 0.4, y0 + 0.68),
                            style,
                        )))
                        .map_err(chart_err)?;
                }
            }
        }
    )
    .map(Some)
}

/// The name at a tick placed at the middle of slot `i` (i + 0.5), else nothing.
fn label_at(x: f64, names: &[String]) -> String {
    let i = (x - 0.5).round();
    if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
        names[i as usize].clone()
    } else {
        String::new()
    }
}

fn confusion(results: &EvaluationResults, dir: &Path) -> Result<Option<Chart>, EvaluateError> {
    let Some(best) = results
        .best_model
        .as_ref()
        .and_then(|b| results.models.iter().find(|m| &m.model == b))
    else {
        return Ok(None);
    };
    if best.confusion.is_empty() {
        return Ok(None);
    }
    // Rows carry the numbered label names, columns only the numbers: long category names
    // would not fit under a column.
    let labels: Vec<String> = results
        .benchmark
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{} {}", i + 1, shorten(l, 34)))
        .collect();
    let numbers: Vec<String> = (1..=labels.len()).map(|i| i.to_string()).collect();
    let n = labels.len();
    let m = &best.confusion;
    let side = (60 + 46 * n).max(300) as u32;
    render_both!(
        dir,
        "confusion",
        format!("Confusion matrix of {} (kNN, out of fold)", best.model),
        (side + 330, side + 100),
        |root| {
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    format!("{}: kNN predictions (rows: truth)", best.model),
                    ("sans-serif", 18),
                )
                .margin(12)
                .x_label_area_size(50)
                .y_label_area_size(300)
                .build_cartesian_2d(0f64..n as f64, 0f64..n as f64)
                .map_err(chart_err)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(n * 2 + 1)
                .y_labels(n * 2 + 1)
                .x_label_formatter(&|x| label_at(*x, &numbers))
                .y_label_formatter(&|y| label_at(n as f64 - *y, &labels))
                .label_style(("sans-serif", 11))
                .x_desc("predicted label (numbered as the rows)")
                .draw()
                .map_err(chart_err)?;
            for (t, row) in m.iter().enumerate() {
                let total: u64 = row.iter().sum();
                for (p, &count) in row.iter().enumerate() {
                    let share = if total == 0 {
                        0.0
                    } else {
                        count as f64 / total as f64
                    };
                    let y0 = (n - 1 - t) as f64;
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(p as f64, y0), (p as f64 + 1.0, y0 + 1.0)],
                            heat(share).filled(),
                        )))
                        .map_err(chart_err)?;
                    if count > 0 {
                        let style = ("sans-serif", 11).into_font().color(&text_on(share));
                        chart
                            .draw_series(std::iter::once(Text::new(
                                count.to_string(),
                                (p as f64 + 0.25, y0 + 0.68),
                                style,
                            )))
                            .map_err(chart_err)?;
                    }
                }
            }
        }
    )
    .map(Some)
}

fn cluster_sizes(results: &EvaluationResults, dir: &Path) -> Result<Option<Chart>, EvaluateError> {
    let with_runs: Vec<(usize, &ModelScores)> = results
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.cluster_sizes.is_empty())
        .collect();
    if with_runs.is_empty() {
        return Ok(None);
    }
    let max_rank = with_runs
        .iter()
        .map(|(_, m)| m.cluster_sizes.len())
        .max()
        .unwrap_or(1);
    let max_size = with_runs
        .iter()
        .flat_map(|(_, m)| m.cluster_sizes.first().copied())
        .max()
        .unwrap_or(1) as f64;
    render_both!(
        dir,
        "cluster_sizes",
        "Cluster sizes of each model's latest run, largest first".to_string(),
        (900, 480),
        |root| {
            let mut chart = ChartBuilder::on(&root)
                .caption(
                    "Cluster sizes, largest first (latest run)",
                    ("sans-serif", 18),
                )
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(
                    1f64..(max_rank as f64 + 1.0),
                    (1f64..max_size * 1.5).log_scale(),
                )
                .map_err(chart_err)?;
            chart
                .configure_mesh()
                .x_desc("cluster rank")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .y_desc("reports (log scale)")
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(chart_err)?;
            for &(j, m) in &with_runs {
                let c = colour(j);
                chart
                    .draw_series(LineSeries::new(
                        m.cluster_sizes
                            .iter()
                            .enumerate()
                            .map(|(r, &s)| (r as f64 + 1.0, s.max(1) as f64)),
                        c.stroke_width(2),
                    ))
                    .map_err(chart_err)?
                    .label(format!("{} ({} clusters)", m.model, m.cluster_sizes.len()))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()
                .map_err(chart_err)?;
        }
    )
    .map(Some)
}

/// A training loss curve (mean loss per span against examples processed), written as
/// `loss.svg` and `loss.png` in `dir`.
pub(crate) fn loss_chart(
    dir: &Path,
    title: &str,
    x_desc: &str,
    points: &[(f64, f64)],
) -> Result<Chart, EvaluateError> {
    ensure_font()?;
    let max_x = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let max_y = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-6);
    render_both!(dir, "loss", title.to_string(), (900, 420), |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..max_x, 0f64..max_y * 1.05)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("mean loss")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(chart_err)?;
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour(0).stroke_width(2),
            ))
            .map_err(chart_err)?;
    })
}
