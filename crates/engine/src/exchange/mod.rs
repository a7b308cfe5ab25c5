//! What the engine exchanges with a Spark cluster (spark/ in the repository): vectors its
//! executors made with the app's own encoders, read from the job's Parquet and stored for
//! the project's reports as if encoded here.

mod error;
mod parquet_vectors;
mod vectors_import;

pub use error::VectorImportError;
pub use vectors_import::{import_vectors, VectorImportReport};
