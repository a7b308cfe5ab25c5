//! The minimum spanning tree of mutual reachability by Borůvka's algorithm over a kd-tree,
//! as the accelerated HDBSCAN of McInnes & Healy (2017) builds it: each round every
//! component takes its cheapest edge to another component, found by a tree search per point
//! that skips nodes wholly inside the point's own component and nodes that cannot beat the
//! component's best edge so far. About log₂ n rounds of near-linear work, where Prim's
//! algorithm scans every remaining point at each of n steps.
//!
//! Edges are ordered by (weight, smaller end, larger end), a total order, so the tree is the
//! one minimum spanning tree of that order whatever the thread schedule: the per-component
//! bound the searches share only prunes edges that cannot win, and a tie is always searched.

use super::kdtree::{distance_sq, KdTree};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// An edge (weight², smaller input index, larger input index); derived order is the total
/// order above because weights are finite and non-negative.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(super) struct Edge {
    pub weight: f32,
    pub a: u32,
    pub b: u32,
}

impl Edge {
    fn new(weight: f32, x: u32, y: u32) -> Edge {
        Edge {
            weight,
            a: x.min(y),
            b: x.max(y),
        }
    }
    fn less(&self, other: &Edge) -> bool {
        (self.weight, self.a, self.b) < (other.weight, other.a, other.b)
    }
}

/// Union-find over tree positions, with path halving and union by size.
pub(super) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }
    /// Joins the sets of `x` and `y`; false when they were one already.
    pub fn union(&mut self, x: u32, y: u32) -> bool {
        let (mut rx, mut ry) = (self.find(x), self.find(y));
        if rx == ry {
            return false;
        }
        if self.size[rx as usize] < self.size[ry as usize] {
            std::mem::swap(&mut rx, &mut ry);
        }
        self.parent[ry as usize] = rx;
        self.size[rx as usize] += self.size[ry as usize];
        true
    }
}

/// Squared core distance of every input point: distance² to its `k`-th nearest neighbour,
/// the point itself counted as the first.
pub(super) fn core_distances_sq(tree: &KdTree, k: usize) -> Vec<f32> {
    let mut by_position: Vec<f32> = (0..tree.len())
        .into_par_iter()
        .map(|p| tree.kth_distance_sq(tree.point(p), k))
        .collect();
    let mut out = vec![0.0f32; tree.len()];
    for (p, &i) in tree.original.iter().enumerate() {
        out[i as usize] = std::mem::take(&mut by_position[p]);
    }
    out
}

/// The n - 1 edges of the minimum spanning tree of mutual reachability
/// max(d², core²(a), core²(b)), as input indices; `core_sq` is indexed by input index.
pub(super) fn minimum_spanning_tree(tree: &KdTree, core_sq: &[f32]) -> Vec<Edge> {
    let n = tree.len();
    let core: Vec<f32> = tree.original.iter().map(|&i| core_sq[i as usize]).collect();
    // Smallest core distance under each node: no edge into the node weighs less.
    let mut node_core = vec![f32::INFINITY; tree.nodes.len()];
    for node in (0..tree.nodes.len()).rev() {
        let nd = tree.nodes[node];
        node_core[node] = if nd.is_leaf() {
            core[nd.start as usize..nd.end as usize]
                .iter()
                .copied()
                .fold(f32::INFINITY, f32::min)
        } else {
            node_core[nd.left as usize].min(node_core[nd.right as usize])
        };
    }
    let mut uf = UnionFind::new(n);
    let mut component: Vec<u32> = (0..n as u32).collect();
    let mut node_component = vec![u32::MAX; tree.nodes.len()];
    let bounds: Vec<AtomicU32> = (0..n)
        .map(|_| AtomicU32::new(f32::INFINITY.to_bits()))
        .collect();
    let mut edges = Vec::with_capacity(n.saturating_sub(1));
    while edges.len() + 1 < n {
        label_nodes(tree, &component, &mut node_component);
        for b in &bounds {
            b.store(f32::INFINITY.to_bits(), Ordering::Relaxed);
        }
        let search = Search {
            tree,
            core: &core,
            component: &component,
            node_component: &node_component,
            node_core: &node_core,
            bounds: &bounds,
        };
        let found: Vec<Option<Edge>> = (0..n)
            .into_par_iter()
            .map(|p| search.cheapest_from(p))
            .collect();
        // Each component's cheapest edge: a sequential fold, so the winner of a tie does not
        // depend on which thread found what first.
        let mut best: Vec<Option<Edge>> = vec![None; n];
        for (p, edge) in found.into_iter().enumerate() {
            if let Some(e) = edge {
                let slot = &mut best[component[p] as usize];
                if slot.is_none_or(|s| e.less(&s)) {
                    *slot = Some(e);
                }
            }
        }
        let position = positions_of(tree);
        let before = edges.len();
        for e in best.into_iter().flatten() {
            if uf.union(position[e.a as usize], position[e.b as usize]) {
                edges.push(e);
            }
        }
        if edges.len() == before {
            // Cannot happen for finite points (the graph is complete); stop rather than spin.
            break;
        }
        for (p, c) in component.iter_mut().enumerate() {
            *c = uf.find(p as u32);
        }
    }
    edges
}

/// Input index -> tree position.
fn positions_of(tree: &KdTree) -> Vec<u32> {
    let mut position = vec![0u32; tree.len()];
    for (p, &i) in tree.original.iter().enumerate() {
        position[i as usize] = p as u32;
    }
    position
}

/// The component every point under a node belongs to, or u32::MAX when they differ.
fn label_nodes(tree: &KdTree, component: &[u32], node_component: &mut [u32]) {
    for node in (0..tree.nodes.len()).rev() {
        let nd = tree.nodes[node];
        node_component[node] = if nd.is_leaf() {
            let points = &component[nd.start as usize..nd.end as usize];
            let first = points[0];
            if points.iter().all(|&c| c == first) {
                first
            } else {
                u32::MAX
            }
        } else {
            let (l, r) = (
                node_component[nd.left as usize],
                node_component[nd.right as usize],
            );
            if l == r {
                l
            } else {
                u32::MAX
            }
        };
    }
}

struct Search<'a> {
    tree: &'a KdTree,
    core: &'a [f32],
    component: &'a [u32],
    node_component: &'a [u32],
    node_core: &'a [f32],
    /// Per component (by its root position): the weight of the cheapest edge any of its
    /// points has found this round, as f32 bits (ordered like the floats, all being >= 0).
    bounds: &'a [AtomicU32],
}

impl Search<'_> {
    /// The cheapest edge from tree position `p` to another component that can still be its
    /// component's cheapest; None when none can.
    fn cheapest_from(&self, p: usize) -> Option<Edge> {
        let tree = self.tree;
        let own = self.component[p];
        let bound = &self.bounds[own as usize];
        let core_p = self.core[p];
        let shared = || f32::from_bits(bound.load(Ordering::Relaxed));
        // Every edge from p weighs at least its core distance.
        if core_p > shared() {
            return None;
        }
        let q = tree.point(p);
        let from = tree.original[p];
        let mut best: Option<Edge> = None;
        let mut stack = vec![0usize];
        while let Some(node) = stack.pop() {
            if self.node_component[node] == own {
                continue;
            }
            let limit = best.map_or(f32::INFINITY, |e| e.weight).min(shared());
            let lower = tree
                .box_distance_sq(node, q)
                .max(core_p)
                .max(self.node_core[node]);
            // Strictly greater: an equal weight may still win on the end indices.
            if lower > limit {
                continue;
            }
            let nd = tree.nodes[node];
            if nd.is_leaf() {
                for j in nd.start as usize..nd.end as usize {
                    if self.component[j] == own {
                        continue;
                    }
                    let w = distance_sq(q, tree.point(j)).max(core_p).max(self.core[j]);
                    let candidate = Edge::new(w, from, tree.original[j]);
                    if best.is_none_or(|b| candidate.less(&b)) && w <= shared() {
                        best = Some(candidate);
                        bound.fetch_min(w.to_bits(), Ordering::Relaxed);
                    }
                }
            } else {
                let (l, r) = (nd.left as usize, nd.right as usize);
                let (near, far) = if tree.box_distance_sq(l, q) <= tree.box_distance_sq(r, q) {
                    (l, r)
                } else {
                    (r, l)
                };
                stack.push(far);
                stack.push(near);
            }
        }
        best
    }
}
