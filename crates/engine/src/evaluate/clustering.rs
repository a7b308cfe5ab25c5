//! Agreement between a clustering and reference labels: adjusted Rand index (Hubert &
//! Arabie, 1985), V-measure (Rosenberg & Hirschberg, 2007) and normalised mutual
//! information (arithmetic-mean normalisation), as scikit-learn defines them.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ClusteringScores {
    pub adjusted_rand: f64,
    pub homogeneity: f64,
    pub completeness: f64,
    pub v_measure: f64,
    /// Mutual information over the arithmetic mean of the two entropies.
    pub nmi: f64,
    pub n: usize,
}

fn comb2(x: f64) -> f64 {
    x * (x - 1.0) / 2.0
}

fn entropy(counts: impl Iterator<Item = f64>, n: f64) -> f64 {
    counts
        .filter(|&c| c > 0.0)
        .map(|c| -(c / n) * (c / n).ln())
        .sum()
}

/// Scores `predicted` against `truth` (same length; any ordered label types). The tables
/// are ordered maps so the sums run in one order: the same labels give the same bits.
pub fn score<T: Ord, P: Ord>(truth: &[T], predicted: &[P]) -> ClusteringScores {
    assert_eq!(
        truth.len(),
        predicted.len(),
        "one predicted label per reference label"
    );
    let n = truth.len();
    let mut table: BTreeMap<(&T, &P), f64> = BTreeMap::new();
    let mut rows: BTreeMap<&T, f64> = BTreeMap::new();
    let mut cols: BTreeMap<&P, f64> = BTreeMap::new();
    for (t, p) in truth.iter().zip(predicted) {
        *table.entry((t, p)).or_insert(0.0) += 1.0;
        *rows.entry(t).or_insert(0.0) += 1.0;
        *cols.entry(p).or_insert(0.0) += 1.0;
    }
    let nf = n as f64;
    let index: f64 = table.values().map(|&c| comb2(c)).sum();
    let sum_rows: f64 = rows.values().map(|&c| comb2(c)).sum();
    let sum_cols: f64 = cols.values().map(|&c| comb2(c)).sum();
    let expected = if n > 1 {
        sum_rows * sum_cols / comb2(nf)
    } else {
        0.0
    };
    let max_index = (sum_rows + sum_cols) / 2.0;
    let adjusted_rand = if (max_index - expected).abs() < f64::EPSILON {
        1.0
    } else {
        (index - expected) / (max_index - expected)
    };

    let h_truth = entropy(rows.values().copied(), nf);
    let h_pred = entropy(cols.values().copied(), nf);
    // Conditional entropies from the contingency table.
    let h_truth_given_pred: f64 = table
        .iter()
        .map(|((_, p), &c)| -(c / nf) * (c / cols[p]).ln())
        .sum();
    let h_pred_given_truth: f64 = table
        .iter()
        .map(|((t, _), &c)| -(c / nf) * (c / rows[t]).ln())
        .sum();
    let homogeneity = if h_truth == 0.0 {
        1.0
    } else {
        1.0 - h_truth_given_pred / h_truth
    };
    let completeness = if h_pred == 0.0 {
        1.0
    } else {
        1.0 - h_pred_given_truth / h_pred
    };
    let v_measure = if homogeneity + completeness == 0.0 {
        0.0
    } else {
        2.0 * homogeneity * completeness / (homogeneity + completeness)
    };
    // As scikit-learn: one class and one cluster agree perfectly; no shared information is 0.
    let mutual_information = (h_truth - h_truth_given_pred).max(0.0);
    let nmi = if rows.len() == cols.len() && rows.len() <= 1 {
        1.0
    } else if mutual_information <= 0.0 {
        0.0
    } else {
        mutual_information / ((h_truth + h_pred) / 2.0).max(f64::EPSILON)
    };
    ClusteringScores {
        adjusted_rand,
        homogeneity,
        completeness,
        v_measure,
        nmi,
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn() {
        // sklearn.metrics on labels_true=[0,0,0,1,1,1], labels_pred=[0,0,1,1,2,2].
        let s = score(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((s.adjusted_rand - 0.242_424_242).abs() < 1e-6, "{s:?}");
        assert!((s.homogeneity - 0.666_666_667).abs() < 1e-6, "{s:?}");
        assert!((s.completeness - 0.420_619_835).abs() < 1e-6, "{s:?}");
        assert!((s.v_measure - 0.515_803_742).abs() < 1e-6, "{s:?}");
        let perfect = score(&["a", "a", "b"], &[7, 7, 3]);
        assert_eq!((perfect.adjusted_rand, perfect.v_measure), (1.0, 1.0));
    }
}
