//! Scoring representations and clusterings against reference labels.

pub mod clustering;
