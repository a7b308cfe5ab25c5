//! The `datasets` and `import_rejects` tables: one row per import, and the rows it set aside.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

/// What an import knows about its source before it starts.
#[derive(Debug, Clone)]
pub struct NewDataset {
    pub name: String,
    pub source_path: String,
    pub source_sha256: String,
    pub source_bytes: u64,
    pub format: &'static str,
    pub column_mapping: serde_json::Value,
}

/// Row counts of one import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DatasetCounts {
    /// Data rows read from the file (header excluded).
    pub read: u64,
    /// New incidents written.
    pub imported: u64,
    /// Rows whose id was already in the store with the same content.
    pub duplicate: u64,
    /// Rows set aside as invalid (only with `skip_bad`; otherwise the import is rejected).
    pub rejected: u64,
    /// Rows imported with invalid UTF-8 bytes replaced by U+FFFD.
    pub lossy: u64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dataset {
    pub id: i64,
    pub name: String,
    pub source_path: String,
    pub source_sha256: String,
    pub format: String,
    pub imported_at: String,
    pub counts: DatasetCounts,
}

const COLUMNS: &str = "id, name, source_path, source_sha256, format, imported_at, \
                       rows_read, rows_imported, rows_duplicate, rows_rejected, rows_lossy";

fn from_row(r: &Row) -> rusqlite::Result<Dataset> {
    Ok(Dataset {
        id: r.get(0)?,
        name: r.get(1)?,
        source_path: r.get(2)?,
        source_sha256: r.get(3)?,
        format: r.get(4)?,
        imported_at: r.get(5)?,
        counts: DatasetCounts {
            read: r.get(6)?,
            imported: r.get(7)?,
            duplicate: r.get(8)?,
            rejected: r.get(9)?,
            lossy: r.get(10)?,
        },
    })
}

pub(crate) fn find_by_sha256(conn: &Connection, sha256: &str) -> rusqlite::Result<Option<Dataset>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM datasets WHERE source_sha256 = ?1"),
        [sha256],
        from_row,
    )
    .optional()
}

pub(crate) fn list(conn: &Connection) -> rusqlite::Result<Vec<Dataset>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM datasets ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

pub(crate) fn insert(
    conn: &Connection,
    new: &NewDataset,
    imported_at: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO datasets (name, source_path, source_sha256, source_bytes, format, column_mapping, imported_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            new.name,
            new.source_path,
            new.source_sha256,
            new.source_bytes,
            new.format,
            new.column_mapping.to_string(),
            imported_at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn set_counts(conn: &Connection, id: i64, c: &DatasetCounts) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE datasets SET rows_read = ?2, rows_imported = ?3, rows_duplicate = ?4, rows_rejected = ?5, rows_lossy = ?6
         WHERE id = ?1",
        params![id, c.read, c.imported, c.duplicate, c.rejected, c.lossy],
    )?;
    Ok(())
}

/// Records the column mapping an import ended with.
pub(crate) fn set_mapping(conn: &Connection, id: i64, mapping: &serde_json::Value) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE datasets SET column_mapping = ?2 WHERE id = ?1",
        params![id, mapping.to_string()],
    )?;
    Ok(())
}

pub(crate) fn insert_reject(
    conn: &Connection,
    dataset_id: i64,
    line: u64,
    problems: &serde_json::Value,
    raw_fields: &serde_json::Value,
) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO import_rejects (dataset_id, line, problems, raw_fields) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![dataset_id, line, problems.to_string(), raw_fields.to_string()])?;
    Ok(())
}

impl super::Store {
    /// Every import so far, oldest first.
    pub fn datasets(&self) -> Result<Vec<Dataset>, super::StoreError> {
        list(self.conn()).map_err(|e| self.err(e))
    }
}
