//! Bootstrap confidence intervals and a paired bootstrap test.
//!
//! Resample `b` is drawn from its own seed (`seed` mixed with `b`), so every model
//! evaluated with the same seed sees the same resamples: that pairing is what makes the
//! difference between two models' scores a paired comparison.

use ml::rng::SplitMix64 as Rng;
use serde::{Deserialize, Serialize};

/// A score with its 95% percentile bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl Estimate {
    pub fn point(value: f64) -> Estimate {
        Estimate {
            value,
            low: value,
            high: value,
        }
    }
}

/// The `q`-th percentile (0-100) of sorted values with linear interpolation between
/// ranks, numpy's default method.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 100.0) / 100.0 * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// Indices `0..n` drawn with replacement for resample `b`.
pub fn resample(n: usize, b: usize, seed: u64, out: &mut Vec<usize>) {
    let mut rng = Rng::new(seed ^ (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    out.clear();
    out.extend((0..n).map(|_| rng.below(n)));
}

/// The statistic over `resamples` bootstrap resamples of `n` items.
pub fn replicate(
    n: usize,
    resamples: usize,
    seed: u64,
    mut statistic: impl FnMut(&[usize]) -> f64,
) -> Vec<f64> {
    let mut idx = Vec::with_capacity(n);
    (0..resamples)
        .map(|b| {
            resample(n, b, seed, &mut idx);
            statistic(&idx)
        })
        .collect()
}

/// The point value with the 2.5th and 97.5th percentiles of its replicates.
pub fn estimate(value: f64, mut replicates: Vec<f64>) -> Estimate {
    replicates.retain(|v| v.is_finite());
    if replicates.is_empty() {
        return Estimate::point(value);
    }
    replicates.sort_by(f64::total_cmp);
    Estimate {
        value,
        low: percentile(&replicates, 2.5),
        high: percentile(&replicates, 97.5),
    }
}

/// Two-sided bootstrap p-value that the paired difference is zero: twice the share of
/// replicate differences on the far side of zero from the observed one (capped at 1),
/// with the +1 correction so it is never exactly 0 from a finite number of resamples.
pub fn paired_p_value(observed: f64, differences: &[f64]) -> f64 {
    if differences.is_empty() {
        return 1.0;
    }
    let opposite = differences
        .iter()
        .filter(|&&d| if observed >= 0.0 { d <= 0.0 } else { d >= 0.0 })
        .count();
    (2.0 * (opposite + 1) as f64 / (differences.len() + 1) as f64).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_interpolates_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        // numpy.percentile([1,2,3,4], [0, 2.5, 50, 97.5, 100])
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert!((percentile(&v, 2.5) - 1.075).abs() < 1e-12);
        assert!((percentile(&v, 50.0) - 2.5).abs() < 1e-12);
        assert!((percentile(&v, 97.5) - 3.925).abs() < 1e-12);
        assert_eq!(percentile(&v, 100.0), 4.0);
    }

    #[test]
    fn resamples_repeat_for_a_seed_and_cover_the_mean() {
        let data: Vec<f64> = (0..200).map(|i| (i % 7) as f64).collect();
        let mean = |idx: &[usize]| idx.iter().map(|&i| data[i]).sum::<f64>() / idx.len() as f64;
        let a = replicate(data.len(), 300, 7, mean);
        let b = replicate(data.len(), 300, 7, mean);
        assert_eq!(a, b);
        let all: Vec<usize> = (0..data.len()).collect();
        let e = estimate(mean(&all), a);
        assert!(e.low < e.value && e.value < e.high, "{e:?}");
        assert!(e.high - e.low < 1.0, "{e:?}");
    }

    #[test]
    fn paired_p_value_is_small_only_for_a_consistent_difference() {
        assert!(paired_p_value(0.1, &[0.05; 999]) < 0.01);
        let mixed: Vec<f64> = (0..1000)
            .map(|i| if i % 2 == 0 { 0.1 } else { -0.1 })
            .collect();
        assert!(paired_p_value(0.01, &mixed) > 0.9);
    }
}
