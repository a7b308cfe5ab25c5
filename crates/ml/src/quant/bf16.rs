//! A dense layer in bf16: `y = x W^T + b` (then GELU, or plus a residual) with W and x
//! rounded to bfloat16 and the products summed in f32 by AVX-512 BF16's `vdpbf16ps`.
//!
//! bf16 keeps f32's exponent and 8 bits of mantissa, so unlike int8 it needs no scales,
//! smoothing or calibration: rounding each value is the only error. A product of two
//! bf16 values is exact in f32, so each step of the sum is one f32 add, as in f32.

use super::finish::Epilogue;
use super::kernels::BLOCK;
use super::tasks::{for_each_task, TASK_ROWS};
use std::cell::RefCell;
use std::mem::MaybeUninit;

/// Inputs per packed group: one f32 lane of `vdpbf16ps` sums two products.
const PAIR: usize = 2;
/// Rows and blocks of one tile: 6 x 4 = 24 accumulators of the 32 registers.
const MR: usize = 6;
const NB: usize = 4;

/// Whether this CPU runs the bf16 kernel (AVX-512 BF16: Cooper Lake and Sapphire Rapids
/// Xeons and later, Zen 4 and later).
pub fn bf16_supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `v` rounded to the nearest bfloat16, ties to even; NaN stays a (quiet) NaN and values
/// past bf16's largest round to infinity, as the hardware conversion does.
#[inline(always)]
pub fn to_bf16(v: f32) -> u16 {
    let bits = v.to_bits();
    if bits & 0x7fff_ffff > 0x7f80_0000 {
        return ((bits >> 16) | 0x40) as u16;
    }
    (bits.wrapping_add(0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

#[inline(always)]
fn from_bf16(b: u16) -> f32 {
    f32::from_bits((b as u32) << 16)
}

pub struct Bf16Linear {
    inputs: usize,
    outputs: usize,
    /// Input pairs per row (inputs rounded up to even).
    pairs: usize,
    blocks: usize,
    /// Weights in blocks of 16 output channels; within a block, for each pair of inputs,
    /// the 16 channels' two values side by side (64 bytes: one AVX-512 register).
    packed: Vec<u16>,
    /// Padded to whole blocks with zeros.
    bias: Vec<f32>,
}

impl Bf16Linear {
    /// Rounds `weight` (`outputs` rows of `inputs`, as PyTorch stores a linear layer) to
    /// bf16.
    pub fn new(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Bf16Linear {
        assert_eq!(weight.len(), outputs * inputs, "weight shape");
        assert_eq!(bias.len(), outputs, "bias shape");
        let pairs = inputs.div_ceil(PAIR);
        let blocks = outputs.div_ceil(BLOCK);
        let mut packed = vec![0u16; blocks * pairs * PAIR * BLOCK];
        for (n, row) in weight.chunks_exact(inputs.max(1)).enumerate().take(outputs) {
            let (block, channel) = (n / BLOCK, n % BLOCK);
            for (k, &w) in row.iter().enumerate() {
                let (pair, lane) = (k / PAIR, k % PAIR);
                packed[((block * pairs + pair) * BLOCK + channel) * PAIR + lane] = to_bf16(w);
            }
        }
        let mut padded = bias.to_vec();
        padded.resize(blocks * BLOCK, 0.0);
        Bf16Linear {
            inputs,
            outputs,
            pairs,
            blocks,
            packed,
            bias: padded,
        }
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `x` holds rows of `inputs`; returns as many rows of `outputs`. Runs the AVX-512
    /// BF16 kernel where the CPU has it and plain Rust (same sums, slowly) elsewhere.
    pub fn forward(&self, x: &[f32], epilogue: Epilogue) -> Vec<f32> {
        self.forward_on(x, epilogue, bf16_supported())
    }

    fn forward_on(&self, x: &[f32], epilogue: Epilogue, vectorised: bool) -> Vec<f32> {
        for_each_task(x, self.inputs, self.outputs, epilogue, |x, first, out| {
            thread_local! {
                static SCRATCH: RefCell<(Vec<u16>, Vec<f32>)> = RefCell::default();
            }
            SCRATCH.with(|s| {
                let (rows, tile) = &mut *s.borrow_mut();
                #[cfg(target_arch = "x86_64")]
                if vectorised {
                    // SAFETY: `vectorised` is only true where `bf16_supported` said so.
                    return unsafe { self.task_avx512(x, first, out, epilogue, rows, tile) };
                }
                let _ = vectorised;
                self.task_body(x, first, out, epilogue, rows, tile, portable_tile)
            })
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma")]
    unsafe fn task_avx512(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        rows: &mut Vec<u16>,
        tile: &mut Vec<f32>,
    ) {
        self.task_body(x, first_row, out, epilogue, rows, tile, x86::tile)
    }

    /// Rounds the task's rows to bf16 and multiplies them by every weight block, tile by
    /// tile, finishing each block of outputs as soon as its sums are complete.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn task_body(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        rows: &mut Vec<u16>,
        tile: &mut Vec<f32>,
        kernel: unsafe fn(&[*const u16; MR], &[*const u16; NB], usize, &mut [f32]),
    ) {
        let width = self.pairs * PAIR;
        let count = x.len() / self.inputs.max(1);
        rows.clear();
        rows.resize(count * width, 0);
        for (r, row) in x.chunks_exact(self.inputs.max(1)).enumerate() {
            for (o, &v) in rows[r * width..].iter_mut().zip(row) {
                *o = to_bf16(v);
            }
        }
        tile.resize(MR * NB * BLOCK, 0.0);
        let block_len = self.pairs * PAIR * BLOCK;
        let mut row_ptrs = [std::ptr::null::<u16>(); MR];
        let mut block_ptrs = [std::ptr::null::<u16>(); NB];
        for b0 in (0..self.blocks).step_by(NB) {
            for (j, p) in block_ptrs.iter_mut().enumerate() {
                let b = (b0 + j).min(self.blocks - 1);
                *p = self.packed[b * block_len..].as_ptr();
            }
            for r0 in (0..count).step_by(MR) {
                for (i, p) in row_ptrs.iter_mut().enumerate() {
                    let r = (r0 + i).min(count - 1);
                    *p = rows[r * width..].as_ptr();
                }
                // SAFETY: rows hold `width` values and blocks `block_len`; the vector
                // kernel is only passed in where the CPU has its features.
                unsafe { kernel(&row_ptrs, &block_ptrs, self.pairs, tile) };
                for i in 0..MR.min(count - r0) {
                    let r = r0 + i;
                    for j in 0..NB.min(self.blocks - b0) {
                        let sums = &tile[(i * NB + j) * BLOCK..][..BLOCK];
                        let c0 = (b0 + j) * BLOCK;
                        let residual = match epilogue {
                            Epilogue::BiasResidual(res) => {
                                let at = (first_row + r) * self.outputs + c0;
                                Some(&res[at..(at + BLOCK).min(res.len())])
                            }
                            _ => None,
                        };
                        let gelu = matches!(epilogue, Epilogue::BiasGelu);
                        let c1 = (c0 + BLOCK).min(self.outputs);
                        let dst = &mut out[r * self.outputs + c0..r * self.outputs + c1];
                        super::finish::block(sums, &self.bias[c0..c0 + BLOCK], gelu, residual, dst);
                    }
                }
            }
        }
        debug_assert!(count <= TASK_ROWS);
    }
}

/// `MR` rows by `NB` blocks in plain Rust: each lane adds the odd input's product, then
/// the even one's, as `vdpbf16ps` is specified to.
unsafe fn portable_tile(
    rows: &[*const u16; MR],
    blocks: &[*const u16; NB],
    pairs: usize,
    out: &mut [f32],
) {
    for (i, &row) in rows.iter().enumerate() {
        // SAFETY: the caller guarantees the lengths (see `task_body`).
        let a = unsafe { std::slice::from_raw_parts(row, pairs * PAIR) };
        for (j, &block) in blocks.iter().enumerate() {
            let w = unsafe { std::slice::from_raw_parts(block, pairs * PAIR * BLOCK) };
            let mut acc = [0f32; BLOCK];
            for p in 0..pairs {
                let (a0, a1) = (from_bf16(a[p * PAIR]), from_bf16(a[p * PAIR + 1]));
                for (c, sum) in acc.iter_mut().enumerate() {
                    let at = (p * BLOCK + c) * PAIR;
                    *sum += a1 * from_bf16(w[at + 1]);
                    *sum += a0 * from_bf16(w[at]);
                }
            }
            out[(i * NB + j) * BLOCK..][..BLOCK].copy_from_slice(&acc);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use crate::quant::bf16::{BLOCK, MR, NB, PAIR};
    use std::arch::x86_64::*;

    /// `MR` rows by `NB` blocks with `vdpbf16ps`: each pair of inputs loads `NB` weight
    /// vectors and broadcasts each row's pair once.
    ///
    /// # Safety
    /// As `portable_tile`, and the CPU must have AVX-512 BF16.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(super) unsafe fn tile(
        rows: &[*const u16; MR],
        blocks: &[*const u16; NB],
        pairs: usize,
        out: &mut [f32],
    ) {
        debug_assert!(out.len() >= MR * NB * BLOCK);
        let mut acc = [[_mm512_setzero_ps(); NB]; MR];
        let mut w = [_mm512_setzero_si512(); NB];
        for p in 0..pairs {
            for j in 0..NB {
                w[j] = _mm512_loadu_si512(blocks[j].wrapping_add(p * PAIR * BLOCK) as *const _);
            }
            for i in 0..MR {
                let a = _mm512_set1_epi32((rows[i].wrapping_add(p * PAIR) as *const i32).read_unaligned());
                for j in 0..NB {
                    // The bit patterns are bf16 pairs; the casts only retype the registers.
                    acc[i][j] = _mm512_dpbf16_ps(
                        acc[i][j],
                        std::mem::transmute::<__m512i, __m512bh>(a),
                        std::mem::transmute::<__m512i, __m512bh>(w[j]),
                    );
                }
            }
        }
        for i in 0..MR {
            for j in 0..NB {
                _mm512_storeu_ps(out.as_mut_ptr().add((i * NB + j) * BLOCK), acc[i][j]);
            }
        }
    }
}

/// The measured bf16 multiply-add rate on a (size x size) by (size x size) product in
/// GFLOP/s, the ceiling the bf16 encoder is compared with. None where the CPU has no
/// AVX-512 BF16.
pub fn bf16_matmul_gflops(size: usize, repeats: usize) -> Option<f64> {
    if !bf16_supported() {
        return None;
    }
    let mut rng = crate::rng::SplitMix64::new(1);
    let x = rng.gaussian(size * size);
    let w = rng.gaussian(size * size);
    let layer = Bf16Linear::new(&w, &vec![0.0; size], size, size);
    std::hint::black_box(layer.forward(&x, Epilogue::Bias));
    let started = std::time::Instant::now();
    for _ in 0..repeats.max(1) {
        std::hint::black_box(layer.forward(&x, Epilogue::Bias));
    }
    let seconds = started.elapsed().as_secs_f64();
    Some(2.0 * (size as f64).powi(3) * repeats.max(1) as f64 / seconds / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::finish::Epilogue;
    use crate::rng::SplitMix64;

    #[test]
    fn rounding_to_bf16() {
        assert_eq!(to_bf16(1.0), 0x3f80);
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0); // tie: to even
        assert_eq!(from_bf16(to_bf16(1.0 + 3.0 / 256.0)), 1.0 + 4.0 / 256.0); // tie: to even
        assert_eq!(from_bf16(to_bf16(1.0 + 1.5 / 256.0)), 1.0 + 2.0 / 256.0);
        assert_eq!(from_bf16(to_bf16(-2.5)), -2.5);
        assert!(from_bf16(to_bf16(f32::NAN)).is_nan());
        assert_eq!(from_bf16(to_bf16(f32::MAX)), f32::INFINITY);
        assert_eq!(from_bf16(to_bf16(f32::NEG_INFINITY)), f32::NEG_INFINITY);
    }

    /// Awkward sizes: odd inputs, outputs not a multiple of 16 or of a tile's 64, rows
    /// not of the tile height, more rows than one task.
    #[test]
    fn kernel_matches_the_portable_sums_and_stays_close_to_f32() {
        let (rows, k, n) = (203, 77, 83);
        let mut rng = SplitMix64::new(5);
        let x = rng.gaussian(rows * k);
        let w: Vec<f32> = rng.gaussian(n * k).into_iter().map(|v| v * 0.05).collect();
        let b = rng.gaussian(n);
        let residual = rng.gaussian(rows * n);
        let layer = Bf16Linear::new(&w, &b, n, k);
        for epilogue in [Epilogue::Bias, Epilogue::BiasGelu, Epilogue::BiasResidual(&residual)] {
            let portable = layer.forward_on(&x, epilogue, false);
            if bf16_supported() {
                let vector = layer.forward_on(&x, epilogue, true);
                // The same roundings in the same order: the same bits.
                assert!(portable == vector, "the AVX-512 BF16 kernel and the portable sums differ");
            }
        }
        let y = layer.forward_on(&x, Epilogue::Bias, bf16_supported());
        let (mut num, mut den) = (0f64, 0f64);
        for r in 0..rows {
            for c in 0..n {
                let exact: f64 = (0..k).map(|i| x[r * k + i] as f64 * w[c * k + i] as f64).sum::<f64>() + b[c] as f64;
                num += (y[r * n + c] as f64 - exact).powi(2);
                den += exact.powi(2);
            }
        }
        // Two roundings to 8 bits of mantissa: about 0.3% relative error.
        assert!((num / den).sqrt() < 0.01, "relative error {}", (num / den).sqrt());
    }

    #[test]
    fn epilogues_match_their_definitions() {
        let (rows, k, n) = (13, 40, 32);
        let mut rng = SplitMix64::new(9);
        let (x, w, b, residual) = (rng.gaussian(rows * k), rng.gaussian(n * k), rng.gaussian(n), rng.gaussian(rows * n));
        let layer = Bf16Linear::new(&w, &b, n, k);
        let plain = layer.forward(&x, Epilogue::Bias);
        let gelu = layer.forward(&x, Epilogue::BiasGelu);
        let added = layer.forward(&x, Epilogue::BiasResidual(&residual));
        for i in 0..rows * n {
            let g = 0.5 * plain[i] * (1.0 + crate::kernels::erf(plain[i] * std::f32::consts::FRAC_1_SQRT_2));
            assert_eq!(gelu[i], g);
            assert_eq!(added[i], plain[i] + residual[i]);
        }
        // Each row on its own gives the same numbers as in the batch.
        let one = layer.forward(&x[7 * k..8 * k], Epilogue::Bias);
        assert_eq!(&plain[7 * n..8 * n], &one[..]);
        assert!(layer.forward(&[], Epilogue::Bias).is_empty());
    }

    #[test]
    fn non_finite_inputs_give_nan_rows_only() {
        let (k, n) = (8, 16);
        let w: Vec<f32> = (0..n * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let layer = Bf16Linear::new(&w, &vec![0.5; n], n, k);
        let mut x = vec![0.25f32; 2 * k];
        x[k + 3] = f32::NAN;
        let y = layer.forward(&x, Epilogue::Bias);
        assert!(y[..n].iter().all(|v| v.is_finite()));
        assert!(y[n..].iter().all(|v| v.is_nan()));
    }
}
