//! How a labelling session picks its reports from the target set. Every strategy is
//! deterministic given its seed, so a session can be re-created exactly.

use ml::rng::SplitMix64;
use super::ReviewError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Strategy {
    /// Uniformly at random.
    Random,
    /// In proportion to cluster size in a run (noise is one more stratum), every cluster
    /// getting at least one report while the count allows.
    StratifiedByCluster { run: i64 },
    /// Farthest-point sampling on a model's vectors: each pick is the report least like any
    /// picked so far, so rare kinds of report are seen early.
    Diversity,
    /// The reports a k-nearest-neighbour vote over the labels made so far is least sure of.
    Uncertainty,
    /// NHS England's review sampling: every death or severe harm (PD09 4-5), then up to 100
    /// random moderate (3) and 100 random low or no harm (1-2).
    NhsReviewPreset,
}

impl Strategy {
    /// A strategy by the short name a command line uses (`random`, `stratified`,
    /// `diversity`, `uncertainty`, `nhs`); stratified sampling needs the run whose
    /// clusters are its strata.
    pub fn parse(name: &str, run: Option<i64>) -> Result<Strategy, ReviewError> {
        match (name, run) {
            ("random", _) => Ok(Strategy::Random),
            ("stratified" | "stratified_by_cluster", Some(run)) => Ok(Strategy::StratifiedByCluster { run }),
            ("stratified" | "stratified_by_cluster", None) => Err(ReviewError::Invalid(
                "stratified sampling needs the cluster run whose clusters are its strata".into(),
            )),
            ("diversity", _) => Ok(Strategy::Diversity),
            ("uncertainty", _) => Ok(Strategy::Uncertainty),
            ("nhs" | "nhs_review_preset", _) => Ok(Strategy::NhsReviewPreset),
            (other, _) => Err(ReviewError::Invalid(format!(
                "unknown strategy {other:?}; use random, stratified, diversity, uncertainty or nhs"
            ))),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::StratifiedByCluster { .. } => "stratified_by_cluster",
            Strategy::Diversity => "diversity",
            Strategy::Uncertainty => "uncertainty",
            Strategy::NhsReviewPreset => "nhs_review_preset",
        }
    }
}

/// Fisher-Yates with SplitMix64: the first `count` of a seeded permutation.
pub fn random(ids: &[i64], count: usize, seed: u64) -> Vec<i64> {
    let mut v = ids.to_vec();
    let mut rng = SplitMix64::new(seed);
    let take = count.min(v.len());
    for i in 0..take {
        let j = i + rng.below(v.len() - i);
        v.swap(i, j);
    }
    v.truncate(take);
    v
}

/// Proportional allocation by largest remainder, at least one per stratum while `count`
/// covers every stratum; within a stratum, random.
pub fn stratified(strata: &BTreeMap<i64, Vec<i64>>, count: usize, seed: u64) -> Vec<i64> {
    let total: usize = strata.values().map(|v| v.len()).sum();
    let count = count.min(total);
    if count == 0 {
        return Vec::new();
    }
    let mut quota: BTreeMap<i64, usize> = BTreeMap::new();
    let floor_one = count >= strata.len();
    let mut remainders = Vec::new();
    let mut given = 0;
    for (&k, members) in strata {
        let exact = count as f64 * members.len() as f64 / total as f64;
        let mut q = exact.floor() as usize;
        if floor_one && q == 0 && !members.is_empty() {
            q = 1;
        }
        q = q.min(members.len());
        given += q;
        quota.insert(k, q);
        remainders.push((exact - exact.floor(), k));
    }
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    // Hand out what is left by largest remainder, or take back from the largest quotas
    // when the floor of one overshot.
    let mut i = 0;
    while given < count && i < remainders.len() * 4 {
        let k = remainders[i % remainders.len()].1;
        if quota[&k] < strata[&k].len() {
            *quota.get_mut(&k).expect("stratum") += 1;
            given += 1;
        }
        i += 1;
    }
    while given > count {
        let (&k, _) = quota
            .iter()
            .max_by_key(|(k, q)| (**q, -**k))
            .expect("non-empty");
        *quota.get_mut(&k).expect("stratum") -= 1;
        given -= 1;
    }
    let mut out = Vec::with_capacity(count);
    for (k, members) in strata {
        out.extend(random(
            members,
            quota[k],
            seed ^ (*k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        ));
    }
    out
}

/// Farthest-point sampling under cosine distance on L2-normalised rows.
pub fn farthest_point(
    ids: &[i64],
    vectors: &[f32],
    dim: usize,
    count: usize,
    seed: u64,
) -> Vec<i64> {
    let n = ids.len();
    if n == 0 || count == 0 {
        return Vec::new();
    }
    let row = |i: usize| &vectors[i * dim..(i + 1) * dim];
    let mut rng = SplitMix64::new(seed);
    let mut picked = vec![rng.below(n)];
    let mut nearest = vec![f32::INFINITY; n];
    while picked.len() < count.min(n) {
        let last = row(*picked.last().expect("one pick"));
        let mut best = (f32::NEG_INFINITY, 0);
        for i in 0..n {
            let d = 1.0 - row(i).iter().zip(last).map(|(a, b)| a * b).sum::<f32>();
            if d < nearest[i] {
                nearest[i] = d;
            }
            // Ties go to the lower index, so the result does not depend on float noise order.
            if nearest[i] > best.0 {
                best = (nearest[i], i);
            }
        }
        picked.push(best.1);
    }
    picked.into_iter().map(|i| ids[i]).collect()
}

/// Label votes of the `k` nearest labelled reports, weighted by similarity: the winning
/// label, its share of the weight, and the margin over the runner-up.
pub fn knn_vote(neighbours: &[(usize, f32)], categories: usize) -> Option<(usize, f64, f64)> {
    if neighbours.is_empty() {
        return None;
    }
    let mut w = vec![0.0f64; categories];
    for &(label, sim) in neighbours {
        w[label] += sim.max(0.0) as f64 + 1e-9;
    }
    let total: f64 = w.iter().sum();
    let mut order: Vec<usize> = (0..categories).collect();
    order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
    let top = w[order[0]] / total;
    let second = order.get(1).map(|&i| w[i] / total).unwrap_or(0.0);
    Some((order[0], top, top - second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_is_a_seeded_sample_without_repeats() {
        let ids: Vec<i64> = (0..100).collect();
        let a = random(&ids, 10, 7);
        assert_eq!(a, random(&ids, 10, 7));
        assert_ne!(a, random(&ids, 10, 8));
        let mut s = a.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), 10);
        assert_eq!(random(&ids, 500, 1).len(), 100);
    }

    #[test]
    fn stratified_follows_proportions_and_covers_every_stratum() {
        let mut strata = BTreeMap::new();
        strata.insert(0, (0..800).collect::<Vec<i64>>());
        strata.insert(1, (800..990).collect());
        strata.insert(2, (990..1000).collect());
        let picked = stratified(&strata, 100, 3);
        assert_eq!(picked.len(), 100);
        let count = |lo: i64, hi: i64| picked.iter().filter(|&&i| i >= lo && i < hi).count();
        assert_eq!(
            (count(0, 800), count(800, 990), count(990, 1000)),
            (80, 19, 1)
        );
        // A stratum smaller than its proportional share still gets one.
        let small = stratified(&strata, 10, 3);
        assert_eq!(small.len(), 10);
        assert!(small.iter().any(|&i| i >= 990));
    }

    #[test]
    fn farthest_point_reaches_the_outlying_group_first() {
        // 50 points near (1, 0), 50 near (0, 1), one at (-1, 0).
        let mut v = Vec::new();
        for i in 0..50 {
            let a = 0.01 * i as f32;
            v.extend([a.cos(), a.sin()]);
        }
        for i in 0..50 {
            let a = std::f32::consts::FRAC_PI_2 - 0.01 * i as f32;
            v.extend([a.cos(), a.sin()]);
        }
        v.extend([-1.0, 0.0]);
        let ids: Vec<i64> = (0..101).collect();
        let picked = farthest_point(&ids, &v, 2, 3, 11);
        assert!(picked.contains(&100), "{picked:?}");
        let groups: std::collections::HashSet<i64> = picked.iter().map(|&i| i / 50).collect();
        assert_eq!(groups.len(), 3, "one pick from each group: {picked:?}");
    }

    #[test]
    fn knn_vote_weighs_by_similarity() {
        assert_eq!(knn_vote(&[], 3), None);
        let (label, share, margin) = knn_vote(&[(0, 0.9), (1, 0.5), (1, 0.5)], 3).unwrap();
        assert_eq!(label, 1);
        assert!((share - 1.0 / 1.9).abs() < 1e-6 && (margin - 0.1 / 1.9).abs() < 1e-6);
    }
}
