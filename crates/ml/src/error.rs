use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error("model folder {} is missing {file}; a model folder needs config.json, tokenizer.json and model.safetensors", dir.display())]
    MissingFile { dir: PathBuf, file: &'static str },
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid model file: {reason}", path.display())]
    InvalidFile { path: PathBuf, reason: String },
    #[error("the model in {} does not match its config.json: {reason}", dir.display())]
    Mismatch { dir: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("{0}")]
    Clustering(String),
    #[error("training: {0}")]
    Training(String),
    #[error("model computation failed: {0}")]
    Candle(#[from] candle_core::Error),
}
