//! Cluster triage: the list a reviewer works down, and the decisions they record.
//!
//! The list ranks a run's clusters by a priority that weighs three things a safety reviewer
//! asks first: how many reports (log scale, so one huge cluster does not bury the rest), how
//! harmful they are (share of moderate harm or worse, NRLS PD09 >= 3), and whether the
//! cluster is growing (reports in the latest 90 days of the data against the 90 days before):
//!
//! `priority = ln(1 + size) * (1 + 4 * severe_share) * (1 + clamp(growth, 0, 4))`
//!
//! where `growth = (recent - previous) / max(previous, 1)`. The windows end at the latest
//! report date in the run, not at today's date: exports are read months after the fact.
//!
//! Decisions (status and note) are keyed by the cluster's lineage (model, method) and id, so
//! they follow a cluster into later runs, which keep ids by overlap (see `cluster::ids`).
//! Every change is also appended to `cluster_triage_history`.

mod decisions;
mod list;

pub use decisions::{decision, history, set_status, Decision, HistoryEntry, Status};

// The triage list reads decisions through the same error mapping.
use decisions::sql;
pub use list::{cluster_triage, priority as list_priority, TriageRow};
