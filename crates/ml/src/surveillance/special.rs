//! Special functions for the surveillance statistics, written out so the project needs no
//! numerics crate: log-gamma (Lanczos, g = 7, nine coefficients: about 15 significant
//! digits), the regularised lower incomplete gamma function P(a, x) (its series below
//! a + 1, Lentz's continued fraction above, as Numerical Recipes gives them), the gamma
//! distribution's quantile by bisection on P, the normal quantile (Wichura's AS 241,
//! about 16 digits), and the regularised incomplete beta function behind Student's t.

const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln Γ(x) for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = LANCZOS[0];
    for (i, c) in LANCZOS.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// The regularised lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), for a > 0 and
/// x ≥ 0: the gamma distribution's CDF at x with shape a and rate 1.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let log_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Σ x^n / (a (a+1) ... (a+n)), until the terms stop counting.
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (sum.ln() + log_prefix).exp().min(1.0)
    } else {
        // Q(a, x) by Lentz's continued fraction.
        (1.0 - gamma_q(a, x)).max(0.0)
    }
}

/// The regularised upper incomplete gamma function Q(a, x) = 1 − P(a, x), computed directly
/// where P is near 1 so that small tails keep their digits.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < a + 1.0 {
        return 1.0 - gamma_p(a, x);
    }
    let log_prefix = a * x.ln() - x - ln_gamma(a);
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (h.ln() + log_prefix).exp().min(1.0)
}

/// The regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1: Lentz's
/// continued fraction on whichever side of the mean converges (Numerical Recipes' betacf).
pub fn beta_regularized(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let log_prefix = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        (log_prefix.exp() * beta_fraction(a, b, x) / a).min(1.0)
    } else {
        (1.0 - log_prefix.exp() * beta_fraction(b, a, 1.0 - x) / b).max(0.0)
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        for an in [m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))] {
            d = 1.0 + an * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: the two-sided p-value of a
/// coefficient's t statistic (R's 2 · pt(−|t|, df)).
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    beta_regularized(df / 2.0, 0.5, df / (df + t * t))
}

/// P(Z > z) for a standard normal Z.
pub fn normal_upper_tail(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    // P(|Z| > |z|) = Q(1/2, z²/2).
    let two_sided = gamma_q(0.5, z * z / 2.0);
    if z >= 0.0 {
        two_sided / 2.0
    } else {
        1.0 - two_sided / 2.0
    }
}

/// The `p` quantile of the gamma distribution with this shape and rate: the x with
/// P(shape, rate x) = p, found by bisection (P is increasing) to the last bits of x.
pub fn gamma_quantile(p: f64, shape: f64, rate: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    // An upper bracket: the mean plus enough standard deviations, doubled until above p.
    let mut hi = (shape + 10.0 * shape.sqrt() + 10.0).max(1.0);
    while gamma_p(shape, hi) < p {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..2_000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if gamma_p(shape, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi) / rate
}

/// The standard normal distribution's `p` quantile (Wichura 1988, AS 241, PPND16).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let value = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 {
        -value
    } else {
        value
    }
}

/// Σ coefficients[i] rⁱ.
fn poly(coefficients: &[f64; 8], r: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * r + c)
}

const A: [f64; 8] = [
    3.387_132_872_796_366_5,
    133.141_667_891_784_38,
    1_971.590_950_306_551_3,
    13_731.693_765_509_461,
    45_921.953_931_549_87,
    67_265.770_927_008_7,
    33_430.575_583_588_13,
    2_509.080_928_730_122_7,
];
const B: [f64; 8] = [
    1.0,
    42.313_330_701_600_91,
    687.187_007_492_057_9,
    5_394.196_021_424_751,
    21_213.794_301_586_597,
    39_307.895_800_092_71,
    28_729.085_735_721_943,
    5_226.495_278_852_545,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    0.241_780_725_177_450_6,
    0.022_723_844_989_269_184,
    7.745_450_142_783_414e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_759,
    1.676_384_830_183_803_8,
    0.689_767_334_985_1,
    0.148_103_976_427_480_08,
    0.015_198_666_563_616_457,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_9e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    0.296_560_571_828_504_9,
    0.026_532_189_526_576_124,
    0.001_242_660_947_388_078_4,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
const F: [f64; 8] = [
    1.0,
    0.599_832_206_555_888,
    0.136_929_880_922_735_8,
    0.014_875_361_290_850_615,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_446e-7,
    2.044_263_103_389_939_8e-15,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from SciPy 1.x (`special.gammaln`, `special.gammainc`,
    /// `stats.gamma.ppf`, `stats.norm.ppf`), an independent implementation.
    #[test]
    fn agree_with_an_independent_implementation() {
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1.0);
        assert!(close(ln_gamma(0.5), 0.5723649429247, 1e-13), "{}", ln_gamma(0.5));
        assert!(close(ln_gamma(10.3), 13.482036786138359, 1e-13));
        assert!(close(ln_gamma(1.0), 0.0, 1e-14) && close(ln_gamma(2.0), 0.0, 1e-14));
        assert!(close(gamma_p(3.5, 2.0), 0.22022259152428406, 1e-13), "{}", gamma_p(3.5, 2.0));
        assert!(close(gamma_p(0.7, 5.0), 0.9969537579688733, 1e-13), "{}", gamma_p(0.7, 5.0));
        assert!(close(normal_quantile(0.975), 1.959963984540054, 1e-14));
        assert!(close(normal_quantile(1e-6), -4.753424308822899, 1e-14));
        assert_eq!(normal_quantile(0.5), 0.0);
        // log2 of the gamma quantiles behind IC025/IC975 (shape O + 0.5, rate E + 0.5).
        let q = gamma_quantile(0.025, 3.5, 1.0).log2();
        assert!(close(q, -0.24308843378431363, 1e-10), "{q}");
        let q = gamma_quantile(0.975, 50.5, 40.5).log2();
        assert!(close(q, 0.6902621117488963, 1e-10), "{q}");
        // `special.betainc` and `2 * stats.t.sf`.
        assert!(close(beta_regularized(2.5, 0.5, 0.3), 0.018927124071945658, 1e-13));
        assert!(close(beta_regularized(3.0, 7.0, 0.9), 0.999997002, 1e-13));
        assert!(close(student_t_two_sided(2.1, 17.0), 0.05095984722913399, 1e-12));
        assert!(close(student_t_two_sided(-0.3, 250.0), 0.7644264490160496, 1e-12));
        assert!(close(student_t_two_sided(8.0, 3.0), 0.004076577587785466, 1e-12));
    }
}
