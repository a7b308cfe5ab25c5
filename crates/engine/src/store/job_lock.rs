//! One long job at a time in a project: an import, an encode, an index build, an analysis,
//! an assignment, a training, an evaluation. Two of them at once would fight over
//! SQLite's single write lock (the second failing after its busy timeout with "database is
//! locked") or over the same index folder. The first takes an advisory lock on
//! `job.lock` in the project and writes there what it is; the next, in this process or
//! another, is told at once who holds the project ("busy: an import by ... since ...").
//! Short writes (a label, a triage decision) take no lock: they wait for SQLite's.
//!
//! A job that runs another (an analysis building its index) holds the lock once: taking
//! it again from the thread that holds it succeeds.

use super::error::StoreError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

/// The lock file in every project folder.
pub const LOCK_FILE: &str = "job.lock";

/// Held while a long job runs; released when dropped.
pub struct JobLock {
    project: PathBuf,
}

/// The projects this process holds, by thread and depth.
fn held() -> &'static Mutex<HashMap<PathBuf, (ThreadId, usize, File)>> {
    static HELD: OnceLock<Mutex<HashMap<PathBuf, (ThreadId, usize, File)>>> = OnceLock::new();
    HELD.get_or_init(Default::default)
}

fn key(project: &Path) -> PathBuf {
    project.canonicalize().unwrap_or_else(|_| project.to_path_buf())
}

/// Takes the project's job lock for `job` (a few words: "an import of reports.csv"), or
/// says who holds it.
pub fn acquire(project: &Path, job: &str) -> Result<JobLock, StoreError> {
    let project = key(project);
    let mut held = held().lock().unwrap_or_else(|p| p.into_inner());
    let me = std::thread::current().id();
    if let Some((owner, depth, _)) = held.get_mut(&project) {
        if *owner == me {
            *depth += 1;
            return Ok(JobLock { project });
        }
        return Err(busy(&project));
    }
    let path = project.join(LOCK_FILE);
    let io = |source| StoreError::CreateDir { path: path.clone(), source };
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => return Err(busy(&project)),
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    let what = format!(
        "{job} (process {}, account {}, since {})",
        std::process::id(),
        super::audit_key::os_account(),
        crate::clock::now()
    );
    file.set_len(0).and_then(|_| file.rewind()).and_then(|_| file.write_all(what.as_bytes())).map_err(io)?;
    held.insert(project.clone(), (me, 1, file));
    Ok(JobLock { project })
}

/// What holds the project's job lock, if anything does: for errors that another writer
/// caused ("database is locked") to say which.
pub fn holder(project: &Path) -> Option<String> {
    let path = key(project).join(LOCK_FILE);
    let file = File::open(&path).ok()?;
    if file.try_lock_shared().is_ok() {
        return None; // free: nobody is running a long job
    }
    let mut text = String::new();
    (&file).take(1024).read_to_string(&mut text).ok()?;
    Some(if text.trim().is_empty() { "another job".into() } else { text.trim().to_string() })
}

fn busy(project: &Path) -> StoreError {
    StoreError::Busy { holder: holder(project).unwrap_or_else(|| "another job in this window".into()) }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        let mut held = held().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, depth, _)) = held.get_mut(&self.project) {
            *depth -= 1;
            if *depth == 0 {
                // Dropping the file releases the lock; its text stays for nobody to read.
                held.remove(&self.project);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_job_is_told_who_holds_the_project_and_a_nested_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "an import of a.csv").unwrap();
        let nested = acquire(dir.path(), "its index").unwrap();
        let other = std::thread::scope(|s| s.spawn(|| acquire(dir.path(), "an encode").err()).join().unwrap());
        let said = other.expect("a second thread took the lock").to_string();
        assert!(said.contains("an import of a.csv") && said.contains(&std::process::id().to_string()), "{said}");
        assert!(holder(dir.path()).is_some_and(|h| h.contains("an import")));
        drop(nested);
        assert!(holder(dir.path()).is_some(), "the outer job still holds it");
        drop(first);
        assert_eq!(holder(dir.path()), None);
        drop(acquire(dir.path(), "an encode").unwrap());
    }
}
