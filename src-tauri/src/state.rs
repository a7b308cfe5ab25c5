use std::path::PathBuf;
use std::sync::Mutex;

/// What the app holds between commands: the open project folder, if any.
pub struct AppState {
    pub project: Mutex<Option<PathBuf>>,
}

impl AppState {
    pub fn new(project: Option<PathBuf>) -> Self {
        AppState { project: Mutex::new(project) }
    }

    pub fn project(&self) -> Option<PathBuf> {
        self.project.lock().map(|p| p.clone()).unwrap_or(None)
    }
}
