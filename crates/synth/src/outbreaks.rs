//! What the demo's detectors must find: slow trends in some incident types, and outbreaks
//! of extra reports of a type over a few weeks, of different size and shape, some in one
//! care setting only. Each outbreak report carries the outbreak's id in the
//! `ground_truth_outbreak` column, so detection can be scored against it.

use crate::catalogue::{ACUTE, COMMUNITY, MENTAL};

/// A type whose share drifts steadily over the period: its weight times 1 + `change` × t,
/// t going from 0 at the start to 1 at the end.
pub struct Trend {
    pub key: &'static str,
    pub change: f64,
}

pub const TRENDS: &[Trend] = &[Trend { key: "pressure_ulcer", change: 0.6 }, Trend { key: "documentation", change: -0.35 }];

pub struct InjectedOutbreak {
    pub id: &'static str,
    /// The incident type its reports are.
    pub key: &'static str,
    /// Index into `CARE_SETTINGS` when confined to one care setting.
    pub setting: Option<usize>,
    /// Days after the start of the period (a Monday in the demo: whole weeks).
    pub start_day: u32,
    /// Extra reports in each week of the outbreak, at the demo's size (`DEMO_ROWS`); scaled
    /// with the number of rows generated.
    pub weekly: &'static [f64],
}

impl InjectedOutbreak {
    pub fn shape(&self) -> &'static str {
        match self.weekly.len() {
            1 => "spike",
            _ if self.weekly.windows(2).all(|w| w[1] > w[0]) => "ramp",
            _ => "plateau",
        }
    }
}

/// Spread over the second half of the demo's first year and its second year, so that some
/// have under a year of history (CUSUM's ground) and some a year or more (Farrington's).
pub const OUTBREAKS: &[InjectedOutbreak] = &[
    InjectedOutbreak { id: "falls-acute-plateau", key: "fall_inpatient", setting: Some(ACUTE), start_day: 203, weekly: &[10.0, 12.0, 10.0] },
    InjectedOutbreak { id: "wrong-dose-spike", key: "medication_wrong_dose", setting: None, start_day: 322, weekly: &[16.0] },
    InjectedOutbreak {
        id: "pressure-ulcer-community-ramp",
        key: "pressure_ulcer",
        setting: Some(COMMUNITY),
        start_day: 413,
        weekly: &[3.0, 6.0, 9.0, 12.0],
    },
    InjectedOutbreak { id: "omitted-doses-mental-health", key: "medication_omitted", setting: Some(MENTAL), start_day: 504, weekly: &[6.0, 6.0] },
    InjectedOutbreak { id: "device-failure-small-spike", key: "device_failure", setting: None, start_day: 588, weekly: &[5.0] },
];
