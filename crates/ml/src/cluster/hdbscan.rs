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
    let tree = KdTree::build(points, n, dim);
    let core_sq = boruvka::core_distances_sq(&tree, min_samples);
    let mst = boruvka::minimum_spanning_tree(&tree, &core_sq);
    drop(tree);
    labels_from_tree(mst, n, min_cluster_size)
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
