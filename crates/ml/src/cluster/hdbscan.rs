//! HDBSCAN (Campello, Moulavi & Sander, 2013) with excess-of-mass cluster selection, as the
//! reference Python implementation does it, written for the low-dimensional UMAP output it
//! runs on here:
//!
//! - core distances from a kd-tree (the k-th neighbour, the point itself counted first);
//! - the minimum spanning tree of mutual reachability by Prim's algorithm over a compacted
//!   structure-of-arrays candidate list, each step scanned in parallel. Ties are broken by
//!   point index, a total order, so the tree does not depend on thread scheduling;
//! - single linkage, the condensed tree, stabilities and EOM selection.
//!
//! The `hdbscan` crate runs the same steps with a serial Prim, generic over `Vec<Vec<T>>`
//! and scanning every point at every step; it stays as the reference the tests compare with.

use rayon::prelude::*;

/// Label of points HDBSCAN leaves out of every cluster.
pub const NOISE: i32 = -1;

const CHUNK: usize = 4096;

/// Squared core distance of every point: distance² to its `k`-th nearest neighbour, the
/// point itself counted as the first.
fn core_distances_sq(points: &[f32], n: usize, dim: usize, k: usize) -> Vec<f32> {
    let mut tree = kdtree::KdTree::with_capacity(dim, 64);
    for i in 0..n {
        // Adding only fails for non-finite coordinates, which callers reject beforehand.
        let _ = tree.add(&points[i * dim..(i + 1) * dim], i);
    }
    let k = k.max(1).min(n);
    (0..n)
        .into_par_iter()
        .map(|i| {
            let found = tree
                .nearest(
                    &points[i * dim..(i + 1) * dim],
                    k,
                    &kdtree::distance::squared_euclidean,
                )
                .unwrap_or_default();
            found.last().map_or(0.0, |(d, _)| *d)
        })
        .collect()
}

/// Edges (a, b, mutual reachability distance²) of the minimum spanning tree.
fn prim_mst(points: &[f32], n: usize, dim: usize, core_sq: &[f32]) -> Vec<(u32, u32, f32)> {
    // Candidates not yet in the tree, structure of arrays, compacted by swap-remove.
    let mut ids: Vec<u32> = (1..n as u32).collect();
    let mut coords: Vec<Vec<f32>> = (0..dim)
        .map(|d| (1..n).map(|i| points[i * dim + d]).collect())
        .collect();
    let mut core: Vec<f32> = core_sq[1..].to_vec();
    let mut best: Vec<f32> = vec![f32::INFINITY; n - 1];
    let mut from: Vec<u32> = vec![0; n - 1];
    let mut edges = Vec::with_capacity(n - 1);
    let mut current = 0usize;
    let mut q = vec![0.0f32; dim];
    while !ids.is_empty() {
        for (d, v) in q.iter_mut().enumerate() {
            *v = points[current * dim + d];
        }
        let core_q = core_sq[current];
        let current_id = current as u32;
        let len = ids.len();
        // Each chunk updates its candidates' best distance and returns its own minimum.
        let (min_d, min_pos) = best
            .par_chunks_mut(CHUNK)
            .zip(from.par_chunks_mut(CHUNK))
            .enumerate()
            .map(|(c, (best_c, from_c))| {
                let start = c * CHUNK;
                let mut local = (f32::INFINITY, usize::MAX);
                for j in 0..best_c.len() {
                    let i = start + j;
                    let mut d2 = 0.0f32;
                    for (axis, qv) in coords.iter().zip(&q) {
                        let diff = axis[i] - qv;
                        d2 += diff * diff;
                    }
                    let mrd = d2.max(core[i]).max(core_q);
                    if mrd < best_c[j] {
                        best_c[j] = mrd;
                        from_c[j] = current_id;
                    }
                    let key = (best_c[j], ids[i]);
                    if key.0 < local.0
                        || (key.0 == local.0 && (local.1 == usize::MAX || key.1 < ids[local.1]))
                    {
                        local = (key.0, i);
                    }
                }
                local
            })
            .reduce(
                || (f32::INFINITY, usize::MAX),
                |a, b| match (a.1, b.1) {
                    (usize::MAX, _) => b,
                    (_, usize::MAX) => a,
                    _ if a.0 < b.0 || (a.0 == b.0 && ids[a.1] < ids[b.1]) => a,
                    _ => b,
                },
            );
        let p = if min_pos == usize::MAX { 0 } else { min_pos };
        edges.push((
            from[p],
            ids[p],
            if min_d.is_finite() { min_d } else { best[p] },
        ));
        current = ids[p] as usize;
        ids.swap_remove(p);
        for axis in coords.iter_mut() {
            axis.swap_remove(p);
        }
        core.swap_remove(p);
        best.swap_remove(p);
        from.swap_remove(p);
        debug_assert_eq!(ids.len(), len - 1);
    }
    edges
}

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
    let core_sq = core_distances_sq(points, n, dim, min_samples);
    let mut mst = prim_mst(points, n, dim, &core_sq);
    mst.sort_by(|a, b| {
        a.2.total_cmp(&b.2)
            .then(a.0.min(a.1).cmp(&b.0.min(b.1)))
            .then(a.0.max(a.1).cmp(&b.0.max(b.1)))
    });

    // Single-linkage dendrogram: node n + e merges the two components joined by edge e.
    let total = 2 * n - 1;
    let mut left = vec![usize::MAX; total];
    let mut right = vec![usize::MAX; total];
    let mut lambda_of = vec![0.0f64; total]; // 1 / distance at which the node forms
    let mut size = vec![1usize; total];
    let mut uf = UnionFind::new(total);
    let mut component_node: Vec<usize> = (0..total).collect();
    for (e, &(a, b, d2)) in mst.iter().enumerate() {
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
