//! Self-attention on the CPU over each text's own tokens only.
//!
//! A batch is padded to its longest text, and attention through candle's generic ops
//! computes scores, softmax and the weighted sum over the padding too, with reductions
//! whose length (and so whose rounding) depends on what else is in the batch. Here each
//! text attends over its real tokens and nothing else: no work on padding, and a text's
//! vector does not depend on its batch, bit for bit. Every sum runs in a fixed order of
//! lanes written out below, so the result is also the same whatever the vector width the
//! compiler picks.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};
use rayon::prelude::*;

/// Multi-head attention for a (batch * seq, 3 * hidden) tensor of stacked query, key and
/// value projections, returning the (batch * seq, hidden) context. `lengths[b]` is text b's
/// number of real tokens (its attention mask is that many ones, then zeros); rows past it
/// come out as zeros.
pub fn attend(qkv: &Tensor, lengths: &[usize], heads: usize, head_dim: usize) -> candle_core::Result<Tensor> {
    qkv.contiguous()?.apply_op1_no_bwd(&Attention {
        lengths: lengths.to_vec(),
        heads,
        head_dim,
    })
}

struct Attention {
    lengths: Vec<usize>,
    heads: usize,
    head_dim: usize,
}

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "var-len-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets()) else {
            candle_core::bail!("attention needs a contiguous f32 tensor")
        };
        let hidden = self.heads * self.head_dim;
        let (rows, width) = layout.shape().dims2()?;
        let batch = self.lengths.len();
        if width != 3 * hidden || batch == 0 || rows % batch != 0 {
            candle_core::bail!("attention: shape ({rows}, {width}) does not fit {batch} texts of {} heads", self.heads)
        }
        let seq = rows / batch;
        if self.lengths.iter().any(|&l| l > seq) {
            candle_core::bail!("attention: a text is longer than its batch's {seq} tokens")
        }
        let qkv = &data[start..end];
        let mut out = vec![0f32; rows * hidden];
        let scale = 1.0 / (self.head_dim as f32).sqrt();
        out.par_chunks_mut(seq * hidden)
            .zip(self.lengths.par_iter())
            .enumerate()
            .for_each(|(b, (context, &length))| {
                let rows = &qkv[b * seq * width..(b * seq + length) * width];
                one_text_dispatch(rows, length, self.heads, self.head_dim, scale, context);
            });
        Ok((CpuStorage::F32(out), Shape::from((rows, hidden))))
    }
}

/// [`one_text`] compiled for the widest vectors this CPU has. The loops vectorise across
/// independent outputs only (never across a sum), so every width gives the same bits.
fn one_text_dispatch(rows: &[f32], length: usize, heads: usize, head_dim: usize, scale: f32, context: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn avx512(rows: &[f32], length: usize, heads: usize, head_dim: usize, scale: f32, context: &mut [f32]) {
            one_text(rows, length, heads, head_dim, scale, context)
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(rows: &[f32], length: usize, heads: usize, head_dim: usize, scale: f32, context: &mut [f32]) {
            one_text(rows, length, heads, head_dim, scale, context)
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the features just checked.
            return unsafe { avx512(rows, length, heads, head_dim, scale, context) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            return unsafe { avx2(rows, length, heads, head_dim, scale, context) };
        }
    }
    one_text(rows, length, heads, head_dim, scale, context)
}

/// Attention for one text of `length` tokens: `rows` holds its stacked projections,
/// `context` receives its `length` (and more, left zero) rows of `heads * head_dim`.
#[inline(always)]
fn one_text(rows: &[f32], length: usize, heads: usize, head_dim: usize, scale: f32, context: &mut [f32]) {
    let hidden = heads * head_dim;
    let width = 3 * hidden;
    // Keys run to a whole number of 16-wide blocks (zeros past the text), so the score
    // loops have no ragged ends.
    let padded = length.div_ceil(KEYS) * KEYS;
    let mut keys_t = vec![0f32; head_dim * padded];
    let mut scores = vec![0f32; QUERIES * padded];
    let mut queries = vec![0f32; QUERIES * head_dim];
    for h in 0..heads {
        // Keys of this head transposed (dimension-major), so scores against 16 keys at a
        // time are sums of 16-wide rows scaled by one number.
        for (t, row) in rows.chunks_exact(width).enumerate() {
            let key = &row[hidden + h * head_dim..hidden + (h + 1) * head_dim];
            for (d, &k) in key.iter().enumerate() {
                keys_t[d * padded + t] = k;
            }
        }
        for first in (0..length).step_by(QUERIES) {
            let group = QUERIES.min(length - first);
            // The group's queries, pre-scaled; a short group repeats its last query.
            for g in 0..QUERIES {
                let i = first + g.min(group - 1);
                let query = &rows[i * width + h * head_dim..i * width + (h + 1) * head_dim];
                for (q, &v) in queries[g * head_dim..(g + 1) * head_dim].iter_mut().zip(query) {
                    *q = v * scale;
                }
            }
            group_scores(&queries, head_dim, &keys_t, padded, &mut scores);
            for g in 0..group {
                let i = first + g;
                let weights = &mut scores[g * padded..g * padded + length];
                softmax(weights);
                let out = &mut context[i * hidden + h * head_dim..i * hidden + (h + 1) * head_dim];
                let values = 2 * hidden + h * head_dim;
                match head_dim {
                    32 => weighted_sum::<32>(weights, rows, values, width, out),
                    64 => weighted_sum::<64>(weights, rows, values, width, out),
                    _ => {
                        for (t, &p) in weights.iter().enumerate() {
                            let value = &rows[t * width + values..t * width + values + head_dim];
                            for (o, &v) in out.iter_mut().zip(value) {
                                *o += p * v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Queries scored together (their key loads shared) and keys per block.
const QUERIES: usize = 4;
const KEYS: usize = 16;

/// `scores[g][t] = sum over d of queries[g][d] * keys_t[d][t]` for the `QUERIES` queries
/// and every key, summed over d in order (the order the one-query loop used), with the
/// 4 x 16 sums of a block held in registers while d runs.
#[inline(always)]
fn group_scores(queries: &[f32], head_dim: usize, keys_t: &[f32], padded: usize, scores: &mut [f32]) {
    for first in (0..padded).step_by(KEYS) {
        let mut sums = [[0f32; KEYS]; QUERIES];
        for d in 0..head_dim {
            let Some(keys) = keys_t.get(d * padded + first..d * padded + first + KEYS) else {
                return;
            };
            let keys: &[f32; KEYS] = keys.try_into().unwrap_or(&[0.0; KEYS]);
            for (g, row) in sums.iter_mut().enumerate() {
                let q = queries[g * head_dim + d];
                for c in 0..KEYS {
                    row[c] += q * keys[c];
                }
            }
        }
        for (g, row) in sums.iter().enumerate() {
            scores[g * padded + first..g * padded + first + KEYS].copy_from_slice(row);
        }
    }
}

/// `out = sum over t of weights[t] * (row t's values)`, for the common head sizes: the sum
/// stays in registers instead of going through memory once per token. The same order of
/// additions as the general loop.
#[inline(always)]
fn weighted_sum<const D: usize>(weights: &[f32], rows: &[f32], at: usize, width: usize, out: &mut [f32]) {
    let mut sum = [0f32; D];
    for (t, &p) in weights.iter().enumerate() {
        let Some(value) = rows.get(t * width + at..t * width + at + D) else {
            return;
        };
        for d in 0..D {
            sum[d] += p * value[d];
        }
    }
    out.copy_from_slice(&sum);
}

/// In place. The exponentials first (a loop that vectorises), then their sum over eight
/// interleaved partial sums folded in a fixed order.
#[inline(always)]
fn softmax(x: &mut [f32]) {
    let most = x.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for v in x.iter_mut() {
        *v = exp(*v - most);
    }
    let mut lanes = [0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    for (l, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *l += v;
    }
    let total = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
    let inverse = 1.0 / total;
    x.iter_mut().for_each(|v| *v *= inverse);
}

/// e^x for x <= 0 (what softmax needs) to about 2 ulp, with plain arithmetic that
/// vectorises: x = n ln 2 + r, e^r by its degree-6 Taylor polynomial on |r| <= ln2/2,
/// 2^n through the exponent bits. Below -87 the result is 0.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so n * LN2_HI is exact for the n that occur.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    const ROUND: f32 = 12_582_912.0;
    let x = if x < -87.0 { -87.0 } else { x };
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // n is a whole number in [-126, 0]: its integer value sits in the low bits of n + ROUND.
    let n_int = (n + ROUND).to_bits().wrapping_sub(ROUND.to_bits());
    let bits = n_int.wrapping_add(127) << 23;
    let e = p * f32::from_bits(bits);
    if x <= -87.0 {
        0.0
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn exp_is_close_to_std() {
        let mut worst = 0f32;
        // Down to where e^x nears the smallest normal float; below -87 it is 0.
        for i in 0..=86_000 {
            let x = -(i as f32) / 1000.0;
            let want = x.exp();
            worst = worst.max(((exp(x) - want) / want).abs());
        }
        assert!(worst < 5e-7, "relative error {worst}");
        assert_eq!(exp(-200.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
    }

    /// Against the textbook formula in f64 over padded rows, and unaffected by padding.
    #[test]
    fn matches_reference_and_ignores_padding() {
        let (heads, head_dim, seq) = (3, 8, 7);
        let hidden = heads * head_dim;
        let lengths = [7usize, 4, 1];
        let mut rng = SplitMix64::new(5);
        let data: Vec<f32> = rng.gaussian(lengths.len() * seq * 3 * hidden);
        let qkv = Tensor::from_vec(data.clone(), (lengths.len() * seq, 3 * hidden), &candle_core::Device::Cpu).unwrap();
        let got = attend(&qkv, &lengths, heads, head_dim).unwrap().to_vec2::<f32>().unwrap();
        for (b, &length) in lengths.iter().enumerate() {
            for h in 0..heads {
                for i in 0..length {
                    let row = |t: usize, part: usize| {
                        let at = (b * seq + t) * 3 * hidden + part * hidden + h * head_dim;
                        &data[at..at + head_dim]
                    };
                    let scores: Vec<f64> = (0..length)
                        .map(|j| {
                            row(i, 0).iter().zip(row(j, 1)).map(|(q, k)| *q as f64 * *k as f64).sum::<f64>()
                                / (head_dim as f64).sqrt()
                        })
                        .collect();
                    let most = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let weights: Vec<f64> = scores.iter().map(|s| (s - most).exp()).collect();
                    let total: f64 = weights.iter().sum();
                    for d in 0..head_dim {
                        let want: f64 = (0..length).map(|j| weights[j] / total * row(j, 2)[d] as f64).sum();
                        let have = got[b * seq + i][h * head_dim + d] as f64;
                        assert!((want - have).abs() < 1e-5, "{want} vs {have}");
                    }
                }
            }
            for i in length..seq {
                assert!(got[b * seq + i].iter().all(|&v| v == 0.0));
            }
        }
        // Text 1 alone, without the others and with less padding: the same bits.
        let alone = Tensor::from_vec(
            data[seq * 3 * hidden..(seq + 5) * 3 * hidden].to_vec(),
            (5, 3 * hidden),
            &candle_core::Device::Cpu,
        )
        .unwrap();
        let alone = attend(&alone, &[4], heads, head_dim).unwrap().to_vec2::<f32>().unwrap();
        for i in 0..4 {
            assert_eq!(alone[i], got[seq + i]);
        }
    }

    #[test]
    fn rejects_shapes_that_do_not_fit() {
        let qkv = Tensor::zeros((6, 18), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
        assert!(attend(&qkv, &[3, 3], 2, 3).is_ok());
        assert!(attend(&qkv, &[4, 3], 2, 3).is_err(), "longer than the batch");
        assert!(attend(&qkv, &[3, 3, 3, 3], 2, 3).is_err(), "rows not a multiple of texts");
        assert!(attend(&qkv, &[3, 3], 3, 3).is_err(), "width");
        assert!(attend(&qkv, &[], 2, 3).is_err());
    }
}
