//! AVX-512 versions of the per-row work around the int8 products: quantising a row and
//! finishing a block of 16 outputs. Each does the same IEEE operations in the same order
//! as its portable twin in `int8` (no fused multiply-adds), lane by lane, so the vectors
//! are bit-identical whichever runs; the tests compare them.

use super::kernels::BLOCK;
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

const ROUNDING: f32 = super::rounding::ROUNDING;

/// As `int8::quantise_row`.
///
/// # Safety
/// The CPU must have AVX-512F; `out` must be at least as long as `x`.
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) unsafe fn quantise_row(x: &[f32], out: &mut [u8], offset: bool) -> (f32, f32) {
    let n = x.len();
    let full = n / 16 * 16;
    let tail: __mmask16 = ((1u32 << (n - full)) - 1) as __mmask16;
    let exponent = _mm512_set1_epi32(0x7f80_0000);
    let mut low = _mm512_set1_ps(f32::INFINITY);
    let mut high = _mm512_set1_ps(f32::NEG_INFINITY);
    let mut bad: __mmask16 = 0;
    let p = x.as_ptr();
    let mut i = 0;
    while i < full {
        let v = _mm512_loadu_ps(p.add(i));
        low = _mm512_min_ps(low, v);
        high = _mm512_max_ps(high, v);
        bad |= _mm512_cmpeq_epi32_mask(_mm512_and_si512(_mm512_castps_si512(v), exponent), exponent);
        i += 16;
    }
    if tail != 0 {
        let v_low = _mm512_mask_loadu_ps(_mm512_set1_ps(f32::INFINITY), tail, p.add(full));
        let v_high = _mm512_mask_loadu_ps(_mm512_set1_ps(f32::NEG_INFINITY), tail, p.add(full));
        low = _mm512_min_ps(low, v_low);
        high = _mm512_max_ps(high, v_high);
        let bits = _mm512_and_si512(_mm512_castps_si512(v_low), exponent);
        bad |= _mm512_mask_cmpeq_epi32_mask(tail, bits, exponent);
    }
    let (low, high) = (_mm512_reduce_min_ps(low), _mm512_reduce_max_ps(high));
    let (middle, half, shift) =
        match super::rounding::row_range(low, high, n > 0 && bad == 0, offset, out) {
            Ok(range) => range,
            Err(done) => return done,
        };
    let inverse = 127.0 / half;
    let (vm, vi) = (_mm512_set1_ps(middle), _mm512_set1_ps(inverse));
    let (lo, hi) = (_mm512_set1_ps(-127.0), _mm512_set1_ps(127.0));
    let rounding = _mm512_set1_ps(ROUNDING);
    let bias = _mm512_set1_epi32(ROUNDING.to_bits() as i32 - shift as i32);
    let q = out.as_mut_ptr();
    let one = |v: __m512| -> __m128i {
        let scaled = _mm512_mul_ps(_mm512_sub_ps(v, vm), vi);
        let clamped = _mm512_max_ps(_mm512_min_ps(scaled, hi), lo);
        let bits = _mm512_castps_si512(_mm512_add_ps(clamped, rounding));
        // bits - ROUNDING's bits is the rounded value; + shift in the same subtraction.
        _mm512_cvtepi32_epi8(_mm512_sub_epi32(bits, bias))
    };
    let mut i = 0;
    while i < full {
        _mm_storeu_si128(q.add(i) as *mut __m128i, one(_mm512_loadu_ps(p.add(i))));
        i += 16;
    }
    if tail != 0 {
        let v = _mm512_maskz_loadu_ps(tail, p.add(full));
        _mm_mask_storeu_epi8(q.add(full) as *mut i8, tail, one(v));
    }
    out[n..].fill(shift);
    (half / 127.0, middle)
}

/// The per-block constants of a layer, as `int8::QuantisedLinear::finish` reads them.
pub(super) struct BlockConstants<'a> {
    pub scales: &'a [f32; BLOCK],
    pub offsets: Option<&'a [i32; BLOCK]>,
    pub weight_sums: &'a [f32; BLOCK],
    pub bias: &'a [f32; BLOCK],
}

/// As `int8::QuantisedLinear::finish` for one whole block, then plus `residual` if given,
/// written to `dst`.
///
/// # Safety
/// The CPU must have AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn finish_block(
    sums: &[i32; BLOCK],
    k: &BlockConstants,
    (row_scale, row_shift): (f32, f32),
    gelu: bool,
    residual: Option<&[f32; BLOCK]>,
    dst: &mut [MaybeUninit<f32>; BLOCK],
) {
    let mut exact = _mm512_loadu_si512(sums.as_ptr() as *const _);
    if let Some(offsets) = k.offsets {
        exact = _mm512_sub_epi32(exact, _mm512_loadu_si512(offsets.as_ptr() as *const _));
    }
    let scale = _mm512_mul_ps(_mm512_set1_ps(row_scale), _mm512_loadu_ps(k.scales.as_ptr()));
    let constant = _mm512_add_ps(
        _mm512_mul_ps(_mm512_set1_ps(row_shift), _mm512_loadu_ps(k.weight_sums.as_ptr())),
        _mm512_loadu_ps(k.bias.as_ptr()),
    );
    let mut v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(exact), scale), constant);
    if gelu {
        v = gelu_erf(v);
    }
    if let Some(r) = residual {
        v = _mm512_add_ps(v, _mm512_loadu_ps(r.as_ptr()));
    }
    _mm512_storeu_ps(dst.as_mut_ptr() as *mut f32, v);
}

/// `0.5 * v * (1 + erf(v / sqrt 2))` with `kernels::erf`'s polynomial, step for step.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn gelu_erf(v: __m512) -> __m512 {
    let x = _mm512_mul_ps(v, _mm512_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
    let x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(4.0)), _mm512_set1_ps(-4.0));
    let x2 = _mm512_mul_ps(x, x);
    let (a, b) = crate::kernels::ERF_COEFFICIENTS;
    let mut p = _mm512_set1_ps(a[0]);
    for &c in &a[1..] {
        p = _mm512_add_ps(_mm512_mul_ps(p, x2), _mm512_set1_ps(c));
    }
    let mut q = _mm512_set1_ps(b[0]);
    for &c in &b[1..] {
        q = _mm512_add_ps(_mm512_mul_ps(q, x2), _mm512_set1_ps(c));
    }
    let erf = _mm512_div_ps(_mm512_mul_ps(x, p), q);
    let half_v = _mm512_mul_ps(_mm512_set1_ps(0.5), v);
    _mm512_mul_ps(half_v, _mm512_add_ps(_mm512_set1_ps(1.0), erf))
}
