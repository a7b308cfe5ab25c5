//! Reading the JSON files of a model folder with errors that name the folder and file.

use crate::MlError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// The first of `bounds` (a setting's name, its value, the most it may be) that is 0 or
/// above its most, in words: the check a model's config gets before anything is sized
/// from it.
pub(crate) fn outside_bounds(bounds: &[(&str, usize, usize)]) -> Option<String> {
    bounds
        .iter()
        .find(|(_, value, most)| *value == 0 || value > most)
        .map(|(name, value, most)| format!("{name} {value} is outside 1..={most}"))
}

/// `dir/file` parsed as JSON: MissingFile when absent, InvalidFile when it does not parse.
pub fn read_json<T: DeserializeOwned>(dir: &Path, file: &'static str) -> Result<T, MlError> {
    let path = dir.join(file);
    if !path.is_file() {
        return Err(MlError::MissingFile {
            dir: dir.to_path_buf(),
            file,
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|source| MlError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| MlError::InvalidFile {
        path,
        reason: e.to_string(),
    })
}
