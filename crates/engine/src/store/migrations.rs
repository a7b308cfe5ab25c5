//! Numbered schema migrations. Migration N brings `user_version` from N-1 to N; each runs
//! in its own transaction together with the version bump, so a crash mid-migration leaves
//! the previous version intact.

use super::StoreError;
use rusqlite::Connection;
use std::path::Path;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_models_vectors.sql"),
    include_str!("../../migrations/0003_indexes_clusters.sql"),
    include_str!("../../migrations/0004_triage.sql"),
    include_str!("../../migrations/0005_review.sql"),
    include_str!("../../migrations/0006_evaluation.sql"),
    include_str!("../../migrations/0007_fit_and_assign.sql"),
    include_str!("../../migrations/0008_summaries_and_map_files.sql"),
    include_str!("../../migrations/0009_vectors_inline.sql"),
    include_str!("../../migrations/0010_map_fields_index.sql"),
    include_str!("../../migrations/0011_noise_edits.sql"),
    include_str!("../../migrations/0012_signals.sql"),
    include_str!("../../migrations/0013_signal_counts.sql"),
    include_str!("../../migrations/0014_reported_on.sql"),
    include_str!("../../migrations/0015_audit_keys.sql"),
    include_str!("../../migrations/0016_privacy_rules.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, db_path: &Path, from: i64) -> Result<(), StoreError> {
    migrate_to(conn, db_path, from, SCHEMA_VERSION)
}

/// Brings the schema from version `from` to `to` (at most `SCHEMA_VERSION`): tests build
/// a project as an older release left it, then open it with this one.
pub(super) fn migrate_to(
    conn: &mut Connection,
    db_path: &Path,
    from: i64,
    to: i64,
) -> Result<(), StoreError> {
    let steps = MIGRATIONS.iter().enumerate().take(to.max(0) as usize);
    for (index, sql) in steps.skip(from.max(0) as usize) {
        let version = index as i64 + 1;
        let fail = |source| StoreError::Migration {
            path: db_path.to_path_buf(),
            version,
            source,
        };
        // Immediate, and the version read again inside: a second process opening the same
        // old file waits here, then finds the step done instead of running it twice.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(fail)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(fail)?;
        if current >= version {
            tx.commit().map_err(fail)?;
            continue;
        }
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}
