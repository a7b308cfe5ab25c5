//! What the ml crate's integration tests share.

use std::path::PathBuf;

/// The default model folder the set-up scripts install (scripts/lib/common.sh).
pub fn model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INCIDENT_ATLAS_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    let models = std::env::var_os("INCIDENT_ATLAS_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let data = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share")
                });
            data.join("incident-atlas/models")
        });
    let dir = models.join("all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").is_file(),
        "the default model is not installed in {}; run ./scripts/test.sh (it installs it)",
        dir.display()
    );
    dir
}
