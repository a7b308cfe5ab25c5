//! The exact method HDBSCAN used before Borůvka, kept as the reference the tests compare
//! with: Prim's algorithm over all pairs (quadratic), ordering edges by the same total order
//! (weight, smaller end, larger end) so both give the one minimum spanning tree.

use super::boruvka::Edge;
use super::kdtree::distance_sq;

pub(super) fn minimum_spanning_tree(
    points: &[f32],
    n: usize,
    dim: usize,
    core_sq: &[f32],
) -> Vec<Edge> {
    let key = |w: f32, x: usize, y: usize| (w, x.min(y) as u32, x.max(y) as u32);
    let point = |i: usize| &points[i * dim..(i + 1) * dim];
    let mut in_tree = vec![false; n];
    // Per outside point: its cheapest edge into the tree so far.
    let mut best: Vec<(f32, u32, u32)> = vec![(f32::INFINITY, u32::MAX, u32::MAX); n];
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    let mut current = 0usize;
    in_tree[0] = true;
    for _ in 1..n {
        let mut next: Option<usize> = None;
        for j in 0..n {
            if in_tree[j] {
                continue;
            }
            let w = distance_sq(point(current), point(j))
                .max(core_sq[current])
                .max(core_sq[j]);
            let candidate = key(w, current, j);
            if candidate < best[j] {
                best[j] = candidate;
            }
            if next.is_none_or(|m| best[j] < best[m]) {
                next = Some(j);
            }
        }
        let Some(j) = next else { break };
        let (weight, a, b) = best[j];
        edges.push(Edge { weight, a, b });
        in_tree[j] = true;
        current = j;
    }
    edges
}
