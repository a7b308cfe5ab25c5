//! One weekly count series through one detector: the engine's defaults and choices around
//! `ml::surveillance` (which detector suits the history a series has, how many years back,
//! which weeks are monitored), and the result in the form every front end shows, with
//! the parameters it was computed with.

use super::error::SignalError;
use chrono::NaiveDate;
use ml::surveillance::cusum::{cusum, in_control_dispersion, in_control_mean, CusumParams};
use ml::surveillance::farrington::{farrington_flexible, recent_cases, years_available, FarringtonParams};
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
    /// The detector that judged the week; None where none could.
    pub method: Option<Method>,
}

/// The weeks one setting of a detector judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedSpan {
    pub first_week: String,
    pub last_week: String,
    pub applied: Applied,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDetection {
    /// The detectors run, each over its weeks, in order; empty when the series is too
    /// short for any.
    pub applied: Vec<AppliedSpan>,
    pub weeks: Vec<WeekSignal>,
    /// Why nothing was run, in words.
    pub note: Option<String>,
}

impl SeriesDetection {
    /// The setting that judged week `week_start`.
    pub fn applied_at(&self, week_start: &str) -> Option<&Applied> {
        self.applied
            .iter()
            .find(|s| s.first_week.as_str() <= week_start && week_start <= s.last_week.as_str())
            .map(|s| &s.applied)
    }
}

/// What to run on a series; the engine's defaults where None.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectOptions {
    pub method: Method,
    /// Farrington: years back for every week (default: as many as each week has, at most
    /// `MOST_YEARS`).
    pub years: Option<usize>,
    /// Farrington: the one-sided level (default `ALPHA`).
    pub alpha: Option<f64>,
}

impl DetectOptions {
    pub fn new(method: Method) -> DetectOptions {
        DetectOptions { method, years: None, alpha: None }
    }
}

/// Runs `method` on the weeks `monitored` of a weekly series (consecutive Mondays). Each
/// week is judged with the history it has: with `Auto`, weeks without a year (and a window)
/// of history before them get CUSUM, the others Noufaily's Farrington looking back as many
/// years as they have (at most `MOST_YEARS`), so one series may be judged by both as it
/// grows. Farrington asked by name looks back `years` years, or as many as each week has;
/// asked of a week without a year of history it says so instead of running something else.
pub fn detect(
    weeks: &[NaiveDate],
    counts: &[f64],
    monitored: std::ops::Range<usize>,
    options: &DetectOptions,
) -> Result<SeriesDetection, SignalError> {
    let method = options.method;
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
    match options.years {
        Some(0) => return Err(SignalError::Invalid("Farrington needs at least one year back".into())),
        Some(_) if method == Method::Cusum => {
            return Err(SignalError::Invalid("years back are a Farrington setting; CUSUM has none".into()))
        }
        _ => {}
    }
    let cap = options.years.unwrap_or(MOST_YEARS);
    let first_years = years_available(weeks, monitored.start, 3, cap);
    if let Some(asked) = options.years.filter(|asked| *asked > first_years && method != Method::Auto) {
        return Err(SignalError::Invalid(format!(
            "{asked} years back asked, but the first monitored week ({}) has {first_years}",
            weeks[monitored.start]
        )));
    }
    if first_years == 0 && matches!(method, Method::Farrington | Method::Noufaily) {
        return Err(SignalError::Invalid(format!(
            "the first monitored week ({}) has less than a year and 3 weeks of history before it: \
             Farrington cannot run; use cusum or auto, or monitor later weeks",
            weeks[monitored.start]
        )));
    }
    // Each week's setting: how many years back (0: CUSUM's ground).
    let years_at = |k: usize| -> usize {
        match (method, options.years) {
            (Method::Cusum, _) => 0,
            (_, Some(fixed)) if method != Method::Auto => fixed,
            _ => years_available(weeks, k, 3, cap),
        }
    };
    let mut out = SeriesDetection { applied: Vec::new(), weeks: Vec::with_capacity(monitored.len()), note: None };
    let mut k = monitored.start;
    while k < monitored.end {
        let years = years_at(k);
        let mut end = k + 1;
        while end < monitored.end && years_at(end) == years {
            end += 1;
        }
        let span = k..end;
        let applied = if years == 0 { cusum_span(weeks, counts, span.clone(), &mut out)? } else {
            farrington_span(weeks, counts, span.clone(), method, years, alpha, &mut out)?
        };
        if let Some(applied) = applied {
            out.applied.push(AppliedSpan { first_week: weeks[span.start].to_string(), last_week: weeks[span.end - 1].to_string(), applied });
        }
        k = end;
    }
    Ok(out)
}

fn farrington_span(
    weeks: &[NaiveDate],
    counts: &[f64],
    span: std::ops::Range<usize>,
    method: Method,
    years: usize,
    alpha: f64,
    out: &mut SeriesDetection,
) -> Result<Option<Applied>, SignalError> {
    let (applied, params) = if method == Method::Farrington {
        let params = FarringtonParams { alpha, ..FarringtonParams::original(years) };
        (Applied::Farrington(params), params)
    } else {
        let params = FarringtonParams { alpha, ..FarringtonParams::noufaily(years) };
        (Applied::Noufaily(params), params)
    };
    // Only weeks the recent-cases rule lets alarm are fitted: R gives the others no bound
    // or expected count either, and in a run most weeks of most small series are such weeks.
    let (cases, window) = params.limit54;
    for k in span {
        let recent = recent_cases(counts, k, window);
        let result = if recent >= f64::from(cases) && k + 1 >= window {
            farrington_flexible(weeks, counts, k..k + 1, &params).map_err(SignalError::Invalid)?.pop().flatten()
        } else {
            None
        };
        out.weeks.push(WeekSignal {
            week_start: weeks[k].to_string(),
            observed: counts[k],
            expected: result.and_then(|r| r.expected),
            upper: result.and_then(|r| r.upper),
            score: result.map(|r| r.score).filter(|s| s.is_finite()),
            alarm: result.is_some_and(|r| r.alarm),
            method: Some(applied.method()),
        });
    }
    Ok(Some(applied))
}

fn cusum_span(weeks: &[NaiveDate], counts: &[f64], span: std::ops::Range<usize>, out: &mut SeriesDetection) -> Result<Option<Applied>, SignalError> {
    let history = &counts[..span.start];
    if history.len() < CUSUM_MIN_HISTORY {
        out.note = Some(format!(
            "{} weeks of history before the first monitored week; CUSUM needs {CUSUM_MIN_HISTORY}",
            history.len()
        ));
        out.weeks.extend(span.map(|k| WeekSignal {
            week_start: weeks[k].to_string(),
            observed: counts[k],
            expected: None,
            upper: None,
            score: None,
            alarm: false,
            method: None,
        }));
        return Ok(None);
    }
    let mean = in_control_mean(history).unwrap_or(0.0);
    if mean == 0.0 {
        let (cases, window) = FarringtonParams::noufaily(1).limit54;
        for k in span {
            let recent = recent_cases(counts, k, window);
            out.weeks.push(WeekSignal {
                week_start: weeks[k].to_string(),
                observed: counts[k],
                expected: Some(0.0),
                upper: Some(0.0),
                score: Some(recent / f64::from(cases)),
                alarm: recent >= f64::from(cases) && counts[k] > 0.0,
                method: Some(Method::Cusum),
            });
        }
        return Ok(Some(Applied::NewSeries { cases, weeks: window, history_weeks: history.len() }));
    }
    // Reset after an alarm, so a second rise in the monitored weeks is seen as one; scaled
    // to the history's own variability, so an over-dispersed series is not an alarm a week.
    let dispersion = in_control_dispersion(history).unwrap_or(1.0);
    let params = CusumParams { reset: true, dispersion, ..CusumParams::default() };
    let sums = cusum(&counts[span.clone()], mean, &params).map_err(SignalError::Invalid)?;
    for (k, s) in span.zip(sums) {
        out.weeks.push(WeekSignal {
            week_start: weeks[k].to_string(),
            observed: counts[k],
            expected: Some(mean),
            upper: Some(s.upper),
            score: Some(s.statistic / params.h),
            alarm: s.alarm,
            method: Some(Method::Cusum),
        });
    }
    Ok(Some(Applied::Cusum { params, mean, history_weeks: history.len() }))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(n: usize) -> Vec<NaiveDate> {
        let start = NaiveDate::from_ymd_opt(2021, 1, 4).unwrap();
        (0..n).map(|i| start + chrono::Days::new(7 * i as u64)).collect()
    }

    /// Over a long monitored stretch each week gets the detector its history allows:
    /// CUSUM until a year and a window exist, then Farrington one year back, then two.
    #[test]
    fn each_week_is_judged_with_the_history_it_has() {
        let weeks = weekly(130);
        let counts: Vec<f64> = (0..130).map(|i| f64::from(3 + (i % 4) as u8)).collect();
        let got = detect(&weeks, &counts, 10..130, &DetectOptions::new(Method::Auto)).unwrap();
        let methods: Vec<&str> = got.applied.iter().map(|s| s.applied.method().name()).collect();
        assert_eq!(methods, ["cusum", "noufaily", "noufaily"]);
        let years: Vec<usize> = got.applied[1..]
            .iter()
            .map(|s| match &s.applied {
                Applied::Noufaily(p) => p.b,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(years, [1, 2]);
        assert_eq!(got.applied[1].first_week, weeks[55].to_string(), "a year and three weeks after the start");
        assert_eq!(got.weeks.len(), 120);
        assert_eq!(got.weeks[0].method, Some(Method::Cusum));
        assert_eq!(got.weeks[119].method, Some(Method::Noufaily));
        assert!(got.weeks.iter().all(|w| !w.alarm), "a steady series raises nothing");
        // Asked by name, Farrington refuses weeks without a year of history.
        let err = detect(&weeks, &counts, 10..130, &DetectOptions::new(Method::Farrington)).unwrap_err().to_string();
        assert!(err.contains("less than a year"), "{err}");
        // A fixed number of years is held for every week.
        let fixed = detect(&weeks, &counts, 110..130, &DetectOptions { years: Some(1), ..DetectOptions::new(Method::Noufaily) }).unwrap();
        assert_eq!(fixed.applied.len(), 1);
        assert!(detect(&weeks, &counts, 110..130, &DetectOptions { years: Some(3), ..DetectOptions::new(Method::Noufaily) }).is_err());
        assert!(detect(&weeks, &counts, 110..130, &DetectOptions { alpha: Some(0.0), ..DetectOptions::new(Method::Auto) }).is_err());
        assert!(detect(&weeks, &counts, 20..10, &DetectOptions::new(Method::Auto)).is_err());
        assert!(detect(&weeks, &counts[..100], 0..10, &DetectOptions::new(Method::Auto)).is_err());
    }

    #[test]
    fn a_series_with_an_empty_history_alarms_on_recent_cases() {
        let weeks = weekly(30);
        let mut counts = vec![0.0; 30];
        counts[26..].copy_from_slice(&[1.0, 1.0, 2.0, 2.0]);
        let got = detect(&weeks, &counts, 20..30, &DetectOptions::new(Method::Auto)).unwrap();
        assert!(matches!(got.applied[0].applied, Applied::NewSeries { cases: 5, weeks: 4, history_weeks: 20 }));
        let alarms: Vec<bool> = got.weeks.iter().map(|w| w.alarm).collect();
        assert_eq!(alarms[6..], [false, false, false, true]);
        let short = detect(&weeks, &counts, 3..30, &DetectOptions::new(Method::Auto)).unwrap();
        assert!(short.applied.is_empty() && short.note.unwrap().contains("CUSUM needs"));
    }
}
