//! One weekly count series through one detector: the engine's defaults and choices around
//! `ml::surveillance` (which detector suits the history a series has, how many years back,
//! which weeks are monitored), and the result in the form every front end shows, with
//! the parameters it was computed with.

use super::error::SignalError;
use chrono::NaiveDate;
use ml::surveillance::cusum::{cusum, in_control_dispersion, in_control_mean, CusumParams};
use ml::surveillance::farrington::{farrington_flexible, years_available, FarringtonParams};
use serde::{Deserialize, Serialize};

/// The most years of history the Farrington detectors look back.
pub const MOST_YEARS: usize = 5;
/// The Farrington detectors' one-sided level. R's default is 0.05, which on every cluster,
/// category and stratum series of a run would alarm on one series in twenty each week by
/// chance alone; 0.01 keeps a run's weekly false alarms to a handful (see `bench signals`).
pub const ALPHA: f64 = 0.005;
/// Weeks of history CUSUM needs for its in-control mean.
pub const CUSUM_MIN_HISTORY: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Noufaily's Farrington where a year of history exists, CUSUM where it does not.
    Auto,
    /// Farrington et al. (1996) as `farringtonFlexible` runs it (delta bound, 2/3 power).
    Farrington,
    /// Noufaily et al. (2013): more baseline, 26 weeks left out, negative binomial bound.
    Noufaily,
    Cusum,
}

impl Method {
    pub fn parse(name: &str) -> Result<Method, SignalError> {
        match name {
            "auto" => Ok(Method::Auto),
            "farrington" => Ok(Method::Farrington),
            "noufaily" => Ok(Method::Noufaily),
            "cusum" => Ok(Method::Cusum),
            other => Err(SignalError::Invalid(format!(
                "no detection method {other:?}: use auto, farrington, noufaily or cusum"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Farrington => "farrington",
            Method::Noufaily => "noufaily",
            Method::Cusum => "cusum",
        }
    }
}

/// The parameters a series was actually run with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Applied {
    Farrington(FarringtonParams),
    Noufaily(FarringtonParams),
    /// `mean` is the in-control mean from the `history_weeks` before the first monitored one.
    Cusum { params: CusumParams, mean: f64, history_weeks: usize },
    /// A series with history but not one report in it: nothing to estimate a mean from, so
    /// a week alarms when the last `weeks` weeks hold at least `cases` reports (the
    /// Farrington family's recent-cases rule, which is what its bound comes to as the
    /// baseline mean goes to 0).
    NewSeries { cases: u32, weeks: usize, history_weeks: usize },
}

impl Applied {
    pub fn method(&self) -> Method {
        match self {
            Applied::Farrington(_) => Method::Farrington,
            Applied::Noufaily(_) => Method::Noufaily,
            Applied::Cusum { .. } | Applied::NewSeries { .. } => Method::Cusum,
        }
    }
}

/// One monitored week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WeekSignal {
    /// The week's first day, YYYY-MM-DD.
    pub week_start: String,
    pub observed: f64,
    /// The count the detector expected; None where it could not say (too little history,
    /// a model that did not converge, or too few recent reports to judge).
    pub expected: Option<f64>,
    pub upper: Option<f64>,
    /// Above 1: beyond the bound (Farrington's (y − fit)/(U − fit); CUSUM's sum over h).
    pub score: Option<f64>,
    pub alarm: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDetection {
    /// None when the series is too short for any detector.
    pub applied: Option<Applied>,
    pub weeks: Vec<WeekSignal>,
    /// Why nothing was run, in words.
    pub note: Option<String>,
}

/// What to run on a series; the engine's defaults where None.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectOptions {
    pub method: Method,
    /// Farrington: years back (default as many as the first monitored week has).
    pub years: Option<usize>,
    /// Farrington: the one-sided level (default `ALPHA`).
    pub alpha: Option<f64>,
}

impl DetectOptions {
    pub fn new(method: Method) -> DetectOptions {
        DetectOptions { method, years: None, alpha: None }
    }
}

/// Runs `method` on the weeks `monitored` of a weekly series (consecutive Mondays). With
/// `Auto`, a series with less than a year of history before its first monitored week gets
/// CUSUM, one with more Noufaily's Farrington. Farrington looks back `years` years, or as
/// many as the first monitored week has (at most `MOST_YEARS`); asked of a series without
/// a year of history it says so instead of quietly running something else.
pub fn detect(
    weeks: &[NaiveDate],
    counts: &[f64],
    monitored: std::ops::Range<usize>,
    options: &DetectOptions,
) -> Result<SeriesDetection, SignalError> {
    let (method, years) = (options.method, options.years);
    let alpha = options.alpha.unwrap_or(ALPHA);
    if !(alpha > 0.0 && alpha < 0.5) {
        return Err(SignalError::Invalid(format!("alpha must be above 0 and below 0.5, not {alpha}")));
    }
    if options.alpha.is_some() && method == Method::Cusum {
        return Err(SignalError::Invalid("alpha is a Farrington setting; CUSUM's is its decision interval h".into()));
    }
    if weeks.len() != counts.len() {
        return Err(SignalError::Invalid(format!("{} weeks for {} counts", weeks.len(), counts.len())));
    }
    if monitored.start >= monitored.end || monitored.end > counts.len() {
        return Err(SignalError::Invalid(format!(
            "weeks {}..{} cannot be monitored in a series of {}",
            monitored.start,
            monitored.end,
            counts.len()
        )));
    }
    if let Some(bad) = counts.iter().find(|c| !(c.is_finite() && **c >= 0.0)) {
        return Err(SignalError::Invalid(format!("counts must be 0 or more, not {bad}")));
    }
    let available = years_available(weeks, monitored.start, 3, years.unwrap_or(MOST_YEARS).max(1));
    let years = match years {
        Some(0) => return Err(SignalError::Invalid("Farrington needs at least one year back".into())),
        Some(_) if method == Method::Cusum => {
            return Err(SignalError::Invalid("years back are a Farrington setting; CUSUM has none".into()))
        }
        Some(asked) if asked > available && method != Method::Auto => {
            return Err(SignalError::Invalid(format!(
                "{asked} years back asked, but the first monitored week ({}) has {available}",
                weeks[monitored.start]
            )))
        }
        _ => available,
    };
    if years == 0 && matches!(method, Method::Farrington | Method::Noufaily) {
        return Err(SignalError::Invalid(format!(
            "the first monitored week ({}) has less than a year and 3 weeks of history before it: \
             Farrington cannot run; use cusum or monitor later weeks",
            weeks[monitored.start]
        )));
    }
    let farrington = match method {
        Method::Auto | Method::Noufaily if years >= 1 => {
            let params = FarringtonParams { alpha, ..FarringtonParams::noufaily(years) };
            Some((Applied::Noufaily(params), params))
        }
        Method::Farrington => {
            let params = FarringtonParams { alpha, ..FarringtonParams::original(years) };
            Some((Applied::Farrington(params), params))
        }
        _ => None,
    };
    if let Some((applied, params)) = farrington {
        // Only weeks the recent-cases rule lets alarm are fitted: R gives the others no
        // bound or expected count either, and in a run most weeks of most small series
        // are such weeks.
        let (cases, window) = params.limit54;
        let mut out = Vec::with_capacity(monitored.len());
        for k in monitored {
            let recent: f64 = counts[(k + 1).saturating_sub(window)..=k].iter().sum();
            let result = if recent >= f64::from(cases) && k + 1 >= window {
                farrington_flexible(weeks, counts, k..k + 1, &params).map_err(SignalError::Invalid)?.pop().flatten()
            } else {
                None
            };
            out.push(WeekSignal {
                week_start: weeks[k].to_string(),
                observed: counts[k],
                expected: result.and_then(|r| r.expected),
                upper: result.and_then(|r| r.upper),
                score: result.map(|r| r.score).filter(|s| s.is_finite()),
                alarm: result.is_some_and(|r| r.alarm),
            });
        }
        return Ok(SeriesDetection { applied: Some(applied), weeks: out, note: None });
    }
    let history = &counts[..monitored.start];
    let unjudged = |note: String| SeriesDetection {
        applied: None,
        weeks: monitored
            .clone()
            .map(|k| WeekSignal { week_start: weeks[k].to_string(), observed: counts[k], expected: None, upper: None, score: None, alarm: false })
            .collect(),
        note: Some(note),
    };
    if history.len() < CUSUM_MIN_HISTORY {
        return Ok(unjudged(format!(
            "{} weeks of history before the first monitored week; CUSUM needs {CUSUM_MIN_HISTORY}",
            history.len()
        )));
    }
    let mean = in_control_mean(history).unwrap_or(0.0);
    if mean == 0.0 {
        let (cases, window) = FarringtonParams::noufaily(1).limit54;
        let weeks = monitored
            .clone()
            .map(|k| {
                let recent: f64 = counts[(k + 1).saturating_sub(window)..=k].iter().sum();
                let enough = recent >= f64::from(cases);
                WeekSignal {
                    week_start: weeks[k].to_string(),
                    observed: counts[k],
                    expected: Some(0.0),
                    upper: Some(0.0),
                    score: Some(recent / f64::from(cases)),
                    alarm: enough && counts[k] > 0.0,
                }
            })
            .collect();
        let applied = Applied::NewSeries { cases, weeks: window, history_weeks: history.len() };
        return Ok(SeriesDetection { applied: Some(applied), weeks, note: None });
    }
    // Reset after an alarm, so a second rise in the monitored weeks is seen as one; scaled
    // to the history's own variability, so an over-dispersed series is not an alarm a week.
    let dispersion = in_control_dispersion(history).unwrap_or(1.0);
    let params = CusumParams { reset: true, dispersion, ..CusumParams::default() };
    let sums = cusum(&counts[monitored.clone()], mean, &params).map_err(SignalError::Invalid)?;
    let weeks = monitored
        .zip(sums)
        .map(|(k, s)| WeekSignal {
            week_start: weeks[k].to_string(),
            observed: counts[k],
            expected: Some(mean),
            upper: Some(s.upper),
            score: Some(s.statistic / params.h),
            alarm: s.alarm,
        })
        .collect();
    Ok(SeriesDetection { applied: Some(Applied::Cusum { params, mean, history_weeks: history.len() }), weeks, note: None })
}

/// The first week `method` can judge in a series dated `weeks`: the first with a year and
/// a window of history for Farrington's, the first with `CUSUM_MIN_HISTORY` weeks before it
/// otherwise. The series' length when there is none.
pub fn first_judgeable_week(weeks: &[NaiveDate], method: Method) -> usize {
    match method {
        Method::Farrington | Method::Noufaily => {
            (0..weeks.len()).find(|&k| years_available(weeks, k, 3, 1) >= 1).unwrap_or(weeks.len())
        }
        Method::Auto | Method::Cusum => CUSUM_MIN_HISTORY.min(weeks.len()),
    }
}
