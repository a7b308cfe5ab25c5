//! Long work (ingest, encode, analyse, evaluate, training) reports progress and can be
//! cancelled. The same two types (`progress`) serve the CLI (a progress bar), the app
//! (events through `registry`) and the benchmarks.

mod progress;
mod registry;

pub use progress::{CancelToken, NoProgress, Progress};
pub use registry::{JobRegistry, JobSnapshot, JobState};
