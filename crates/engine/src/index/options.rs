//! How an index is built and stored, and what can go wrong with one.

use crate::store::StoreError;
use serde::Serialize;
use std::path::PathBuf;
use std::path::Path;
use usearch::{Index, IndexOptions as NativeOptions, MetricKind, ScalarKind};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "the project has no vectors for model {0:?}; run `incident-atlas encode --model {0}` first"
    )]
    NoVectors(String),
    #[error("no incident {0:?} in the project")]
    UnknownIncident(String),
    #[error("incident {id:?} has no vector for model {model:?}; run `incident-atlas encode --model {model}`")]
    NotEncoded { id: String, model: String },
    #[error("unknown quantisation {0:?}; use f32, f16 or i8")]
    UnknownQuantisation(String),
    #[error(
        "the similarity index of model {0:?} is missing, damaged or not the one the project recorded; \
         build it again with `incident-atlas index --model {0}` (the app does when the model is encoded)"
    )]
    Unusable(String),
    #[error("similarity index {}: {message}", path.display())]
    Native { path: PathBuf, message: String },
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
}

/// How vectors are stored inside the index. f16 halves and i8 quarters its size, at some
/// cost in recall (measured by `incident-atlas bench search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantisation {
    F32,
    F16,
    I8,
}

impl Quantisation {
    pub fn parse(s: &str) -> Result<Quantisation, IndexError> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Quantisation::F32),
            "f16" => Ok(Quantisation::F16),
            "i8" => Ok(Quantisation::I8),
            _ => Err(IndexError::UnknownQuantisation(s.to_string())),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Quantisation::F32 => "f32",
            Quantisation::F16 => "f16",
            Quantisation::I8 => "i8",
        }
    }
    /// Bytes one vector of `dimension` values takes in an index file.
    pub(super) fn vector_bytes(self, dimension: usize) -> usize {
        dimension
            * match self {
                Quantisation::F32 => 4,
                Quantisation::F16 => 2,
                Quantisation::I8 => 1,
            }
    }
    pub(super) fn scalar(self) -> ScalarKind {
        match self {
            Quantisation::F32 => ScalarKind::F32,
            Quantisation::F16 => ScalarKind::F16,
            Quantisation::I8 => ScalarKind::I8,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct IndexOptions {
    pub quantisation: Quantisation,
    /// Graph degree (HNSW's M).
    pub connectivity: usize,
    pub expansion_add: usize,
    pub expansion_search: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            quantisation: Quantisation::F32,
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 64,
        }
    }
}

/// An index error at `path` from usearch's own message.
pub(super) fn native_err(path: &Path, e: impl std::fmt::Display) -> IndexError {
    IndexError::Native {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A new, empty usearch index for `dimension`-d vectors with these options (cosine).
pub(super) fn new_index(dimension: usize, options: &IndexOptions, path: &Path) -> Result<Index, IndexError> {
    let native = NativeOptions {
        dimensions: dimension,
        metric: MetricKind::Cos,
        quantization: options.quantisation.scalar(),
        connectivity: options.connectivity,
        expansion_add: options.expansion_add,
        expansion_search: options.expansion_search,
        multi: false,
    };
    Index::new(&native).map_err(|e| native_err(path, e))
}
