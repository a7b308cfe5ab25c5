//! The Farrington flexible detector (R `surveillance`'s `farringtonFlexible`): for each
//! week, a quasi-Poisson regression on the same weeks of past years predicts the count, and
//! the week raises an alarm when its count is above the prediction's upper bound.
//!
//! For week t the reference weeks are t − 1 year, …, t − b years (moved to t's weekday),
//! each with w weeks either side; with `no_periods` > 1 the weeks between those windows
//! join the model too, in `no_periods` − 1 blocks a year, each block its own seasonal level
//! (Noufaily et al. 2013). The weeks just before t (`past_weeks_not_included`) are left out
//! so that an outbreak under way does not raise its own baseline. The fit down-weights past
//! outbreaks: weeks whose Anscombe residual is above `weights_threshold` get weight ∝ s⁻².
//! A linear trend stays in the model only if it is significant, there are at least three
//! years, and the prediction does not go beyond the counts seen. The bound is Farrington's
//! (power-transformed normal) or Noufaily's (negative binomial); an alarm also needs
//! `limit54.0` reports in the last `limit54.1` weeks and a count above zero.
//!
//! Every step follows the package, its quirks included (the trend test and the
//! prediction's standard error use the dispersion from the reweighted fit's prior weights
//! and working residuals, not clamped at 1), so that its bounds and alarms can be checked
//! against R's week by week (tests/farrington_fixture.rs).

use super::glm::{fit_quasi_poisson, Design, Fit};
use super::special::student_t_two_sided;
use super::thresholds::{delta, noufaily, NoufailyMean, PowerTransform, Threshold};
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Which upper bound the prediction gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Farrington's: normal on a power-transformed scale.
    Delta(PowerTransform),
    /// Noufaily's negative binomial around the predicted mean ("nbPlugin").
    NegativeBinomial,
    /// Noufaily's negative binomial around the mean's upper quantile ("muan").
    NegativeBinomialUpperMean,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FarringtonParams {
    /// Years back.
    pub b: usize,
    /// Half-width of the window around each reference week.
    pub w: usize,
    /// Seasonal levels a year: 1 = only the windows (the original method).
    pub no_periods: usize,
    pub reweight: bool,
    pub weights_threshold: f64,
    /// Weeks before the current one left out of the baseline.
    pub past_weeks_not_included: usize,
    pub trend: bool,
    pub p_threshold_trend: f64,
    /// One-sided.
    pub alpha: f64,
    /// (reports, weeks): an alarm needs at least this many reports in the last weeks.
    pub limit54: (u32, usize),
    pub bound: Bound,
}

impl FarringtonParams {
    /// Farrington et al. (1996) as the package's vignette sets it out, with b years.
    pub fn original(b: usize) -> FarringtonParams {
        FarringtonParams {
            b,
            w: 3,
            no_periods: 1,
            reweight: true,
            weights_threshold: 1.0,
            past_weeks_not_included: 3,
            trend: true,
            p_threshold_trend: 0.05,
            alpha: 0.05,
            limit54: (5, 4),
            bound: Bound::Delta(PowerTransform::TwoThirds),
        }
    }

    /// Noufaily et al. (2013)'s improvements: ten seasonal levels, 26 weeks left out, the
    /// trend kept whenever it does not extrapolate, the negative binomial plug-in bound.
    pub fn noufaily(b: usize) -> FarringtonParams {
        FarringtonParams {
            no_periods: 10,
            weights_threshold: 2.58,
            past_weeks_not_included: 26,
            p_threshold_trend: 1.0,
            bound: Bound::NegativeBinomial,
            ..FarringtonParams::original(b)
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.b == 0 {
            return Err("Farrington needs at least one year back (b ≥ 1)".into());
        }
        if self.no_periods == 0 {
            return Err("the number of seasonal levels must be at least 1".into());
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(format!("alpha must be between 0 and 1, not {}", self.alpha));
        }
        if self.limit54.1 == 0 {
            return Err("the recent-cases rule needs a window of at least one week".into());
        }
        if !(self.weights_threshold.is_finite() && self.p_threshold_trend.is_finite()) {
            return Err("the reweighting and trend thresholds must be numbers".into());
        }
        Ok(())
    }
}

/// One week's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FarringtonWeek {
    pub observed: f64,
    /// The predicted count; None where the recent-cases rule holds the week back.
    pub expected: Option<f64>,
    pub upper: Option<f64>,
    /// (observed − prediction) / (upper − prediction); above 1 is beyond the bound.
    pub score: f64,
    /// P(a count at least this high) under the prediction.
    pub p_value: f64,
    pub alarm: bool,
    /// The over-dispersion the bound used (≥ 1).
    pub phi: f64,
    /// The weekly trend on the log scale where the model kept one.
    pub trend: Option<f64>,
    /// No report at all in the baseline weeks (see `zero_baseline`).
    pub zero_baseline: bool,
}

/// Where the baseline of one week comes from, before the fit.
struct Baseline {
    rows: Vec<usize>,
    levels: Vec<usize>,
    wtime: Vec<f64>,
    wtime_now: f64,
}

/// Runs the detector on each week in `range` (indices into the series) of a weekly series
/// dated by `dates` (each week's first day, consecutive, a week apart). A week whose
/// history is too short for b years, or whose model does not converge, is None, as R
/// leaves it NA.
pub fn farrington_flexible(
    dates: &[NaiveDate],
    observed: &[f64],
    range: std::ops::Range<usize>,
    params: &FarringtonParams,
) -> Result<Vec<Option<FarringtonWeek>>, String> {
    params.validate()?;
    if dates.len() != observed.len() {
        return Err(format!("{} dates for {} counts", dates.len(), observed.len()));
    }
    if range.end > observed.len() {
        return Err(format!("weeks up to {} asked of a series of {}", range.end, observed.len()));
    }
    if let Some(bad) = observed.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(format!("counts must be 0 or more, not {bad}"));
    }
    if dates.windows(2).any(|d| (d[1] - d[0]).num_days() != 7) {
        return Err("the series must be weekly: each date a week after the one before".into());
    }
    Ok(range.map(|k| week(dates, observed, k, params)).collect())
}

fn week(dates: &[NaiveDate], observed: &[f64], k: usize, params: &FarringtonParams) -> Option<FarringtonWeek> {
    let baseline = baseline(dates, k, params)?;
    let y: Vec<f64> = baseline.rows.iter().map(|&i| observed[i]).collect();
    if y.iter().all(|v| *v == 0.0) {
        return Some(zero_baseline(observed, k, params));
    }
    let mut model = fit(&baseline, &y, params, params.trend)?;
    let mut trend = None;
    if model.has_trend {
        let x0 = model.predictor_row(&baseline, params.no_periods);
        let mu0 = model.fit.linear_predictor(&x0).exp();
        let beta = model.fit.coefficients[1];
        let se = (model.d * model.fit.cov_unscaled[(1, 1)]).sqrt();
        let p = student_t_two_sided(beta / se, model.fit.df_residual as f64);
        let max_seen = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if params.b >= 3 && p < params.p_threshold_trend && mu0 <= max_seen {
            trend = Some(beta);
        } else {
            model = fit(&baseline, &y, params, false)?;
        }
    }
    let x0 = model.predictor_row(&baseline, params.no_periods);
    let eta0 = model.fit.linear_predictor(&x0);
    let mu0 = eta0.exp();
    let se_eta = (model.d * model.fit.quadratic(&x0)).sqrt();
    let y0 = observed[k];
    let threshold: Option<Threshold> = match params.bound {
        Bound::Delta(transform) => Some(delta(mu0, se_eta * mu0, model.phi, transform, params.alpha, y0)),
        Bound::NegativeBinomial => noufaily(eta0, se_eta, model.phi, NoufailyMean::Plugin, params.alpha, y0),
        Bound::NegativeBinomialUpperMean => noufaily(eta0, se_eta, model.phi, NoufailyMean::UpperQuantile, params.alpha, y0),
    };
    let enough = enough_cases(observed, k, params);
    let (upper, score, p_value) = match threshold {
        Some(t) if !t.upper.is_nan() => (Some(t.upper), t.score, t.prob),
        Some(t) => (None, t.score, t.prob),
        None => (None, f64::NAN, f64::NAN),
    };
    Some(FarringtonWeek {
        observed: y0,
        expected: (enough && upper.is_some()).then_some(mu0),
        upper: if enough { upper } else { None },
        score,
        p_value,
        alarm: enough && score > 1.0 && y0 != 0.0,
        phi: model.phi,
        trend,
        zero_baseline: false,
    })
}

/// Reports in the `weeks` weeks up to and including week k (fewer weeks near the start).
pub fn recent_cases(observed: &[f64], k: usize, weeks: usize) -> f64 {
    observed[(k + 1).saturating_sub(weeks)..=k].iter().sum()
}

/// Whether the recent-cases rule lets week k raise an alarm.
fn enough_cases(observed: &[f64], k: usize, params: &FarringtonParams) -> bool {
    let (cases, weeks) = params.limit54;
    k + 1 >= weeks && recent_cases(observed, k, weeks) >= cases as f64
}

/// A baseline without a single report: the model's mean goes to 0 and R's fit never
/// converges (it leaves the week NA). The limit is taken instead: expected 0, bound 0, so
/// any report is beyond it and the recent-cases rule alone decides the alarm (a kind of
/// incident that did not exist a year ago and now has `limit54.0` reports in
/// `limit54.1` weeks). The score is the recent reports over the rule's number: it reaches 1
/// when the rule is met.
fn zero_baseline(observed: &[f64], k: usize, params: &FarringtonParams) -> FarringtonWeek {
    let y0 = observed[k];
    let enough = enough_cases(observed, k, params);
    let (cases, weeks) = params.limit54;
    let recent = recent_cases(observed, k, weeks);
    FarringtonWeek {
        observed: y0,
        expected: enough.then_some(0.0),
        upper: enough.then_some(0.0),
        score: recent / f64::from(cases.max(1)),
        p_value: if y0 > 0.0 { 0.0 } else { 1.0 },
        alarm: enough && y0 > 0.0,
        phi: 1.0,
        trend: None,
        zero_baseline: true,
    }
}

/// How many years back (at most `most`) week k has a whole window for, with the window
/// half-width w: the b to run the detector with when a series has less history than asked.
pub fn years_available(dates: &[NaiveDate], k: usize, w: usize, most: usize) -> usize {
    (1..=most)
        .take_while(|&years| {
            years_before(dates[k], years)
                .map(|d| same_weekday(d, dates[k]))
                .and_then(|d| usize::try_from((dates[k] - d).num_days() / 7).ok())
                .is_some_and(|back| back + w <= k)
        })
        .count()
}

/// t's reference weeks (b years back, moved to its weekday), the seasonal level of every
/// week around them, and the rows that are left once the recent weeks are taken out.
fn baseline(dates: &[NaiveDate], k: usize, params: &FarringtonParams) -> Option<Baseline> {
    let (b, w, p) = (params.b, params.w, params.no_periods);
    let now = dates[k];
    // Positions of t, t − 1 year, …, t − b years.
    let mut reference = Vec::with_capacity(b + 1);
    reference.push(k);
    for years in 1..=b {
        let target = same_weekday(years_before(now, years)?, now);
        let back = (now - target).num_days();
        if back % 7 != 0 || back / 7 > k as i64 {
            return None;
        }
        reference.push(k - (back / 7) as usize);
    }
    let earliest = *reference.last()?;
    if earliest < w {
        return None;
    }
    let mut level: Vec<Option<usize>> = vec![None; k + 1];
    for slot in &mut level[k.saturating_sub(w)..=k] {
        *slot = Some(p);
    }
    for i in 1..=b {
        let r = reference[i];
        for slot in &mut level[r - w..=r + w] {
            *slot = Some(p);
        }
        if p != 1 {
            // The weeks strictly between this window and the next one up, in p − 1 blocks
            // of near-equal length (the first ones a week longer), level 1 first.
            let gap_start = r + w + 1;
            let gap = reference[i - 1] as i64 - w as i64 - gap_start as i64;
            if gap < (p as i64 - 1) {
                return None;
            }
            let (length, rest) = (gap as usize / (p - 1), gap as usize % (p - 1));
            let mut start = gap_start;
            for j in 1..p {
                let len = length + usize::from(j <= rest);
                for slot in &mut level[start..start + len] {
                    *slot = Some(j);
                }
                start += len;
            }
        }
    }
    let cut = k.saturating_sub(params.past_weeks_not_included);
    let rows: Vec<usize> = (0..cut).filter(|&i| level[i].is_some()).collect();
    let first = *rows.first()?;
    let weeks_from_first = |i: usize| (dates[i] - dates[first]).num_days() as f64 / 7.0;
    Some(Baseline {
        levels: rows.iter().map(|&i| level[i].unwrap_or(p)).collect(),
        wtime: rows.iter().map(|&i| weeks_from_first(i)).collect(),
        wtime_now: weeks_from_first(k),
        rows,
    })
}

/// R's `seq(date, by = "-1 year")`: the same month and day `years` earlier, 29 February
/// becoming 1 March in a common year.
fn years_before(date: NaiveDate, years: usize) -> Option<NaiveDate> {
    let year = date.year() - i32::try_from(years).ok()?;
    NaiveDate::from_ymd_opt(year, date.month(), date.day()).or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
}

/// The day nearest `date` with `like`'s weekday (the earlier one when three days either way).
fn same_weekday(date: NaiveDate, like: NaiveDate) -> NaiveDate {
    let shift = date.weekday().num_days_from_sunday() as i64 - like.weekday().num_days_from_sunday() as i64;
    // Inside date's own Sunday-to-Saturday week, then a week either way if nearer.
    let a = date - chrono::Duration::days(shift);
    let b = if a > date { a - Days::new(7) } else { a + Days::new(7) };
    if (a - date).num_days().abs() <= (b - date).num_days().abs() {
        a
    } else {
        b
    }
}

struct Model {
    fit: Fit,
    has_trend: bool,
    /// The levels with a column of their own (all present but the lowest).
    dummies: Vec<usize>,
    /// The over-dispersion, at least 1.
    phi: f64,
    /// The dispersion the standard errors use (see the module's note).
    d: f64,
}

impl Model {
    /// The current week's row: intercept, trend, and the windows' level.
    fn predictor_row(&self, baseline: &Baseline, window_level: usize) -> Vec<f64> {
        let mut row = vec![1.0];
        if self.has_trend {
            row.push(baseline.wtime_now);
        }
        row.extend(self.dummies.iter().map(|&l| f64::from(u8::from(l == window_level))));
        row
    }
}

fn design(baseline: &Baseline, trend: bool) -> (Design, Vec<usize>) {
    let mut present: Vec<usize> = baseline.levels.clone();
    present.sort_unstable();
    present.dedup();
    let dummies: Vec<usize> = present.into_iter().skip(1).collect();
    let columns = 1 + usize::from(trend) + dummies.len();
    let mut values = Vec::with_capacity(columns * baseline.rows.len());
    for (i, level) in baseline.levels.iter().enumerate() {
        values.push(1.0);
        if trend {
            values.push(baseline.wtime[i]);
        }
        values.extend(dummies.iter().map(|l| f64::from(u8::from(l == level))));
    }
    (Design { columns, values }, dummies)
}

/// The package's fit: the model (without the trend if it does not converge with it), then,
/// if reweighting, the Anscombe residuals turned into weights and the model fitted again.
fn fit(baseline: &Baseline, y: &[f64], params: &FarringtonParams, trend: bool) -> Option<Model> {
    let ones = vec![1.0; y.len()];
    let (mut x, mut dummies) = design(baseline, trend);
    let mut has_trend = trend;
    let mut first = fit_quasi_poisson(&x, y, &ones).filter(|f| f.converged);
    if first.is_none() && trend {
        (x, dummies) = design(baseline, false);
        has_trend = false;
        first = fit_quasi_poisson(&x, y, &ones).filter(|f| f.converged);
    }
    let first = first?;
    let phi = first.dispersion(y).max(1.0);
    if !params.reweight {
        let d = first.dispersion(y);
        return Some(Model { fit: first, has_trend, dummies, phi, d });
    }
    let residuals: Vec<f64> = (0..y.len())
        .map(|i| {
            let mu = first.mu[i];
            let a = 1.5 * (y[i].powf(2.0 / 3.0) * mu.powf(-1.0 / 6.0) - mu.sqrt());
            a / (phi * (1.0 - first.hat(&x, i))).sqrt()
        })
        .collect();
    let omega = anscombe_weights(&residuals, params.weights_threshold);
    let refit = fit_quasi_poisson(&x, y, &omega)?;
    let phi = refit.dispersion(y).max(1.0);
    let d = (0..y.len()).map(|i| omega[i] * refit.working_residual(y, i).powi(2)).sum::<f64>() / refit.df_residual as f64;
    Some(Model { fit: refit, has_trend, dummies, phi, d })
}

/// Weeks with a residual above the threshold get s⁻², the rest 1, all scaled to add up to
/// the number of weeks.
pub fn anscombe_weights(residuals: &[f64], threshold: f64) -> Vec<f64> {
    let raw: Vec<f64> = residuals.iter().map(|&s| if s > threshold { s.powi(-2) } else { 1.0 }).collect();
    let gamma = residuals.len() as f64 / raw.iter().sum::<f64>();
    raw.into_iter().map(|r| gamma * r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The package's own cases (test-farringtonFlexible.R).
    #[test]
    fn weights_follow_the_package() {
        assert_eq!(anscombe_weights(&[0.0; 10], 0.0), vec![1.0; 10]);
        let w = anscombe_weights(&[0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0], 0.0);
        for (i, v) in w.iter().enumerate() {
            let expected = if i < 5 { 1.6 } else { 0.4 };
            assert!((v - expected).abs() < 1e-12, "{w:?}");
        }
    }

    #[test]
    fn reference_weeks_move_to_the_same_weekday() {
        let t0 = date("2013-06-06");
        let got: Vec<NaiveDate> = (1..=3).map(|y| same_weekday(years_before(t0, y).unwrap(), t0)).collect();
        assert_eq!(got, vec![date("2012-06-07"), date("2011-06-09"), date("2010-06-03")]);
        assert_eq!(years_before(date("2012-02-29"), 1), Some(date("2011-03-01")));
    }

    /// Blocks: p levels over the windows, the gaps split into p − 1 blocks; the number of
    /// weeks at the window level is w + 1 + b(2w + 1) before the recent weeks are taken out.
    #[test]
    fn blocks_cover_windows_and_gaps() {
        let dates: Vec<NaiveDate> = (0..1301).map(|i| date("1990-06-07") + Days::new(7 * i)).collect();
        let k = dates.iter().position(|d| *d == date("2013-06-06")).unwrap();
        for p in [1, 8] {
            let params = FarringtonParams { b: 3, w: 3, no_periods: p, past_weeks_not_included: 0, ..FarringtonParams::original(3) };
            let base = baseline(&dates, k, &params).unwrap();
            // Rows stop before k when nothing is left out (k itself is never a row).
            let at_window = base.levels.iter().filter(|&&l| l == p).count();
            assert_eq!(at_window + 1, 3 + 1 + 3 * 7, "p = {p}");
            if p == 8 {
                let sizes: Vec<usize> = (1..8).map(|l| base.levels.iter().filter(|&&x| x == l).count()).collect();
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 3, "{sizes:?}");
            }
        }
    }

    #[test]
    fn a_baseline_without_reports_alarms_on_the_recent_cases_rule() {
        let dates: Vec<NaiveDate> = (0..120).map(|i| date("2020-01-06") + Days::new(7 * i)).collect();
        let mut counts = vec![0.0; 120];
        counts[115..].copy_from_slice(&[1.0, 0.0, 2.0, 1.0, 3.0]);
        let got = farrington_flexible(&dates, &counts, 115..120, &FarringtonParams::noufaily(1)).unwrap();
        let alarms: Vec<bool> = got.iter().map(|w| w.unwrap().alarm).collect();
        // 1, 1, 3, 4 reports in the last four weeks, then 6.
        assert_eq!(alarms, vec![false, false, false, false, true]);
        assert!(got.iter().all(|w| w.unwrap().zero_baseline));
        assert_eq!(years_available(&dates, 119, 3, 5), 2);
        assert_eq!(years_available(&dates, 106, 3, 5), 1);
        assert_eq!(years_available(&dates, 54, 3, 5), 0);
        assert_eq!(years_available(&dates, 55, 3, 5), 1);
    }

    /// A series with no history for b years gets no result, and malformed series are refused.
    #[test]
    fn short_or_malformed_series() {
        let dates: Vec<NaiveDate> = (0..60).map(|i| date("2020-01-06") + Days::new(7 * i)).collect();
        let counts = vec![2.0; 60];
        let got = farrington_flexible(&dates, &counts, 50..60, &FarringtonParams::original(1)).unwrap();
        assert!(got[..5].iter().all(Option::is_none), "a year and three weeks back is not there");
        assert!(got[5..].iter().all(Option::is_some), "{got:?}");
        let steady = got[9].unwrap();
        assert!((steady.expected.unwrap() - 2.0).abs() < 1e-9 && !steady.alarm, "{steady:?}");
        assert!(farrington_flexible(&dates, &counts[..59], 0..1, &FarringtonParams::original(1)).is_err());
        let mut bad = counts.clone();
        bad[3] = -1.0;
        assert!(farrington_flexible(&dates, &bad, 0..1, &FarringtonParams::original(1)).is_err());
        let mut gap = dates.clone();
        gap[10] = gap[10] + Days::new(1);
        assert!(farrington_flexible(&gap, &counts, 0..1, &FarringtonParams::original(1)).unwrap_err().contains("weekly"));
        assert!(farrington_flexible(&dates, &counts, 0..61, &FarringtonParams::original(1)).is_err());
    }
}
