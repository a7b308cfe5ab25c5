//! Files a process left half-written when it died. Index folders and map files are written
//! under a name carrying the writer's process id, then renamed into place; a crash (or a
//! SIGKILL) before the rename leaves the staging copy behind, over a gigabyte for a
//! million-report index. The next writer in the same folder removes those whose process
//! is gone. A live writer's files are never touched: the app and the CLI may be writing
//! in one project at once.

use std::path::Path;

/// Whether process `pid` is running. Where that cannot be told (no `/proc`), it is taken
/// to be running, so nothing is removed.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Removes the entries of `dir` (files or folders) that `writer` names a process id for,
/// when that process has died. Returns how many it removed. Failures are ignored: what
/// cannot be removed now is tried again by the next writer.
pub(crate) fn sweep(dir: &Path, writer: impl Fn(&str) -> Option<u32>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(&writer) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed += usize::from(gone.is_ok());
    }
    removed
}

/// The process id in `name` between `prefix`'s end and the next non-digit, when `name`
/// has `prefix` somewhere in it: `(".run-3.iamap.4711-ThreadId(2).part", ".iamap.")`
/// gives 4711.
pub(crate) fn pid_after(name: &str, prefix: &str) -> Option<u32> {
    let at = name.find(prefix)? + prefix.len();
    let digits: &str = &name[at..];
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process id no process can have: above the kernel's limit.
    fn dead_pid() -> u32 {
        std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .map_or(u32::MAX - 1, |max| max + 1)
    }

    #[test]
    fn only_a_dead_writers_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dead_pid();
        let mine = std::process::id();
        let make_dir = |name: String| {
            std::fs::create_dir_all(dir.path().join(&name).join("inner")).unwrap();
            std::fs::write(dir.path().join(&name).join("inner/shard"), b"x").unwrap();
        };
        make_dir(format!("model.tmp-{dead}"));
        make_dir(format!("model.tmp-{mine}"));
        std::fs::write(dir.path().join(format!(".run-3.iamap.{dead}-ThreadId(1).part")), b"x").unwrap();
        std::fs::write(dir.path().join("model.usearch"), b"kept").unwrap();
        std::fs::write(dir.path().join("model.tmp-notapid"), b"kept").unwrap();

        let removed = sweep(dir.path(), |n| {
            n.rsplit_once(".tmp-").and_then(|(_, pid)| pid.parse().ok()).or_else(|| pid_after(n, ".iamap."))
        });
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        if Path::new("/proc/self").exists() {
            assert_eq!(removed, 2);
            let mut want = vec![format!("model.tmp-{mine}"), "model.tmp-notapid".into(), "model.usearch".into()];
            want.sort();
            assert_eq!(left, want);
        } else {
            assert_eq!(removed, 0, "without /proc nothing can be known dead");
        }
        assert_eq!(sweep(&dir.path().join("absent"), |_| Some(dead)), 0);
    }

    #[test]
    fn the_pid_is_read_after_its_prefix() {
        assert_eq!(pid_after("tfidf-lsa.tmp-4711", ".tmp-"), Some(4711));
        assert_eq!(pid_after("run-pending-12.usearch", "run-pending-"), Some(12));
        assert_eq!(pid_after(".run-3.iamap.99-ThreadId(2).part", ".iamap."), Some(99));
        assert_eq!(pid_after("tfidf-lsa.usearch", ".tmp-"), None);
        assert_eq!(pid_after("x.tmp-", ".tmp-"), None);
    }
}
