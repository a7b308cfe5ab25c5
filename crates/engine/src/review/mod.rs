//! Reviewer labelling: reviewers, label schemas, labelling sessions and labels (append-only,
//! each committed before it is acknowledged), agreement statistics, adjudication, and the
//! audit chain that every label, edit and status change is written to.

pub mod agreement;
pub mod audit;
