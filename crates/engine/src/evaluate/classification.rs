//! Classification scores against reference labels, as scikit-learn defines them: accuracy,
//! and macro-averaged F1 over every label seen in either the truth or the predictions (a
//! label never predicted, or never true, scores 0 rather than being skipped).

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct ClassificationScores {
    pub accuracy: f64,
    pub macro_f1: f64,
    pub n: usize,
}

pub fn score<T: Ord>(truth: &[T], predicted: &[T]) -> ClassificationScores {
    assert_eq!(
        truth.len(),
        predicted.len(),
        "one prediction per reference label"
    );
    // Per label: true positives, false positives, false negatives.
    let mut counts: BTreeMap<&T, (f64, f64, f64)> = BTreeMap::new();
    let mut correct = 0.0;
    for (t, p) in truth.iter().zip(predicted) {
        if t == p {
            correct += 1.0;
            counts.entry(t).or_default().0 += 1.0;
        } else {
            counts.entry(p).or_default().1 += 1.0;
            counts.entry(t).or_default().2 += 1.0;
        }
    }
    let n = truth.len();
    let f1 = |&(tp, fp, fn_): &(f64, f64, f64)| {
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fn_)
        }
    };
    let macro_f1 = if counts.is_empty() {
        0.0
    } else {
        counts.values().map(f1).sum::<f64>() / counts.len() as f64
    };
    ClassificationScores {
        accuracy: if n == 0 { 0.0 } else { correct / n as f64 },
        macro_f1,
        n,
    }
}

/// Counts of (true label, predicted label), rows truth, columns prediction, over label
/// indices `0..labels`.
pub fn confusion_matrix(truth: &[usize], predicted: &[usize], labels: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; labels]; labels];
    for (&t, &p) in truth.iter().zip(predicted) {
        if t < labels && p < labels {
            m[t][p] += 1;
        }
    }
    m
}
