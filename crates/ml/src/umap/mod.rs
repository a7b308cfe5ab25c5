//! UMAP on a precomputed kNN graph: the 5-d reduction HDBSCAN clusters on (as BERTopic
//! does) and the 2-d cluster map. Initialised by PCA, optimised with a seeded generator.

mod graph;
mod layout;
mod transform;

pub use graph::{fuzzy_graph, FuzzyGraph, Knn};
pub use layout::{find_ab_params, optimise, LayoutParams, MAX_COMPONENTS};
pub use transform::transform;

use crate::MlError;
use candle_core::{Device, Tensor};
use nalgebra::{DMatrix, SymmetricEigen};

/// The first `dim` principal components of `data` (n × d, row-major), scaled so the largest
/// coordinate is 10 (umap-learn's `init="pca"`). Signs are fixed so the largest loading of
/// each component is positive, so the result does not depend on the eigen-solver's whims.
pub fn pca_init(data: &[f32], n: usize, d: usize, dim: usize) -> Result<Vec<f32>, MlError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let mut mean = vec![0.0f64; d];
    for row in data.chunks_exact(d) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += *v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let centred: Vec<f32> = data
        .chunks_exact(d)
        .flat_map(|row| row.iter().zip(&mean).map(|(v, m)| (*v as f64 - m) as f32))
        .collect();
    let x = Tensor::from_vec(centred, (n, d), &Device::Cpu)?;
    let cov = x.t()?.matmul(&x)?.to_vec2::<f32>()?;
    let cov = DMatrix::from_fn(d, d, |i, j| cov[i][j] as f64);
    let eig = SymmetricEigen::new(cov);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let dim_used = dim.min(d);
    let mut basis = vec![0.0f32; d * dim];
    for (c, &col) in order.iter().take(dim_used).enumerate() {
        let v = eig.eigenvectors.column(col);
        let pivot = v
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(1.0);
        let sign = if pivot < 0.0 { -1.0 } else { 1.0 };
        for r in 0..d {
            basis[r * dim + c] = (sign * v[r]) as f32;
        }
    }
    let proj = x
        .matmul(&Tensor::from_vec(basis, (d, dim), &Device::Cpu)?)?
        .flatten_all()?
        .to_vec1::<f32>()?;
    let max = proj.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if max > 0.0 { 10.0 / max } else { 1.0 };
    Ok(proj.into_iter().map(|v| v * scale).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Three well separated blobs in 16-d: the 2-d layout keeps each blob together and apart.
    #[test]
    fn layout_separates_blobs_and_is_reproducible() {
        let (per, d, k) = (60usize, 16usize, 10usize);
        let mut rng = SplitMix64::new(3);
        let mut data = Vec::new();
        for c in 0..3 {
            let noise = rng.gaussian(per * d);
            for i in 0..per {
                for j in 0..d {
                    data.push(noise[i * d + j] * 0.3 + if j == c { 8.0 } else { 0.0 });
                }
            }
        }
        let n = per * 3;
        let mut knn = Knn {
            n,
            k,
            indices: vec![],
            distances: vec![],
        };
        for i in 0..n {
            let mut ds: Vec<(f32, u32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| {
                    let s: f32 = (0..d)
                        .map(|t| (data[i * d + t] - data[j * d + t]).powi(2))
                        .sum();
                    (s.sqrt(), j as u32)
                })
                .collect();
            ds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (dist, j) in ds.into_iter().take(k) {
                knn.indices.push(j);
                knn.distances.push(dist);
            }
        }
        let graph = fuzzy_graph(&knn);
        let params = LayoutParams {
            n_epochs: Some(200),
            ..LayoutParams::default()
        };
        let run = || {
            let mut y = pca_init(&data, n, d, 2).unwrap();
            optimise(&graph, &mut y, &params, |_, _| {});
            y
        };
        let y = run();
        assert_eq!(y, run(), "same seed, same layout");
        let centre = |c: usize| {
            let pts = &y[c * per * 2..(c + 1) * per * 2];
            let (sx, sy) = pts
                .chunks(2)
                .fold((0.0, 0.0), |(a, b), p| (a + p[0], b + p[1]));
            (sx / per as f32, sy / per as f32)
        };
        let spread = |c: usize| {
            let (cx, cy) = centre(c);
            y[c * per * 2..(c + 1) * per * 2]
                .chunks(2)
                .map(|p| ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt())
                .fold(0.0f32, f32::max)
        };
        for a in 0..3 {
            for b in a + 1..3 {
                let (ca, cb) = (centre(a), centre(b));
                let gap = ((ca.0 - cb.0).powi(2) + (ca.1 - cb.1).powi(2)).sqrt();
                assert!(
                    gap > spread(a) + spread(b),
                    "blobs {a} and {b} overlap: gap {gap}"
                );
            }
        }
    }
}
