//! Places new points into a finished layout without moving it, as umap-learn's `transform`:
//! each new point starts at the membership-weighted mean of its neighbours' positions and is
//! then optimised alone against the fixed layout (attraction to its neighbours, repulsion
//! from random points of the layout), for a third of the fit's epochs at a quarter of its
//! learning rate. Unlike umap-learn, nothing depends on the other points of the batch:
//! each point's generator is seeded from the caller's key for it (an incident id). Points do not interact, so they run in parallel, each with a generator
//! seeded from its own row: the result does not depend on the thread count.

use super::graph::{memberships, Knn};
use super::layout::{attraction, clip, find_ab_params, repel, sq_dist, LayoutParams};
use crate::rng::SplitMix64;
use rayon::prelude::*;

/// Positions (rows × `params.n_components`) for the rows of `knn`, whose neighbour indices
/// point into `layout` (a finished embedding of `params.n_components` columns). `keys`
/// names each row (one per row) and seeds its generator.
pub fn transform(layout: &[f32], knn: &Knn, keys: &[u64], params: &LayoutParams) -> Vec<f32> {
    assert_eq!(keys.len(), knn.n, "one key per point placed");
    match params.n_components {
        1 => transform_fixed::<1>(layout, knn, keys, params),
        2 => transform_fixed::<2>(layout, knn, keys, params),
        3 => transform_fixed::<3>(layout, knn, keys, params),
        4 => transform_fixed::<4>(layout, knn, keys, params),
        5 => transform_fixed::<5>(layout, knn, keys, params),
        other => panic!("transform is compiled for 1 to 5 components, not {other}"),
    }
}

fn transform_fixed<const D: usize>(
    layout: &[f32],
    knn: &Knn,
    keys: &[u64],
    params: &LayoutParams,
) -> Vec<f32> {
    let reference: Vec<[f32; D]> = layout
        .chunks_exact(D)
        .map(|row| {
            let mut p = [0.0f32; D];
            p.copy_from_slice(row);
            p
        })
        .collect();
    let n_ref = reference.len();
    if knn.n == 0 || n_ref == 0 {
        return vec![0.0; knn.n * D];
    }
    let weights = memberships(knn);
    // umap-learn counts the points being placed here, and scales edge sampling to the
    // batch's strongest edge; both are fixed by the layout instead (its size, and the
    // membership 1 every row's nearest neighbour has), so a report lands in the same place
    // whichever batch it arrives in.
    let n_epochs = params
        .n_epochs
        .map(|e| (e / 3).max(1))
        .unwrap_or(if n_ref <= 10_000 { 100 } else { 30 });
    let max_w = 1.0f32;
    let (a, b) = find_ab_params(params.spread, params.min_dist);
    let neg_rate = params.negative_sample_rate.max(1) as f32;
    let gamma = params.repulsion_strength;
    let k = knn.k;
    let out: Vec<[f32; D]> = (0..knn.n)
        .into_par_iter()
        .map(|row| {
            let indices = &knn.indices[row * k..(row + 1) * k];
            let w = &weights[row * k..(row + 1) * k];
            let mut cur = [0.0f32; D];
            let total: f32 = w.iter().sum();
            if total > 0.0 {
                for (&j, &wj) in indices.iter().zip(w) {
                    for d in 0..D {
                        cur[d] += reference[j as usize][d] * wj / total;
                    }
                }
            }
            // Edges too weak to be sampled once in n_epochs are dropped, as in the fit.
            let edges: Vec<(usize, f32)> = indices
                .iter()
                .zip(w)
                .filter(|(_, &wj)| wj > 0.0 && wj >= max_w / n_epochs as f32)
                .map(|(&j, &wj)| (j as usize, max_w / wj))
                .collect();
            let mut next_sample: Vec<f32> = edges.iter().map(|e| e.1).collect();
            let mut next_negative: Vec<f32> = edges.iter().map(|e| e.1 / neg_rate).collect();
            let mut rng =
                SplitMix64::new(params.seed ^ keys[row].wrapping_mul(0x9E37_79B9_7F4A_7C15));
            for epoch in 0..n_epochs {
                let alpha = params.learning_rate / 4.0 * (1.0 - epoch as f32 / n_epochs as f32);
                let now = epoch as f32;
                for (e, &(j, per_sample)) in edges.iter().enumerate() {
                    if next_sample[e] > now {
                        continue;
                    }
                    let other = reference[j];
                    let coeff = attraction(sq_dist(&cur, &other), a, b);
                    for d in 0..D {
                        cur[d] += clip(coeff * (cur[d] - other[d])) * alpha;
                    }
                    next_sample[e] += per_sample;
                    let per_negative = per_sample / neg_rate;
                    let n_neg = ((now - next_negative[e]) / per_negative).max(0.0) as usize;
                    for _ in 0..n_neg {
                        repel(&mut cur, &reference[rng.below(n_ref)], a, b, gamma, alpha);
                    }
                    next_negative[e] += n_neg as f32 * per_negative;
                }
            }
            cur
        })
        .collect();
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::umap::{fuzzy_graph, optimise, pca_init};

    /// Points held out of a fit land beside the blob they were drawn from, and placing them
    /// twice gives the same positions.
    #[test]
    fn new_points_land_in_their_blob() {
        let (per, d, k) = (80usize, 12usize, 10usize);
        let mut rng = SplitMix64::new(9);
        let mut data = Vec::new();
        for c in 0..3 {
            let noise = rng.gaussian(per * d);
            for i in 0..per {
                for j in 0..d {
                    data.push(noise[i * d + j] * 0.3 + if j == c { 8.0 } else { 0.0 });
                }
            }
        }
        // Every fourth point is new; the rest are fitted.
        let fitted: Vec<usize> = (0..per * 3).filter(|i| i % 4 != 0).collect();
        let new: Vec<usize> = (0..per * 3).filter(|i| i % 4 == 0).collect();
        let row = |i: usize| &data[i * d..(i + 1) * d];
        let dist = |x: &[f32], y: &[f32]| {
            x.iter()
                .zip(y)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f32>()
                .sqrt()
        };
        let knn_of = |queries: &[usize], skip_self: bool| {
            let mut knn = Knn {
                n: queries.len(),
                k,
                indices: vec![],
                distances: vec![],
            };
            for &q in queries {
                let mut ds: Vec<(f32, u32)> = fitted
                    .iter()
                    .enumerate()
                    .filter(|(_, &f)| !(skip_self && f == q))
                    .map(|(pos, &f)| (dist(row(q), row(f)), pos as u32))
                    .collect();
                ds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for (dd, j) in ds.into_iter().take(k) {
                    knn.indices.push(j);
                    knn.distances.push(dd);
                }
            }
            knn
        };
        let graph = fuzzy_graph(&knn_of(&fitted, true));
        let fitted_data: Vec<f32> = fitted.iter().flat_map(|&i| row(i).to_vec()).collect();
        let params = LayoutParams {
            n_epochs: Some(200),
            ..LayoutParams::default()
        };
        let mut layout = pca_init(&fitted_data, fitted.len(), d, 2).unwrap();
        optimise(&graph, &mut layout, &params, |_, _| {});
        let new_knn = knn_of(&new, false);
        let keys: Vec<u64> = new.iter().map(|&q| q as u64).collect();
        let placed = transform(&layout, &new_knn, &keys, &params);
        assert_eq!(placed, transform(&layout, &new_knn, &keys, &params));
        // A point's place does not depend on the others placed with it.
        let alone = Knn {
            n: 1,
            k,
            indices: new_knn.indices[k..2 * k].to_vec(),
            distances: new_knn.distances[k..2 * k].to_vec(),
        };
        assert_eq!(
            transform(&layout, &alone, &keys[1..2], &params),
            placed[2..4].to_vec()
        );
        let centre = |c: usize| {
            let members: Vec<usize> = fitted
                .iter()
                .enumerate()
                .filter(|(_, &f)| f / per == c)
                .map(|(p, _)| p)
                .collect();
            let (sx, sy) = members.iter().fold((0.0, 0.0), |(x, y), &p| {
                (x + layout[p * 2], y + layout[p * 2 + 1])
            });
            (sx / members.len() as f32, sy / members.len() as f32)
        };
        let centres: Vec<(f32, f32)> = (0..3).map(centre).collect();
        for (r, &q) in new.iter().enumerate() {
            let (x, y) = (placed[r * 2], placed[r * 2 + 1]);
            let nearest = (0..3)
                .min_by(|&a, &b| {
                    let da = (x - centres[a].0).powi(2) + (y - centres[a].1).powi(2);
                    let db = (x - centres[b].0).powi(2) + (y - centres[b].1).powi(2);
                    da.total_cmp(&db)
                })
                .unwrap();
            assert_eq!(nearest, q / per, "new point {q} placed at ({x}, {y})");
        }
    }
}
