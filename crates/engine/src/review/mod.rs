//! Reviewer labelling: reviewers and versioned label schemas (`people`), labelling
//! sessions with their sampling (`session`, `sampling`), labels that are appended, never
//! overwritten, each committed before it is acknowledged (`labels`), suggestions from the
//! nearest labelled reports (`suggest`), agreement statistics (`agreement`, `report`) and
//! the audit chain every label, edit and status change is written to (`audit`).

pub mod agreement;
pub mod audit;
pub mod benchmark;
mod field_benchmark;
mod labels;
mod people;
mod report;
pub mod sampling;
mod session;
mod suggest;

pub use field_benchmark::{
    derive_from_field, harm_name, BenchmarkField, FieldBenchmark, FieldBenchmarkSpec, HARM_LOW,
    HARM_SEVERE,
};
pub use labels::{
    adjudicate, final_labels, items, next_item, record_label, undo_last, ItemState, LabelAck,
};
pub use people::{
    add_reviewer, find_reviewer, latest_schema, reviewers, save_schema, schema, LabelDef, Reviewer,
    Role, Schema,
};
pub use report::{
    agreement as agreement_report, AgreementReport, Disagreement, LabelAgreement, PairKappa,
};
pub use sampling::Strategy;
pub use session::{
    create_session, label_cluster, list_sessions, load_session, Session, SessionSpec, Target,
};
pub use suggest::{suggest, Suggestion};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
