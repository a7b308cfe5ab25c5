//! What a reduced-precision dense layer does after its product, and that last pass for a
//! float-summed block of outputs (the bf16 layer's): plus the bias, then GELU or plus the
//! residual. Fixed-size arrays, so inlined into a task compiled for AVX-512 it becomes a
//! few vector instructions.

use super::kernels::BLOCK;
use std::mem::MaybeUninit;

/// What happens to `x W^T` before it is stored: the bias is always added.
#[derive(Clone, Copy)]
pub enum Epilogue<'a> {
    Bias,
    /// Exact-form GELU of the biased value.
    BiasGelu,
    /// The biased value plus `residual` (same shape as the output).
    BiasResidual(&'a [f32]),
}

/// Writes `sums + bias`, through exact-form GELU when `gelu`, plus `residual` when given,
/// to `dst` (up to `BLOCK` values; a shorter `dst` takes the first of them).
#[inline(always)]
pub(super) fn block(
    sums: &[f32],
    bias: &[f32],
    gelu: bool,
    residual: Option<&[f32]>,
    dst: &mut [MaybeUninit<f32>],
) {
    let mut v = [0f32; BLOCK];
    for (c, v) in v.iter_mut().enumerate() {
        *v = sums[c] + bias[c];
    }
    if gelu {
        for v in &mut v {
            *v = 0.5 * *v * (1.0 + crate::kernels::erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
    match residual {
        Some(r) if r.len() == BLOCK && dst.len() == BLOCK => {
            for c in 0..BLOCK {
                dst[c].write(v[c] + r[c]);
            }
        }
        Some(r) => {
            for (c, d) in dst.iter_mut().enumerate() {
                d.write(v[c] + r[c]);
            }
        }
        None => {
            for (d, v) in dst.iter_mut().zip(v) {
                d.write(v);
            }
        }
    }
}
