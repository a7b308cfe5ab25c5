//! The project store: one folder per project holding `atlas.sqlite` (WAL, foreign keys on,
//! numbered migrations tracked by `PRAGMA user_version`).
//!
//! Each table group has its own module; `project` owns opening, creating and migrating,
//! `error` what can go wrong; this file only names the parts.

pub mod audit;
pub(crate) mod datasets;
mod error;
pub(crate) mod incidents;
mod migrations;
mod previews;
mod project;
pub(crate) mod summaries;
pub(crate) mod vectors;

pub use datasets::{Dataset, DatasetCounts, NewDataset};
pub use incidents::{IncidentRow, InsertOutcome};
pub use migrations::SCHEMA_VERSION;
pub use previews::{previews, Preview};
pub use error::{StoreError, DB_FILE};
pub use project::Store;
pub use summaries::{dataset_summaries, DatasetSummary};
pub use vectors::{ModelRecord, TextFields};

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

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
