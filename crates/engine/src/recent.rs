//! The projects opened lately, newest first, for the app's start page: kept in the user's
//! config folder (`$XDG_CONFIG_HOME/incident-atlas/recent-projects.json`, else
//! `~/.config/...`), never in a project. A missing, unreadable or hand-edited file is an
//! empty list, not an error: it only saves the user a dialog.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How many projects the list keeps.
pub const MAX_RECENT: usize = 10;
/// A list file larger than this is not read (ten paths take a few KiB).
const MAX_FILE_BYTES: u64 = 256 << 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecentProject {
    pub path: String,
    /// The folder's name.
    pub name: String,
    pub opened_at: String,
    /// Whether it still holds a project (a moved or deleted one stays listed, marked).
    #[serde(default)]
    pub available: bool,
}

/// The list's file.
pub fn recent_file() -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config"));
    config.join("incident-atlas").join("recent-projects.json")
}

fn read(file: &Path) -> Vec<RecentProject> {
    let Ok(meta) = std::fs::metadata(file) else { return Vec::new() };
    if meta.len() > MAX_FILE_BYTES {
        return Vec::new();
    }
    let Ok(text) = std::fs::read_to_string(file) else { return Vec::new() };
    let mut list: Vec<RecentProject> = serde_json::from_str(&text).unwrap_or_default();
    // Only absolute paths, each once, at most MAX_RECENT: whatever the file says.
    let mut seen = std::collections::HashSet::new();
    list.retain(|p| Path::new(&p.path).is_absolute() && seen.insert(p.path.clone()));
    list.truncate(MAX_RECENT);
    list
}

/// The list as stored in `file`, each entry's `available` checked now.
pub fn list_in(file: &Path) -> Vec<RecentProject> {
    let mut list = read(file);
    for p in &mut list {
        p.available = Path::new(&p.path).join(crate::store::DB_FILE).is_file();
    }
    list
}

/// The user's list (`recent_file`).
pub fn list() -> Vec<RecentProject> {
    list_in(&recent_file())
}

/// Puts `dir` first in the list in `file` (written whole to a temporary file, then flushed
/// and renamed over it by `ml::durable`, so a crash leaves the old list or the new one).
pub fn remember_in(file: &Path, dir: &Path, now: &str) -> std::io::Result<()> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let path = dir.display().to_string();
    let mut list = read(file);
    list.retain(|p| p.path != path);
    list.insert(0, RecentProject {
        name: dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.clone()),
        path,
        opened_at: now.to_string(),
        available: true,
    });
    list.truncate(MAX_RECENT);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = file.with_extension(format!("json~tmp-{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&list).map_err(std::io::Error::other)?)?;
    ml::durable::commit_rename(&tmp, file)
}

/// Puts `dir` first in the user's list.
pub fn remember(dir: &Path) -> std::io::Result<()> {
    remember_in(&recent_file(), dir, &crate::clock::now())
}

/// The project at `index` of the user's list, when there is one and it still holds a
/// project: the app opens recent projects by position, so the page never names a path.
pub fn project_at(index: usize) -> Option<PathBuf> {
    list().into_iter().nth(index).filter(|p| p.available).map(|p| PathBuf::from(p.path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_once_each_capped_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("cfg/recent.json");
        let mut dirs = Vec::new();
        for i in 0..(MAX_RECENT + 2) {
            let d = tmp.path().join(format!("p{i}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(crate::store::DB_FILE), b"").unwrap();
            remember_in(&file, &d, &format!("t{i}")).unwrap();
            dirs.push(d);
        }
        remember_in(&file, &dirs[3], "again").unwrap();
        let list = list_in(&file);
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0].name, "p3");
        assert_eq!(list[0].opened_at, "again");
        assert_eq!(list[1].name, format!("p{}", MAX_RECENT + 1));
        assert_eq!(list.iter().filter(|p| p.name == "p3").count(), 1);
        assert!(list.iter().all(|p| p.available));
        std::fs::remove_file(dirs[3].join(crate::store::DB_FILE)).unwrap();
        assert!(!list_in(&file)[0].available, "a project that is gone is marked");
    }

    #[test]
    fn a_damaged_or_hostile_list_is_an_empty_or_cleaned_list() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("recent.json");
        std::fs::write(&file, b"{not json").unwrap();
        assert!(list_in(&file).is_empty());
        std::fs::write(&file, br#"[{"path":"relative/p","name":"x","opened_at":""},{"path":"/a","name":"a","opened_at":""},{"path":"/a","name":"a","opened_at":""}]"#).unwrap();
        let list = list_in(&file);
        assert_eq!(list.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(), ["/a"]);
        assert!(!list[0].available);
        std::fs::write(&file, vec![b' '; (MAX_FILE_BYTES + 1) as usize]).unwrap();
        assert!(list_in(&file).is_empty());
        // Remembering over a damaged list starts a new one.
        std::fs::write(&file, b"\xff\xfe").unwrap();
        remember_in(&file, tmp.path(), "now").unwrap();
        assert_eq!(list_in(&file).len(), 1);
    }
}
