//! Jobs run on their own threads, with a snapshot anyone can read: the app lists them,
//! shows their progress bars and logs, and cancels them. Whoever starts a job passes a
//! `notify` callback (the app emits an event from it); it is called on every phase change
//! and at most every `NOTIFY_EVERY` otherwise, so a tight progress loop cannot flood the UI.

use crate::clock::now;
use super::{CancelToken, Progress};
use serde::Serialize;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const NOTIFY_EVERY: Duration = Duration::from_millis(100);
/// Log lines kept per job; older ones are dropped (the count of dropped lines is kept).
const LOG_LINES: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobSnapshot {
    pub id: u64,
    pub kind: String,
    pub title: String,
    pub state: JobState,
    pub phase: String,
    pub position: u64,
    pub total: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub seconds: f64,
    pub log: Vec<String>,
    pub log_dropped: u64,
    pub error: Option<String>,
    /// What the job produced, for the UI to act on (a run id, counts).
    pub result: Option<serde_json::Value>,
}

type Notify = Arc<dyn Fn(&JobSnapshot) + Send + Sync>;

struct Entry {
    snapshot: JobSnapshot,
    cancel: CancelToken,
    started: Instant,
    last_notify: Instant,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    jobs: BTreeMap<u64, Entry>,
}

/// Every job started in this process, running and finished.
#[derive(Clone, Default)]
pub struct JobRegistry {
    inner: Arc<Mutex<Inner>>,
}


/// The `Progress` a job's work reports to: updates the snapshot and notifies.
struct JobProgress {
    registry: JobRegistry,
    id: u64,
    notify: Notify,
}

impl JobProgress {
    fn update(&self, force: bool, change: impl FnOnce(&mut JobSnapshot)) {
        let snapshot = {
            let Ok(mut inner) = self.registry.inner.lock() else {
                return;
            };
            let Some(entry) = inner.jobs.get_mut(&self.id) else {
                return;
            };
            change(&mut entry.snapshot);
            entry.snapshot.seconds = entry.started.elapsed().as_secs_f64();
            if !force && entry.last_notify.elapsed() < NOTIFY_EVERY {
                return;
            }
            entry.last_notify = Instant::now();
            entry.snapshot.clone()
        };
        (self.notify)(&snapshot);
    }
}

fn push_log(s: &mut JobSnapshot, line: String) {
    if s.log.len() == LOG_LINES {
        s.log.remove(0);
        s.log_dropped += 1;
    }
    s.log.push(line);
}

impl Progress for JobProgress {
    fn set_total(&self, total: u64) {
        self.update(false, |s| s.total = total);
    }
    fn set_position(&self, position: u64) {
        self.update(false, |s| s.position = position);
    }
    fn set_phase(&self, phase: &str) {
        let phase = phase.to_string();
        self.update(true, |s| {
            if s.phase != phase {
                push_log(s, format!("{:>7.1}s  {phase}", s.seconds));
            }
            s.phase = phase;
            s.position = 0;
            s.total = 0;
        });
    }
}

impl JobRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts `work` on a new thread and returns the job's id at once. The work gets the
    /// job's progress and cancel token; its `Ok` value becomes the job's result, its `Err`
    /// the job's error, and a panic is caught and reported as a failure, never lost.
    pub fn start<F>(&self, kind: &str, title: &str, notify: Notify, work: F) -> u64
    where
        F: FnOnce(&dyn Progress, &CancelToken) -> Result<serde_json::Value, String>
            + Send
            + 'static,
    {
        let cancel = CancelToken::new();
        let id = {
            let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            inner.next_id += 1;
            let id = inner.next_id;
            let snapshot = JobSnapshot {
                id,
                kind: kind.to_string(),
                title: title.to_string(),
                state: JobState::Running,
                phase: "starting".into(),
                position: 0,
                total: 0,
                started_at: now(),
                finished_at: None,
                seconds: 0.0,
                log: vec![format!("{:>7.1}s  started: {title}", 0.0)],
                log_dropped: 0,
                error: None,
                result: None,
            };
            inner.jobs.insert(
                id,
                Entry {
                    snapshot,
                    cancel: cancel.clone(),
                    started: Instant::now(),
                    last_notify: Instant::now(),
                },
            );
            id
        };
        let progress = JobProgress {
            registry: self.clone(),
            id,
            notify,
        };
        if let Some(s) = self.get(id) {
            (progress.notify)(&s);
        }
        std::thread::Builder::new()
            .name(format!("job-{id}-{kind}"))
            .spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| work(&progress, &cancel)));
                let cancelled = cancel.is_cancelled();
                progress.update(true, |s| {
                    s.finished_at = Some(now());
                    match outcome {
                        Ok(_) if cancelled => {
                            s.state = JobState::Cancelled;
                            push_log(s, format!("{:>7.1}s  cancelled", s.seconds));
                        }
                        Ok(Ok(result)) => {
                            s.state = JobState::Succeeded;
                            s.result = Some(result);
                            push_log(s, format!("{:>7.1}s  finished", s.seconds));
                        }
                        Ok(Err(message)) => {
                            s.state = JobState::Failed;
                            push_log(s, format!("{:>7.1}s  failed: {message}", s.seconds));
                            s.error = Some(message);
                        }
                        Err(panic) => {
                            let message = panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_else(|| "unknown panic".into());
                            s.state = JobState::Failed;
                            let message = format!("internal error: {message}");
                            push_log(s, format!("{:>7.1}s  failed: {message}", s.seconds));
                            s.error = Some(message);
                        }
                    }
                });
            })
            .expect("the OS refused to start a job thread");
        id
    }

    pub fn get(&self, id: u64) -> Option<JobSnapshot> {
        self.inner
            .lock()
            .ok()?
            .jobs
            .get(&id)
            .map(|e| e.snapshot.clone())
    }

    /// Every job, newest first.
    pub fn list(&self) -> Vec<JobSnapshot> {
        match self.inner.lock() {
            Ok(inner) => inner
                .jobs
                .values()
                .rev()
                .map(|e| e.snapshot.clone())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Asks a running job to stop; false when there is no such running job.
    pub fn cancel(&self, id: u64) -> bool {
        let Ok(inner) = self.inner.lock() else {
            return false;
        };
        match inner.jobs.get(&id) {
            Some(e) if e.snapshot.state == JobState::Running => {
                e.cancel.cancel();
                true
            }
            _ => false,
        }
    }

    /// Waits until the job is no longer running (tests and scripted use).
    pub fn wait(&self, id: u64, timeout: Duration) -> Option<JobSnapshot> {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.get(id)?;
            if s.state != JobState::Running || Instant::now() > deadline {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn quiet() -> Notify {
        Arc::new(|_| {})
    }

    #[test]
    fn a_job_reports_progress_and_its_result() {
        let registry = JobRegistry::new();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let notify: Notify = Arc::new(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let id = registry.start("test", "count to ten", notify, |p, _| {
            p.set_phase("counting");
            p.set_total(10);
            for i in 1..=10 {
                p.set_position(i);
            }
            Ok(serde_json::json!({ "counted": 10 }))
        });
        let s = registry
            .wait(id, Duration::from_secs(10))
            .expect("job exists");
        assert_eq!(s.state, JobState::Succeeded);
        assert_eq!(
            (s.phase.as_str(), s.position, s.total),
            ("counting", 10, 10)
        );
        assert_eq!(s.result, Some(serde_json::json!({ "counted": 10 })));
        assert!(s.log.iter().any(|l| l.ends_with("counting")), "{:?}", s.log);
        assert!(s.finished_at.is_some());
        // Start, the phase change and the end are always notified, whatever the throttle.
        assert!(seen.load(Ordering::Relaxed) >= 3);
    }

    #[test]
    fn cancelling_stops_a_running_job_and_says_so() {
        let registry = JobRegistry::new();
        let id = registry.start("test", "wait for cancel", quiet(), |_, cancel| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !cancel.is_cancelled() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err("stopped".into())
        });
        assert!(registry.cancel(id));
        let s = registry
            .wait(id, Duration::from_secs(10))
            .expect("job exists");
        assert_eq!(s.state, JobState::Cancelled);
        assert!(!registry.cancel(id), "a finished job cannot be cancelled");
        assert!(!registry.cancel(999));
    }

    #[test]
    fn failures_and_panics_become_errors() {
        let registry = JobRegistry::new();
        let failed = registry.start("test", "fail", quiet(), |_, _| {
            Err("the file is not CSV".into())
        });
        let panicked = registry.start("test", "panic", quiet(), |_, _| {
            panic!("index out of bounds")
        });
        let f = registry
            .wait(failed, Duration::from_secs(10))
            .expect("job exists");
        assert_eq!(
            (f.state, f.error.as_deref()),
            (JobState::Failed, Some("the file is not CSV"))
        );
        let p = registry
            .wait(panicked, Duration::from_secs(10))
            .expect("job exists");
        assert_eq!(p.state, JobState::Failed);
        assert_eq!(
            p.error.as_deref(),
            Some("internal error: index out of bounds")
        );
        let listed: Vec<u64> = registry.list().iter().map(|s| s.id).collect();
        assert_eq!(listed, vec![panicked, failed], "newest first");
    }
}
