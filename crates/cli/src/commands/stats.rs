use crate::output::Ui;
use engine::stats::{project_stats, Count};
use std::path::Path;
use std::process::ExitCode;

pub fn run(project: &Path, ui: &Ui) -> anyhow::Result<ExitCode> {
    let store = engine::Store::open(project)?;
    let stats = project_stats(&store)?;
    if ui.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("Project {}", project.display());
    println!("  incidents: {}", stats.incidents);
    match (&stats.first_date, &stats.last_date) {
        (Some(first), Some(last)) => println!("  dates:     {first} to {last}"),
        _ => println!(
            "  dates:     (no incidents yet; import some with `incident-atlas ingest FILE`)"
        ),
    }
    println!("  imports:   {}", stats.datasets.len());
    for d in &stats.datasets {
        println!(
            "    #{} {} ({}): {} imported, {} duplicates, {} set aside, {}",
            d.id,
            d.name,
            d.format,
            d.counts.imported,
            d.counts.duplicate,
            d.counts.rejected,
            d.imported_at
        );
    }
    table("Category (IN05)", &stats.by_category, stats.incidents);
    table("Degree of harm (PD09)", &stats.by_harm, stats.incidents);
    table(
        "Care setting (RP02)",
        &stats.by_care_setting,
        stats.incidents,
    );
    table("Specialty (PD05)", &stats.by_specialty, stats.incidents);
    table("Month", &stats.by_month, stats.incidents);
    Ok(ExitCode::SUCCESS)
}

fn table(title: &str, counts: &[Count], total: u64) {
    if counts.is_empty() {
        return;
    }
    println!("\n{title}");
    let width = counts
        .iter()
        .map(|c| c.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for c in counts {
        let mut value: String = c.value.chars().take(60).collect();
        if c.value.chars().count() > 60 {
            value.pop();
            value.push('…');
        }
        let share = if total > 0 {
            100.0 * c.count as f64 / total as f64
        } else {
            0.0
        };
        println!("  {value:<width$}  {:>8}  {share:5.1}%", c.count);
    }
}
