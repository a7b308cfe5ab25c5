//! The project store: one folder per project holding `atlas.sqlite` (WAL, foreign keys on,
//! numbered migrations tracked by `PRAGMA user_version`).
//!
//! Each table group has its own module; this one owns opening, creating and migrating.

pub(crate) mod datasets;
pub(crate) mod incidents;
mod migrations;
pub(crate) mod vectors;

pub use datasets::{Dataset, DatasetCounts, NewDataset};
pub use incidents::{IncidentRow, InsertOutcome};
pub use migrations::SCHEMA_VERSION;
pub use vectors::{ModelRecord, TextFields};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// File name of the database inside a project folder.
pub const DB_FILE: &str = "atlas.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{dir} is not an Incident Atlas project (no {DB_FILE}); create one with `incident-atlas init {dir}`", dir = .0.display())]
    NotAProject(PathBuf),
    #[error("cannot create project folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} was written by a newer Incident Atlas (schema version {found}; this build knows up to {supported}). \
         Upgrade Incident Atlas to open it; the file has not been changed.",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("migration {version} failed on {}: {source}", path.display())]
    Migration {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error("database error on {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

/// An open project store.
pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Connection,
}

impl Store {
    /// Creates the project folder if needed and an up-to-date database in it. Opening an
    /// existing project this way is allowed and migrates it, so `init` is idempotent.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open_db(dir)
    }

    /// Opens an existing project, applying any migrations this build has that it lacks.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        if !dir.join(DB_FILE).is_file() {
            return Err(StoreError::NotAProject(dir.to_path_buf()));
        }
        Self::open_db(dir)
    }

    fn open_db(dir: &Path) -> Result<Store, StoreError> {
        let db_path = dir.join(DB_FILE);
        let sqlite = |source| StoreError::Sqlite {
            path: db_path.clone(),
            source,
        };
        let conn = Connection::open(&db_path).map_err(sqlite)?;
        // The version check comes before anything that could write (WAL switch included),
        // so a newer file is left byte-for-byte as it was.
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: db_path,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(sqlite)?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            db_path,
            conn,
        };
        migrations::migrate(&mut store.conn, &store.db_path, found)?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Read access for queries that live in other engine modules (stats, later analysis).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.db_path.clone(),
            source,
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows: Result<Vec<String>, _> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect();
        Ok(rows.map_err(|e| self.err(e))?.join("\n"))
    }

    /// Number of incidents in the store.
    pub fn incident_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_open_gives_current_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        drop(store);
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(again.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn open_without_project_names_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, StoreError::NotAProject(_)));
        assert!(err.to_string().contains("incident-atlas init"));
    }

    #[test]
    fn newer_schema_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::create(dir.path()).unwrap());
        let path = dir.path().join(DB_FILE);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        match &err {
            StoreError::SchemaTooNew {
                found, supported, ..
            } => {
                assert_eq!(*found, SCHEMA_VERSION + 5);
                assert_eq!(*supported, SCHEMA_VERSION);
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("newer Incident Atlas"));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "refused file must not change"
        );
        assert!(
            !dir.path().join("atlas.sqlite-wal").exists()
                || std::fs::metadata(dir.path().join("atlas.sqlite-wal"))
                    .unwrap()
                    .len()
                    == 0
        );
    }
}
