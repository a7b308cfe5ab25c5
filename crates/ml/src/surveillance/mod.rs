//! Statistics of safety surveillance: how far a count stands out from what was expected.
//! `special` holds the special functions they rest on (log-gamma, the regularised
//! incomplete gamma function and its quantile, the normal quantile); `disproportionality`
//! the measures pharmacovigilance uses for an event over-represented in one place (the
//! information component with its credibility interval, PRR and ROR with their intervals);
//! `thresholds` the upper bounds of the Farrington family of outbreak detectors, `glm` the
//! quasi-Poisson regression they predict with and `farrington` the detector itself; `cusum`
//! Page's CUSUM for series with little history.

pub mod cusum;
pub mod disproportionality;
pub mod farrington;
pub mod glm;
pub mod special;
pub mod thresholds;

pub use disproportionality::{disproportion, Disproportion, Interval, Table};
