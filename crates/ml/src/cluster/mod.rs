//! Clustering algorithms over dense row-major vectors: HDBSCAN (our own, see `hdbscan`)
//! and k-means (linfa-clustering), both deterministic for a given input and seed.

mod boruvka;
mod hdbscan;
mod kdtree;
#[cfg(test)]
mod prim;
mod stability;

pub use stability::adjusted_rand;

pub use hdbscan::NOISE;

use crate::MlError;
use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use ndarray::Array2;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct HdbscanParams {
    pub min_cluster_size: usize,
    /// None: the same as min_cluster_size (the reference implementation's default).
    pub min_samples: Option<usize>,
}

/// Cluster labels 0.. and NOISE (-1) for each of the `n` points of `points` (n × dim).
pub fn hdbscan(
    points: &[f32],
    n: usize,
    dim: usize,
    params: &HdbscanParams,
) -> Result<Vec<i32>, MlError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if n <= params.min_cluster_size {
        return Ok(vec![NOISE; n]);
    }
    if points.iter().any(|v| !v.is_finite()) {
        return Err(MlError::Clustering(
            "HDBSCAN: the points have non-finite coordinates".into(),
        ));
    }
    let min_samples = params.min_samples.unwrap_or(params.min_cluster_size).max(1);
    Ok(hdbscan::hdbscan_labels(
        points,
        n,
        dim,
        params.min_cluster_size,
        min_samples,
    ))
}

/// One minimum cluster size `hdbscan_sweep` tried, and what it gave.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct SweepPoint {
    pub min_cluster_size: usize,
    pub min_samples: usize,
    /// Density-based cluster validity (DBCV from the spanning tree, -1 to 1).
    pub validity: f64,
    pub clusters: usize,
    pub noise: usize,
    /// Points in the largest cluster.
    pub largest: usize,
    /// Mean agreement (ARI) of refits on random subsamples with this labelling, when
    /// measured (see [`sweep_stability`]).
    #[serde(default)]
    pub stability: Option<f64>,
}

/// HDBSCAN of the `n` points at each minimum cluster size of `sizes`, each with
/// `min_samples` neighbours for its density estimate (None: the size itself), with each
/// labelling's validity. The spanning tree is built once per distinct `min_samples`.
pub fn hdbscan_sweep(
    points: &[f32],
    n: usize,
    dim: usize,
    sizes: &[usize],
    min_samples: Option<usize>,
) -> Result<Vec<(SweepPoint, Vec<i32>)>, MlError> {
    if points.iter().any(|v| !v.is_finite()) {
        return Err(MlError::Clustering("HDBSCAN: the points have non-finite coordinates".into()));
    }
    let mut trees: Vec<(usize, Vec<boruvka::Edge>)> = Vec::new();
    let mut out = Vec::with_capacity(sizes.len());
    for &size in sizes {
        let samples = min_samples.unwrap_or(size).max(1);
        if n < 2 || n <= size {
            let point = SweepPoint { min_cluster_size: size, min_samples: samples, validity: -1.0, clusters: 0, noise: n, largest: 0, stability: None };
            out.push((point, vec![NOISE; n]));
            continue;
        }
        let mst = tree_for(&mut trees, points, n, dim, samples);
        let labels = hdbscan::labels_from_tree(mst.to_vec(), n, size);
        let point = SweepPoint {
            min_cluster_size: size,
            min_samples: samples,
            validity: hdbscan::relative_validity(mst, &labels),
            clusters: labels.iter().copied().max().map_or(0, |m| (m + 1).max(0) as usize),
            noise: labels.iter().filter(|&&l| l == NOISE).count(),
            largest: largest_cluster(&labels),
            stability: None,
        };
        out.push((point, labels));
    }
    Ok(out)
}

/// Fills in each swept labelling's stability: HDBSCAN refitted on `rounds` seeded random
/// subsamples of `share` of the points (minimum cluster sizes scaled by `share`, the same
/// min_samples), each refit's labels compared with the full labelling's on the points it
/// holds. One spanning tree per round serves every size.
pub fn sweep_stability(
    points: &[f32],
    n: usize,
    dim: usize,
    swept: &mut [(SweepPoint, Vec<i32>)],
    rounds: usize,
    share: f64,
    seed: u64,
) -> Result<(), MlError> {
    let m = ((n as f64) * share).round() as usize;
    if rounds == 0 || m < 2 || swept.is_empty() {
        return Ok(());
    }
    let mut sums = vec![0.0f64; swept.len()];
    for round in 0..rounds {
        let idx = stability::subsample(n, m, seed.wrapping_add(round as u64));
        let sub: Vec<f32> = idx.iter().flat_map(|&i| points[i * dim..(i + 1) * dim].iter().copied()).collect();
        let mut by_samples: Vec<(usize, Vec<boruvka::Edge>)> = Vec::new();
        for (k, (point, full)) in swept.iter().enumerate() {
            let size = ((point.min_cluster_size as f64) * share).round().max(2.0) as usize;
            let samples = point.min_samples.max(1);
            let labels = if m <= size || samples >= m {
                vec![NOISE; m]
            } else {
                hdbscan::labels_from_tree(tree_for(&mut by_samples, &sub, m, dim, samples).to_vec(), m, size)
            };
            let restricted: Vec<i32> = idx.iter().map(|&i| full[i]).collect();
            sums[k] += adjusted_rand(&restricted, &labels);
        }
    }
    for ((point, _), sum) in swept.iter_mut().zip(sums) {
        point.stability = Some(sum / rounds as f64);
    }
    Ok(())
}

/// The spanning tree of `points` for `samples` neighbours, built once per distinct
/// `samples` and kept in `trees` (a sweep's sizes share one).
fn tree_for<'a>(
    trees: &'a mut Vec<(usize, Vec<boruvka::Edge>)>,
    points: &[f32],
    n: usize,
    dim: usize,
    samples: usize,
) -> &'a [boruvka::Edge] {
    let at = match trees.iter().position(|(s, _)| *s == samples) {
        Some(at) => at,
        None => {
            trees.push((samples, hdbscan::spanning_tree(points, n, dim, samples)));
            trees.len() - 1
        }
    };
    &trees[at].1
}

fn largest_cluster(labels: &[i32]) -> usize {
    let mut sizes = std::collections::HashMap::new();
    for &l in labels.iter().filter(|&&l| l != NOISE) {
        *sizes.entry(l).or_insert(0usize) += 1;
    }
    sizes.into_values().max().unwrap_or(0)
}

/// k-means++ seeded Lloyd iterations: labels 0..k for each point of `data` (n × d).
pub fn kmeans(
    data: &[f32],
    n: usize,
    d: usize,
    k: usize,
    seed: u64,
) -> Result<(Vec<i32>, Vec<f32>), MlError> {
    if k == 0 || k > n {
        return Err(MlError::Clustering(format!(
            "k-means needs 1 <= k <= {n} points, got k = {k}"
        )));
    }
    let array = Array2::from_shape_vec((n, d), data.to_vec())
        .map_err(|e| MlError::Clustering(format!("k-means input: {e}")))?;
    let dataset = DatasetBase::from(array);
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(3)
        .max_n_iterations(300)
        .tolerance(1e-4)
        .fit(&dataset)
        .map_err(|e| MlError::Clustering(format!("k-means: {e}")))?;
    let labels = model.predict(dataset.records());
    let centroids = model.centroids().iter().copied().collect();
    Ok((labels.iter().map(|&l| l as i32).collect(), centroids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn blobs() -> (Vec<f32>, usize) {
        let mut rng = SplitMix64::new(11);
        let mut data = Vec::new();
        for (cx, cy) in [(0.0f32, 0.0f32), (10.0, 0.0), (0.0, 10.0)] {
            let g = rng.gaussian(80);
            for p in g.chunks(2) {
                data.extend([cx + p[0] * 0.5, cy + p[1] * 0.5]);
            }
        }
        data.extend([50.0, 50.0]); // an outlier
        let n = data.len() / 2;
        (data, n)
    }

    #[test]
    fn hdbscan_finds_blobs_and_noise() {
        let (data, n) = blobs();
        let labels = hdbscan(
            &data,
            n,
            2,
            &HdbscanParams {
                min_cluster_size: 10,
                min_samples: None,
            },
        )
        .unwrap();
        assert_eq!(labels[n - 1], NOISE);
        for b in 0..3 {
            let group = &labels[b * 40..(b + 1) * 40];
            let main = group[0];
            assert!(main >= 0);
            assert!(
                group.iter().filter(|&&l| l == main).count() >= 36,
                "{group:?}"
            );
        }
        let again = hdbscan(
            &data,
            n,
            2,
            &HdbscanParams {
                min_cluster_size: 10,
                min_samples: None,
            },
        )
        .unwrap();
        assert_eq!(labels, again);
    }

    /// The sweep's validity is the reference implementation's `relative_validity_` (hdbscan
    /// 0.8.44 with gen_min_span_tree=True, scripts/fixtures/dbcv_reference.py, on the same
    /// points: four blobs and ten scattered points, made by the same arithmetic in Python),
    /// and its labels are `hdbscan`'s.
    #[test]
    fn sweep_validity_matches_the_reference_implementation() {
        let frac = |x: f64| x - x.floor();
        let mut data = Vec::new();
        let mut i = 0f64;
        let mut point = |data: &mut Vec<f32>, f: &dyn Fn(f64, f64) -> (f64, f64)| {
            let u = frac((i * 12.9898 + 1.0).sin() * 43758.5453);
            let v = frac((i * 78.233 + 2.0).sin() * 12345.6789);
            let (x, y) = f(u, v);
            data.extend([x as f32, y as f32]);
            i += 1.0;
        };
        for ((cx, cy), count, s) in [((0.0, 0.0), 60, 0.6), ((6.0, 0.0), 40, 0.4), ((0.0, 6.0), 50, 0.9), ((7.0, 7.0), 30, 0.5)] {
            for _ in 0..count {
                point(&mut data, &|u, v| (cx + s * (2.0 * u - 1.0) * 1.5, cy + s * (2.0 * v - 1.0) * 1.5));
            }
        }
        for _ in 0..10 {
            point(&mut data, &|u, v| (20.0 * u - 5.0, 20.0 * v - 5.0));
        }
        let n = data.len() / 2;
        // The reference's core distance is its min_samples-th neighbour not counting the
        // point itself; ours counts it (as sklearn's HDBSCAN does), hence one more here.
        for (size, clusters, noise, validity) in
            [(8, 4, 5, 0.5410796748901295), (15, 4, 6, 0.5245422224981555), (25, 4, 6, 0.44556545382303664)]
        {
            let swept = hdbscan_sweep(&data, n, 2, &[size], Some(size + 1)).unwrap();
            let (p, labels) = &swept[0];
            assert_eq!((p.min_cluster_size, p.clusters, p.noise), (size, clusters, noise));
            assert!((p.validity - validity).abs() < 1e-6, "size {size}: {} vs {validity}", p.validity);
            let alone = hdbscan(&data, n, 2, &HdbscanParams { min_cluster_size: size, min_samples: Some(size + 1) }).unwrap();
            assert_eq!(labels, &alone);
        }
        // One spanning tree serves every size of a sweep: the same labels as one by one.
        let swept = hdbscan_sweep(&data, n, 2, &[8, 15, 25], Some(10)).unwrap();
        for (p, labels) in &swept {
            let alone = hdbscan(&data, n, 2, &HdbscanParams { min_cluster_size: p.min_cluster_size, min_samples: Some(10) }).unwrap();
            assert_eq!(labels, &alone);
            assert!(p.largest <= 60 && p.largest >= 50, "{p:?}");
        }
        // Nothing but noise scores -1.
        let tiny = hdbscan_sweep(&data[..20], 10, 2, &[15], None).unwrap();
        assert_eq!((tiny[0].0.validity, tiny[0].0.clusters), (-1.0, 0));
    }

    /// Same partition as the `hdbscan` crate (a straightforward serial implementation) on
    /// blobs of several densities and sizes, with noise, in 5 dimensions.
    #[test]
    fn hdbscan_agrees_with_the_reference_crate() {
        let mut rng = SplitMix64::new(21);
        let dim = 5;
        let mut data = Vec::new();
        for (c, (count, spread)) in [
            (300usize, 0.3f32),
            (120, 0.6),
            (60, 0.2),
            (200, 1.0),
            (40, 0.4),
        ]
        .iter()
        .enumerate()
        {
            let g = rng.gaussian(count * dim);
            for p in g.chunks(dim) {
                for (d, v) in p.iter().enumerate() {
                    data.push(
                        v * spread
                            + if d == c % dim {
                                6.0 * (c as f32 + 1.0)
                            } else {
                                0.0
                            },
                    );
                }
            }
        }
        for _ in 0..50 {
            for _ in 0..dim {
                data.push((rng.next_f64() as f32 - 0.5) * 60.0);
            }
        }
        let n = data.len() / dim;
        for (mcs, ms) in [(10usize, None), (25, Some(5)), (40, None)] {
            let ours = hdbscan(
                &data,
                n,
                dim,
                &HdbscanParams {
                    min_cluster_size: mcs,
                    min_samples: ms,
                },
            )
            .unwrap();
            let rows: Vec<Vec<f32>> = data.chunks(dim).map(<[f32]>::to_vec).collect();
            let mut hp = ::hdbscan::HdbscanHyperParams::builder().min_cluster_size(mcs);
            if let Some(m) = ms {
                hp = hp.min_samples(m);
            }
            let reference = ::hdbscan::Hdbscan::new(&rows, hp.build())
                .cluster()
                .unwrap();
            // Equal up to renaming the clusters.
            let mut map = std::collections::HashMap::new();
            let mut disagree = 0;
            for (a, b) in ours.iter().zip(&reference) {
                if (*a == NOISE) != (*b == NOISE)
                    || (*a != NOISE && *map.entry(*a).or_insert(*b) != *b)
                {
                    disagree += 1;
                }
            }
            let clusters = ours
                .iter()
                .filter(|&&l| l != NOISE)
                .collect::<std::collections::HashSet<_>>()
                .len();
            assert!(
                disagree <= n / 100,
                "mcs {mcs}: {disagree} of {n} points differ ({clusters} clusters)"
            );
            assert!(clusters >= 3, "mcs {mcs}: only {clusters} clusters");
        }
    }

    /// Borůvka's tree is the exact all-pairs Prim's tree, edge for edge, and so are the
    /// labels: on blobs with noise, on integer grids (every distance tied many times over)
    /// and on data with exact duplicates, in 2 and 5 dimensions.
    #[test]
    fn boruvka_gives_the_exact_tree_and_partition() {
        let mut rng = SplitMix64::new(77);
        let mut cases: Vec<(String, Vec<f32>, usize)> = Vec::new();
        for dim in [2usize, 5] {
            let mut blobs = Vec::new();
            for c in 0..6 {
                let g = rng.gaussian(250 * dim);
                for p in g.chunks(dim) {
                    for (d, v) in p.iter().enumerate() {
                        blobs.push(
                            v * (0.2 + 0.15 * c as f32)
                                + if d == c % dim { 5.0 * c as f32 } else { 0.0 },
                        );
                    }
                }
            }
            for _ in 0..200 * dim {
                blobs.push((rng.next_f64() as f32 - 0.5) * 40.0);
            }
            cases.push((format!("blobs {dim}-d"), blobs, dim));
            let grid: Vec<f32> = (0..1500 * dim).map(|_| rng.below(12) as f32).collect();
            cases.push((format!("grid {dim}-d"), grid, dim));
            let mut dups = rng.gaussian(400 * dim);
            for i in 0..300 {
                let src = (i % 7) * dim;
                let row: Vec<f32> = dups[src..src + dim].to_vec();
                dups.extend(row);
            }
            cases.push((format!("duplicates {dim}-d"), dups, dim));
        }
        for (name, data, dim) in &cases {
            let n = data.len() / dim;
            for (mcs, ms) in [(5usize, 5usize), (15, 15), (40, 7)] {
                let tree = kdtree::KdTree::build(data, n, *dim);
                let core = boruvka::core_distances_sq(&tree, ms);
                let mut fast = boruvka::minimum_spanning_tree(&tree, &core);
                let mut exact = prim::minimum_spanning_tree(data, n, *dim, &core);
                assert_eq!(fast.len(), n - 1, "{name}");
                let order = |e: &boruvka::Edge, f: &boruvka::Edge| {
                    e.weight
                        .total_cmp(&f.weight)
                        .then(e.a.cmp(&f.a))
                        .then(e.b.cmp(&f.b))
                };
                fast.sort_by(order);
                exact.sort_by(order);
                assert!(fast == exact, "{name}, min_samples {ms}: the trees differ");
                let labels = hdbscan::labels_from_tree(fast, n, mcs);
                assert_eq!(
                    labels,
                    hdbscan::labels_from_tree(exact, n, mcs),
                    "{name}, mcs {mcs}"
                );
                assert_eq!(
                    labels,
                    hdbscan(
                        data,
                        n,
                        *dim,
                        &HdbscanParams {
                            min_cluster_size: mcs,
                            min_samples: Some(ms)
                        }
                    )
                    .unwrap(),
                    "{name}: the public entry point"
                );
            }
        }
    }

    #[test]
    fn kmeans_separates_blobs_and_is_seeded() {
        let (data, n) = blobs();
        let (labels, centroids) = kmeans(&data[..240], n - 1, 2, 3, 5).unwrap();
        assert_eq!(centroids.len(), 6);
        for b in 0..3 {
            assert!(labels[b * 40..(b + 1) * 40]
                .iter()
                .all(|&l| l == labels[b * 40]));
        }
        assert_eq!(labels, kmeans(&data[..240], n - 1, 2, 3, 5).unwrap().0);
        assert!(kmeans(&data, n, 2, 0, 5).is_err());
    }
}
