//! Peak resident memory of this process, per stage.

/// Linux lets a process reset its own high-water mark, so the figure covers the ingest
/// alone and not the file generation before it.
pub(super) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(super) fn peak_rss_mib() -> Option<f64> {
    peak_rss_of("self")
}

/// Peak resident memory of process `pid` ("self" for this one) while it runs.
pub(super) fn peak_rss_of(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

