//! Cross-validated classifiers on a model's vectors: stratified k-fold splits, a
//! k-nearest-neighbour vote through the similarity index, and multinomial logistic
//! regression (linfa). Every report is predicted once, by a classifier that never saw it.

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ml::rng::SplitMix64;
use ndarray::{Array1, Array2};

fn shuffle(items: &mut [usize], seed: u64) {
    let mut rng = SplitMix64::new(seed);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Fold of each item (0..folds): within each label the items are shuffled with the seed
/// and dealt round-robin, so every fold holds about the same share of every label.
pub fn stratified_folds(labels: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let folds = folds.max(2);
    let mut by_label: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, &l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut fold_of = vec![0; labels.len()];
    // Carry the dealing position across labels so small labels do not all start at fold 0.
    let mut next = 0;
    for (label, mut members) in by_label {
        shuffle(
            &mut members,
            seed ^ (label as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
        );
        for i in members {
            fold_of[i] = next % folds;
            next += 1;
        }
    }
    fold_of
}

/// The label most of the neighbours carry; a tie goes to the label whose tied voters are
/// nearer in sum, then to the lower label index. `neighbours` are (label, similarity).
pub fn knn_vote(neighbours: &[(usize, f32)], labels: usize) -> Option<usize> {
    if neighbours.is_empty() {
        return None;
    }
    let mut votes = vec![(0usize, 0f64); labels];
    for &(l, sim) in neighbours {
        votes[l].0 += 1;
        votes[l].1 += sim as f64;
    }
    (0..labels).max_by(|&a, &b| {
        votes[a]
            .0
            .cmp(&votes[b].0)
            .then(votes[a].1.total_cmp(&votes[b].1))
            .then(b.cmp(&a))
    })
}

/// Out-of-fold predictions of L2-regularised multinomial logistic regression (`alpha`
/// weighs the penalty against the summed log-loss, as scikit-learn's `1/C`).
pub fn logistic_out_of_fold(
    features: &Array2<f64>,
    labels: &[usize],
    fold_of: &[usize],
    folds: usize,
    alpha: f64,
    max_iterations: u64,
) -> Result<Vec<usize>, String> {
    let mut predicted = vec![usize::MAX; labels.len()];
    for fold in 0..folds {
        let train: Vec<usize> = (0..labels.len()).filter(|&i| fold_of[i] != fold).collect();
        let test: Vec<usize> = (0..labels.len()).filter(|&i| fold_of[i] == fold).collect();
        if test.is_empty() {
            continue;
        }
        let x_train = features.select(ndarray::Axis(0), &train);
        let y_train: Array1<usize> = train.iter().map(|&i| labels[i]).collect();
        let distinct: std::collections::BTreeSet<usize> = y_train.iter().copied().collect();
        let x_test = features.select(ndarray::Axis(0), &test);
        if distinct.len() < 2 {
            // One label to learn from: that label is the only possible prediction.
            let only = *distinct.iter().next().ok_or("an empty training fold")?;
            test.iter().for_each(|&i| predicted[i] = only);
            continue;
        }
        let model = MultiLogisticRegression::default()
            .alpha(alpha)
            .max_iterations(max_iterations)
            .fit(&Dataset::new(x_train, y_train))
            .map_err(|e| format!("logistic regression on fold {fold}: {e}"))?;
        let out = model.predict(&x_test);
        for (&i, &p) in test.iter().zip(out.iter()) {
            predicted[i] = p;
        }
    }
    Ok(predicted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<usize> = (0..100).map(|i| if i < 80 { 0 } else { 1 }).collect();
        let f = stratified_folds(&labels, 5, 3);
        assert_eq!(f, stratified_folds(&labels, 5, 3));
        for fold in 0..5 {
            let ones = (0..100).filter(|&i| f[i] == fold && labels[i] == 1).count();
            let zeros = (0..100).filter(|&i| f[i] == fold && labels[i] == 0).count();
            assert_eq!((zeros, ones), (16, 4), "fold {fold}");
        }
        assert_ne!(f, stratified_folds(&labels, 5, 4));
    }

    #[test]
    fn vote_breaks_ties_by_nearness() {
        assert_eq!(knn_vote(&[(0, 0.9), (1, 0.8), (1, 0.7)], 2), Some(1));
        assert_eq!(knn_vote(&[(0, 0.5), (1, 0.9)], 2), Some(1));
        assert_eq!(knn_vote(&[], 2), None);
    }

    #[test]
    fn logistic_regression_separates_separable_data() {
        let n = 60;
        let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let features = Array2::from_shape_fn((n, 3), |(i, j)| {
            if labels[i] == j {
                1.0
            } else {
                0.05 * ((i * 7 + j) % 5) as f64
            }
        });
        let folds = stratified_folds(&labels, 5, 1);
        let predicted =
            logistic_out_of_fold(&features, &labels, &folds, 5, 1.0, 100).expect("fits");
        assert_eq!(predicted, labels);
    }
}
