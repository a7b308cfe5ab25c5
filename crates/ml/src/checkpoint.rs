//! Checkpoint folders shared by every training loop: weight files are written under names
//! of their own first, then `state.json` (which names them) is renamed into place. That
//! rename is the commit: a crash at any moment leaves the previous checkpoint whole.

use crate::MlError;
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

/// Commits `state` as the folder's checkpoint and removes files whose names start with
/// one of `prefixes` but are not in `keep` (the weights of older checkpoints).
pub fn commit<T: Serialize>(
    dir: &Path,
    state: &T,
    prefixes: &[&str],
    keep: &[&str],
) -> Result<(), MlError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MlError::Io { path, source }
    };
    let tmp = dir.join("state.json.tmp");
    let text = serde_json::to_string(state).map_err(|e| MlError::InvalidFile {
        path: tmp.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    let json = dir.join("state.json");
    // The weights `state` names must be on disk before the state that names them.
    crate::durable::sync_tree(dir).map_err(io(dir))?;
    std::fs::rename(&tmp, &json).map_err(io(&json))?;
    crate::durable::sync_dir(dir).map_err(io(dir))?;
    for entry in std::fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if prefixes.iter().any(|p| name.starts_with(p)) && !keep.contains(&name.as_str()) {
            // A stale file left behind costs disk space only; the commit already happened.
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The committed state of the folder, or None when it holds no checkpoint.
pub fn read<T: DeserializeOwned>(dir: &Path) -> Result<Option<T>, MlError> {
    let json = dir.join("state.json");
    if !json.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&json).map_err(|source| MlError::Io {
        path: json.clone(),
        source,
    })?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| MlError::InvalidFile {
            path: json,
            reason: e.to_string(),
        })
}
