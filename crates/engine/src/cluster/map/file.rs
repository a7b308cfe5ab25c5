//! Each run's map kept as the file the window reads, `maps/run-<id>.iamap`, so opening a
//! project of a million reports reads one file instead of joining a million rows, scaling
//! them and building their spatial index (seconds) every time.
//!
//! The `map_files` row says which state of the run the file shows (a stamp of its counts,
//! last edit and last batch of assigned reports) and the file's SHA-256. A stamp that no
//! longer matches, a missing or changed file: the map is built again and the file
//! replaced. Files are written under a temporary name and renamed into place, so a reader
//! never sees half a map.

use super::binary::MapBinary;
use super::columns::map_data;
use super::super::options::ClusterError;
use super::super::runs::load_run;
use crate::digest::sha256_hex as sha256;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use std::path::PathBuf;

const DIR: &str = "maps";

fn path_of(store: &Store, run_id: i64) -> PathBuf {
    store.dir().join(DIR).join(format!("run-{run_id}.iamap"))
}

/// Which state of the run a map shows: everything that changes a map, from the run's own
/// counts to the newest edit and batch of assigned reports, and the format.
fn stamp(store: &Store, run_id: i64) -> Result<String, ClusterError> {
    let run = load_run(store, run_id)?;
    let newest = |sql: &str| -> Result<i64, ClusterError> {
        store
            .conn()
            .query_row(sql, [run_id], |r| r.get::<_, Option<i64>>(0))
            .map(|v| v.unwrap_or(0))
            .map_err(|e| ClusterError::Store(store.err(e)))
    };
    let edit = newest("SELECT max(id) FROM cluster_edits WHERE run_id = ?1")?;
    let batch = newest("SELECT max(id) FROM cluster_assignments WHERE run_id = ?1")?;
    Ok(format!(
        "{} run {} incidents {} noise {} clusters {} edit {edit} batch {batch}",
        String::from_utf8_lossy(super::MAP_MAGIC).escape_default(),
        run.id,
        run.incidents,
        run.noise,
        run.clusters
    ))
}

/// The run's map in the binary layout (`binary.rs`): the kept file when it shows the run
/// as it is now, else built afresh and kept.
pub fn map_bytes(store: &Store, run_id: i64) -> Result<MapBinary, ClusterError> {
    let stamp_now = stamp(store, run_id)?;
    let kept: Option<(String, String, i64, i64)> = store
        .conn()
        .query_row(
            "SELECT stamp, sha256, bytes, details_at FROM map_files WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(|e| ClusterError::Store(store.err(e)))?;
    if let Some((stamp, digest, bytes, details_at)) = kept {
        if stamp == stamp_now {
            if let Ok(file) = std::fs::read(path_of(store, run_id)) {
                let details_at = usize::try_from(details_at).unwrap_or(usize::MAX);
                if file.len() as i64 == bytes && details_at <= file.len() && sha256(&file) == digest {
                    return Ok(MapBinary { bytes: file, details_at });
                }
            }
        }
    }
    write_map_file(store, run_id)
}

/// Builds the run's map and keeps it as its file (replacing any before), returning it.
pub fn write_map_file(store: &Store, run_id: i64) -> Result<MapBinary, ClusterError> {
    // The stamp and the map are read in one transaction, so the stamp describes the map
    // even while an assignment is being written by another process.
    let (stamp, map) = {
        let read = store
            .conn()
            .unchecked_transaction()
            .map_err(|e| ClusterError::Store(store.err(e)))?;
        let stamp = stamp(store, run_id)?;
        let map = map_data(store, run_id)?.to_binary()?;
        read.finish().map_err(|e| ClusterError::Store(store.err(e)))?;
        (stamp, map)
    };
    let path = path_of(store, run_id);
    let io = |what: &str, e: std::io::Error| {
        ClusterError::Invalid(format!("cannot {what} the map file {}: {e}", path.display()))
    };
    let dir = store.dir().join(DIR);
    std::fs::create_dir_all(&dir).map_err(|e| io("make the folder of", e))?;
    crate::leftovers::sweep(&dir, |name| {
        let staged = name.starts_with(".run-") && name.ends_with(".part");
        staged.then(|| crate::leftovers::pid_after(name, ".iamap.")).flatten()
    });
    let staging = dir.join(format!(
        ".run-{run_id}.iamap.{}-{:?}.part",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&staging, &map.bytes).map_err(|e| io("write", e))?;
    if let Err(e) = ml::durable::commit_rename(&staging, &path) {
        let _ = std::fs::remove_file(&staging);
        return Err(io("move into place", e));
    }
    // The row only saves the next open a rebuild: while another process holds the write
    // lock (an import) the map is still right, and the old row no longer matches the file.
    let _ = store.conn().execute(
        "INSERT OR REPLACE INTO map_files (run_id, stamp, sha256, bytes, details_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run_id, stamp, sha256(&map.bytes), map.bytes.len() as i64, map.details_at as i64],
    );
    Ok(map)
}
