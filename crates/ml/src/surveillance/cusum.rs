//! Page's CUSUM for weekly counts, for series too short for Farrington's years of history:
//! each week's count standardised against the in-control mean m of the weeks before
//! ((x − m) / √m, asymptotically normal for a Poisson count), summed with the reference
//! value k taken off and floored at 0, and an alarm when the sum reaches h. The week's
//! upper bound is the smallest count that would raise it: ⌈√m (h + k − C₍t−1₎) + m⌉. The
//! defaults (k 1.04, h 2.26) and the bound are R `surveillance`'s `algo.cusum` with its
//! "standard" transformation, against which the tests check it. Counts more variable than
//! Poisson (variance φm) can be standardised by √(φm) instead (`dispersion`), which R's
//! standard transformation leaves at 1; without it an over-dispersed series alarms far
//! more often than h promises.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CusumParams {
    /// Reference value: half the shift (in standard deviations) to be detected quickly.
    pub k: f64,
    /// Decision interval.
    pub h: f64,
    /// Start the sum again from 0 after an alarm.
    pub reset: bool,
    /// Variance over mean of the in-control counts (1: Poisson, R's standard).
    pub dispersion: f64,
}

impl Default for CusumParams {
    fn default() -> Self {
        CusumParams { k: 1.04, h: 2.26, reset: false, dispersion: 1.0 }
    }
}

/// The in-control variance over mean, at least 1: the sample variance of the history over
/// its mean. None for fewer than two weeks or a history without reports.
pub fn in_control_dispersion(history: &[f64]) -> Option<f64> {
    let mean = in_control_mean(history)?;
    if history.len() < 2 || mean <= 0.0 {
        return None;
    }
    let variance = history.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (history.len() - 1) as f64;
    Some((variance / mean).max(1.0))
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CusumWeek {
    /// The sum after this week (0 again after an alarm when resetting).
    pub sum: f64,
    /// The sum the week reached, before any reset: what the alarm was judged on.
    pub statistic: f64,
    pub upper: f64,
    pub alarm: bool,
}

/// The in-control mean: the average count of the weeks before monitoring starts.
pub fn in_control_mean(history: &[f64]) -> Option<f64> {
    (!history.is_empty()).then(|| history.iter().sum::<f64>() / history.len() as f64)
}

/// The CUSUM over `observed` against the in-control mean `m`.
pub fn cusum(observed: &[f64], m: f64, params: &CusumParams) -> Result<Vec<CusumWeek>, String> {
    if !(m > 0.0 && m.is_finite()) {
        return Err(format!("the in-control mean must be above 0, not {m}: the history has no reports"));
    }
    if !(params.k >= 0.0 && params.h > 0.0) {
        return Err(format!("CUSUM needs k ≥ 0 and h > 0, not k {} and h {}", params.k, params.h));
    }
    if !(params.dispersion >= 1.0 && params.dispersion.is_finite()) {
        return Err(format!("the dispersion must be at least 1, not {}", params.dispersion));
    }
    let root = (params.dispersion * m).sqrt();
    let mut previous = 0.0;
    Ok(observed
        .iter()
        .map(|&x| {
            let upper = (root * (params.h + params.k - previous) + m).ceil().max(0.0);
            let statistic = (previous + (x - m) / root - params.k).max(0.0);
            let alarm = statistic >= params.h;
            let sum = if alarm && params.reset { 0.0 } else { statistic };
            previous = sum;
            CusumWeek { sum, statistic, upper, alarm }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By hand, m = 4 (√m = 2), k = 0.5, h = 2: counts 4, 9, 8, 2, 12 standardise to
    /// 0, 2.5, 2, −1, 4; sums 0, 2, 3.5 (alarm), 2 (alarm), 5.5 (alarm) without resetting;
    /// with it 0, 2 (alarm, back to 0), 1.5, 0, 3.5 (alarm, 0).
    #[test]
    fn sums_bounds_and_alarms_by_hand() {
        let counts = [4.0, 9.0, 8.0, 2.0, 12.0];
        let p = CusumParams { k: 0.5, h: 2.0, reset: false, dispersion: 1.0 };
        let weeks = cusum(&counts, 4.0, &p).unwrap();
        let sums: Vec<f64> = weeks.iter().map(|w| w.sum).collect();
        assert_eq!(sums, vec![0.0, 2.0, 3.5, 2.0, 5.5]);
        assert_eq!(weeks.iter().map(|w| w.alarm).collect::<Vec<_>>(), vec![false, true, true, true, true]);
        // The first week's bound: ⌈2 × (2 + 0.5 − 0) + 4⌉ = 9, which is the count that alarms.
        assert_eq!(weeks[0].upper, 9.0);
        let reset = cusum(&counts, 4.0, &CusumParams { reset: true, ..p }).unwrap();
        assert_eq!(reset.iter().map(|w| w.sum).collect::<Vec<_>>(), vec![0.0, 0.0, 1.5, 0.0, 0.0]);
        assert_eq!(reset.iter().map(|w| w.alarm).collect::<Vec<_>>(), vec![false, true, false, false, true]);
        assert_eq!(reset.iter().map(|w| w.statistic).collect::<Vec<_>>(), vec![0.0, 2.0, 1.5, 0.0, 3.5]);
        assert!(cusum(&counts, 0.0, &p).is_err());
        assert!(cusum(&counts, 4.0, &CusumParams { h: 0.0, ..p }).is_err());
        assert_eq!(in_control_mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(in_control_mean(&[]), None);
        // Dispersion 4 halves the standardised counts: 0, 1.25, 1, −0.5, 2 less k 0.5.
        let wide = cusum(&counts, 4.0, &CusumParams { dispersion: 4.0, ..p }).unwrap();
        assert_eq!(wide.iter().map(|w| w.sum).collect::<Vec<_>>(), vec![0.0, 0.75, 1.25, 0.25, 1.75]);
        assert!(wide.iter().all(|w| !w.alarm));
        assert!(cusum(&counts, 4.0, &CusumParams { dispersion: 0.5, ..p }).is_err());
        // Variance 7 over mean 3 for 1, 2, 6 (sample variance (4 + 1 + 9) / 2).
        assert!((in_control_dispersion(&[1.0, 2.0, 6.0]).unwrap() - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!(in_control_dispersion(&[3.0, 3.0, 3.0]), Some(1.0));
        assert_eq!(in_control_dispersion(&[0.0, 0.0]), None);
    }
}
