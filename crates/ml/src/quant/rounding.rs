//! Rounding to the nearest integer with plain float adds, and what a row's range makes of
//! its quantisation, shared by the portable int8 code and its vectorised twins so every
//! path rounds and decides alike.

/// Adding 1.5 x 2^23 to a float below 2^22 in magnitude leaves round-half-even(x) in the
/// low mantissa bits: rounding with plain adds, which vectorise on every x86-64 CPU (the
/// `round` function is a library call without SSE4.1) and round the same everywhere.
pub(super) const ROUNDING: f32 = 12_582_912.0;

/// `x * inverse` clamped to [-127, 127] and rounded half to even.
#[inline(always)]
pub(super) fn quantise(x: f32, inverse: f32) -> i8 {
    let scaled = (x * inverse).clamp(-127.0, 127.0);
    ((scaled + ROUNDING).to_bits() as i32).wrapping_sub(ROUNDING.to_bits() as i32) as i8
}

/// How a row of activations with values in [`low`, `high`] is quantised: `Ok((middle, half,
/// shift))` to quantise `(v - middle) * 127 / half` and store it plus `shift` (128 for the
/// kernels that take unsigned rows), or `Err((scale, shift))` to return at once, `out`
/// already filled: an empty or non-finite row (`valid` false) gives NaN, as the f32 path
/// would, and a constant row gives zeros around its value.
#[inline(always)]
pub(super) fn row_range(
    low: f32,
    high: f32,
    valid: bool,
    offset: bool,
    out: &mut [u8],
) -> Result<(f32, f32, u8), (f32, f32)> {
    let shift = if offset { 128u8 } else { 0 };
    if !valid {
        out.fill(shift);
        return Err((f32::NAN, f32::NAN));
    }
    let middle = 0.5 * low + 0.5 * high;
    let half = 0.5 * high - 0.5 * low;
    if half == 0.0 {
        out.fill(shift);
        return Err((0.0, middle));
    }
    Ok((middle, half, shift))
}
