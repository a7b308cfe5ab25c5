//! Reviewer labelling: agreement statistics (more to come: reviewers, schemas, sessions,
//! labels, adjudication, the audit chain and benchmark sets).

pub mod agreement;
