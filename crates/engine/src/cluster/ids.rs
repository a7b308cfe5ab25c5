//! Stable cluster ids. A fresh run numbers its clusters 0.. by size (largest first, ties by
//! smallest incident id), which depends only on the assignments. A run that follows an
//! earlier one on the same model and method carries ids over by overlap: each new cluster
//! takes the id of the earlier cluster it shares most incidents with, when those shared
//! incidents are a majority of either; the rest get ids never used before in that lineage.

use std::collections::{BTreeMap, HashMap};

/// Algorithm labels (negative: noise) → stable ids (noise stays -1).
/// `incident_ids[i]` is the incident of `labels[i]`. `previous` holds the earlier run's
/// (incident, cluster) pairs after its edits, and the highest id that lineage has used.
pub fn assign_ids(
    incident_ids: &[i64],
    labels: &[i32],
    previous: Option<(&[(i64, i64)], i64)>,
) -> Vec<i64> {
    // label -> (size, smallest incident id)
    let mut groups: BTreeMap<i32, (usize, i64)> = BTreeMap::new();
    for (&id, &label) in incident_ids.iter().zip(labels) {
        if label >= 0 {
            let g = groups.entry(label).or_insert((0, i64::MAX));
            g.0 += 1;
            g.1 = g.1.min(id);
        }
    }
    let mut canonical: Vec<i32> = groups.keys().copied().collect();
    canonical.sort_by_key(|l| (std::cmp::Reverse(groups[l].0), groups[l].1));

    let mut mapping: HashMap<i32, i64> = HashMap::new();
    let mut next_id = 0i64;
    if let Some((before, max_used)) = previous {
        let old_of: HashMap<i64, i64> = before.iter().copied().filter(|&(_, c)| c >= 0).collect();
        // Overlap counts, and each old cluster's size among incidents present now.
        let mut overlap: HashMap<(i32, i64), usize> = HashMap::new();
        let mut old_present: HashMap<i64, usize> = HashMap::new();
        for (&id, &label) in incident_ids.iter().zip(labels) {
            if let Some(&old) = old_of.get(&id) {
                *old_present.entry(old).or_insert(0) += 1;
                if label >= 0 {
                    *overlap.entry((label, old)).or_insert(0) += 1;
                }
            }
        }
        let rank: HashMap<i32, usize> =
            canonical.iter().enumerate().map(|(i, &l)| (l, i)).collect();
        let mut pairs: Vec<((i32, i64), usize)> = overlap.into_iter().collect();
        pairs.sort_by_key(|&((label, old), count)| (std::cmp::Reverse(count), rank[&label], old));
        let mut taken: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for ((label, old), count) in pairs {
            if mapping.contains_key(&label) || taken.contains(&old) {
                continue;
            }
            if 2 * count > groups[&label].0 || 2 * count > old_present[&old] {
                mapping.insert(label, old);
                taken.insert(old);
            }
        }
        next_id = max_used + 1;
    }
    for label in canonical {
        mapping.entry(label).or_insert_with(|| {
            next_id += 1;
            next_id - 1
        });
    }
    labels
        .iter()
        .map(|l| if *l < 0 { -1 } else { mapping[l] })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_run_numbers_by_size() {
        let ids = [10, 11, 12, 13, 14, 15];
        let labels = [5, 2, 2, -1, 2, 5];
        assert_eq!(assign_ids(&ids, &labels, None), vec![1, 0, 0, -1, 0, 1]);
        // The algorithm's own label numbers do not matter.
        assert_eq!(
            assign_ids(&ids, &[0, 9, 9, -1, 9, 0], None),
            vec![1, 0, 0, -1, 0, 1]
        );
    }

    #[test]
    fn grown_data_keeps_ids_by_overlap_and_new_clusters_get_new_ids() {
        let before: Vec<(i64, i64)> = vec![(1, 7), (2, 7), (3, 7), (4, 3), (5, 3), (6, -1)];
        // Now: {1,2,3,8} still together, {4,5} together, {9,10,11} new.
        let ids = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11];
        let labels = [0, 0, 0, 1, 1, -1, 0, 2, 2, 2];
        let out = assign_ids(&ids, &labels, Some((&before, 7)));
        assert_eq!(out, vec![7, 7, 7, 3, 3, -1, 7, 8, 8, 8]);
    }
}
