//! UMAP's embedding optimisation: stochastic gradient descent over the fuzzy graph's edges
//! with negative sampling, as umap-learn's `optimize_layout_euclidean`, but single-threaded
//! with a seeded generator so a run is reproducible bit for bit (umap-rs samples from an
//! unseeded thread RNG across threads, which rules it out for stable cluster ids).

use super::graph::FuzzyGraph;
use crate::rng::SplitMix64;

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct LayoutParams {
    pub n_components: usize,
    pub min_dist: f32,
    pub spread: f32,
    /// None: 500 for up to 10,000 points, else 200 (umap-learn's rule).
    pub n_epochs: Option<usize>,
    pub learning_rate: f32,
    pub negative_sample_rate: usize,
    pub repulsion_strength: f32,
    pub seed: u64,
}

impl Default for LayoutParams {
    fn default() -> Self {
        LayoutParams {
            n_components: 2,
            min_dist: 0.1,
            spread: 1.0,
            n_epochs: None,
            learning_rate: 1.0,
            negative_sample_rate: 5,
            repulsion_strength: 1.0,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

/// Fits a, b of the curve 1 / (1 + a·x^(2b)) to the target membership of `min_dist` and
/// `spread` (Levenberg-Marquardt on 300 points, as umap-learn's curve_fit).
pub fn find_ab_params(spread: f32, min_dist: f32) -> (f32, f32) {
    let (spread, min_dist) = (spread as f64, min_dist as f64);
    let xs: Vec<f64> = (0..300).map(|i| spread * 3.0 * i as f64 / 299.0).collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let residual = |a: f64, b: f64| -> f64 {
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| (1.0 / (1.0 + a * x.powf(2.0 * b)) - y).powi(2))
            .sum()
    };
    let (mut a, mut b, mut lambda) = (1.0f64, 1.0f64, 1e-3f64);
    let mut err = residual(a, b);
    for _ in 0..200 {
        // Normal equations of the 2-parameter problem.
        let (mut jtj, mut jtr) = ([[0.0f64; 2]; 2], [0.0f64; 2]);
        for (&x, &y) in xs.iter().zip(&ys) {
            if x == 0.0 {
                continue;
            }
            let p = x.powf(2.0 * b);
            let f = 1.0 / (1.0 + a * p);
            let da = -p * f * f;
            let db = -a * p * 2.0 * x.ln() * f * f;
            let r = f - y;
            jtj[0][0] += da * da;
            jtj[0][1] += da * db;
            jtj[1][1] += db * db;
            jtr[0] += da * r;
            jtr[1] += db * r;
        }
        jtj[1][0] = jtj[0][1];
        let (m00, m11) = (jtj[0][0] * (1.0 + lambda), jtj[1][1] * (1.0 + lambda));
        let det = m00 * m11 - jtj[0][1] * jtj[1][0];
        if det.abs() < 1e-300 {
            break;
        }
        let step_a = (m11 * jtr[0] - jtj[0][1] * jtr[1]) / det;
        let step_b = (m00 * jtr[1] - jtj[1][0] * jtr[0]) / det;
        let (na, nb) = (a - step_a, b - step_b);
        let new_err = if na > 0.0 && nb > 0.0 {
            residual(na, nb)
        } else {
            f64::INFINITY
        };
        if new_err < err {
            let converged = (err - new_err) < 1e-12 * err.max(1e-30);
            a = na;
            b = nb;
            err = new_err;
            lambda *= 0.3;
            if converged {
                break;
            }
        } else {
            lambda *= 10.0;
            if lambda > 1e12 {
                break;
            }
        }
    }
    (a as f32, b as f32)
}

#[inline]
pub(super) fn clip(v: f32) -> f32 {
    v.clamp(-4.0, 4.0)
}

/// The largest `n_components` the optimiser is compiled for.
pub const MAX_COMPONENTS: usize = 10;

/// Optimises `init` (n × n_components, row-major) in place into the layout of `graph`.
/// `progress` is called with (epochs done, epochs in all). `n_components` must be 1 to
/// `MAX_COMPONENTS`: the loop is compiled for each width, which lets the compiler unroll it
/// and drop bounds checks.
pub fn optimise(
    graph: &FuzzyGraph,
    init: &mut [f32],
    params: &LayoutParams,
    progress: impl FnMut(usize, usize),
) {
    assert_eq!(
        init.len(),
        graph.n * params.n_components,
        "init must be n × n_components"
    );
    match params.n_components {
        1 => optimise_fixed::<1>(graph, init, params, progress),
        2 => optimise_fixed::<2>(graph, init, params, progress),
        3 => optimise_fixed::<3>(graph, init, params, progress),
        4 => optimise_fixed::<4>(graph, init, params, progress),
        5 => optimise_fixed::<5>(graph, init, params, progress),
        6 => optimise_fixed::<6>(graph, init, params, progress),
        7 => optimise_fixed::<7>(graph, init, params, progress),
        8 => optimise_fixed::<8>(graph, init, params, progress),
        9 => optimise_fixed::<9>(graph, init, params, progress),
        10 => optimise_fixed::<10>(graph, init, params, progress),
        other => panic!("UMAP layouts have 1 to {MAX_COMPONENTS} components, not {other}"),
    }
}

fn optimise_fixed<const D: usize>(
    graph: &FuzzyGraph,
    init: &mut [f32],
    params: &LayoutParams,
    mut progress: impl FnMut(usize, usize),
) {
    let n = graph.n;
    if n < 2 || graph.weights.is_empty() {
        return;
    }
    let n_epochs = params
        .n_epochs
        .unwrap_or(if n <= 10_000 { 500 } else { 200 });
    let (a, b) = find_ab_params(params.spread, params.min_dist);
    normalise_to_box(init, n, D);
    let mut y: Vec<[f32; D]> = init
        .chunks_exact(D)
        .map(|row| {
            let mut p = [0.0f32; D];
            p.copy_from_slice(row);
            p
        })
        .collect();

    let max_w = graph.weights.iter().copied().fold(0.0f32, f32::max);
    // Edges too weak to be sampled even once in n_epochs are dropped, as umap-learn does.
    let keep: Vec<usize> = (0..graph.weights.len())
        .filter(|&e| graph.weights[e] >= max_w / n_epochs as f32)
        .collect();
    let heads: Vec<usize> = keep.iter().map(|&e| graph.heads[e] as usize).collect();
    let tails: Vec<usize> = keep.iter().map(|&e| graph.tails[e] as usize).collect();
    let epochs_per_sample: Vec<f32> = keep.iter().map(|&e| max_w / graph.weights[e]).collect();
    let neg_rate = params.negative_sample_rate.max(1) as f32;
    let epochs_per_negative: Vec<f32> = epochs_per_sample.iter().map(|e| e / neg_rate).collect();
    let mut next_sample = epochs_per_sample.clone();
    let mut next_negative = epochs_per_negative.clone();

    let mut rng = SplitMix64::new(params.seed);
    let gamma = params.repulsion_strength;
    for epoch in 0..n_epochs {
        let alpha = params.learning_rate * (1.0 - epoch as f32 / n_epochs as f32);
        let now = epoch as f32;
        for e in 0..heads.len() {
            if next_sample[e] > now {
                continue;
            }
            let (j, k) = (heads[e], tails[e]);
            let (mut cur, mut other) = (y[j], y[k]);
            let coeff = attraction(sq_dist(&cur, &other), a, b);
            for d in 0..D {
                let g = clip(coeff * (cur[d] - other[d])) * alpha;
                cur[d] += g;
                other[d] -= g;
            }
            y[k] = other;
            next_sample[e] += epochs_per_sample[e];

            let n_neg = ((now - next_negative[e]) / epochs_per_negative[e]).max(0.0) as usize;
            for _ in 0..n_neg {
                let k = rng.below(n);
                if k == j {
                    continue;
                }
                repel(&mut cur, &y[k], a, b, gamma, alpha);
            }
            y[j] = cur;
            next_negative[e] += n_neg as f32 * epochs_per_negative[e];
        }
        progress(epoch + 1, n_epochs);
    }
    for (row, p) in init.chunks_exact_mut(D).zip(&y) {
        row.copy_from_slice(p);
    }
}

/// The attractive gradient's coefficient between two points `dist_sq` apart.
#[inline]
pub(super) fn attraction(dist_sq: f32, a: f32, b: f32) -> f32 {
    if dist_sq > 0.0 {
        let pow = dist_sq.powf(b - 1.0);
        -2.0 * a * b * pow / (a * pow * dist_sq + 1.0)
    } else {
        0.0
    }
}

/// One negative sample: moves `cur` away from `other`.
#[inline]
pub(super) fn repel<const D: usize>(cur: &mut [f32; D], other: &[f32; D], a: f32, b: f32, gamma: f32, alpha: f32) {
    let dist_sq = sq_dist(cur, other);
    let coeff = if dist_sq > 0.0 {
        2.0 * gamma * b / ((0.001 + dist_sq) * (a * dist_sq.powf(b) + 1.0))
    } else {
        0.0
    };
    for d in 0..D {
        let g = if coeff > 0.0 {
            clip(coeff * (cur[d] - other[d]))
        } else {
            4.0
        };
        cur[d] += g * alpha;
    }
}

#[inline]
pub(super) fn sq_dist<const D: usize>(a: &[f32; D], b: &[f32; D]) -> f32 {
    let mut s = 0.0;
    for d in 0..D {
        s += (a[d] - b[d]) * (a[d] - b[d]);
    }
    s
}

/// Each column scaled into [0, 10], as umap-learn does before optimising.
fn normalise_to_box(x: &mut [f32], n: usize, dim: usize) {
    for d in 0..dim {
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for i in 0..n {
            lo = lo.min(x[i * dim + d]);
            hi = hi.max(x[i * dim + d]);
        }
        let span = if hi > lo { hi - lo } else { 1.0 };
        for i in 0..n {
            x[i * dim + d] = 10.0 * (x[i * dim + d] - lo) / span;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ab_params_match_umap_learn() {
        // umap-learn's find_ab_params(1.0, 0.1) and (1.0, 0.0).
        let (a, b) = find_ab_params(1.0, 0.1);
        assert!(
            (a - 1.577).abs() < 0.01 && (b - 0.895).abs() < 0.005,
            "{a} {b}"
        );
        let (a, b) = find_ab_params(1.0, 0.0);
        assert!(
            (a - 1.929).abs() < 0.01 && (b - 0.7915).abs() < 0.005,
            "{a} {b}"
        );
    }
}
