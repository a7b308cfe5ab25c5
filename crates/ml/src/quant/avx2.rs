//! AVX2 versions of the per-row work around the int8 products (as `avx512` for CPUs
//! without AVX-512): the same IEEE operations in the same order as the portable twins in
//! `int8`, lane by lane, so the vectors are bit-identical whichever runs.

use super::avx512::BlockConstants;
use super::kernels::BLOCK;
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

const ROUNDING: f32 = super::rounding::ROUNDING;

/// As `int8::quantise_row`: signed bytes for the AVX2 kernel, offset by 128 for AVX-VNNI.
///
/// # Safety
/// The CPU must have AVX2; `out` must be at least as long as `x`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn quantise_row(x: &[f32], out: &mut [u8], offset: bool) -> (f32, f32) {
    let n = x.len();
    let full = n / 8 * 8;
    let exponent = _mm256_set1_epi32(0x7f80_0000);
    let mut low = _mm256_set1_ps(f32::INFINITY);
    let mut high = _mm256_set1_ps(f32::NEG_INFINITY);
    let mut bad = _mm256_setzero_si256();
    let p = x.as_ptr();
    let mut i = 0;
    while i < full {
        let v = _mm256_loadu_ps(p.add(i));
        low = _mm256_min_ps(low, v);
        high = _mm256_max_ps(high, v);
        let bits = _mm256_and_si256(_mm256_castps_si256(v), exponent);
        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(bits, exponent));
        i += 8;
    }
    let mut lows = [0f32; 8];
    let mut highs = [0f32; 8];
    _mm256_storeu_ps(lows.as_mut_ptr(), low);
    _mm256_storeu_ps(highs.as_mut_ptr(), high);
    let mut low = lows.iter().fold(f32::INFINITY, |m, &v| if v < m { v } else { m });
    let mut high = highs.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    let mut non_finite = _mm256_movemask_epi8(bad) != 0;
    for &v in &x[full..] {
        low = if v < low { v } else { low };
        high = if v > high { v } else { high };
        non_finite |= (v.to_bits() & 0x7f80_0000) == 0x7f80_0000;
    }
    let (middle, half, shift) =
        match super::rounding::row_range(low, high, n > 0 && !non_finite, offset, out) {
            Ok(range) => range,
            Err(done) => return done,
        };
    let shift_bytes = _mm_set1_epi8(shift as i8);
    let inverse = 127.0 / half;
    let (vm, vi) = (_mm256_set1_ps(middle), _mm256_set1_ps(inverse));
    let (lo, hi) = (_mm256_set1_ps(-127.0), _mm256_set1_ps(127.0));
    let rounding = _mm256_set1_ps(ROUNDING);
    let rounding_bits = _mm256_set1_epi32(ROUNDING.to_bits() as i32);
    let q = out.as_mut_ptr();
    let mut i = 0;
    while i < full {
        let v = _mm256_loadu_ps(p.add(i));
        let scaled = _mm256_mul_ps(_mm256_sub_ps(v, vm), vi);
        let clamped = _mm256_max_ps(_mm256_min_ps(scaled, hi), lo);
        let whole = _mm256_sub_epi32(_mm256_castps_si256(_mm256_add_ps(clamped, rounding)), rounding_bits);
        // Eight i32 in [-127, 127] to eight bytes: the packs keep each 128-bit half's four.
        let words = _mm256_packs_epi32(whole, whole);
        let bytes = _mm256_packs_epi16(words, words);
        let joined = _mm_unpacklo_epi32(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256::<1>(bytes));
        let joined = _mm_add_epi8(joined, shift_bytes);
        _mm_storel_epi64(q.add(i) as *mut __m128i, joined);
        i += 8;
    }
    for (o, &v) in out[full..n].iter_mut().zip(&x[full..]) {
        *o = (super::rounding::quantise(v - middle, inverse) as u8).wrapping_add(shift);
    }
    out[n..].fill(shift);
    (half / 127.0, middle)
}

/// As `avx512::finish_block`, in two halves of eight.
///
/// # Safety
/// The CPU must have AVX2.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn finish_block(
    sums: &[i32; BLOCK],
    k: &BlockConstants,
    (row_scale, row_shift): (f32, f32),
    gelu: bool,
    residual: Option<&[f32; BLOCK]>,
    dst: &mut [MaybeUninit<f32>; BLOCK],
) {
    for half in 0..2 {
        let at = half * 8;
        let mut exact = _mm256_loadu_si256(sums.as_ptr().add(at) as *const __m256i);
        if let Some(offsets) = k.offsets {
            exact = _mm256_sub_epi32(exact, _mm256_loadu_si256(offsets.as_ptr().add(at) as *const __m256i));
        }
        let scale = _mm256_mul_ps(_mm256_set1_ps(row_scale), _mm256_loadu_ps(k.scales.as_ptr().add(at)));
        let constant = _mm256_add_ps(
            _mm256_mul_ps(_mm256_set1_ps(row_shift), _mm256_loadu_ps(k.weight_sums.as_ptr().add(at))),
            _mm256_loadu_ps(k.bias.as_ptr().add(at)),
        );
        let mut v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(exact), scale), constant);
        if gelu {
            v = gelu_erf(v);
        }
        if let Some(r) = residual {
            v = _mm256_add_ps(v, _mm256_loadu_ps(r.as_ptr().add(at)));
        }
        _mm256_storeu_ps((dst.as_mut_ptr() as *mut f32).add(at), v);
    }
}

/// As `avx512::gelu_erf`, eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn gelu_erf(v: __m256) -> __m256 {
    let x = _mm256_mul_ps(v, _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2));
    let x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(4.0)), _mm256_set1_ps(-4.0));
    let x2 = _mm256_mul_ps(x, x);
    let (a, b) = crate::kernels::ERF_COEFFICIENTS;
    let mut p = _mm256_set1_ps(a[0]);
    for &c in &a[1..] {
        p = _mm256_add_ps(_mm256_mul_ps(p, x2), _mm256_set1_ps(c));
    }
    let mut q = _mm256_set1_ps(b[0]);
    for &c in &b[1..] {
        q = _mm256_add_ps(_mm256_mul_ps(q, x2), _mm256_set1_ps(c));
    }
    let erf = _mm256_div_ps(_mm256_mul_ps(x, p), q);
    let half_v = _mm256_mul_ps(_mm256_set1_ps(0.5), v);
    _mm256_mul_ps(half_v, _mm256_add_ps(_mm256_set1_ps(1.0), erf))
}
