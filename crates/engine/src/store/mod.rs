//! The project store: one folder per project holding `atlas.sqlite` (WAL, foreign keys on,
//! numbered migrations tracked by `PRAGMA user_version`).
//!
//! Each table group has its own module; `project` owns opening, creating and migrating,
//! `error` what can go wrong; this file only names the parts.

pub mod audit;
pub mod audit_key;
pub mod encryption;
pub mod job_lock;
pub mod privacy_rules;
mod mounts;
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
pub use previews::{previews, previews_by_id, Preview};
pub use error::{StoreError, DB_FILE};
pub use project::{Immediate, Store};
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

    /// Several processes opening one old file at once: each step runs once, every open
    /// succeeds (before, the second to start a step failed on tables the first had made).
    #[test]
    fn concurrent_opens_of_an_old_file_migrate_it_once() {
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(DB_FILE);
            let mut conn = Connection::open(&path).unwrap();
            migrations::migrate_to(&mut conn, &path, 0, 4).unwrap();
            drop(conn);
            let barrier = std::sync::Barrier::new(4);
            std::thread::scope(|scope| {
                let opens: Vec<_> = (0..4)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            Store::open(dir.path()).map(|s| s.schema_version().unwrap())
                        })
                    })
                    .collect();
                for open in opens {
                    assert_eq!(open.join().unwrap().unwrap(), SCHEMA_VERSION);
                }
            });
        }
    }

    /// A project written before 0009 (vectors in a WITHOUT ROWID table) keeps every vector
    /// bit for bit when opened, in a rowid table, with its key and cascade intact.
    #[test]
    fn vectors_move_to_a_rowid_table_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        migrations::migrate_to(&mut conn, &path, 0, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO datasets (id, name, source_path, source_sha256, source_bytes, format, column_mapping, imported_at)
             VALUES (1, 'd', 'd.csv', 'x', 1, 'csv', '{}', '2026-01-01T00:00:00Z');
             INSERT INTO models (id, name, kind, text_fields, dimension, provenance, created_at, vector_count)
             VALUES (1, 'a', 'tfidf-lsa', 'description', 300, '{}', 'now', 3),
                    (2, 'b', 'tfidf-lsa', 'description', 300, '{}', 'now', 1);",
        )
        .unwrap();
        let mut expected = Vec::new();
        for id in 1..=3i64 {
            conn.execute(
                "INSERT INTO incidents (id, dataset_id, source_line, external_id, occurred_on, description, content_sha256)
                 VALUES (?1, 1, ?1, 'r' || ?1, '2025-01-01', 'text', x'00')",
                [id],
            )
            .unwrap();
            for model in [1i64, 2] {
                if model == 2 && id != 2 {
                    continue;
                }
                // 1,200 bytes: past what the old table kept in place.
                let blob: Vec<u8> = (0..1200).map(|i| ((i as i64 * 7 + id * 13 + model) % 251) as u8).collect();
                conn.execute(
                    "INSERT INTO vectors (model_id, incident_id, vector) VALUES (?1, ?2, ?3)",
                    rusqlite::params![model, id, blob],
                )
                .unwrap();
                expected.push((model, id, blob));
            }
        }
        drop(conn);
        expected.sort_by_key(|&(model, id, _)| (model, id));

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let sql: String = store
            .conn()
            .query_row("SELECT sql FROM sqlite_schema WHERE name = 'vectors'", [], |r| r.get(0))
            .unwrap();
        assert!(!sql.to_uppercase().contains("WITHOUT ROWID"), "{sql}");
        let mut stmt = store
            .conn()
            .prepare("SELECT model_id, incident_id, vector FROM vectors ORDER BY model_id, incident_id")
            .unwrap();
        let found: Vec<(i64, i64, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // Not assert_eq: a failure would print every byte.
        assert!(found == expected, "vectors changed in the move: {} rows now, {} before", found.len(), expected.len());
        let duplicate = store.conn().execute(
            "INSERT INTO vectors (model_id, incident_id, vector) VALUES (1, 1, x'00')",
            [],
        );
        assert!(duplicate.is_err(), "the (model, incident) key must stay unique");
        let orphan = store.conn().execute(
            "INSERT INTO vectors (model_id, incident_id, vector) VALUES (1, 99, x'00')",
            [],
        );
        assert!(orphan.is_err(), "a vector must name a stored incident");
        store.conn().execute("DELETE FROM models WHERE id = 1", []).unwrap();
        let left: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM vectors", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1, "deleting a model deletes its vectors");
        assert_eq!(store.integrity_check().unwrap(), "ok");
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
            // The suite may run with every project encrypted: key the raw connection too.
            if encryption::is_encrypted(dir.path()).unwrap() {
                conn.pragma_update(None, "key", encryption::passphrase_from_env().unwrap()).unwrap();
            }
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
