//! The cluster of a report the run was not fitted on: a vote of its nearest fitted reports.
//! Only neighbours the report is close to vote: those it would be among the k nearest of
//! (its distance to them within their `reach`, the distance to their own k-th fitted
//! neighbour). With none close, the report is "not close to any cluster" (-1) rather than
//! forced into the nearest one; HDBSCAN noise votes like a cluster, so a report among noise
//! stays noise.

use super::options::NOISE_CLUSTER;

/// The winning label for one report, given its neighbours (positions into the fitted
/// reports, nearest first) and their distances. Ties go to the label of the nearer
/// neighbour.
pub(super) fn vote(neighbours: &[u32], distances: &[f32], labels: &[i64], reach: &[f32]) -> i64 {
    winner(neighbours, distances, labels, reach, |_| true).map_or(NOISE_CLUSTER, |(label, _)| label)
}

/// The cluster a noise report sits close to, if any: among its neighbours (positions into
/// the fitted reports, nearest first, itself excluded), those it is close to (within
/// `bound`) and that are in a cluster by the algorithm's own judgement (`voters[j] >= 0`; a
/// report that was itself noise never pulls another in) vote; the winner must hold at
/// least `min_votes` of them. Ties go to the nearer neighbour's cluster.
pub(super) fn nearby_cluster(
    neighbours: &[u32],
    distances: &[f32],
    voters: &[i64],
    bound: &[f32],
    min_votes: usize,
) -> Option<i64> {
    winner(neighbours, distances, voters, bound, |label| label >= 0)
        .filter(|&(_, votes)| votes >= min_votes.max(1))
        .map(|(label, _)| label)
}

/// The label most of the neighbours within their `bound` carry, among labels that `counts`
/// lets vote, with its votes; ties go to the label of the nearer neighbour. None when no
/// neighbour votes (a position past `labels`, a stale index, never does).
fn winner(
    neighbours: &[u32],
    distances: &[f32],
    labels: &[i64],
    bound: &[f32],
    counts: impl Fn(i64) -> bool,
) -> Option<(i64, usize)> {
    // (label, votes, nearest distance), in order of first appearance.
    let mut tally: Vec<(i64, usize, f32)> = Vec::new();
    for (&j, &d) in neighbours.iter().zip(distances) {
        let j = j as usize;
        if j >= labels.len() || d > bound[j] || !counts(labels[j]) {
            continue;
        }
        match tally.iter_mut().find(|t| t.0 == labels[j]) {
            Some(t) => t.1 += 1,
            None => tally.push((labels[j], 1, d)),
        }
    }
    tally
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))
        .map(|t| (t.0, t.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_neighbours_vote_and_far_ones_do_not() {
        let labels = [3, 3, 5, 5, 5, -1];
        let reach = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
        // Two close votes for 3 beat one close vote for 5 (two 5s are too far).
        assert_eq!(
            vote(
                &[0, 2, 1, 3, 4],
                &[0.05, 0.1, 0.15, 0.3, 0.4],
                &labels,
                &reach
            ),
            3
        );
        // Nobody close: not close to any cluster.
        assert_eq!(vote(&[0, 2], &[0.5, 0.6], &labels, &reach), NOISE_CLUSTER);
        // A tie goes to the nearer neighbour's cluster.
        assert_eq!(vote(&[2, 0], &[0.1, 0.12], &labels, &reach), 5);
        // Noise neighbours vote for noise.
        let among_noise = [3, -1, -1, 5, 5, -1];
        assert_eq!(
            vote(
                &[1, 2, 0, 5],
                &[0.01, 0.02, 0.1, 0.15],
                &among_noise,
                &reach
            ),
            NOISE_CLUSTER
        );
        // A neighbour index out of range (a stale index) is ignored.
        assert_eq!(vote(&[9], &[0.0], &labels, &reach), NOISE_CLUSTER);
    }

    #[test]
    fn noise_goes_only_where_enough_close_clustered_neighbours_agree() {
        let voters = [3, 3, 3, 5, -1, -1];
        let reach = [0.2; 6];
        // Three close votes for 3 against one for 5: 3, when three are enough.
        let (near, dist) = ([0, 1, 2, 3], [0.05, 0.1, 0.1, 0.1]);
        assert_eq!(nearby_cluster(&near, &dist, &voters, &reach, 3), Some(3));
        // ...and nothing when four are needed.
        assert_eq!(nearby_cluster(&near, &dist, &voters, &reach, 4), None);
        // Noise neighbours, however close and many, do not count.
        assert_eq!(nearby_cluster(&[4, 5, 0], &[0.0, 0.0, 0.1], &voters, &reach, 2), None);
        // Far neighbours do not count.
        assert_eq!(nearby_cluster(&[0, 1, 2], &[0.3, 0.3, 0.3], &voters, &reach, 1), None);
        // A tie goes to the nearer neighbour's cluster; a stale position is ignored.
        assert_eq!(nearby_cluster(&[3, 0, 9], &[0.01, 0.02, 0.0], &voters, &reach, 1), Some(5));
        // A demand of zero still needs one vote.
        assert_eq!(nearby_cluster(&[], &[], &voters, &reach, 0), None);
    }
}
