//! The dense linear algebra of randomized SVD: large products through candle's GEMM (f64),
//! the small (l x l) factorisations through nalgebra.

use crate::MlError;
use candle_core::{DType, Device, Tensor};
use nalgebra::{DMatrix, SymmetricEigen};

fn tensor(data: Vec<f64>, rows: usize, cols: usize) -> Result<Tensor, MlError> {
    Ok(Tensor::from_vec(data, (rows, cols), &Device::Cpu)?)
}

fn to_matrix(t: &Tensor) -> Result<DMatrix<f64>, MlError> {
    let (r, c) = t.dims2()?;
    Ok(DMatrix::from_row_slice(
        r,
        c,
        &t.flatten_all()?.to_vec1::<f64>()?,
    ))
}

fn from_matrix(m: &DMatrix<f64>) -> Result<Tensor, MlError> {
    let (r, c) = m.shape();
    let mut data = Vec::with_capacity(r * c);
    for i in 0..r {
        data.extend(m.row(i).iter());
    }
    tensor(data, r, c)
}

/// An orthonormal basis for the columns of `y` (n x l, row-major), by CholeskyQR2 in f64:
/// two rounds of `Y <- Y R^-1` with `R` from the Cholesky factor of `Y^T Y`.
pub fn orthonormalise(y: &[f32], n: usize, l: usize) -> Result<Vec<f32>, MlError> {
    let mut t = tensor(y.iter().map(|v| *v as f64).collect(), n, l)?;
    for _ in 0..2 {
        let gram = to_matrix(&t.t()?.matmul(&t)?)?;
        let trace = gram.trace().max(f64::MIN_POSITIVE);
        // A rank-deficient block (fewer documents than components) gets a tiny ridge so the
        // factorisation exists; the spare directions then carry no weight.
        let chol = gram
            .clone()
            .cholesky()
            .or_else(|| (gram + DMatrix::identity(l, l) * (trace * 1e-10)).cholesky())
            .ok_or_else(|| candle_core::Error::Msg("Cholesky factorisation failed".into()))?;
        let r_inv = chol
            .l()
            .transpose()
            .try_inverse()
            .ok_or_else(|| candle_core::Error::Msg("singular triangular factor".into()))?;
        t = t.matmul(&from_matrix(&r_inv)?)?;
    }
    Ok(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
}

/// Given `z = A^T Q` (m x l) for an orthonormal `Q`, returns the top `k` right singular
/// vectors of `A` scaled for projection, as an (m x k) row-major matrix `W = Z U S^-1`, and
/// the singular values.
pub fn right_singular(
    z: &[f32],
    m: usize,
    l: usize,
    k: usize,
) -> Result<(Vec<f32>, Vec<f32>), MlError> {
    let zt = tensor(z.iter().map(|v| *v as f64).collect(), m, l)?;
    let bbt = to_matrix(&zt.t()?.matmul(&zt)?)?; // (l x l) = B B^T with B = Q^T A
    let eigen = SymmetricEigen::new(bbt);
    let mut order: Vec<usize> = (0..l).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let k = k.min(l);
    let mut scaled = DMatrix::<f64>::zeros(l, k);
    let mut singular = Vec::with_capacity(k);
    for (j, &i) in order.iter().take(k).enumerate() {
        let s = eigen.eigenvalues[i].max(0.0).sqrt();
        singular.push(s as f32);
        let inv = if s > 1e-10 { 1.0 / s } else { 0.0 };
        for r in 0..l {
            scaled[(r, j)] = eigen.eigenvectors[(r, i)] * inv;
        }
    }
    let w = zt.matmul(&from_matrix(&scaled)?)?;
    Ok((
        w.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?,
        singular,
    ))
}
