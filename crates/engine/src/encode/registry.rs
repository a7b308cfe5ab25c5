//! Where models live and how a `--model NAME|PATH` is resolved: the baseline by name, a
//! folder by path, or a name looked up in the project's `models/`, then in the user's model
//! folder (where the set-up step installs the default encoder), then in the system's
//! (`/usr/share/incident-atlas/models`, where the package installs it).

use super::EncodeError;
use std::path::{Path, PathBuf};

/// The name of the TF-IDF/LSA baseline (also its folder under the project's `models/`).
pub const BASELINE: &str = "tfidf-lsa";
/// The encoder installed by the set-up step.
pub const DEFAULT_TRANSFORMER: &str = "all-MiniLM-L6-v2";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// Fitted on this project's text and saved in `dir` (inside the project).
    Baseline { name: String, dir: PathBuf },
    /// A pretrained (or locally trained) encoder folder in the standard layout.
    Transformer { name: String, dir: PathBuf },
    /// Word vectors trained from scratch on incident text (`ml::wordvec`).
    WordVec { name: String, dir: PathBuf },
}

impl ModelSpec {
    pub fn name(&self) -> &str {
        match self {
            ModelSpec::Baseline { name, .. }
            | ModelSpec::Transformer { name, .. }
            | ModelSpec::WordVec { name, .. } => name,
        }
    }
    /// The kind its vectors are stored as: "tfidf-lsa", "transformer" or "trained".
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSpec::Baseline { .. } => "tfidf-lsa",
            ModelSpec::Transformer { .. } => "transformer",
            ModelSpec::WordVec { .. } => "trained",
        }
    }

    /// The name its vectors of `fields` are stored under: the model's name, with
    /// `:all` when it reads every text field.
    pub fn record_name(&self, fields: crate::store::TextFields) -> String {
        match fields {
            crate::store::TextFields::Description => self.name().to_string(),
            other => format!("{}:{}", self.name(), other.name()),
        }
    }

    pub fn dir(&self) -> &Path {
        match self {
            ModelSpec::Baseline { dir, .. }
            | ModelSpec::Transformer { dir, .. }
            | ModelSpec::WordVec { dir, .. } => dir,
        }
    }
}

/// The app's model folder: `$INCIDENT_ATLAS_MODELS`, else `$XDG_DATA_HOME/incident-atlas/models`,
/// else `~/.local/share/incident-atlas/models`.
pub fn app_models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INCIDENT_ATLAS_MODELS") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".local")
                .join("share")
        });
    data.join("incident-atlas").join("models")
}

/// The system's model folders, after the user's: `incident-atlas/models` under each of
/// `$XDG_DATA_DIRS` (default `/usr/local/share:/usr/share`, as the XDG base directory
/// specification says), so the package's default encoder is found with no configuration.
/// Relative entries are ignored, as the specification asks.
pub fn system_models_dirs() -> Vec<PathBuf> {
    let dirs = std::env::var_os("XDG_DATA_DIRS")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    std::env::split_paths(&dirs)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("incident-atlas").join("models"))
        .collect()
}

/// Every folder models are looked up in by name, in order: the project's own, the user's,
/// then the system's.
pub fn model_search_dirs(project: &Path) -> Vec<PathBuf> {
    with_shared_dirs(vec![project_models_dir(project)])
}

/// The folders models are found in outside any project: the user's, then the system's.
pub fn shared_model_dirs() -> Vec<PathBuf> {
    with_shared_dirs(Vec::new())
}

fn with_shared_dirs(mut dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    for dir in std::iter::once(app_models_dir()).chain(system_models_dirs()) {
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// A project's own model folder (baseline fits, locally trained models).
pub fn project_models_dir(project: &Path) -> PathBuf {
    project.join("models")
}

fn is_transformer_folder(dir: &Path) -> bool {
    dir.join("config.json").is_file()
        && dir.join("model.safetensors").is_file()
        && dir.join("tokenizer.json").is_file()
}

fn is_encoder_folder(dir: &Path) -> bool {
    is_transformer_folder(dir) || ml::wordvec::WordVecModel::is_wordvec_dir(dir)
}

/// The spec for an encoder folder, by what its config.json says it holds.
fn folder_spec(name: String, dir: PathBuf) -> ModelSpec {
    if ml::wordvec::WordVecModel::is_wordvec_dir(&dir) {
        ModelSpec::WordVec { name, dir }
    } else {
        ModelSpec::Transformer { name, dir }
    }
}

/// Every model name `encode --model` takes here: the baseline, then the installed encoder
/// folders (the project's first).
pub fn available(project: &Path) -> Vec<String> {
    let mut names = vec![BASELINE.to_string()];
    names.extend(installed(project).into_iter().map(|(name, _)| name));
    names
}

/// Encoder folders that can be named with `--model`, project ones first: (name, folder).
pub fn installed(project: &Path) -> Vec<(String, PathBuf)> {
    installed_in(&model_search_dirs(project))
}

/// The encoder folders in `dirs`, earlier folders first; a name is listed once, from the
/// first folder that has it.
pub fn installed_in(dirs: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for base in dirs {
        let Ok(entries) = std::fs::read_dir(base) else {
            continue;
        };
        let mut folders: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_encoder_folder(p))
            .collect();
        folders.sort();
        for dir in folders {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !found.iter().any(|(n, _): &(String, PathBuf)| *n == name) {
                found.push((name, dir));
            }
        }
    }
    found
}

pub fn resolve(project: &Path, spec: &str) -> Result<ModelSpec, EncodeError> {
    if matches!(spec, BASELINE | "tfidf" | "lsa") {
        return Ok(ModelSpec::Baseline {
            name: BASELINE.into(),
            dir: project_models_dir(project).join(BASELINE),
        });
    }
    let as_path = Path::new(spec);
    if spec.contains(std::path::MAIN_SEPARATOR) || as_path.is_dir() {
        if !as_path.is_dir() {
            return Err(EncodeError::UnknownModel {
                spec: spec.into(),
                known: known(project),
            });
        }
        let dir = std::fs::canonicalize(as_path).unwrap_or_else(|_| as_path.to_path_buf());
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.into());
        return Ok(folder_spec(name, dir));
    }
    installed(project)
        .into_iter()
        .find(|(name, _)| name == spec)
        .map(|(name, dir)| folder_spec(name, dir))
        .ok_or_else(|| EncodeError::UnknownModel {
            spec: spec.into(),
            known: known(project),
        })
}

/// As `resolve`, for names only: the baseline or a model installed for this project, user
/// or system (`installed`), never a folder. What the app accepts from its page, so that a script
/// in it cannot make the app load a folder of its choosing as a model.
pub fn resolve_installed(project: &Path, name: &str) -> Result<ModelSpec, EncodeError> {
    if matches!(name, BASELINE | "tfidf" | "lsa") {
        return resolve(project, name);
    }
    installed(project)
        .into_iter()
        .find(|(installed, _)| installed == name)
        .map(|(name, dir)| folder_spec(name, dir))
        .ok_or_else(|| EncodeError::NotInstalled { name: name.into(), known: known(project) })
}

fn known(project: &Path) -> String {
    let mut names = vec![BASELINE.to_string()];
    names.extend(installed(project).into_iter().map(|(n, _)| n));
    names.join(", ")
}
