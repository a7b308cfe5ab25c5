//! The fuzzy simplicial set of UMAP (McInnes, Healy & Melville, 2018), built from a kNN graph
//! the caller supplies (Incident Atlas takes it from the usearch index, so the neighbours
//! are computed once and shared by search, clustering and the map).

/// Nearest neighbours of every point, self excluded, nearest first: row `i` holds `k`
/// neighbour indices and their distances.
#[derive(Debug, Clone)]
pub struct Knn {
    pub n: usize,
    pub k: usize,
    pub indices: Vec<u32>,
    pub distances: Vec<f32>,
}

/// A symmetric sparse graph in coordinate form, sorted by (head, tail).
#[derive(Debug, Clone)]
pub struct FuzzyGraph {
    pub n: usize,
    pub heads: Vec<u32>,
    pub tails: Vec<u32>,
    pub weights: Vec<f32>,
}

const SMOOTH_K_TOLERANCE: f32 = 1e-5;
const MIN_K_DIST_SCALE: f32 = 1e-3;

/// Per point: the distance to the nearest distinct neighbour (rho) and the bandwidth (sigma)
/// that makes the point's total membership log2(n_neighbors), as umap-learn's
/// `smooth_knn_dist` with local_connectivity = 1.
fn smooth_knn_dist(knn: &Knn) -> (Vec<f32>, Vec<f32>) {
    // UMAP's n_neighbors counts the point itself; our rows leave it out.
    let target = ((knn.k + 1) as f32).log2();
    let mean_all =
        knn.distances.iter().map(|&d| d as f64).sum::<f64>() / knn.distances.len().max(1) as f64;
    let mut rhos = vec![0.0f32; knn.n];
    let mut sigmas = vec![0.0f32; knn.n];
    for i in 0..knn.n {
        let row = &knn.distances[i * knn.k..(i + 1) * knn.k];
        let rho = row.iter().copied().find(|&d| d > 0.0).unwrap_or(0.0);
        let (mut lo, mut hi, mut mid) = (0.0f32, f32::INFINITY, 1.0f32);
        for _ in 0..64 {
            let psum: f32 = row
                .iter()
                .map(|&d| {
                    if d - rho > 0.0 {
                        (-(d - rho) / mid).exp()
                    } else {
                        1.0
                    }
                })
                .sum();
            if (psum - target).abs() < SMOOTH_K_TOLERANCE {
                break;
            }
            if psum > target {
                hi = mid;
                mid = (lo + hi) / 2.0;
            } else {
                lo = mid;
                mid = if hi.is_infinite() {
                    mid * 2.0
                } else {
                    (lo + hi) / 2.0
                };
            }
        }
        let floor = if rho > 0.0 {
            MIN_K_DIST_SCALE * row.iter().sum::<f32>() / knn.k as f32
        } else {
            MIN_K_DIST_SCALE * mean_all as f32
        };
        rhos[i] = rho;
        sigmas[i] = mid.max(floor);
    }
    (rhos, sigmas)
}

/// Each row's local membership of its neighbours, not symmetrised: the edges of points
/// placed into a fixed layout (`transform`), whose neighbours never list them back.
pub(super) fn memberships(knn: &Knn) -> Vec<f32> {
    let (rhos, sigmas) = smooth_knn_dist(knn);
    let mut weights = Vec::with_capacity(knn.n * knn.k);
    for i in 0..knn.n {
        for j in 0..knn.k {
            let d = knn.distances[i * knn.k + j] - rhos[i];
            weights.push(if d <= 0.0 || sigmas[i] == 0.0 {
                1.0
            } else {
                (-d / sigmas[i]).exp()
            });
        }
    }
    weights
}

/// Local fuzzy memberships, then their fuzzy union (A + Aᵀ − A∘Aᵀ).
pub fn fuzzy_graph(knn: &Knn) -> FuzzyGraph {
    let (rhos, sigmas) = smooth_knn_dist(knn);
    // (head, tail, weight, stored in the head's own row)
    let mut edges: Vec<(u32, u32, f32, bool)> = Vec::with_capacity(knn.n * knn.k * 2);
    for i in 0..knn.n {
        for j in 0..knn.k {
            let t = knn.indices[i * knn.k + j];
            if t as usize == i || t as usize >= knn.n {
                continue;
            }
            let d = knn.distances[i * knn.k + j] - rhos[i];
            let w = if d <= 0.0 || sigmas[i] == 0.0 {
                1.0
            } else {
                (-d / sigmas[i]).exp()
            };
            edges.push((i as u32, t, w, true));
            edges.push((t, i as u32, w, false));
        }
    }
    edges.sort_unstable_by(|a, b| (a.0, a.1, !a.3).cmp(&(b.0, b.1, !b.3)));
    let mut graph = FuzzyGraph {
        n: knn.n,
        heads: Vec::new(),
        tails: Vec::new(),
        weights: Vec::new(),
    };
    let mut e = 0;
    while e < edges.len() {
        let (h, t) = (edges[e].0, edges[e].1);
        let (mut own, mut other) = (0.0f32, 0.0f32);
        while e < edges.len() && edges[e].0 == h && edges[e].1 == t {
            // A point can list the same neighbour once; keep the strongest if a caller repeats it.
            if edges[e].3 {
                own = own.max(edges[e].2);
            } else {
                other = other.max(edges[e].2);
            }
            e += 1;
        }
        let w = own + other - own * other;
        if w > 0.0 {
            graph.heads.push(h);
            graph.tails.push(t);
            graph.weights.push(w);
        }
    }
    graph
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_is_symmetric_with_memberships_in_unit_interval() {
        // Points on a line at 0, 1, 2, 4, 8; two neighbours each.
        let xs = [0.0f32, 1.0, 2.0, 4.0, 8.0];
        let k = 2;
        let mut knn = Knn {
            n: 5,
            k,
            indices: vec![],
            distances: vec![],
        };
        for (i, x) in xs.iter().enumerate() {
            let mut others: Vec<(f32, u32)> = xs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(j, y)| ((x - y).abs(), j as u32))
                .collect();
            others.sort_by(|a, b| a.partial_cmp(b).unwrap());
            for (d, j) in others.into_iter().take(k) {
                knn.indices.push(j);
                knn.distances.push(d);
            }
        }
        let g = fuzzy_graph(&knn);
        let weight = |h: u32, t: u32| {
            (0..g.heads.len())
                .find(|&e| g.heads[e] == h && g.tails[e] == t)
                .map(|e| g.weights[e])
        };
        for e in 0..g.heads.len() {
            assert!(g.weights[e] > 0.0 && g.weights[e] <= 1.0);
            assert_eq!(weight(g.tails[e], g.heads[e]), Some(g.weights[e]));
        }
        // The nearest distinct neighbour always has membership 1.
        assert_eq!(weight(0, 1), Some(1.0));
        assert_eq!(weight(4, 3), Some(1.0));
        assert!(weight(0, 4).is_none());
    }
}
