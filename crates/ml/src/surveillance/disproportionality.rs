//! Where a cluster is over-represented: a cluster's reports in one place (a care setting,
//! specialty, location or organisation) against what its share of all reports would give
//! there, as pharmacovigilance screens drug-event pairs.
//!
//! - The information component (Norén et al. 2006, 2013): IC = log2((O + ½) / (E + ½)),
//!   E = (cluster's reports × place's reports) / all reports, with its credibility
//!   interval the log2 quantiles of Gamma(O + ½, rate E + ½). A signal is IC025 > 0 with at
//!   least three reports, the WHO-UMC's screening rule.
//! - The proportional reporting ratio (Evans et al. 2001) and the reporting odds ratio,
//!   each with its Wald interval on the log scale.

use super::special::{gamma_quantile, normal_quantile};
use serde::{Deserialize, Serialize};

/// The 2×2 table of one cluster against one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The cluster's reports in the place (a).
    pub both: u64,
    /// The cluster's reports elsewhere (b).
    pub cluster_elsewhere: u64,
    /// Other clusters' reports in the place (c).
    pub place_otherwise: u64,
    /// Everything else (d).
    pub neither: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Disproportion {
    pub observed: u64,
    pub expected: f64,
    /// IC with its credibility interval at the level asked (IC025, IC975 at 0.95).
    pub ic: Interval,
    /// None where the ratio or its interval is undefined (an empty cell it divides by).
    pub prr: Option<Interval>,
    pub ror: Option<Interval>,
    /// IC's lower bound above 0 with at least `MIN_OBSERVED` reports.
    pub signal: bool,
}

/// The fewest reports a signal rests on.
pub const MIN_OBSERVED: u64 = 3;

/// The measures of `t` with intervals at `level` (0.95 gives IC025 and the 95% intervals).
pub fn disproportion(t: &Table, level: f64) -> Result<Disproportion, String> {
    if !(level > 0.0 && level < 1.0) {
        return Err(format!("the interval's level must be between 0 and 1, not {level}"));
    }
    let (a, b, c, d) = (t.both as f64, t.cluster_elsewhere as f64, t.place_otherwise as f64, t.neither as f64);
    let n = a + b + c + d;
    if n == 0.0 {
        return Err("the table is empty".into());
    }
    let tail = (1.0 - level) / 2.0;
    let expected = (a + b) * (a + c) / n;
    let (shape, rate) = (a + 0.5, expected + 0.5);
    let ic = Interval {
        value: (shape / rate).log2(),
        low: gamma_quantile(tail, shape, rate).log2(),
        high: gamma_quantile(1.0 - tail, shape, rate).log2(),
    };
    let z = normal_quantile(1.0 - tail);
    let wald = |ratio: f64, se: f64| Interval {
        value: ratio,
        low: ratio * (-z * se).exp(),
        high: ratio * (z * se).exp(),
    };
    let prr = (a > 0.0 && c > 0.0).then(|| {
        let ratio = (a / (a + b)) / (c / (c + d));
        wald(ratio, (1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d)).sqrt())
    });
    let ror = (a > 0.0 && b > 0.0 && c > 0.0 && d > 0.0)
        .then(|| wald(a * d / (b * c), (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt()));
    Ok(Disproportion {
        observed: t.both,
        expected,
        ic,
        prr,
        ror,
        signal: ic.low > 0.0 && t.both >= MIN_OBSERVED,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    /// By hand: a = 3, b = 17, c = 47, d = 933 (N = 1000): E = 20 × 50 / 1000 = 1.0;
    /// IC = log2(3.5 / 1.5); PRR = (3/20) / (47/980) = 3.12766, SE² = 1/3 − 1/20 + 1/47 −
    /// 1/980; ROR = 3 × 933 / (17 × 47) = 3.50313, SE² = 1/3 + 1/17 + 1/47 + 1/933. The
    /// interval ends were checked with SciPy's gamma and normal quantiles.
    #[test]
    fn three_reports_against_an_expected_one() {
        let t = Table { both: 3, cluster_elsewhere: 17, place_otherwise: 47, neither: 933 };
        let m = disproportion(&t, 0.95).unwrap();
        assert!(close(m.expected, 1.0));
        assert!(close(m.ic.value, (3.5f64 / 1.5).log2()));
        let prr = m.prr.unwrap();
        assert!(close(prr.value, 3.127659574468085) && close(prr.low, 1.0622244488544674) && close(prr.high, 9.209216022387114), "{prr:?}");
        let ror = m.ror.unwrap();
        assert!(close(ror.value, 3.5031289111389237) && close(ror.low, 0.9918244939174305) && close(ror.high, 12.373068262900775), "{ror:?}");
        // IC025 = log2 of Gamma(3.5, rate 1.5)'s 2.5% quantile: below 0, so no signal yet.
        assert!(m.ic.low < 0.0 && !m.signal, "{m:?}");
    }

    /// IC's interval against SciPy for small and larger counts (O = 3 with a small E, the
    /// case the screening rule is about), and the rule's two halves.
    #[test]
    fn ic_interval_and_the_screening_rule() {
        // O = 3, E = 0.5 needs a table with that expectation: (a+b)(a+c)/N = 0.5.
        let t = Table { both: 3, cluster_elsewhere: 7, place_otherwise: 2, neither: 88 };
        let m = disproportion(&t, 0.95).unwrap();
        assert!(close(m.expected, 0.5));
        assert!(close(m.ic.value, 1.8073549220576042));
        assert!((m.ic.low - -0.24308843378431363).abs() < 1e-9 && (m.ic.high - 3.0011504758868166).abs() < 1e-9, "{:?}", m.ic);
        assert!(!m.signal);
        // O = 10, E = 2.5: IC025 0.777 > 0, a signal.
        let t = Table { both: 10, cluster_elsewhere: 15, place_otherwise: 0, neither: 75 };
        let m = disproportion(&t, 0.95).unwrap();
        assert!(close(m.expected, 2.5));
        assert!((m.ic.low - 0.7772124761453238).abs() < 1e-9 && m.signal, "{m:?}");
        // No report of the place outside the cluster: PRR divides by zero, ROR too.
        assert!(m.prr.is_none() && m.ror.is_none());
        // Far above expectation, three reports are a signal and two are not: IC's shrinkage
        // already keeps two below 0 at 95%; at a looser level only the rule does.
        let three = Table { both: 3, cluster_elsewhere: 0, place_otherwise: 0, neither: 10_000 };
        assert!(disproportion(&three, 0.95).unwrap().signal);
        let two = Table { both: 2, ..three };
        let m = disproportion(&two, 0.95).unwrap();
        assert!(m.ic.low < 0.0 && !m.signal, "{m:?}");
        let m = disproportion(&two, 0.5).unwrap();
        assert!(m.ic.low > 0.0 && !m.signal, "{m:?}");
    }

    #[test]
    fn bad_input_is_refused() {
        let empty = Table { both: 0, cluster_elsewhere: 0, place_otherwise: 0, neither: 0 };
        assert!(disproportion(&empty, 0.95).is_err());
        let t = Table { both: 1, cluster_elsewhere: 1, place_otherwise: 1, neither: 1 };
        assert!(disproportion(&t, 1.0).is_err() && disproportion(&t, f64::NAN).is_err());
    }
}
