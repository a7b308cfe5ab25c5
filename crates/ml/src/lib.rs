//! Model code for Incident Atlas: sentence encoders and their training loops on candle,
//! and the numeric side of analysis (UMAP, HDBSCAN, k-means) over plain vectors.
//!
//! Knows nothing of SQLite or the UI. Models are read from, and written to, folders in
//! the standard layout (`config.json`, `tokenizer.json`, `model.safetensors`, plus the
//! sentence-transformers files `modules.json` and `1_Pooling/config.json` when present).

mod attention;
pub mod bert;
pub mod boilerplate;
pub mod checkpoint;
pub mod durable;
pub mod cluster;
pub mod device;
mod error;
pub mod finetune;
mod kernels;
pub mod lsa;
mod model_files;
pub mod quant;
pub mod rng;
pub mod sentence;
pub mod surveillance;
pub mod umap;
pub mod wordvec;

pub use candle_core::Device;
pub use error::MlError;
pub use sentence::{EncodeStats, Pooling, SentenceEncoder};
