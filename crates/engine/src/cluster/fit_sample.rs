//! Which reports an analysis fits UMAP and HDBSCAN on when there are more than it fits:
//! a seeded sample, each report ranked by a hash of (seed, incident id). A report's rank
//! does not depend on which other reports exist, so a grown dataset keeps most of the
//! sample it had.

use ml::rng::SplitMix64;

/// Positions in `ids` of the reports to fit on, ascending: all of them when `limit` is 0
/// or at least `ids.len()`, else the `limit` with the lowest seeded rank.
pub(super) fn fit_positions(ids: &[i64], limit: usize, seed: u64) -> Vec<usize> {
    if limit == 0 || limit >= ids.len() {
        return (0..ids.len()).collect();
    }
    let mut ranked: Vec<(u64, usize)> = ids
        .iter()
        .enumerate()
        .map(|(p, &id)| {
            (
                SplitMix64::new(seed ^ (id as u64).rotate_left(29)).next_u64(),
                p,
            )
        })
        .collect();
    ranked.select_nth_unstable(limit - 1);
    let mut chosen: Vec<usize> = ranked[..limit].iter().map(|&(_, p)| p).collect();
    chosen.sort_unstable();
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_seeded_and_stable_as_data_grows() {
        let ids: Vec<i64> = (1..=10_000).collect();
        let a = fit_positions(&ids, 2_000, 7);
        assert_eq!(a.len(), 2_000);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(a, fit_positions(&ids, 2_000, 7));
        assert_ne!(a, fit_positions(&ids, 2_000, 8));
        assert_eq!(fit_positions(&ids, 0, 7).len(), 10_000);
        assert_eq!(fit_positions(&ids, 20_000, 7).len(), 10_000);
        // Spread over the whole range, not the first ids.
        assert!(a.iter().filter(|&&p| p >= 5_000).count() > 800);
        // Grown data: the reports sampled before stay sampled when the sample grows with it.
        let grown: Vec<i64> = (1..=20_000).collect();
        let b: std::collections::HashSet<usize> =
            fit_positions(&grown, 4_000, 7).into_iter().collect();
        assert!(a.iter().filter(|p| b.contains(p)).count() > 1_900);
    }
}
