//! How reproducible a clustering is: refitted on random subsamples of the points, does it
//! group them as it did on all of them? The agreement (adjusted Rand index, noise counted as
//! one more label) of each refit with the full labelling on the points the refit holds,
//! averaged over seeded rounds — the resampling view of cluster validity (Ben-Hur et al.,
//! Lange et al.): structure that is really in the data survives losing some of it, splits
//! of a dense mass into whichever sub-groups happened to be densest this time do not.

use std::collections::HashMap;

/// Adjusted Rand index of two labellings of the same points (1: the same partition, about
/// 0: no more alike than chance). Two single-cluster labellings agree fully.
pub fn adjusted_rand(a: &[i32], b: &[i32]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let mut table: HashMap<(i32, i32), u64> = HashMap::new();
    let (mut rows, mut cols): (HashMap<i32, u64>, HashMap<i32, u64>) = (HashMap::new(), HashMap::new());
    for (&x, &y) in a.iter().zip(b).take(n) {
        *table.entry((x, y)).or_insert(0) += 1;
        *rows.entry(x).or_insert(0) += 1;
        *cols.entry(y).or_insert(0) += 1;
    }
    let pairs = |c: u64| (c * c.saturating_sub(1) / 2) as f64;
    let index: f64 = table.values().map(|&c| pairs(c)).sum();
    let (sa, sb): (f64, f64) = (rows.values().map(|&c| pairs(c)).sum(), cols.values().map(|&c| pairs(c)).sum());
    let expected = sa * sb / pairs(n as u64);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Seeded subsample of `m` of `n` indices, in ascending order.
pub(super) fn subsample(n: usize, m: usize, seed: u64) -> Vec<usize> {
    let mut rng = crate::rng::SplitMix64::new(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..m.min(n) {
        let j = i + rng.below(n - i);
        idx.swap(i, j);
    }
    idx.truncate(m.min(n));
    idx.sort_unstable();
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjusted_rand_matches_known_values() {
        assert_eq!(adjusted_rand(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
        // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714
        assert!((adjusted_rand(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_4).abs() < 1e-9);
        // sklearn: adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]) = -0.3636...
        assert!((adjusted_rand(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]) + 0.363_636_363_6).abs() < 1e-9);
        let s = subsample(100, 30, 4);
        assert_eq!(s.len(), 30);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, subsample(100, 30, 4));
    }
}
