//! Word vectors trained from scratch on the project's own text, as a small comparison
//! model: skip-gram with negative sampling over words and their character n-grams
//! (fastText's recipe, Bojanowski et al. 2017), and sentence vectors as SIF-weighted
//! averages with the first principal component removed (Arora et al. 2017).
//!
//! Training is one thread with a seeded generator, so the same text, config and seed give
//! the same vectors bit for bit; the whole state (weights, position, generator, loss
//! curve) can be checkpointed between documents and resumed to the same result.

mod config;
mod corpus;
mod model;
mod train;

pub use config::{ngram_buckets, tokenize, WordVecConfig, MODEL_TYPE};
pub use model::WordVecModel;
pub use corpus::Corpus;
pub use train::{TrainProgress, TrainState, Trainer};
