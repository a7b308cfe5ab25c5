//! HDBSCAN (Campello, Moulavi & Sander, 2013) with excess-of-mass cluster selection, as the
//! reference Python implementation does it, written for the low-dimensional UMAP output it
//! runs on here:
//!
//! - core distances from a kd-tree (the k-th neighbour, the point itself counted first);
//! - the minimum spanning tree of mutual reachability by Borůvka's algorithm over the same
//!   tree (`boruvka`). Ties are broken by point index, a total order, so the tree does not
//!   depend on thread scheduling, and it is the tree the exact all-pairs Prim (`prim`, kept
//!   for the tests) gives;
//! - single linkage, the condensed tree, stabilities and EOM selection.
//!
//! The `hdbscan` crate runs the same steps with a serial Prim, generic over `Vec<Vec<T>>`
//! and scanning every point at every step; it stays as a second reference for the tests.

use super::boruvka::{self, Edge};
use super::kdtree::KdTree;

/// Label of points HDBSCAN leaves out of every cluster.
pub const NOISE: i32 = -1;

/// Union-find with path halving, for single linkage.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }
}

/// HDBSCAN labels (0.. and NOISE) for `n` points of `dim` coordinates.
pub fn hdbscan_labels(
    points: &[f32],
    n: usize,
    dim: usize,
    min_cluster_size: usize,
    min_samples: usize,
) -> Vec<i32> {
    if n < 2 {
        return vec![NOISE; n];
    }
    labels_from_tree(spanning_tree(points, n, dim, min_samples), n, min_cluster_size)
}

/// The minimum spanning tree of mutual reachability with `min_samples` neighbours: what
/// every minimum cluster size's labels are read from (`labels_from_tree`).
pub(super) fn spanning_tree(points: &[f32], n: usize, dim: usize, min_samples: usize) -> Vec<Edge> {
    let tree = KdTree::build(points, n, dim);
    let core_sq = boruvka::core_distances_sq(&tree, min_samples);
    boruvka::minimum_spanning_tree(&tree, &core_sq)
}

/// The density-based validity of `labels` (DBCV, Moulavi et al. 2014) as the reference
/// implementation's `relative_validity_` estimates it from the spanning tree alone: a
/// cluster's sparseness is its longest internal tree edge, its separation the shortest
/// tree edge to another cluster; each cluster scores (separation - sparseness) /
/// max(both), weighted by its share of all points (noise counts in the total, so a
/// labelling that calls much of the data noise scores lower). From -1 to 1; -1 with no
/// cluster.
pub(super) fn relative_validity(mst: &[Edge], labels: &[i32]) -> f64 {
    let k = labels.iter().copied().max().map_or(0, |m| (m + 1).max(0) as usize);
    if k == 0 {
        return -1.0;
    }
    let mut sizes = vec![0usize; k];
    for &l in labels {
        if l >= 0 {
            sizes[l as usize] += 1;
        }
    }
    let (mut sparseness, mut separation) = (vec![0.0f64; k], vec![f64::INFINITY; k]);
    let (mut min_outlier_separation, mut longest) = (f64::INFINITY, 0.0f64);
    for e in mst {
        let d = (e.weight as f64).sqrt();
        longest = longest.max(d);
        let (a, b) = (labels[e.a as usize], labels[e.b as usize]);
        match (a >= 0, b >= 0) {
            (false, false) => {}
            (true, false) | (false, true) => min_outlier_separation = min_outlier_separation.min(d),
            (true, true) if a == b => sparseness[a as usize] = sparseness[a as usize].max(d),
            (true, true) => {
                separation[a as usize] = separation[a as usize].min(d);
                separation[b as usize] = separation[b as usize].min(d);
            }
        }
    }
    // A cluster with no tree edge to another one (an island among noise) is given a
    // separation larger than any edge, as the reference does.
    let island = 2.0 * if k > 1 { longest } else if min_outlier_separation.is_finite() { min_outlier_separation } else { longest };
    let total = labels.len() as f64;
    (0..k)
        .map(|c| {
            let sep = if separation[c].is_finite() { separation[c] } else { island };
            let spread = sparseness[c];
            let denominator = sep.max(spread);
            let score = if denominator > 0.0 { (sep - spread) / denominator } else { 0.0 };
            sizes[c] as f64 / total * score
        })
        .sum()
}

/// HDBSCAN labels from the minimum spanning tree of mutual reachability (n - 1 edges):
/// single linkage, the condensed tree, and excess-of-mass selection.
pub(super) fn labels_from_tree(mut mst: Vec<Edge>, n: usize, min_cluster_size: usize) -> Vec<i32> {
    mst.sort_by(|x, y| {
        x.weight
            .total_cmp(&y.weight)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });

    // Single-linkage dendrogram: node n + e merges the two components joined by edge e.
    let total = 2 * n - 1;
    let mut left = vec![usize::MAX; total];
    let mut right = vec![usize::MAX; total];
    let mut lambda_of = vec![0.0f64; total]; // 1 / distance at which the node forms
    let mut size = vec![1usize; total];
    let mut uf = UnionFind::new(total);
    let mut component_node: Vec<usize> = (0..total).collect();
    for (e, &Edge { weight: d2, a, b }) in mst.iter().enumerate() {
        let node = n + e;
        let (ra, rb) = (uf.find(a as usize), uf.find(b as usize));
        let (na, nb) = (component_node[ra], component_node[rb]);
        left[node] = na;
        right[node] = nb;
        size[node] = size[na] + size[nb];
        let d = (d2 as f64).sqrt();
        lambda_of[node] = if d > 0.0 { 1.0 / d } else { f64::INFINITY };
        uf.parent[ra] = node;
        uf.parent[rb] = node;
        component_node[node] = node;
    }
    let root = total - 1;

    // Condensed tree: clusters get ids 0.. (0 is the root); points fall out of a cluster at
    // the lambda where they leave it.
    let mcs = min_cluster_size.max(2);
    let mut cluster_parent: Vec<usize> = vec![usize::MAX];
    let mut cluster_birth: Vec<f64> = vec![0.0];
    let mut stability: Vec<f64> = vec![0.0];
    let mut children: Vec<Vec<usize>> = vec![Vec::new()];
    let mut point_cluster = vec![0usize; n];
    // (dendrogram node, cluster it belongs to)
    let mut stack = vec![(root, 0usize)];
    let leaves_of = |node: usize, out: &mut Vec<usize>| {
        let mut s = vec![node];
        while let Some(x) = s.pop() {
            if x < n {
                out.push(x);
            } else {
                s.push(left[x]);
                s.push(right[x]);
            }
        }
    };
    let mut leaves = Vec::new();
    while let Some((node, cluster)) = stack.pop() {
        if node < n {
            // A single point reached while still inside a cluster: it leaves at its own lambda.
            point_cluster[node] = cluster;
            continue;
        }
        // Duplicate points merge at distance 0; cap lambda so stabilities stay finite.
        let lambda = lambda_of[node].min(1e12);
        let birth = cluster_birth[cluster];
        let (l, r) = (left[node], right[node]);
        let (big_l, big_r) = (size[l] >= mcs, size[r] >= mcs);
        if big_l && big_r {
            stability[cluster] += (lambda - birth) * size[node] as f64;
            for child in [l, r] {
                let id = cluster_parent.len();
                cluster_parent.push(cluster);
                cluster_birth.push(lambda);
                stability.push(0.0);
                children.push(Vec::new());
                children[cluster].push(id);
                stack.push((child, id));
            }
        } else {
            for (child, big) in [(l, big_l), (r, big_r)] {
                if big {
                    stack.push((child, cluster));
                } else {
                    leaves.clear();
                    leaves_of(child, &mut leaves);
                    for &p in &leaves {
                        point_cluster[p] = cluster;
                    }
                    stability[cluster] += (lambda - birth) * leaves.len() as f64;
                }
            }
        }
    }

    // Excess of mass: children are numbered after their parents, so walk ids downwards.
    let count = cluster_parent.len();
    let mut selected = vec![false; count];
    let mut subtree = stability.clone();
    for c in (1..count).rev() {
        let child_sum: f64 = children[c].iter().map(|&k| subtree[k]).sum();
        if children[c].is_empty() || stability[c] >= child_sum {
            selected[c] = true;
            subtree[c] = stability[c];
            let mut s = children[c].clone();
            while let Some(k) = s.pop() {
                selected[k] = false;
                s.extend(children[k].iter().copied());
            }
        } else {
            subtree[c] = child_sum;
        }
    }
    // Each cluster's selected ancestor (itself included); the root is never selected.
    let mut label_of_cluster = vec![NOISE; count];
    let mut next = 0;
    for c in 1..count {
        if selected[c] {
            label_of_cluster[c] = next;
            next += 1;
        } else if label_of_cluster[cluster_parent[c]] != NOISE {
            label_of_cluster[c] = label_of_cluster[cluster_parent[c]];
        }
    }
    point_cluster.iter().map(|&c| label_of_cluster[c]).collect()
}
