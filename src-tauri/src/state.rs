use engine::explore::Cache;
use engine::jobs::JobRegistry;
use std::path::PathBuf;
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
    /// The open project's passphrase when it is encrypted: kept in memory for this session
    /// only, never written anywhere.
    passphrase: Mutex<Option<String>>,
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
            passphrase: Mutex::new(None),
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

    /// Opens `dir` as the project, with its passphrase when it is encrypted.
    pub fn set_project_with(&self, dir: PathBuf, passphrase: Option<String>) {
        if let Ok(mut guard) = self.project.lock() {
            *guard = Some((dir, Arc::new(Cache::default())));
        }
        if let Ok(mut guard) = self.passphrase.lock() {
            *guard = passphrase;
        }
    }

    /// The passphrase the open project was unlocked with, else the environment's.
    pub fn passphrase(&self) -> Option<String> {
        self.passphrase.lock().ok()?.clone().or_else(engine::store::encryption::passphrase_from_env)
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
