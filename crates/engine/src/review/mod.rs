//! Reviewer labelling: reviewers and versioned label schemas (`people`), labelling
//! sessions with their sampling (`session`, `sampling`), labels that are appended, never
//! overwritten, each committed before it is acknowledged (`labels`), suggestions from the
//! nearest labelled reports (`suggest`) and agreement statistics (`agreement`, `report`).
//! Every change is appended to the audit chain (`store::audit`), which lives in the store
//! because clustering edits, triage and evaluations write to it too.

pub mod agreement;
pub mod benchmark;
mod error;
mod field_benchmark;
mod labels;
mod new_session;
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
    adjudicate, final_labels, items, next_item, record_label, undo_last, FinalLabel, ItemState,
    LabelAck,
};
pub use people::{
    add_reviewer, find_reviewer, latest_schema, latest_schemas, reviewers, save_schema, schema, LabelDef, Reviewer,
    Role, Schema,
};
pub use report::{
    agreement as agreement_report, AgreementReport, Disagreement, LabelAgreement, PairKappa,
};
pub use sampling::Strategy;
pub use new_session::{create_session, label_cluster};
pub use session::{list_sessions, load_session, Session, SessionSpec, Target};
pub use suggest::{suggest, Suggestion};

pub use error::ReviewError;
