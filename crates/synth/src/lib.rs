//! The synthetic demo data set (its own crate: the engine never needs it; the CLI writes
//! the demo file with it and the tests and benchmarks generate reports with it): NRLS-shaped incident reports made from templates by a
//! seeded generator, so the file in `assets/demo/` can be rebuilt byte for byte.
//!
//! Real incident text is confidential; nothing here is derived from real reports. The
//! generator gives tests and the demo a corpus with known structure: a hidden
//! `ground_truth_type` per report and one emerging type that only appears at the end, on
//! top of yearly seasons, slow trends in some types and injected outbreaks
//! (`ground_truth_outbreak`, see `outbreaks`).

mod catalogue;
pub mod labelled;
mod outbreaks;
pub mod personal;
mod rng;
mod shorthand;
mod text;
mod vocab;

pub use catalogue::{IncidentType, CARE_SETTINGS, SPIKE, TYPES};
pub use outbreaks::{InjectedOutbreak, Trend, OUTBREAKS, TRENDS};
pub use personal::{Templates, Truth};

/// Every piece of text the generator may write for the incident type `key` (its
/// templates in full and in shorthand, and every filler of their slots), or, with None,
/// for the background any type's report may carry (`CONTEXT`, `COMMON_DETAILS`): what
/// tests judge a cluster's keywords against. Empty for an unknown key.
pub fn written_text(key: Option<&str>) -> Vec<&'static str> {
    let templates: Vec<&'static str> = match key {
        None => catalogue::CONTEXT.iter().chain(catalogue::COMMON_DETAILS).copied().collect(),
        Some(key) => TYPES
            .iter()
            .chain(std::iter::once(&SPIKE))
            .filter(|t| t.key == key)
            .flat_map(|t| {
                t.events.iter().chain(t.details).chain(t.causes).chain(t.actions).chain(shorthand::events(t.key)).copied()
            })
            .collect(),
    };
    let mut out = templates.clone();
    for template in templates {
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else { break };
            out.extend(vocab::fillers(&rest[open + 1..open + close]).unwrap_or_default());
            rest = &rest[open + close + 1..];
        }
    }
    out
}

use engine::fields::NRLS_CATEGORIES;
use chrono::{Datelike, NaiveDate};
use rng::Rng;
use std::io::Write;

/// The seed and size of the committed demo file.
pub const DEMO_SEED: u64 = 20_240_101;
pub const DEMO_ROWS: usize = 20_000;

/// The column of where the injected personal data is, written only when some is injected.
pub const PERSONAL_HEADER: &str = "ground_truth_personal";

/// Column headers of the generated CSV, in NRLS export style (code + name).
pub const HEADERS: [&str; 12] = [
    "RP01_report_id",
    "IN01_incident_date",
    "IN05_incident_category",
    "PD09_degree_of_harm",
    "RP02_care_setting",
    "PD05_specialty",
    "IN03_location",
    "IN07_description_of_what_happened",
    "IN11_apparent_causes",
    "IN10_actions_preventing_reoccurrence",
    "ground_truth_type",
    "ground_truth_outbreak",
];

#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub rows: usize,
    pub seed: u64,
    pub start: NaiveDate,
    /// Length of the period in days.
    pub days: u32,
    /// The emerging type appears in the last this many days.
    pub spike_days: u32,
    /// Share of reports on the last day that are of the emerging type (it ramps up from 0).
    pub spike_peak_share: f64,
    /// Share of reports whose description gets fake personal data (names, NHS numbers,
    /// phones...), with its spans in `ground_truth_personal`; 0 writes no such column.
    pub personal_share: f64,
    /// Which templates the personal data is written with.
    pub personal_templates: Templates,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            rows: DEMO_ROWS,
            seed: DEMO_SEED,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            days: 731,
            spike_days: 61,
            spike_peak_share: 0.2,
            // None in the committed demo: injected sentences name no incident type, and a tenth
            // of reports carrying them measurably blurred its clusters (README, "Demo data").
            personal_share: 0.0,
            personal_templates: Templates::Demo,
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SynthSummary {
    pub rows: usize,
    pub first_date: String,
    pub last_date: String,
    /// Reports per ground-truth type, in catalogue order, the emerging type last.
    pub per_type: Vec<(String, usize)>,
    pub spike_first_date: Option<String>,
    /// The injected outbreaks as generated.
    pub outbreaks: Vec<OutbreakSummary>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OutbreakSummary {
    pub id: String,
    pub key: String,
    pub setting: Option<String>,
    pub shape: String,
    pub first_day: String,
    pub reports: usize,
}

/// Writes `config.rows` reports as CSV to `out`, in date order. Memory use does not grow
/// with the number of rows.
pub fn generate<W: Write>(config: &SynthConfig, out: W) -> std::io::Result<SynthSummary> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    let personal = config.personal_share > 0.0;
    if personal {
        writer.write_record(HEADERS.iter().copied().chain([PERSONAL_HEADER]))?;
    } else {
        writer.write_record(HEADERS)?;
    }
    let mut rng = Rng::new(config.seed);
    let days = config.days.max(1) as usize;
    let per_day = rows_per_day(config, days);
    let mut summary = SynthSummary {
        rows: config.rows,
        per_type: TYPES
            .iter()
            .chain([&SPIKE])
            .map(|t| (t.key.to_string(), 0))
            .collect(),
        outbreaks: OUTBREAKS
            .iter()
            .map(|o| OutbreakSummary {
                id: o.id.into(),
                key: o.key.into(),
                setting: o.setting.map(|s| CARE_SETTINGS[s].to_string()),
                shape: o.shape().into(),
                first_day: (config.start + chrono::Days::new(u64::from(o.start_day))).format("%Y-%m-%d").to_string(),
                reports: 0,
            })
            .collect(),
        ..Default::default()
    };
    let outbreak_types: Vec<usize> =
        OUTBREAKS.iter().map(|o| TYPES.iter().position(|t| t.key == o.key).unwrap_or(0)).collect();
    let scale = config.rows as f64 / DEMO_ROWS as f64;
    let mut serial = 0usize;
    for (day, &count) in per_day.iter().enumerate() {
        let date = config.start + chrono::Days::new(day as u64);
        let date_text = date.format("%Y-%m-%d").to_string();
        let weights = type_weights(date, day as f64 / days as f64);
        let spike_share = spike_share(config, days, day);
        // Each active outbreak's share of the day's reports (its week's extra reports over
        // seven days, scaled to the size generated).
        let outbreak_shares: Vec<f64> = OUTBREAKS
            .iter()
            .map(|o| {
                let into = day as i64 - i64::from(o.start_day);
                let week = usize::try_from(into / 7).ok().filter(|_| into >= 0);
                match week.and_then(|w| o.weekly.get(w)) {
                    Some(extra) if count > 0 => (extra * scale / 7.0 / count as f64).min(0.5),
                    _ => 0.0,
                }
            })
            .collect();
        for _ in 0..count {
            serial += 1;
            let mut r = rng.fork();
            let mut outbreak = None;
            let kind = if r.chance(spike_share) {
                TYPES.len()
            } else {
                // Drawn only on outbreak days, so the other days' reports stay as they were.
                for (o, share) in outbreak_shares.iter().enumerate() {
                    if outbreak.is_none() && *share > 0.0 && r.chance(*share) {
                        outbreak = Some(o);
                    }
                }
                match outbreak {
                    Some(o) => outbreak_types[o],
                    None => r.weighted(&weights),
                }
            };
            let t = if kind == TYPES.len() {
                &SPIKE
            } else {
                &TYPES[kind]
            };
            summary.per_type[kind].1 += 1;
            if kind == TYPES.len() && summary.spike_first_date.is_none() {
                summary.spike_first_date = Some(date_text.clone());
            }
            let report = text::Report::write(t, &mut r);
            let drawn = t.settings[r.weighted(&t.settings.iter().map(|s| s.1).collect::<Vec<_>>())].0;
            let setting = CARE_SETTINGS[outbreak.and_then(|o| OUTBREAKS[o].setting).unwrap_or(drawn)];
            if let Some(o) = outbreak {
                summary.outbreaks[o].reports += 1;
            }
            let harm = (r.weighted(&t.harm) + 1).to_string();
            let (description, truth) = if personal {
                // Its own stream, so the rest of every report stays as it is without it.
                let mut p = Rng::new(config.seed ^ 0x9E37_79B9_7F4A_7C15 ^ serial as u64);
                if p.chance(config.personal_share) {
                    let (text, spans) = personal::inject(&report.description, config.personal_templates, &mut p);
                    (text, personal::truth_column(&spans))
                } else {
                    (report.description.clone(), personal::truth_column(&personal::in_report(&report.description)))
                }
            } else {
                (report.description.clone(), String::new())
            };
            let id = format!("IA-{serial:07}");
            let record = [
                id.as_str(),
                &date_text,
                NRLS_CATEGORIES[t.category],
                &harm,
                setting,
                *r.pick(t.specialties),
                *r.pick(t.locations),
                &description,
                &report.causes,
                &report.actions,
                t.key,
                outbreak.map_or("", |o| OUTBREAKS[o].id),
            ];
            if personal {
                writer.write_record(record.iter().copied().chain([truth.as_str()]))?;
            } else {
                writer.write_record(record)?;
            }
            if summary.first_date.is_empty() {
                summary.first_date = date_text.clone();
            }
            summary.last_date = date_text.clone();
        }
    }
    writer.flush()?;
    Ok(summary)
}

/// Splits the rows over the days: fewer at weekends, more in winter, exactly `rows` in all.
fn rows_per_day(config: &SynthConfig, days: usize) -> Vec<usize> {
    let intensity: Vec<f64> = (0..days)
        .map(|d| {
            let date = config.start + chrono::Days::new(d as u64);
            let weekend = matches!(date.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
            (if weekend { 0.8 } else { 1.05 }) * (1.0 + 0.12 * winter(date))
        })
        .collect();
    let total: f64 = intensity.iter().sum();
    let mut cumulative = 0.0;
    let mut assigned = 0usize;
    intensity
        .iter()
        .map(|i| {
            cumulative += i;
            let upto = ((cumulative / total) * config.rows as f64).round() as usize;
            let n = upto.min(config.rows) - assigned;
            assigned += n;
            n
        })
        .collect()
}

/// +1 in mid-January, -1 in mid-July.
fn winter(date: NaiveDate) -> f64 {
    (2.0 * std::f64::consts::PI * (date.ordinal() as f64 - 15.0) / 365.25).cos()
}

/// Each type's weight on `date`, `t` of the way through the period: its season and trend.
fn type_weights(date: NaiveDate, t: f64) -> Vec<f64> {
    let w = winter(date);
    TYPES
        .iter()
        .map(|ty| {
            let trend = TRENDS.iter().find(|tr| tr.key == ty.key).map_or(1.0, |tr| 1.0 + tr.change * t);
            ty.weight * (1.0 + ty.winter * w).max(0.05) * trend.max(0.05)
        })
        .collect()
}

fn spike_share(config: &SynthConfig, days: usize, day: usize) -> f64 {
    let spike_days = config.spike_days as usize;
    if spike_days == 0 || day + spike_days < days {
        return 0.0;
    }
    let into = (day + spike_days + 1 - days) as f64;
    config.spike_peak_share * into / spike_days as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(rows: usize, seed: u64) -> (Vec<u8>, SynthSummary) {
        let mut out = Vec::new();
        let summary = generate(
            &SynthConfig {
                rows,
                seed,
                ..Default::default()
            },
            &mut out,
        )
        .unwrap();
        (out, summary)
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, _) = small(500, 3);
        let (b, _) = small(500, 3);
        let (c, _) = small(500, 4);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn exact_row_count_and_spike_only_at_the_end() {
        let (bytes, summary) = small(5000, DEMO_SEED);
        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 5000);
        assert_eq!(summary.per_type.iter().map(|t| t.1).sum::<usize>(), 5000);
        let spike_dates: Vec<&str> = rows
            .iter()
            .filter(|r| &r[10] == SPIKE.key)
            .map(|r| r.get(1).unwrap())
            .collect();
        assert!(
            spike_dates.len() > 20,
            "spike has {} rows",
            spike_dates.len()
        );
        assert!(
            spike_dates.iter().all(|d| *d >= "2025-11-01"),
            "spike starts in the last two months"
        );
        let types: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.get(10).unwrap()).collect();
        assert!(types.len() >= 21, "{} types", types.len());
        let categories: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.get(2).unwrap()).collect();
        assert_eq!(categories.len(), 15, "every NRLS category appears");
        let harm_low = rows
            .iter()
            .filter(|r| matches!(r.get(3), Some("1" | "2")))
            .count() as f64
            / 5000.0;
        assert!(
            (0.75..0.95).contains(&harm_low),
            "no/low harm share {harm_low}"
        );
        let lengths: Vec<usize> = rows.iter().map(|r| r[7].len()).collect();
        assert!(lengths.iter().any(|l| *l < 80), "some one-liners");
        assert!(
            rows.iter().any(|r| r[7].contains("\n\n")),
            "some multi-paragraph reports"
        );
        let dates_sorted = rows.windows(2).all(|w| w[0][1] <= w[1][1]);
        assert!(dates_sorted);
    }

    /// Every outbreak's reports are of its type, in its setting when it has one, inside its
    /// weeks, and about as many as asked for.
    #[test]
    fn outbreaks_are_where_and_when_the_ground_truth_says() {
        let (bytes, summary) = small(DEMO_ROWS, DEMO_SEED);
        let mut reader = csv::Reader::from_reader(&bytes[..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        let start = SynthConfig::default().start;
        for (o, got) in OUTBREAKS.iter().zip(&summary.outbreaks) {
            let mine: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[11] == o.id).collect();
            assert_eq!(mine.len(), got.reports);
            let asked: f64 = o.weekly.iter().sum();
            assert!((mine.len() as f64 - asked).abs() <= 3.0 * asked.sqrt() + 1.0, "{}: {} reports for {asked}", o.id, mine.len());
            let first = start + chrono::Days::new(u64::from(o.start_day));
            let last = first + chrono::Days::new(7 * o.weekly.len() as u64 - 1);
            for r in &mine {
                assert_eq!(&r[10], o.key);
                let date = NaiveDate::parse_from_str(&r[1], "%Y-%m-%d").unwrap();
                assert!(date >= first && date <= last, "{}: {date}", o.id);
                if let Some(s) = o.setting {
                    assert_eq!(&r[4], CARE_SETTINGS[s]);
                }
            }
        }
        assert_eq!(summary.outbreaks.iter().map(|o| o.shape.as_str()).collect::<Vec<_>>(), ["plateau", "spike", "ramp", "plateau", "spike"]);
        // The trends: pressure ulcers a larger share of the second year than of the first.
        let share = |key: &str, year: &str| {
            let in_year: Vec<_> = rows.iter().filter(|r| r[1].starts_with(year) && r[11].is_empty()).collect();
            in_year.iter().filter(|r| &r[10] == key).count() as f64 / in_year.len() as f64
        };
        assert!(share("pressure_ulcer", "2025") > 1.15 * share("pressure_ulcer", "2024"));
        assert!(share("documentation", "2025") < 0.9 * share("documentation", "2024"));
    }
}
