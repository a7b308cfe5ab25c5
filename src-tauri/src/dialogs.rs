//! Native file dialogs, opened on the Rust side so the webview needs no dialog or
//! file-system permission.

use std::path::{Path, PathBuf};
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

/// Asks for a file of incident reports to import; `None` when the user cancels.
pub fn pick_import(app: &AppHandle) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_title("Import incident reports")
        .add_filter("Incident reports (CSV, JSONL)", &["csv", "jsonl", "ndjson", "json"])
        .blocking_pick_file()
        .and_then(|p| p.into_path().ok())
}

/// Asks for the folder a Spark job wrote its vectors to (Parquet part files).
pub fn pick_vectors(app: &AppHandle) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_title("Import vectors made on Spark (the job's output folder)")
        .blocking_pick_folder()
        .and_then(|p| p.into_path().ok())
}

/// Asks for the folder a Spark job wrote its index shards to (its --index-out).
pub fn pick_index_shards(app: &AppHandle) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_title("Import an index built on Spark (the job's --index-out folder)")
        .blocking_pick_folder()
        .and_then(|p| p.into_path().ok())
}

/// Asks where to save a file, suggesting `name`; `None` when the user cancels.
pub fn save_as(app: &AppHandle, name: &str, filter: &str, extensions: &[&str]) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_file_name(name)
        .add_filter(filter, extensions)
        .blocking_save_file()
        .and_then(|p| p.into_path().ok())
}

/// Asks for a folder; `None` when the user cancels.
pub fn pick_folder(app: &AppHandle, title: &str) -> Option<PathBuf> {
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
