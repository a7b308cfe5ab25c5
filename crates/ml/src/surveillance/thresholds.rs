//! The upper bounds of the Farrington family of outbreak detectors, given a week's
//! prediction: Farrington et al. (1996)'s threshold on a power-transformed scale, as R's
//! `surveillance` package computes it for `farringtonFlexible` (one-sided, `thresholdMethod
//! = "delta"`), and Noufaily et al. (2013)'s negative binomial thresholds ("nbPlugin": the
//! predicted mean plugged in; "muan": its upper (1 − α) quantile on the log scale). Each
//! gives the bounds, the probability of a count at least as high as the one observed, and
//! the score (observed − prediction) / (upper − prediction), whose value above 1 is the
//! alarm. The prediction in the score is the model's own: the mean for "delta", the linear
//! predictor (log scale) for Noufaily's, as the package defines it.

use super::special::{ln_gamma, normal_quantile, normal_upper_tail};
use serde::{Deserialize, Serialize};

/// The scale the count is made near-normal on before the bound is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerTransform {
    None,
    Half,
    TwoThirds,
}

impl PowerTransform {
    /// R's names: "none", "1/2", "2/3".
    pub fn parse(name: &str) -> Result<PowerTransform, String> {
        match name {
            "none" => Ok(PowerTransform::None),
            "1/2" => Ok(PowerTransform::Half),
            "2/3" => Ok(PowerTransform::TwoThirds),
            other => Err(format!("no power transformation {other:?}: use none, 1/2 or 2/3")),
        }
    }

    fn exponent(self) -> f64 {
        match self {
            PowerTransform::None => 1.0,
            PowerTransform::Half => 0.5,
            PowerTransform::TwoThirds => 2.0 / 3.0,
        }
    }
}

/// A week's bounds and how far its count is beyond the prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub lower: f64,
    pub upper: f64,
    /// P(a count at least this high) under the prediction.
    pub prob: f64,
    pub score: f64,
}

/// Farrington's bound for a predicted mean `mu0` with standard error `se_mu0` and
/// over-dispersion `phi`: on the transformed scale the count is near-normal with the
/// variance of the transform times τ = φ + se²/μ0 (the prediction's own uncertainty added),
/// and the bound is the one-sided (1 − α) point transformed back.
pub fn delta(mu0: f64, se_mu0: f64, phi: f64, transform: PowerTransform, alpha: f64, observed: f64) -> Threshold {
    let tau = phi + se_mu0 * se_mu0 / mu0;
    let e = transform.exponent();
    let se = match transform {
        PowerTransform::None => (mu0 * tau).sqrt(),
        PowerTransform::Half => (tau / 4.0).sqrt(),
        PowerTransform::TwoThirds => (4.0 / 9.0 * mu0.powf(1.0 / 3.0) * tau).sqrt(),
    };
    let z = normal_quantile(1.0 - alpha);
    let centre = mu0.powf(e);
    let back = |t: f64| -> f64 {
        match transform {
            // A negative base has no real 3/2 power; R's NaN sorts first and becomes 0.
            PowerTransform::TwoThirds if t < 0.0 => f64::NAN,
            // R squares a negative base: (−x)² is x².
            PowerTransform::Half => t * t,
            _ => t.powf(1.0 / e),
        }
    };
    let (a, b) = (back(centre - z * se), back(centre + z * se));
    let (lo, hi) = match (a.is_nan(), b.is_nan()) {
        (true, _) => (a, b),
        (_, true) => (b, a),
        _ => (a.min(b), a.max(b)),
    };
    let lower = if lo.is_nan() { 0.0 } else { lo.max(0.0) };
    Threshold {
        lower,
        upper: hi,
        prob: normal_upper_tail((observed.powf(e) - centre) / se),
        score: (observed - mu0) / (hi - mu0),
    }
}

/// How Noufaily's bound takes the predicted mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoufailyMean {
    /// The predicted mean itself ("nbPlugin").
    Plugin,
    /// Its upper (1 − α) quantile, from the linear predictor's standard error ("muan").
    UpperQuantile,
}

/// Noufaily's bound for the linear predictor `eta0` (log scale) with standard error
/// `se_eta0`: the (1 − α) quantile of a negative binomial with that mean and variance φ
/// times it (a Poisson when φ ≤ 1). None when the mean overflows.
pub fn noufaily(eta0: f64, se_eta0: f64, phi: f64, mean: NoufailyMean, alpha: f64, observed: f64) -> Option<Threshold> {
    let mu = match mean {
        NoufailyMean::Plugin => eta0.exp(),
        NoufailyMean::UpperQuantile => (eta0 + normal_quantile(1.0 - alpha) * se_eta0).exp(),
    };
    noufaily_at(mu, eta0, phi, alpha, observed)
}

/// Noufaily's bound around the mean `mu` already decided (the plug-in mean, or its upper
/// quantile), the score measured from the linear predictor `eta0`. None when `mu` is not
/// finite.
pub fn noufaily_at(mu: f64, eta0: f64, phi: f64, alpha: f64, observed: f64) -> Option<Threshold> {
    if !mu.is_finite() {
        return None;
    }
    let counts = Counts::new(mu, phi);
    let lower = counts.quantile(alpha) as f64;
    let upper = counts.quantile(1.0 - alpha) as f64;
    let y = observed.max(0.0).round() as u64;
    let prob = if y == 0 { 1.0 } else { 1.0 - counts.cdf(y - 1) };
    Some(Threshold {
        lower: lower.max(0.0),
        upper,
        prob,
        score: (observed - eta0) / (upper - eta0),
    })
}

/// A count distribution with mean μ and variance φμ: negative binomial with size μ/(φ − 1)
/// and probability 1/φ, or Poisson when φ ≤ 1 (R's `qnbinom`/`qpois` arguments).
struct Counts {
    mu: f64,
    phi: f64,
}

impl Counts {
    fn new(mu: f64, phi: f64) -> Counts {
        Counts { mu, phi }
    }

    fn ln_pmf(&self, k: u64) -> f64 {
        let k = k as f64;
        if self.phi > 1.0 {
            let size = self.mu / (self.phi - 1.0);
            let p = 1.0 / self.phi;
            ln_gamma(k + size) - ln_gamma(size) - ln_gamma(k + 1.0) + size * p.ln() + k * (1.0 - p).ln()
        } else {
            -self.mu + k * self.mu.ln() - ln_gamma(k + 1.0)
        }
    }

    fn cdf(&self, k: u64) -> f64 {
        (0..=k).map(|i| self.ln_pmf(i).exp()).sum::<f64>().min(1.0)
    }

    /// The smallest k with CDF(k) ≥ p, with R's allowance for rounding (p × (1 − 64ε)).
    fn quantile(&self, p: f64) -> u64 {
        let target = p * (1.0 - 64.0 * f64::EPSILON);
        let mut total = 0.0;
        let mut k = 0;
        loop {
            total += self.ln_pmf(k).exp();
            if total >= target || k > 10_000_000 {
                return k;
            }
            k += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values the `surveillance` package's own tests check its threshold functions with
    /// (tests/testthat/test-farringtonFlexible.R, tolerance 1e-6): lower, upper, prob, score.
    fn check(t: Threshold, expected: [f64; 4]) {
        let got = [t.lower, t.upper, t.prob, t.score];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-6, "{got:?} against {expected:?}");
        }
    }

    #[test]
    fn farringtons_bound_matches_the_reference_on_each_scale() {
        let cases = [
            (PowerTransform::None, [1.3073128, 8.6926872, 0.0907246, 0.8124165]),
            (PowerTransform::Half, [1.9891097, 9.3744842, 0.1189986, 0.6857951]),
            (PowerTransform::TwoThirds, [1.8084477, 9.1154825, 0.1094727, 0.7289546]),
        ];
        for (transform, expected) in cases {
            check(delta(5.0, 0.2, 1.0, transform, 0.05, 8.0), expected);
        }
        assert!(PowerTransform::parse("2/88").unwrap_err().contains("no power transformation"));
        assert_eq!(PowerTransform::parse("2/3"), Ok(PowerTransform::TwoThirds));
    }

    #[test]
    fn noufailys_bounds_match_the_reference() {
        let (eta, se) = (5f64.ln(), 2f64.ln());
        let cases = [
            (NoufailyMean::UpperQuantile, 1.5, [8.0, 24.0, 0.8597797, 0.4193982]),
            (NoufailyMean::UpperQuantile, 1.0, [9.0, 22.0, 0.9093099, 0.4605347]),
            (NoufailyMean::Plugin, 1.5, [1.0, 10.0, 0.03763657, 1.11918153]),
            (NoufailyMean::Plugin, 1.0, [2.0, 9.0, 0.01369527, 1.27061541]),
        ];
        for (mean, phi, expected) in cases {
            check(noufaily(eta, se, phi, mean, 0.05, 11.0).unwrap(), expected);
        }
        assert!(noufaily(1e6, 1.0, 1.0, NoufailyMean::Plugin, 0.05, 3.0).is_none());
    }
}
