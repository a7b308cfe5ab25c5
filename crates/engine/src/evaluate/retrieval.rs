//! Retrieval scores of one ranked neighbour list: precision at k, and average precision
//! at k normalised by the relevant items that could have been found in k
//! (`min(total relevant, k)`), so a list that misses relevant reports scores below 1.

/// Share of the first `k` ranks that are relevant (a list shorter than `k` counts its
/// missing ranks as misses).
pub fn precision_at(relevant: &[bool], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    relevant.iter().take(k).filter(|&&r| r).count() as f64 / k as f64
}

/// Average precision over the first `k` ranks: the mean, over relevant ranks, of the
/// precision up to that rank, divided by `min(total_relevant, k)`. Zero when nothing
/// could be relevant.
pub fn average_precision_at(relevant: &[bool], k: usize, total_relevant: usize) -> f64 {
    let denominator = total_relevant.min(k);
    if denominator == 0 {
        return 0.0;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (rank, &r) in relevant.iter().take(k).enumerate() {
        if r {
            hits += 1;
            sum += hits as f64 / (rank + 1) as f64;
        }
    }
    sum / denominator as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_list() {
        // Relevant at ranks 1, 3 and 4 of 5, with 6 relevant in all, k = 5:
        // AP = (1/1 + 2/3 + 3/4) / min(6, 5).
        let list = [true, false, true, true, false];
        assert!((precision_at(&list, 5) - 0.6).abs() < 1e-12);
        let expected = (1.0 + 2.0 / 3.0 + 3.0 / 4.0) / 5.0;
        assert!((average_precision_at(&list, 5, 6) - expected).abs() < 1e-12);
        assert_eq!(average_precision_at(&list, 5, 0), 0.0);
        assert!((precision_at(&[true], 10) - 0.1).abs() < 1e-12);
    }
}
