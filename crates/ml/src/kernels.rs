//! The error function behind exact-form GELU. A profile of the encoder on two cores put
//! 15-20% of the time in scalar libm `erff`; the rational approximation below has no exp
//! and vectorises, with an error far below what changes a sentence vector (checked against
//! f64 erf in the tests, and by the parity test). The fused training ops, the int8
//! epilogues and their vectorised copies all use it, so they compute one function.

/// The numerator's (odd) and denominator's (even) coefficients of [`erf`], highest power
/// first; shared with the vectorised copies so they stay the same function.
pub const ERF_COEFFICIENTS: ([f32; 7], [f32; 5]) = (
    [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_600e-3,
        -1.609_603_3e-2,
    ],
    [
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329e-3,
        -1.426_474e-2,
    ],
);

/// erf(x) for f32 as a rational function of odd degree 13 over even degree 12, on x
/// clamped to [-4, 4] (where erf is 1 to f32 precision). The coefficients are those of
/// Eigen's `generic_fast_erf_float`; max abs error about 1e-7. Plain `*` and `+` rather
/// than `mul_add`: without the FMA target feature `mul_add` is a slow library call.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let (a, b) = ERF_COEFFICIENTS;
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = a[0];
    for c in &a[1..] {
        p = p * x2 + c;
    }
    let mut q = b[0];
    for c in &b[1..] {
        q = q * x2 + c;
    }
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_f64_reference() {
        // Reference: erf through the complementary error function's relation to the normal
        // CDF is not in std, so compare with a high-order Taylor series near 0 and with the
        // known saturation far out, plus the odd symmetry.
        fn erf64(x: f64) -> f64 {
            // Series converges for |x| <= 3 with enough terms in f64.
            let mut sum = 0.0;
            let mut term = x;
            let mut n = 0.0;
            while term.abs() > 1e-17 || n < 5.0 {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -x * x / n;
                if n > 200.0 {
                    break;
                }
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        }
        let mut worst = 0f64;
        for i in -3000..=3000 {
            let x = i as f64 / 1000.0;
            worst = worst.max((erf(x as f32) as f64 - erf64(x)).abs());
            assert_eq!(erf(-(x as f32)), -erf(x as f32));
        }
        assert!(worst < 5e-7, "max error {worst}");
        assert!((erf(5.0) - 1.0).abs() < 1e-6 && (erf(-9.0) + 1.0).abs() < 1e-6);
    }
}
