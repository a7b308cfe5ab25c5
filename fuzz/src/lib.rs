//! What the fuzz targets share: one scratch folder per process, rewritten by every input
//! (a fresh temporary folder per execution would cost more than the code under test).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// This process's scratch folder, emptied when first made.
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::var_os("FUZZ_SCRATCH").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let dir = base.join(format!("incident-atlas-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder for the fuzz target");
        dir
    })
}

/// Writes `bytes` to `name` in the scratch folder (making its parent) and returns its path.
pub fn put(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("a folder in the scratch folder");
    }
    std::fs::write(&path, bytes).expect("a file in the scratch folder");
    path
}

/// Splits an input into `n` parts at the separator line `\n===\n`: the last part takes the
/// rest, missing parts are empty. Lets one byte string stand for a folder of files.
pub fn parts(data: &[u8], n: usize) -> Vec<&[u8]> {
    const SEP: &[u8] = b"\n===\n";
    let mut out = Vec::with_capacity(n);
    let mut rest = data;
    while out.len() + 1 < n {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(at) => {
                out.push(&rest[..at]);
                rest = &rest[at + SEP.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out.resize(n, &[]);
    out
}
