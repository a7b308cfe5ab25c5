//! Rounding to the nearest integer with plain float adds, shared by the portable int8 code
//! and its vectorised twins so every path rounds alike.

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
