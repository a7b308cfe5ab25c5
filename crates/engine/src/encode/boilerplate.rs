//! The project's boilerplate model (`ml::boilerplate`): fitted once on a sample of the
//! project's reports, kept as `text/boilerplate-<fields>.json`, and taken out of the text of
//! every report a model encodes — and of every query it answers — when that model's vectors
//! were made with it. The vectors' provenance names the file by its digest, so one model's
//! vectors never mix filtered and whole text, and a changed or missing file is an error
//! rather than a silent change of meaning.

use super::error::EncodeError;
use crate::store::{vectors, Store, TextFields};
use ml::boilerplate::{Boilerplate, BoilerplateConfig};
use serde_json::json;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The fitted model and the digest of the file it was read from.
pub struct ProjectBoilerplate {
    model: Boilerplate,
    sha256: String,
}

impl ProjectBoilerplate {
    /// What the vectors' provenance records of it.
    pub fn provenance(&self) -> serde_json::Value {
        json!({
            "sha256": self.sha256,
            "fitted_reports": self.model.fitted_reports(),
            "phrases": self.model.phrases().iter().filter(|p| p.boilerplate).count(),
        })
    }

    pub fn strip<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.model.strip(text)
    }

    pub fn model(&self) -> &Boilerplate {
        &self.model
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// Where the project keeps the model fitted on `fields`.
pub fn path(project: &Path, fields: TextFields) -> PathBuf {
    project.join("text").join(format!("boilerplate-{}.json", fields.name()))
}

/// A boilerplate model file on its own (one copied out of a project, as a Spark job or a
/// run export carries it).
pub fn open(path: &Path) -> Result<ProjectBoilerplate, EncodeError> {
    let model = Boilerplate::load(path).map_err(|source| EncodeError::Model {
        name: "boilerplate".into(),
        source,
    })?;
    let sha256 = crate::digest::sha256_file(path, |_| true)
        .map(|(sha, _)| sha)
        .map_err(|source| EncodeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(ProjectBoilerplate { model, sha256 })
}

/// The saved model, or one fitted now on up to `fit_sample` of the project's reports
/// (evenly spaced, as the baseline's) and saved. A project too small to judge anything
/// gets a model that flags nothing, saved like any other, so its vectors stay comparable.
pub fn open_or_fit(
    store: &Store,
    fields: TextFields,
    fit_sample: usize,
) -> Result<ProjectBoilerplate, EncodeError> {
    let file = path(store.dir(), fields);
    if file.is_file() {
        return open(&file);
    }
    let texts = vectors::sample_texts(store.conn(), fields, fit_sample).map_err(|e| store.err(e))?;
    let sample: Vec<&str> = texts.iter().map(String::as_str).collect();
    let model = Boilerplate::fit(&sample, &BoilerplateConfig::default()).map_err(|source| EncodeError::Model {
        name: "boilerplate".into(),
        source,
    })?;
    let io = |source| EncodeError::Io {
        path: file.clone(),
        source,
    };
    let dir = file.parent().unwrap_or(store.dir());
    std::fs::create_dir_all(dir).map_err(io)?;
    // Written beside and renamed, so a killed fit never leaves half a file that later
    // encodes would read.
    let staging = file.with_extension(format!("json.{}.tmp", std::process::id()));
    model.save(&staging).map_err(|source| EncodeError::Model {
        name: "boilerplate".into(),
        source,
    })?;
    ml::durable::commit_rename(&staging, &file).map_err(io)?;
    open(&file)
}

/// The digest of the boilerplate model a model's provenance names (None: its vectors read
/// whole reports).
pub fn digest_in(provenance: &serde_json::Value) -> Option<&str> {
    provenance["boilerplate"]["sha256"].as_str()
}

/// What `BoilerplateChanged` says is there when the file is missing.
pub const NO_FILE: &str = "no file";

/// The model a stored model's vectors were made with, from the project folder `project`:
/// None when they read whole text (made before boilerplate was taken out, or asked to keep
/// it); an error when the file they name is missing or no longer the same.
pub fn for_stored(
    project: &Path,
    name: &str,
    provenance: &serde_json::Value,
    fields: TextFields,
) -> Result<Option<ProjectBoilerplate>, EncodeError> {
    let Some(stored) = digest_in(provenance) else {
        return Ok(None);
    };
    let file = path(project, fields);
    let changed = |current: String| EncodeError::BoilerplateChanged {
        name: name.to_string(),
        path: file.clone(),
        stored: stored.to_string(),
        current,
    };
    if !file.is_file() {
        return Err(changed(NO_FILE.into()));
    }
    let model = open(&file)?;
    if model.sha256 != stored {
        return Err(changed(model.sha256));
    }
    Ok(Some(model))
}
