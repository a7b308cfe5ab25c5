//! A kd-tree over low-dimensional points (HDBSCAN runs on a 5-d UMAP reduction), built once
//! and shared by the core-distance queries and every Borůvka round. Points are copied in
//! tree order so a leaf's points sit together in memory; each node keeps its bounding box,
//! which gives the lower bound on any distance into it.

/// Points a leaf holds at most.
const LEAF_SIZE: usize = 32;

/// A node covers tree positions `start..end`; `left == 0` marks a leaf (the root, node 0,
/// is nobody's child).
#[derive(Debug, Clone, Copy)]
pub(super) struct Node {
    pub start: u32,
    pub end: u32,
    pub left: u32,
    pub right: u32,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.left == 0
    }
}

pub(super) struct KdTree {
    pub dim: usize,
    /// Coordinates in tree order, row-major.
    pub points: Vec<f32>,
    /// Tree position -> index of the point in the caller's input.
    pub original: Vec<u32>,
    /// Pre-order: a node's children have larger numbers than it.
    pub nodes: Vec<Node>,
    /// Bounding box of each node, `dim` values per node.
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl KdTree {
    /// Builds the tree over `n` points of `dim` finite coordinates. Splits are at the median
    /// of the widest side, ties ordered by input index, so the tree depends only on the input.
    pub fn build(input: &[f32], n: usize, dim: usize) -> KdTree {
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut nodes = Vec::with_capacity(2 * n.div_ceil(LEAF_SIZE) + 1);
        let mut lo = Vec::new();
        let mut hi = Vec::new();
        if n > 0 {
            split(input, dim, &mut order, 0, &mut nodes, &mut lo, &mut hi);
        }
        let points = order
            .iter()
            .flat_map(|&i| {
                input[i as usize * dim..(i as usize + 1) * dim]
                    .iter()
                    .copied()
            })
            .collect();
        KdTree {
            dim,
            points,
            original: order,
            nodes,
            lo,
            hi,
        }
    }

    pub fn len(&self) -> usize {
        self.original.len()
    }

    pub fn point(&self, position: usize) -> &[f32] {
        &self.points[position * self.dim..(position + 1) * self.dim]
    }

    /// Squared distance from `q` to the nearest point of node `node`'s box.
    #[inline]
    pub fn box_distance_sq(&self, node: usize, q: &[f32]) -> f32 {
        let (lo, hi) = (
            &self.lo[node * self.dim..(node + 1) * self.dim],
            &self.hi[node * self.dim..(node + 1) * self.dim],
        );
        let mut s = 0.0f32;
        for d in 0..self.dim {
            let v = q[d];
            let gap = if v < lo[d] {
                lo[d] - v
            } else if v > hi[d] {
                v - hi[d]
            } else {
                0.0
            };
            s += gap * gap;
        }
        s
    }

    /// Squared distance to the `k`-th nearest point of `q` (the point itself, when it is in
    /// the tree, counted first), for `1 <= k <= len`.
    pub fn kth_distance_sq(&self, q: &[f32], k: usize) -> f32 {
        let k = k.clamp(1, self.len().max(1));
        // The k best so far, ascending; small k makes insertion into a sorted array cheapest.
        let mut best: Vec<f32> = Vec::with_capacity(k + 1);
        let mut stack = vec![0usize];
        while let Some(node) = stack.pop() {
            let bound = if best.len() == k {
                best[k - 1]
            } else {
                f32::INFINITY
            };
            if self.box_distance_sq(node, q) > bound {
                continue;
            }
            let nd = self.nodes[node];
            if nd.is_leaf() {
                for j in nd.start as usize..nd.end as usize {
                    let d = distance_sq(q, self.point(j));
                    if best.len() < k || d < best[k - 1] {
                        let at = best.partition_point(|&b| b <= d);
                        best.insert(at, d);
                        best.truncate(k);
                    }
                }
            } else {
                let (l, r) = (nd.left as usize, nd.right as usize);
                let (near, far) = if self.box_distance_sq(l, q) <= self.box_distance_sq(r, q) {
                    (l, r)
                } else {
                    (r, l)
                };
                stack.push(far);
                stack.push(near);
            }
        }
        best.last().copied().unwrap_or(0.0)
    }
}

#[inline]
pub(super) fn distance_sq(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Appends the node for `order` (tree positions starting at `offset`) and its subtree;
/// returns its number.
fn split(
    input: &[f32],
    dim: usize,
    order: &mut [u32],
    offset: usize,
    nodes: &mut Vec<Node>,
    lo: &mut Vec<f32>,
    hi: &mut Vec<f32>,
) -> u32 {
    let id = nodes.len();
    nodes.push(Node {
        start: offset as u32,
        end: (offset + order.len()) as u32,
        left: 0,
        right: 0,
    });
    let (mut blo, mut bhi) = (vec![f32::INFINITY; dim], vec![f32::NEG_INFINITY; dim]);
    for &i in order.iter() {
        let p = &input[i as usize * dim..(i as usize + 1) * dim];
        for d in 0..dim {
            blo[d] = blo[d].min(p[d]);
            bhi[d] = bhi[d].max(p[d]);
        }
    }
    let widest = (0..dim)
        .max_by(|&a, &b| {
            (bhi[a] - blo[a])
                .total_cmp(&(bhi[b] - blo[b]))
                .then(b.cmp(&a))
        })
        .unwrap_or(0);
    let flat = bhi[widest] <= blo[widest];
    lo.extend_from_slice(&blo);
    hi.extend_from_slice(&bhi);
    // All points equal (duplicates) cannot be split by any side: they stay one leaf.
    if order.len() <= LEAF_SIZE || flat {
        return id as u32;
    }
    let mid = order.len() / 2;
    order.select_nth_unstable_by(mid, |&a, &b| {
        input[a as usize * dim + widest]
            .total_cmp(&input[b as usize * dim + widest])
            .then(a.cmp(&b))
    });
    let (left_part, right_part) = order.split_at_mut(mid);
    let left = split(input, dim, left_part, offset, nodes, lo, hi);
    let right = split(input, dim, right_part, offset + mid, nodes, lo, hi);
    nodes[id].left = left;
    nodes[id].right = right;
    id as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn kth_distance_matches_a_full_scan() {
        let mut rng = SplitMix64::new(5);
        let (n, dim) = (2_000usize, 5usize);
        let mut data = rng.gaussian(n * dim);
        // Duplicates and a flat coordinate, which the splits must survive.
        for i in 0..100 {
            let row: Vec<f32> = data[..dim].to_vec();
            data[(i + 10) * dim..(i + 11) * dim].copy_from_slice(&row);
        }
        let tree = KdTree::build(&data, n, dim);
        assert_eq!(tree.len(), n);
        for (i, k) in [(0usize, 1usize), (3, 5), (50, 16), (1999, 40), (11, 120)] {
            let q = &data[i * dim..(i + 1) * dim];
            let mut all: Vec<f32> = data.chunks(dim).map(|p| distance_sq(q, p)).collect();
            all.sort_by(f32::total_cmp);
            assert_eq!(tree.kth_distance_sq(q, k), all[k - 1], "point {i}, k {k}");
        }
    }
}
