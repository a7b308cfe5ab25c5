//! A dense layer in int8: `y = x W^T + b` (then GELU, or plus a residual) with W quantised
//! per output channel once and x quantised per row on the fly.

use super::kernels::{Int8Kernel, BLOCK, GROUP};
use super::rounding::{quantise, row_range};
use super::finish::Epilogue;
use super::tasks::for_each_task;
use std::cell::RefCell;
use std::mem::MaybeUninit;

pub struct QuantisedLinear {
    inputs: usize,
    outputs: usize,
    groups: usize,
    blocks: usize,
    /// Weights as described in `kernels`: block, group, channel, then the group's 4 bytes.
    packed: Vec<i8>,
    /// Per output channel: the float one weight unit stands for.
    scales: Vec<f32>,
    /// Per output channel: 128 x the sum of its quantised weights, what offsetting the
    /// activations by 128 adds to each sum.
    offsets: Vec<i32>,
    /// Per output channel: the sum of its (dequantised) weights, what a row's shift adds.
    sums: Vec<f32>,
    bias: Vec<f32>,
    /// Per input channel: what an input is multiplied by before it is quantised (the
    /// inverse of its smoothing factor); empty when the layer is not smoothed.
    input_scales: Vec<f32>,
}

impl QuantisedLinear {
    /// Quantises `weight` (`outputs` rows of `inputs`, as PyTorch stores a linear layer)
    /// symmetrically per output channel.
    pub fn new(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> QuantisedLinear {
        Self::smoothed(weight, bias, outputs, inputs, &[])
    }

    /// As [`QuantisedLinear::new`], first moving part of each input channel's range into
    /// the weights (SmoothQuant, alpha 0.5): a transformer's activations have a few
    /// channels far larger than the rest, and a per-row scale sized for those leaves the
    /// others few levels. `input_range` is the largest magnitude each input channel takes
    /// (from calibration); channel k's inputs are divided by `sqrt(range_k / max_n |W_nk|)`
    /// and its weights multiplied by it, which leaves `x W^T` unchanged in exact
    /// arithmetic. Empty: no smoothing.
    pub fn smoothed(
        weight: &[f32],
        bias: &[f32],
        outputs: usize,
        inputs: usize,
        input_range: &[f32],
    ) -> QuantisedLinear {
        assert_eq!(weight.len(), outputs * inputs, "weight shape");
        assert_eq!(bias.len(), outputs, "bias shape");
        let mut input_scales = Vec::new();
        let mut smoothed_weight;
        let weight = if input_range.len() == inputs && inputs > 0 {
            let mut weight_range = vec![0f32; inputs];
            for row in weight.chunks_exact(inputs) {
                for (r, w) in weight_range.iter_mut().zip(row) {
                    *r = r.max(w.abs());
                }
            }
            let factors: Vec<f32> = input_range
                .iter()
                .zip(&weight_range)
                .map(|(&x, &w)| {
                    let f = (x / w).sqrt();
                    if f.is_finite() && f > 0.0 { f } else { 1.0 }
                })
                .collect();
            smoothed_weight = weight.to_vec();
            for row in smoothed_weight.chunks_exact_mut(inputs) {
                row.iter_mut().zip(&factors).for_each(|(w, f)| *w *= f);
            }
            input_scales = factors.iter().map(|f| 1.0 / f).collect();
            &smoothed_weight[..]
        } else {
            weight
        };
        let groups = inputs.div_ceil(GROUP);
        let blocks = outputs.div_ceil(BLOCK);
        let mut packed = vec![0i8; blocks * groups * GROUP * BLOCK];
        // Per-channel arrays run to the end of the last block, so the epilogue always
        // handles whole blocks (padding channels have zero weights, scale and bias).
        let mut scales = vec![0f32; blocks * BLOCK];
        let mut offsets = vec![0i32; blocks * BLOCK];
        let mut sums = vec![0f32; blocks * BLOCK];
        for (n, row) in weight.chunks_exact(inputs).enumerate() {
            let amax = row.iter().fold(0f32, |m, w| m.max(w.abs()));
            if amax == 0.0 || !amax.is_finite() {
                // A zero channel stays zero; a non-finite one yields NaN, as f32 would.
                scales[n] = if amax == 0.0 { 0.0 } else { f32::NAN };
                continue;
            }
            let inverse = 127.0 / amax;
            scales[n] = amax / 127.0;
            let (block, channel) = (n / BLOCK, n % BLOCK);
            let mut sum = 0i32;
            for (k, &w) in row.iter().enumerate() {
                let q = quantise(w, inverse);
                sum += q as i32;
                let (group, lane) = (k / GROUP, k % GROUP);
                packed[((block * groups + group) * BLOCK + channel) * GROUP + lane] = q;
            }
            offsets[n] = 128 * sum;
            sums[n] = scales[n] * sum as f32;
        }
        QuantisedLinear {
            inputs,
            outputs,
            groups,
            blocks,
            packed,
            scales,
            offsets,
            sums,
            bias: {
                let mut padded = bias.to_vec();
                padded.resize(blocks * BLOCK, 0.0);
                padded
            },
            input_scales,
        }
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `x` holds `rows` rows of `inputs`; returns `rows` rows of `outputs`.
    pub fn forward(&self, x: &[f32], epilogue: Epilogue, kernel: Int8Kernel) -> Vec<f32> {
        for_each_task(x, self.inputs, self.outputs, epilogue, |x, first, out| {
            self.task(x, first, out, epilogue, kernel)
        })
    }

    /// Quantises the rows of `x` and multiplies them by every weight block, writing `out`:
    /// the loops compiled for the kernel's instruction set, so the quantising and the
    /// epilogue vectorise as widely as the products do.
    fn task(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        kernel: Int8Kernel,
    ) {
        thread_local! {
            static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
        }
        SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            match kernel {
                // SAFETY: the kernel came from `Int8Kernel::available`, so the CPU has
                // these features.
                #[cfg(target_arch = "x86_64")]
                Int8Kernel::Avx512Vnni => unsafe {
                    self.task_avx512(x, first_row, out, epilogue, kernel, scratch)
                },
                // AVX-VNNI CPUs have AVX2 and FMA; its tile enables VNNI itself.
                #[cfg(target_arch = "x86_64")]
                Int8Kernel::Avx2 | Int8Kernel::AvxVnni => unsafe {
                    self.task_avx2(x, first_row, out, epilogue, kernel, scratch)
                },
                _ => self.task_body(x, first_row, out, epilogue, kernel, scratch),
            }
        })
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")]
    unsafe fn task_avx512(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        kernel: Int8Kernel,
        scratch: &mut Scratch,
    ) {
        self.task_body(x, first_row, out, epilogue, kernel, scratch)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn task_avx2(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        kernel: Int8Kernel,
        scratch: &mut Scratch,
    ) {
        self.task_body(x, first_row, out, epilogue, kernel, scratch)
    }

    #[inline(always)]
    fn task_body(
        &self,
        x: &[f32],
        first_row: usize,
        out: &mut [MaybeUninit<f32>],
        epilogue: Epilogue,
        kernel: Int8Kernel,
        scratch: &mut Scratch,
    ) {
        let width = self.groups * GROUP;
        let count = x.len() / self.inputs;
        let (mr, nb) = kernel.tile_shape();
        let offset = kernel.offsets_activations();
        let Scratch {
            q,
            rows,
            tile,
            scaled,
        } = scratch;
        q.resize(count * width, 0);
        rows.resize(count, (0.0, 0.0));
        tile.resize(mr * nb * BLOCK, 0);
        for r in 0..count {
            let row = &x[r * self.inputs..(r + 1) * self.inputs];
            let row = if self.input_scales.is_empty() {
                row
            } else {
                scaled.clear();
                scaled.extend(row.iter().zip(&self.input_scales).map(|(v, s)| v * s));
                &scaled[..]
            };
            let out = &mut q[r * width..(r + 1) * width];
            rows[r] = match kernel {
                // SAFETY: this kernel is only chosen on CPUs with AVX-512.
                #[cfg(target_arch = "x86_64")]
                Int8Kernel::Avx512Vnni => unsafe { super::avx512::quantise_row(row, out, offset) },
                // SAFETY: these kernels are only chosen on CPUs with AVX2.
                #[cfg(target_arch = "x86_64")]
                Int8Kernel::Avx2 | Int8Kernel::AvxVnni => unsafe {
                    super::avx2::quantise_row(row, out, offset)
                },
                _ => quantise_row(row, out, offset),
            };
        }
        let mut row_ptrs = [std::ptr::null::<u8>(); 8];
        let mut block_ptrs = [std::ptr::null::<i8>(); 8];
        let block_bytes = self.groups * GROUP * BLOCK;
        for b0 in (0..self.blocks).step_by(nb) {
            for (j, p) in block_ptrs[..nb].iter_mut().enumerate() {
                let b = (b0 + j).min(self.blocks - 1);
                *p = self.packed[b * block_bytes..].as_ptr();
            }
            for r0 in (0..count).step_by(mr) {
                for (i, p) in row_ptrs[..mr].iter_mut().enumerate() {
                    let r = (r0 + i).min(count - 1);
                    *p = q[r * width..].as_ptr();
                }
                // SAFETY: rows hold `width` bytes, blocks `block_bytes`, and the kernel
                // came from `Int8Kernel::available` (checked by the caller).
                unsafe { kernel.tile(&row_ptrs[..mr], &block_ptrs[..nb], self.groups, tile) };
                for i in 0..mr.min(count - r0) {
                    let r = r0 + i;
                    for j in 0..nb.min(self.blocks - b0) {
                        let block = b0 + j;
                        let sums: &[i32; BLOCK] = tile[(i * nb + j) * BLOCK..][..BLOCK]
                            .try_into()
                            .unwrap_or(&[0; BLOCK]);
                        let c0 = block * BLOCK;
                        let at = r * self.outputs;
                        let residual = match epilogue {
                            Epilogue::BiasResidual(residual) => {
                                let global = (first_row + r) * self.outputs + c0;
                                Some(&residual[global..(global + BLOCK).min(residual.len())])
                            }
                            _ => None,
                        };
                        let c1 = (c0 + BLOCK).min(self.outputs);
                        let dst = &mut out[at + c0..at + c1];
                        if let (Ok(dst), Ok(residual)) = (
                            <&mut [MaybeUninit<f32>; BLOCK]>::try_from(&mut *dst),
                            residual.map(<&[f32; BLOCK]>::try_from).transpose(),
                        ) {
                            // A whole block: fixed lengths, so this compiles to a few
                            // vector instructions straight into the output.
                            #[cfg(target_arch = "x86_64")]
                            if kernel != Int8Kernel::Portable {
                                let at = block * BLOCK;
                                let constants = super::avx512::BlockConstants {
                                    scales: self.scales[at..at + BLOCK].try_into().unwrap_or(&[0.0; BLOCK]),
                                    offsets: offset.then(|| self.offsets[at..at + BLOCK].try_into().unwrap_or(&[0; BLOCK])),
                                    weight_sums: self.sums[at..at + BLOCK].try_into().unwrap_or(&[0.0; BLOCK]),
                                    bias: self.bias[at..at + BLOCK].try_into().unwrap_or(&[0.0; BLOCK]),
                                };
                                let gelu = matches!(epilogue, Epilogue::BiasGelu);
                                // SAFETY: each kernel is only chosen on CPUs with its features.
                                unsafe {
                                    if kernel == Int8Kernel::Avx512Vnni {
                                        super::avx512::finish_block(sums, &constants, rows[r], gelu, residual, dst)
                                    } else {
                                        super::avx2::finish_block(sums, &constants, rows[r], gelu, residual, dst)
                                    }
                                };
                                continue;
                            }
                            let values = self.finish(sums, rows[r], block, offset, epilogue);
                            match residual {
                                Some(res) => {
                                    for c in 0..BLOCK {
                                        dst[c].write(values[c] + res[c]);
                                    }
                                }
                                None => {
                                    for c in 0..BLOCK {
                                        dst[c].write(values[c]);
                                    }
                                }
                            }
                        } else {
                            let values = self.finish(sums, rows[r], block, offset, epilogue);
                            let res = residual.unwrap_or(&[]);
                            for (c, d) in dst.iter_mut().enumerate() {
                                d.write(values[c] + res.get(c).copied().unwrap_or(0.0));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Scales one block of a row's i32 sums back to floats (adding back the row's shift),
    /// plus the bias and through GELU if asked: the same operations in the same order for
    /// every kernel. Channels past the layer's end (padding) come out as zeros.
    #[inline(always)]
    fn finish(
        &self,
        sums: &[i32; BLOCK],
        (row_scale, row_shift): (f32, f32),
        block: usize,
        offset: bool,
        epilogue: Epilogue,
    ) -> [f32; BLOCK] {
        // Fixed-size arrays: the loops below have a known trip count and vectorise.
        let block_of = |v: &[f32]| -> [f32; BLOCK] {
            v[block * BLOCK..][..BLOCK].try_into().unwrap_or([0.0; BLOCK])
        };
        let (scales, bias, weight_sums) = (block_of(&self.scales), block_of(&self.bias), block_of(&self.sums));
        let offsets: [i32; BLOCK] = if offset {
            self.offsets[block * BLOCK..][..BLOCK].try_into().unwrap_or([0; BLOCK])
        } else {
            [0; BLOCK]
        };
        let mut values = [0f32; BLOCK];
        for c in 0..BLOCK {
            let exact = sums[c].wrapping_sub(offsets[c]);
            values[c] = exact as f32 * (row_scale * scales[c]) + (row_shift * weight_sums[c] + bias[c]);
        }
        if let Epilogue::BiasGelu = epilogue {
            for v in &mut values {
                *v = 0.5 * *v * (1.0 + crate::kernels::erf(*v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
        values
    }
}

/// Per-thread buffers a task reuses: quantised rows, their (scale, shift), one tile of
/// sums, and one smoothed row.
#[derive(Default)]
struct Scratch {
    q: Vec<u8>,
    rows: Vec<(f32, f32)>,
    tile: Vec<i32>,
    scaled: Vec<f32>,
}


/// Writes `x`, less the midpoint of its range, as bytes in [-127, 127] (offset to
/// [1, 255] when `offset`), padding `out` with zeros. Returns the float one unit stands
/// for and the midpoint: shifting by the midpoint spends all 255 levels on the values'
/// actual range, which matters for one-sided inputs such as GELU's outputs (nothing below
/// -0.17).
#[inline(always)]
fn quantise_row(x: &[f32], out: &mut [u8], offset: bool) -> (f32, f32) {
    // Sixteen running minima, maxima and non-finite flags, one per lane, folded at the
    // end: a single running minimum would be a chain the compiler keeps scalar. Non-finite
    // values are found by their exponent bits, so the comparisons need no NaN rule.
    const LANES: usize = 16;
    let mut low = [f32::INFINITY; LANES];
    let mut high = [f32::NEG_INFINITY; LANES];
    let mut non_finite = [0u32; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for chunk in &mut chunks {
        for c in 0..LANES {
            let v = chunk[c];
            low[c] = if v < low[c] { v } else { low[c] };
            high[c] = if v > high[c] { v } else { high[c] };
            non_finite[c] |= ((v.to_bits() & 0x7f80_0000) == 0x7f80_0000) as u32;
        }
    }
    for (c, &v) in chunks.remainder().iter().enumerate() {
        low[c] = if v < low[c] { v } else { low[c] };
        high[c] = if v > high[c] { v } else { high[c] };
        non_finite[c] |= ((v.to_bits() & 0x7f80_0000) == 0x7f80_0000) as u32;
    }
    let low = low.iter().fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
    let high = high.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    let non_finite = non_finite.iter().fold(0, |a, b| a | b);
    let (middle, half, shift) =
        match row_range(low, high, !x.is_empty() && non_finite == 0, offset, out) {
            Ok(range) => range,
            Err(done) => return done,
        };
    let inverse = 127.0 / half;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (quantise(v - middle, inverse) as u8).wrapping_add(shift);
    }
    out[x.len()..].fill(shift);
    (half / 127.0, middle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn reference(x: &[f32], w: &[f32], b: &[f32], rows: usize, n: usize, k: usize) -> Vec<f32> {
        let mut y = vec![0f32; rows * n];
        for r in 0..rows {
            for c in 0..n {
                let dot: f64 = (0..k).map(|i| x[r * k + i] as f64 * w[c * k + i] as f64).sum();
                y[r * n + c] = dot as f32 + b[c];
            }
        }
        y
    }

    /// Awkward sizes: inputs not a multiple of 4, outputs not of 16, rows not of any tile
    /// height, and more rows than one task.
    #[test]
    fn every_kernel_gives_the_same_numbers_close_to_f32() {
        let (rows, k, n) = (203, 77, 37);
        let mut rng = SplitMix64::new(7);
        let x: Vec<f32> = rng.gaussian(rows * k);
        let w: Vec<f32> = rng.gaussian(n * k).into_iter().map(|v| v * 0.05).collect();
        let b: Vec<f32> = rng.gaussian(n);
        let layer = QuantisedLinear::new(&w, &b, n, k);
        let exact = reference(&x, &w, &b, rows, n, k);
        let kernels = Int8Kernel::available();
        let first = layer.forward(&x, Epilogue::Bias, kernels[0]);
        for &kernel in &kernels[1..] {
            let other = layer.forward(&x, Epilogue::Bias, kernel);
            assert!(first == other, "{} and {} differ", kernels[0].name(), kernel.name());
        }
        // Relative error of the whole output: int8 on Gaussian data is within ~1%.
        let num: f64 = first.iter().zip(&exact).map(|(a, e)| ((a - e) as f64).powi(2)).sum();
        let den: f64 = exact.iter().map(|e| (*e as f64).powi(2)).sum();
        assert!((num / den).sqrt() < 0.02, "relative error {}", (num / den).sqrt());
    }

    #[test]
    fn epilogues_match_their_definitions() {
        let (rows, k, n) = (13, 40, 20);
        let mut rng = SplitMix64::new(3);
        let x: Vec<f32> = rng.gaussian(rows * k);
        let w: Vec<f32> = rng.gaussian(n * k);
        let b: Vec<f32> = rng.gaussian(n);
        let residual: Vec<f32> = rng.gaussian(rows * n);
        let layer = QuantisedLinear::new(&w, &b, n, k);
        for kernel in Int8Kernel::available() {
            let plain = layer.forward(&x, Epilogue::Bias, kernel);
            let gelu = layer.forward(&x, Epilogue::BiasGelu, kernel);
            let added = layer.forward(&x, Epilogue::BiasResidual(&residual), kernel);
            for i in 0..rows * n {
                let g = 0.5 * plain[i] * (1.0 + crate::kernels::erf(plain[i] * std::f32::consts::FRAC_1_SQRT_2));
                assert_eq!(gelu[i], g);
                assert_eq!(added[i], plain[i] + residual[i]);
            }
        }
    }

    #[test]
    fn rows_are_quantised_on_their_own() {
        // A row's output does not depend on the other rows it is computed with.
        let (k, n) = (64, 48);
        let mut rng = SplitMix64::new(11);
        let x: Vec<f32> = rng.gaussian(150 * k);
        let w: Vec<f32> = rng.gaussian(n * k);
        let layer = QuantisedLinear::new(&w, &vec![0.0; n], n, k);
        let kernel = Int8Kernel::detect();
        let all = layer.forward(&x, Epilogue::Bias, kernel);
        let one = layer.forward(&x[97 * k..98 * k], Epilogue::Bias, kernel);
        assert_eq!(&all[97 * n..98 * n], &one[..]);
    }

    #[test]
    fn zero_and_non_finite_rows() {
        let (k, n) = (8, 4);
        let w: Vec<f32> = (0..n * k).map(|i| i as f32 - 15.0).collect();
        let layer = QuantisedLinear::new(&w, &[1.0, 2.0, 3.0, 4.0], n, k);
        let mut x = vec![0f32; 3 * k];
        x[k] = f32::INFINITY;
        x[2 * k..].fill(0.5);
        for kernel in Int8Kernel::available() {
            let y = layer.forward(&x, Epilogue::Bias, kernel);
            assert_eq!(&y[..n], &[1.0, 2.0, 3.0, 4.0]);
            // A constant row is all shift and no levels: exact up to the weights' rounding.
            for c in 0..n {
                let exact: f32 = 1.0 + c as f32 + 0.5 * w[c * k..(c + 1) * k].iter().sum::<f32>();
                assert!((y[2 * n + c] - exact).abs() < 0.01 * exact.abs(), "{} vs {exact}", y[2 * n + c]);
            }
            assert!(y[n..2 * n].iter().all(|v| v.is_nan()));
        }
        assert!(layer.forward(&[], Epilogue::Bias, Int8Kernel::Portable).is_empty());
    }
}
