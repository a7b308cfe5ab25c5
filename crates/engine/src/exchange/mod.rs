//! What the engine exchanges with a Spark cluster (spark/ in the repository): vectors its
//! executors made with the app's own encoders, read from the job's Parquet and stored for
//! the project's reports as if encoded here; and index shards the executors built from
//! them (`index_shards`), adopted as the model's index (`index_import`).

mod error;
mod index_import;
mod index_shards;
mod parquet_vectors;
mod vectors_import;

pub use error::ExchangeError;
pub use index_import::{import_index, read_manifest, IndexImportReport};
pub use index_shards::{
    shard_name, shard_source, write_manifest, write_shard, IndexManifest, ManifestShard, ShardEntry, ShardSource,
    INDEX_FORMAT, INDEX_FORMAT_VERSION, MAX_SHARDS,
};
pub use vectors_import::{import_vectors, import_vectors_indexed, VectorImportReport};
