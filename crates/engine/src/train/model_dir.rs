//! The life of a trained model's folder: a name that is free and valid, a staging folder,
//! the loss chart, and the publish step that makes the model appear whole or not at all.

use super::error::TrainError;
use crate::encode::registry::project_models_dir;
use crate::store::Store;
use std::path::{Path, PathBuf};

pub(super) fn checkpoint_dir(project: &Path, name: &str) -> PathBuf {
    project_models_dir(project).join(format!("{name}.training"))
}

/// A fresh staging folder `models/.<name>.tmp` for a model being saved.
pub(super) fn staging(models: &Path, name: &str) -> Result<PathBuf, TrainError> {
    let tmp = models.join(format!(".{name}.tmp"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|source| TrainError::Io {
            path: tmp.clone(),
            source,
        })?;
    }
    Ok(tmp)
}

/// Writes `training.json` into the staged model, moves it to its final name (the model
/// appears whole or not at all), and removes the checkpoint folder it came from.
pub(super) fn publish(
    tmp: &Path,
    out: &Path,
    checkpoint: &Path,
    training: &serde_json::Value,
) -> Result<(), TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    };
    let meta = tmp.join("training.json");
    std::fs::write(
        &meta,
        serde_json::to_string_pretty(training).unwrap_or_default(),
    )
    .map_err(io(&meta))?;
    ml::durable::commit_rename(tmp, out).map_err(io(out))?;
    if checkpoint.exists() {
        std::fs::remove_dir_all(checkpoint).map_err(io(checkpoint))?;
    }
    Ok(())
}

/// Draws a loss curve as `loss.svg` and `loss.png` in `dir`.
pub(super) fn loss_chart_into(
    dir: &Path,
    title: &str,
    x_desc: &str,
    curve: &[(u64, f64)],
) -> Result<(), TrainError> {
    let points: Vec<(f64, f64)> = curve.iter().map(|&(x, l)| (x as f64, l)).collect();
    crate::evaluate::loss_chart(dir, title, x_desc, &points)
        .map(|_| ())
        .map_err(|e| TrainError::Chart(e.to_string()))
}

/// The folder a newly trained model named `name` goes to: refused when the name is not a
/// plain folder name, is the baseline's, or is taken.
pub(super) fn new_model_dir(store: &Store, name: &str) -> Result<PathBuf, TrainError> {
    if !valid_name(name) || name == crate::encode::BASELINE {
        return Err(TrainError::Invalid(format!(
            "{name:?} cannot name a model: use letters, digits, '-', '_' or '.'"
        )));
    }
    let out = project_models_dir(store.dir()).join(name);
    if out.exists() {
        return Err(TrainError::Invalid(format!(
            "a model named {name} already exists in {}; choose another name",
            out.display()
        )));
    }
    Ok(out)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
        && !name.ends_with(".training")
}
