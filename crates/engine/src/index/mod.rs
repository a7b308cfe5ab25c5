//! Similarity indexes: per model, usearch HNSW graphs (cosine metric) in shards, kept in the
//! folder `indexes/<model>.usearch/` and recorded in `vector_indexes`. Keys are incident
//! row ids.
//!
//! Each shard's vectors are added in incident-id order from one thread, and which rows go
//! to which shard depends only on their count (`shards`): the graphs then depend only on
//! their input, so the kNN graph that clustering reads from them is reproducible, while the
//! shards are built on all cores at once. Searches run from several threads at once.

mod build;
mod file_check;
mod fit;
mod foreign;
mod handle;
mod knn;
#[cfg(feature = "bench")]
mod memory;
mod options;
mod query;
mod shards;
mod store_rows;

pub use build::{
    encode_indexed, open_index, open_index_with, stored_digest, stored_options, update_and_open, update_index, IndexReport,
};
pub use shards::{dir_digest, SHARD_ROWS};
pub use fit::{adopt_run_index, build_fit_index, copy_index, open_checked, open_run_index, run_index_path, save_pending};
pub use foreign::{write_foreign_shard, ForeignAdoption, ForeignShard};
pub use handle::{index_dir, index_path, Neighbour, SimilarityIndex, VIEW_THRESHOLD_BYTES};
pub use knn::{knn_graph, neighbours_among};
#[cfg(feature = "bench")]
pub use memory::MemoryIndex;
pub use options::{IndexError, IndexOptions, Quantisation};
pub(crate) use query::hits;
pub use query::{search_text, similar, similar_in, Hit, QueryError};

// Shared by the modules that build usearch indexes (the project's and the in-memory one).
use options::native_err;
#[cfg(feature = "bench")]
use options::new_index;
