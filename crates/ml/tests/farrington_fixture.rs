//! The Noufaily thresholds against R's `surveillance` package end to end on real data: the
//! fixture (`scripts/fixtures/farrington.R`, R's farringtonFlexible on the package's
//! salmNewport series, two years of weeks) records each week's fitted mean and dispersion
//! beside the bound, score and p-value R gave, so the bound is checked apart from the model
//! fit; then the whole detector (reference weeks, blocks, the quasi-Poisson fit, its
//! reweighting and trend test, the bound and the alarm rule) is run on the series and
//! checked against R week by week.

use chrono::NaiveDate;
use ml::surveillance::farrington::{farrington_flexible, Bound, FarringtonParams};
use ml::surveillance::thresholds::{noufaily_at, PowerTransform};
use serde_json::Value;

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/farrington_salmnewport.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture is committed")).expect("the fixture is JSON")
}

fn numbers(v: &Value) -> Vec<Option<f64>> {
    v.as_array().expect("a list").iter().map(Value::as_f64).collect()
}

#[test]
fn noufaily_bounds_scores_and_p_values_match_r_week_by_week() {
    let fixture = fixture();
    assert_eq!(fixture["provenance"]["surveillance"], "1.20.3", "regenerate the test's notes with the fixture");
    let mut checked = 0;
    for run in fixture["runs"].as_array().unwrap() {
        if run["control"]["thresholdMethod"] == "delta" {
            continue;
        }
        let alpha = run["control"]["alpha"].as_f64().unwrap();
        let (mu0, phi, expected) = (numbers(&run["mu0"]), numbers(&run["phi"]), numbers(&run["expected"]));
        let (observed, upper) = (numbers(&run["observed"]), numbers(&run["upperbound"]));
        let (score, pvalue) = (numbers(&run["score"]), numbers(&run["pvalue"]));
        for week in 0..observed.len() {
            let (Some(mu), Some(phi), Some(y), Some(score), Some(p)) = (mu0[week], phi[week], observed[week], score[week], pvalue[week]) else {
                continue;
            };
            // "expected" is exp(η0) where R had enough cases to bound the week; elsewhere η0
            // is ln(μ0) for the plug-in mean.
            let eta0 = expected[week].unwrap_or(mu).ln();
            let t = noufaily_at(mu, eta0, phi, alpha, y).unwrap();
            let name = &run["name"];
            if let Some(u) = upper[week] {
                assert_eq!(t.upper, u, "{name} week {week}: upper bound");
                assert!((t.score - score).abs() < 1e-9, "{name} week {week}: score {} against {score}", t.score);
            }
            assert!((t.prob - p).abs() < 1e-9, "{name} week {week}: p {} against {p}", t.prob);
            checked += 1;
        }
    }
    assert!(checked >= 150, "only {checked} weeks checked");
}

/// The CUSUM against R's algo.cusum on salmonella.agona (`scripts/fixtures/cusum.R`):
/// in-control mean from the weeks before the range, sums, bounds and alarms week by week,
/// at two settings (R 1.20.3 does not reset after an alarm; the unit tests check that).
#[test]
fn cusum_matches_r_week_by_week() {
    use ml::surveillance::cusum::{cusum, in_control_mean, CusumParams};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cusum_salmonella_agona.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let observed: Vec<f64> = numbers(&fixture["observed"]).into_iter().map(Option::unwrap).collect();
    for run in fixture["runs"].as_array().unwrap() {
        let (start, end) = (run["start"].as_u64().unwrap() as usize, run["end"].as_u64().unwrap() as usize);
        let m = in_control_mean(&observed[..start]).unwrap();
        assert!((m - run["m"].as_f64().unwrap()).abs() < 1e-12);
        let params = CusumParams { k: run["k"].as_f64().unwrap(), h: run["h"].as_f64().unwrap(), reset: run["reset"] == true, dispersion: 1.0 };
        let weeks = cusum(&observed[start..end], m, &params).unwrap();
        let (sums, uppers, alarms) = (numbers(&run["cusum"]), numbers(&run["upperbound"]), numbers(&run["alarm"]));
        assert_eq!(weeks.len(), sums.len());
        for (i, w) in weeks.iter().enumerate() {
            let name = &run["name"];
            assert!((w.sum - sums[i].unwrap()).abs() < 1e-9, "{name} week {i}: sum {} against {:?}", w.sum, sums[i]);
            assert_eq!(w.upper, uppers[i].unwrap(), "{name} week {i}: upper bound");
            assert_eq!(w.alarm, alarms[i] == Some(1.0), "{name} week {i}: alarm");
        }
        assert!(weeks.iter().any(|w| w.alarm), "{} raises alarms", run["name"]);
    }
}

fn params_of(control: &Value) -> FarringtonParams {
    let number = |k: &str| control[k].as_f64().unwrap_or_else(|| panic!("control {k}"));
    let limit = numbers(&control["limit54"]);
    FarringtonParams {
        b: number("b") as usize,
        w: number("w") as usize,
        no_periods: number("noPeriods") as usize,
        reweight: true,
        weights_threshold: number("weightsThreshold"),
        past_weeks_not_included: number("pastWeeksNotIncluded") as usize,
        trend: true,
        p_threshold_trend: number("pThresholdTrend"),
        alpha: number("alpha"),
        limit54: (limit[0].unwrap() as u32, limit[1].unwrap() as usize),
        bound: match control["thresholdMethod"].as_str().unwrap() {
            "delta" => Bound::Delta(PowerTransform::parse(control["powertrans"].as_str().unwrap()).unwrap()),
            "nbPlugin" => Bound::NegativeBinomial,
            "muan" => Bound::NegativeBinomialUpperMean,
            other => panic!("method {other}"),
        },
    }
}

/// The whole detector against R on two years of weeks, at the original settings and at
/// Noufaily's (both bounds): upper bounds within 1e-6 relative, the same alarm weeks, and
/// the expected counts, dispersions, scores, p-values and trend decisions R gave.
#[test]
fn farrington_flexible_matches_r_week_by_week() {
    let fixture = fixture();
    let dates: Vec<NaiveDate> = fixture["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| NaiveDate::parse_from_str(d.as_str().unwrap(), "%Y-%m-%d").unwrap())
        .collect();
    let series: Vec<f64> = numbers(&fixture["series"]).into_iter().map(Option::unwrap).collect();
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1e-12) || (a - b).abs() < 1e-12;
    let mut alarms = 0;
    for run in fixture["runs"].as_array().unwrap() {
        let name = run["name"].as_str().unwrap();
        let params = params_of(&run["control"]);
        let weeks: Vec<usize> = numbers(&run["weeks"]).into_iter().map(|w| w.unwrap() as usize).collect();
        let got = farrington_flexible(&dates, &series, weeks[0]..weeks[weeks.len() - 1] + 1, &params).unwrap();
        assert_eq!(got.len(), weeks.len());
        let (upper, expected, phi) = (numbers(&run["upperbound"]), numbers(&run["expected"]), numbers(&run["phi"]));
        let (score, pvalue, trend) = (numbers(&run["score"]), numbers(&run["pvalue"]), numbers(&run["trend"]));
        let alarm: Vec<Option<bool>> = run["alarm"].as_array().unwrap().iter().map(Value::as_bool).collect();
        for (i, week) in got.iter().enumerate() {
            let k = weeks[i];
            let week = week.unwrap_or_else(|| panic!("{name} week {k}: R has a result"));
            assert_eq!(week.upper.is_some(), upper[i].is_some(), "{name} week {k}: bound present");
            if let (Some(a), Some(b)) = (week.upper, upper[i]) {
                assert!(close(a, b, 1e-6), "{name} week {k}: upper bound {a} against R's {b}");
            }
            if let (Some(a), Some(b)) = (week.expected, expected[i]) {
                assert!(close(a, b, 1e-6), "{name} week {k}: expected {a} against R's {b}");
            }
            assert!(close(week.phi, phi[i].unwrap(), 1e-6), "{name} week {k}: phi {} against {:?}", week.phi, phi[i]);
            assert!(close(week.score, score[i].unwrap(), 1e-6), "{name} week {k}: score {} against {:?}", week.score, score[i]);
            assert!(close(week.p_value, pvalue[i].unwrap(), 1e-6), "{name} week {k}: p {} against {:?}", week.p_value, pvalue[i]);
            assert_eq!(week.trend.is_some(), trend[i] == Some(1.0), "{name} week {k}: trend kept");
            assert_eq!(Some(week.alarm), alarm[i], "{name} week {k}: alarm");
            alarms += usize::from(week.alarm);
        }
    }
    assert!(alarms >= 5, "the fixture's runs raise alarms ({alarms})");
}
