//! The two types every long job takes: where its progress goes and how it is cancelled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Receives progress of one job. Implementations must be cheap: they are called often.
pub trait Progress: Send + Sync {
    /// The amount of work in the unit the job counts (bytes, rows, ...), once known.
    fn set_total(&self, _total: u64) {}
    /// Work done so far, in the same unit as the total.
    fn set_position(&self, _position: u64) {}
    /// A short human-readable phase name ("hashing", "importing", ...).
    fn set_phase(&self, _phase: &str) {}
}

/// Progress that goes nowhere, for tests and scripted use.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A flag shared between the job and whoever may cancel it. Jobs check it at safe points
/// and undo their partial work before returning.
#[derive(Clone, Default, Debug)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
