//! A new project from one file, in one job: the first-run path of the app. The file is
//! checked whole before anything is created (a bad row or an unusable mapping refuses it
//! with every reason and leaves no project behind); then the project is made, the file
//! imported, the reports encoded and indexed with the chosen model (the bundled encoder by
//! default), analysed into a first cluster run, and that run's signals stored.

use crate::cluster::{AnalyseOptions, Method};
use crate::encode::{registry, EncodeOptions};
use crate::ingest::{check_file, ImportReport, IngestOptions, RowProblems};
use crate::jobs::{CancelToken, Progress};
use crate::store::Store;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FirstRunError {
    #[error("{bad} of {total} rows of {file} are bad, so nothing was imported and no project was made:\n{listed}\nFix these rows, or import only the good ones.")]
    BadRows { file: String, bad: u64, total: u64, listed: String },
    #[error("{0} is already a project: open it, and import into it from the Jobs view")]
    AlreadyAProject(PathBuf),
    #[error("{0} is not empty: choose an empty folder, or a new one, for the project")]
    FolderNotEmpty(PathBuf),
    #[error("{0}")]
    Refused(String),
    #[error("cancelled; the new project at {0} holds what was done before")]
    Cancelled(PathBuf),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Encode(#[from] crate::encode::EncodeError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstRunReport {
    pub project: PathBuf,
    pub import: ImportReport,
    pub model: String,
    pub encoded: u64,
    pub run: i64,
    pub clusters: usize,
    pub signals: crate::signals::Refreshed,
}

/// Every listed bad row on its own line, as the refusal shows them.
fn list_rows(rows: &[RowProblems]) -> String {
    rows.iter().map(|r| format!("  {r}")).collect::<Vec<_>>().join("\n")
}

/// The folder must be new, or empty: a first run never mixes into other files.
fn check_folder(dir: &Path) -> Result<(), FirstRunError> {
    if dir.join(crate::store::DB_FILE).exists() {
        return Err(FirstRunError::AlreadyAProject(dir.to_path_buf()));
    }
    let used = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if used {
        return Err(FirstRunError::FolderNotEmpty(dir.to_path_buf()));
    }
    Ok(())
}

/// Makes the project `dir` from `file` (see the module's comment). `model` is an installed
/// model's name or the baseline's; `None`: the bundled encoder.
pub fn first_run(
    dir: &Path,
    file: &Path,
    options: &IngestOptions,
    model: Option<&str>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<FirstRunReport, FirstRunError> {
    check_folder(dir)?;
    let model = model.unwrap_or(registry::DEFAULT_TRANSFORMER);
    // The model is resolved against the new folder's (empty) models/ before anything is
    // made, so a missing model costs no half-made project.
    let spec = registry::resolve_installed(dir, model)?;
    progress.set_phase("checking the file");
    let check = check_file(file, options)?;
    if check.bad > 0 && !options.skip_bad {
        return Err(FirstRunError::BadRows {
            file: file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            bad: check.bad,
            total: check.bad + check.good,
            listed: list_rows(&check.problems),
        });
    }
    if cancel.is_cancelled() {
        return Err(FirstRunError::Refused("cancelled before the project was made".into()));
    }
    let mut store = Store::create(dir)?;
    progress.set_phase("importing");
    let import = crate::ingest::ingest_file(&mut store, file, options, progress, cancel)?;
    if let Some(why) = import.refusal("Import only the good rows to keep them.") {
        return Err(FirstRunError::Refused(why));
    }
    if cancel.is_cancelled() {
        return Err(FirstRunError::Cancelled(dir.to_path_buf()));
    }
    let (encoded, _) = crate::index::encode_indexed(&mut store, &spec, &EncodeOptions::default(), progress, cancel)?;
    if encoded.cancelled || cancel.is_cancelled() {
        return Err(FirstRunError::Cancelled(dir.to_path_buf()));
    }
    let method = Method::parse("hdbscan", None, None)?;
    let summary = crate::cluster::analyse(&mut store, &AnalyseOptions::new(&encoded.model, method), progress, cancel)?;
    if summary.cancelled {
        return Err(FirstRunError::Cancelled(dir.to_path_buf()));
    }
    let signals = crate::signals::refresh_signals(&store, summary.run.id, progress);
    Ok(FirstRunReport {
        project: dir.to_path_buf(),
        import,
        model: encoded.model,
        encoded: encoded.encoded,
        run: summary.run.id,
        clusters: summary.clusters.len(),
        signals,
    })
}
