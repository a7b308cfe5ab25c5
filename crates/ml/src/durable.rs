//! Renames that survive a power cut: a file or folder written under a staging name is
//! flushed to disk (every file in it, then the folder), renamed into place, and the
//! folder holding it flushed, so that after a crash at any moment the target is either
//! the old one or the new one whole — never a renamed file whose contents never reached
//! the disk. Shared by every crate that writes such files (indexes, models, checkpoints,
//! exports).

use std::fs::File;
use std::io;
use std::path::Path;

/// Flushes `path` to disk: a file's contents, or a folder's files (recursively, not
/// following symbolic links) and the folder itself.
pub fn sync_tree(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if !entry.file_type()?.is_symlink() {
                sync_tree(&entry.path())?;
            }
        }
        sync_dir(path)
    } else if meta.is_file() {
        File::open(path)?.sync_all()
    } else {
        Ok(())
    }
}

/// Flushes a folder's entries (the names in it) to disk. Windows cannot open a folder to
/// flush it; there the rename is as durable as the file system makes it.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Flushes `from`, renames it to `to`, and flushes the folder `to` is in.
pub fn commit_rename(from: &Path, to: &Path) -> io::Result<()> {
    sync_tree(from)?;
    std::fs::rename(from, to)?;
    match to.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => sync_dir(parent),
        None => sync_dir(Path::new(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_renamed_whole_and_a_missing_source_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join("staging");
        std::fs::create_dir_all(staging.join("inner")).unwrap();
        std::fs::write(staging.join("a.bin"), b"a").unwrap();
        std::fs::write(staging.join("inner/b.bin"), b"b").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&staging, staging.join("loop")).unwrap();
        let target = dir.path().join("target");
        commit_rename(&staging, &target).unwrap();
        assert_eq!(std::fs::read(target.join("inner/b.bin")).unwrap(), b"b");
        assert!(!staging.exists());
        assert!(commit_rename(&staging, &target).is_err());
    }
}
