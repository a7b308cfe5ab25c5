//! Weekly count series with known outbreaks, for scoring the detectors (the `bench signals`
//! command): baselines as Noufaily et al. (2013) simulate them — negative binomial counts
//! around exp(θ + βt + γ₁cos(2πt/52) + γ₂sin(2πt/52)) — and outbreaks of k standard
//! deviations of the baseline at their start, in one of three shapes. Seeded: the same
//! seed gives the same series.

use super::counts::Member;
use chrono::{Days, NaiveDate};
use ml::rng::SplitMix64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// ln of the mean count at the start (before season and trend).
    pub theta: f64,
    /// Weekly trend on the log scale.
    pub beta: f64,
    /// Amplitude of the yearly season on the log scale (0: none).
    pub season: f64,
    /// Variance over mean (1: Poisson).
    pub phi: f64,
}

impl Baseline {
    pub fn mean(&self, week: usize) -> f64 {
        let angle = 2.0 * std::f64::consts::PI * week as f64 / 52.0;
        (self.theta + self.beta * week as f64 + self.season * (angle.cos() + angle.sin()) / std::f64::consts::SQRT_2).exp()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// All in one week.
    Spike,
    /// Rising over four weeks (1 : 2 : 3 : 4).
    Ramp,
    /// Even over three weeks.
    Plateau,
}

impl Shape {
    pub fn weights(self) -> &'static [f64] {
        match self {
            Shape::Spike => &[1.0],
            Shape::Ramp => &[0.1, 0.2, 0.3, 0.4],
            Shape::Plateau => &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Spike => "spike",
            Shape::Ramp => "ramp",
            Shape::Plateau => "plateau",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outbreak {
    pub start: usize,
    /// In standard deviations of the baseline count at the start.
    pub size_sd: f64,
    pub shape: Shape,
}

impl Outbreak {
    pub fn weeks(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.shape.weights().len()
    }
}

/// A series of `weeks` counts: the baseline, plus the outbreak's cases (Poisson with mean
/// k·√(φμ) at its start, spread over its weeks by its shape). The baseline is drawn first,
/// so the same seed with and without an outbreak gives the same baseline.
pub fn simulate(baseline: &Baseline, weeks: usize, outbreak: Option<&Outbreak>, seed: u64) -> Vec<f64> {
    let rng = &mut SplitMix64::new(seed);
    let mut counts: Vec<f64> = (0..weeks).map(|t| negative_binomial(baseline.mean(t), baseline.phi, rng)).collect();
    if let Some(o) = outbreak {
        let sd = (baseline.phi * baseline.mean(o.start)).sqrt();
        let cases = poisson(o.size_sd * sd, rng);
        let shares = o.shape.weights();
        for _ in 0..cases as usize {
            let u = rng.next_f64();
            let mut acc = 0.0;
            let mut at = shares.len() - 1;
            for (i, s) in shares.iter().enumerate() {
                acc += s;
                if u < acc {
                    at = i;
                    break;
                }
            }
            if let Some(c) = counts.get_mut(o.start + at) {
                *c += 1.0;
            }
        }
    }
    counts
}

/// A count with mean μ and variance φμ: Poisson, or a gamma-mixed Poisson when φ > 1.
fn negative_binomial(mu: f64, phi: f64, rng: &mut SplitMix64) -> f64 {
    if phi <= 1.0 {
        return poisson(mu, rng);
    }
    let shape = mu / (phi - 1.0);
    poisson(gamma(shape, rng) * (phi - 1.0), rng)
}

/// Poisson by inversion from the mode outwards would be faster; counts here are small.
fn poisson(lambda: f64, rng: &mut SplitMix64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda > 500.0 {
        // Normal approximation, well inside its accuracy at this size.
        let z = standard_normal(rng);
        return (lambda + lambda.sqrt() * z).round().max(0.0);
    }
    let u = rng.next_f64();
    let mut k = 0.0;
    let mut p = (-lambda).exp();
    let mut cdf = p;
    while u > cdf && k < 10_000.0 {
        k += 1.0;
        p *= lambda / k;
        cdf += p;
    }
    k
}

fn standard_normal(rng: &mut SplitMix64) -> f64 {
    // Box–Muller; 1 − u keeps the logarithm finite.
    let (u, v) = (1.0 - rng.next_f64(), rng.next_f64());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Marsaglia and Tsang's gamma sampler (scale 1), with the boost for shape < 1.
fn gamma(shape: f64, rng: &mut SplitMix64) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.next_f64();
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.next_f64();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// `n` consecutive Mondays from the first Monday of 2015.
pub fn weekly_dates(n: usize) -> Vec<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(2015, 1, 5).unwrap_or_default();
    (0..n).map(|i| start + Days::new(7 * i as u64)).collect()
}

/// A uniform draw in 0..n from `seed` (for picking outbreak starts).
pub fn draw_below(seed: u64, n: usize) -> usize {
    SplitMix64::new(seed).below(n.max(1))
}

/// A run's reports for the speed benchmark: `reports` over five years, in `clusters`
/// clusters of Zipf-like sizes (a tenth left as noise), with four care settings, 20
/// specialties and 30 locations.
pub fn generated_members(reports: usize, clusters: usize, seed: u64) -> Vec<Member> {
    let mut rng = SplitMix64::new(seed);
    let start = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap_or_default();
    let days = 5 * 365;
    let clusters = clusters.max(1);
    let total: f64 = (1..=clusters).map(|i| 1.0 / i as f64).sum();
    let mut cumulative = Vec::with_capacity(clusters);
    let mut acc = 0.0;
    for i in 1..=clusters {
        acc += 1.0 / i as f64 / total;
        cumulative.push(acc);
    }
    let settings = ["Acute", "Mental health", "Community", "General practice"];
    (0..reports)
        .map(|i| {
            let u = rng.next_f64();
            let cluster = cumulative.partition_point(|c| *c < u).min(clusters - 1) as i64;
            let day = rng.below(days) as u64;
            Member {
                incident_id: i as i64 + 1,
                cluster: if rng.next_f64() < 0.1 { -1 } else { cluster },
                date: start + Days::new(day),
                category: Some(format!("category {}", cluster % 12)),
                strata: [
                    Some(settings[rng.below(settings.len())].to_string()),
                    Some(format!("specialty {}", rng.below(20))),
                    Some(format!("location {}", rng.below(30))),
                ],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_the_asked_mean_and_dispersion() {
        for (seed, (mu, phi)) in [(3.0, 1.0), (20.0, 2.5), (0.4, 1.5)].into_iter().enumerate() {
            let b = Baseline { theta: f64::ln(mu), beta: 0.0, season: 0.0, phi };
            let xs = simulate(&b, 20_000, None, seed as u64);
            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
            assert!((mean - mu).abs() < 0.05 * mu + 0.02, "mean {mean} for {mu}");
            assert!((var / mean - phi).abs() < 0.1 * phi, "dispersion {} for {phi}", var / mean);
        }
        let b = Baseline { theta: f64::ln(5.0), beta: 0.0, season: 0.0, phi: 1.0 };
        let a = simulate(&b, 50, Some(&Outbreak { start: 40, size_sd: 10.0, shape: Shape::Spike }), 1);
        let quiet = simulate(&b, 50, None, 1);
        assert_eq!(a[..40], quiet[..40], "the same baseline");
        assert!(a[40] > quiet[40] + 10.0, "{} against {}", a[40], quiet[40]);
    }
}
