//! Incident Atlas engine: everything but the window.
//!
//! The CLI and the Tauri shell are adapters over this crate; every capability here is
//! callable and testable without either. See ARCHITECTURE.md for the map.

mod clock;
pub mod about;
pub mod allocator;
pub mod audit;
#[cfg(feature = "bench")]
pub mod bench;
pub mod cluster;
mod digest;
pub mod encode;
pub mod evaluate;
pub mod exchange;
pub mod explore;
pub mod fields;
pub mod fingerprint;
pub mod first_run;
pub mod index;
pub mod ingest;
pub mod jobs;
mod leftovers;
pub mod panics;
pub mod privacy;
pub mod recent;
pub mod representation;
pub mod review;
pub mod signals;
pub mod stats;
pub mod store;
pub mod train;
pub mod triage;

pub use ml::rng::DEFAULT_SEED;
pub use store::{Store, StoreError};
