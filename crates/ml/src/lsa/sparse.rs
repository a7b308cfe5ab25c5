//! A compressed sparse row matrix and the two products randomized SVD needs, in parallel.

use rayon::prelude::*;

pub struct Csr {
    pub rows: usize,
    pub cols: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl Csr {
    /// `self` (rows x cols) times dense `x` (cols x k, row-major): (rows x k).
    pub fn mul_dense(&self, x: &[f32], k: usize) -> Vec<f32> {
        let mut out = vec![0f32; self.rows * k];
        out.par_chunks_mut(k).enumerate().for_each(|(r, acc)| {
            for p in self.indptr[r]..self.indptr[r + 1] {
                let v = self.values[p];
                let row = &x[self.indices[p] as usize * k..][..k];
                for (a, b) in acc.iter_mut().zip(row) {
                    *a += v * b;
                }
            }
        });
        out
    }

    /// The transpose, as a CSR of (cols x rows).
    pub fn transpose(&self) -> Csr {
        let mut counts = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut indices = vec![0u32; self.indices.len()];
        let mut values = vec![0f32; self.values.len()];
        for r in 0..self.rows {
            for p in self.indptr[r]..self.indptr[r + 1] {
                let c = self.indices[p] as usize;
                indices[next[c]] = r as u32;
                values[next[c]] = self.values[p];
                next[c] += 1;
            }
        }
        Csr {
            rows: self.cols,
            cols: self.rows,
            indptr: counts,
            indices,
            values,
        }
    }
}
