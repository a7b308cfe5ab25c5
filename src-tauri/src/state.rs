use engine::explore::Cache;
use engine::jobs::JobRegistry;
use engine::store::encryption::{self, Key, RawKey};
use engine::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the app holds between commands: the open project, its cache of opened indexes
/// and query encoders, the jobs started in this session, and who is reviewing.
pub struct AppState {
    project: Mutex<Option<(PathBuf, Arc<Cache>)>>,
    pub jobs: JobRegistry,
    /// Who is working: chosen in the app (a reviewer profile), else the OS account.
    reviewer: Mutex<Option<String>>,
    default_reviewer: String,
    /// The file the user picked for a first-run import, previewed and mapped in the page
    /// before the job starts; the page refers to it, never names it.
    pending_import: Mutex<Option<PathBuf>>,
    /// The open project's key when it is encrypted (stretched from its passphrase once, so
    /// each command's opening skips the stretching): in memory for this session only.
    key: Mutex<Option<RawKey>>,
    /// An encrypted project picked in a dialog and waiting for its passphrase.
    locked: Mutex<Option<PathBuf>>,
}

impl AppState {
    pub fn new(project: Option<PathBuf>) -> Self {
        // Local identity until reviewer profiles exist: the OS account, which a locked-down
        // workstation ties to one person.
        let reviewer = std::env::var("INCIDENT_ATLAS_REVIEWER")
            .or_else(|_| std::env::var("USER"))
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "reviewer".into());
        AppState {
            project: Mutex::new(project.map(|p| (p, Arc::new(Cache::default())))),
            jobs: JobRegistry::new(),
            reviewer: Mutex::new(std::env::var("INCIDENT_ATLAS_REVIEWER").ok()),
            default_reviewer: reviewer,
            pending_import: Mutex::new(None),
            key: Mutex::new(None),
            locked: Mutex::new(None),
        }
    }

    pub fn project(&self) -> Option<PathBuf> {
        self.project.lock().ok()?.as_ref().map(|(p, _)| p.clone())
    }

    pub fn cache(&self) -> Arc<Cache> {
        match self.project.lock() {
            Ok(guard) => guard.as_ref().map(|(_, c)| c.clone()).unwrap_or_default(),
            Err(_) => Arc::default(),
        }
    }

    /// The chosen reviewer profile, if any.
    pub fn reviewer(&self) -> Option<String> {
        self.reviewer.lock().ok()?.clone()
    }

    /// Who signs triage decisions and edits: the chosen reviewer, else the OS account.
    pub fn author(&self) -> String {
        self.reviewer()
            .unwrap_or_else(|| self.default_reviewer.clone())
    }

    pub fn set_reviewer(&self, name: &str) {
        if let Ok(mut guard) = self.reviewer.lock() {
            *guard = Some(name.to_string());
        }
    }

    pub fn set_project(&self, dir: PathBuf) {
        self.set_project_with(dir, None);
    }

    /// Opens `dir` as the project, with its key when it is encrypted.
    pub fn set_project_with(&self, dir: PathBuf, key: Option<RawKey>) {
        if let Ok(mut guard) = self.project.lock() {
            *guard = Some((dir, Arc::new(Cache::default())));
        }
        if let Ok(mut guard) = self.key.lock() {
            *guard = key;
        }
    }

    /// The key the open project was unlocked with.
    pub fn key(&self) -> Option<RawKey> {
        self.key.lock().ok().and_then(|k| k.clone())
    }

    /// The project store at `dir`, opened with the key the project was unlocked with.
    pub fn open_store_at(&self, dir: &Path) -> Result<Store, StoreError> {
        open_with_key(dir, self.key().as_ref())
    }

    pub fn set_locked(&self, dir: Option<PathBuf>) {
        if let Ok(mut guard) = self.locked.lock() {
            *guard = dir;
        }
    }

    pub fn locked(&self) -> Option<PathBuf> {
        self.locked.lock().ok()?.clone()
    }

    pub fn pending_import(&self) -> Option<PathBuf> {
        self.pending_import.lock().ok()?.clone()
    }

    pub fn set_pending_import(&self, file: PathBuf) {
        if let Ok(mut guard) = self.pending_import.lock() {
            *guard = Some(file);
        }
    }
}

/// Opens the store at `dir` with `key`, else the environment's passphrase (scripts and
/// tests), else as a plain project.
pub fn open_with_key(dir: &Path, key: Option<&RawKey>) -> Result<Store, StoreError> {
    let from_env = encryption::passphrase_from_env();
    Store::open_key(dir, key.map(Key::Raw).or(from_env.as_deref().map(Key::Passphrase)))
}
