//! Scoring representations and clusterings against reference labels.

pub mod classification;
pub mod clustering;
