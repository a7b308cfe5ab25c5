//! Native file dialogs, opened on the Rust side so the webview needs no dialog or
//! file-system permission. They are the only source of paths: no command takes a path
//! from the page, so a script injected into it cannot name a file (issue 22).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

/// For automation (the window tests): when the app was started with
/// `INCIDENT_ATLAS_DIALOG_SCRIPT` naming a file, each dialog takes that file's first line
/// as the user's choice (an empty line: cancelled) and removes it, instead of opening. The
/// variable is read from the environment the app was started with, which the page cannot
/// touch; without it every dialog is the native one.
fn scripted() -> Option<Option<PathBuf>> {
    static SCRIPT: OnceLock<Option<PathBuf>> = OnceLock::new();
    static TAKING: Mutex<()> = Mutex::new(());
    let script = SCRIPT.get_or_init(|| std::env::var_os("INCIDENT_ATLAS_DIALOG_SCRIPT").map(PathBuf::from)).as_ref()?;
    let _one_at_a_time = TAKING.lock().unwrap_or_else(|p| p.into_inner());
    let text = std::fs::read_to_string(script).unwrap_or_default();
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = std::fs::write(script, rest);
    Some(Some(PathBuf::from(first.trim_end())).filter(|p| !p.as_os_str().is_empty()))
}

/// Asks for a file of incident reports to import; `None` when the user cancels.
pub fn pick_import(app: &AppHandle) -> Option<PathBuf> {
    if let Some(answer) = scripted() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title("Import incident reports")
        .add_filter("Incident reports (CSV, JSONL)", &["csv", "jsonl", "ndjson", "json"])
        .blocking_pick_file()
        .and_then(|p| p.into_path().ok())
}

/// Asks for the folder a Spark job wrote its vectors to (Parquet part files).
pub fn pick_vectors(app: &AppHandle) -> Option<PathBuf> {
    if let Some(answer) = scripted() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title("Import vectors made on Spark (the job's output folder)")
        .blocking_pick_folder()
        .and_then(|p| p.into_path().ok())
}

/// Asks for the folder a Spark job wrote its index shards to (its --index-out).
pub fn pick_index_shards(app: &AppHandle) -> Option<PathBuf> {
    if let Some(answer) = scripted() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title("Import an index built on Spark (the job's --index-out folder)")
        .blocking_pick_folder()
        .and_then(|p| p.into_path().ok())
}

/// Asks where to save a file, suggesting `name`; `None` when the user cancels.
pub fn save_as(app: &AppHandle, name: &str, filter: &str, extensions: &[&str]) -> Option<PathBuf> {
    if let Some(answer) = scripted() {
        return answer;
    }
    app.dialog()
        .file()
        .set_file_name(name)
        .add_filter(filter, extensions)
        .blocking_save_file()
        .and_then(|p| p.into_path().ok())
}

/// Asks for a folder; `None` when the user cancels.
pub fn pick_folder(app: &AppHandle, title: &str) -> Option<PathBuf> {
    if let Some(answer) = scripted() {
        return answer;
    }
    app.dialog()
        .file()
        .set_title(title)
        .blocking_pick_folder()
        .and_then(|p| p.into_path().ok())
}

/// A file's name for a job title.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}
