//! Cluster triage: the list a reviewer works down, and the decisions they record.
//!
//! The list ranks a run's clusters by a priority that weighs three things a safety reviewer
//! asks first: how many reports (log scale, so one huge cluster does not bury the rest), how
//! harmful they are (share of moderate harm or worse, NRLS PD09 >= 3), and whether it is
//! emerging now (its signal in the run's signals as `signals` last stored them: a count
//! alarm in the last weeks beyond what its own history, season and trend predict, or
//! reports unlike any before; none until they are computed, which the list never waits
//! for):
//!
//! `priority = ln(1 + size) * (1 + 4 * severe_share) * (1 + signal)`
//!
//! where `signal` is the standing signal's strength (an alarm's score, capped at 4; 1 for
//! novelty; 0 for a concentration, none, or one a reviewer dismissed). The 90-day growth
//! (reports in the latest 90 days of the data against the 90 before) is still shown, as
//! context, but no longer ranks: it cannot tell a rise from normal variation.
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
