//! The `incidents` table: writing validated reports, with de-duplication on external id.

use rusqlite::{params, Connection, OptionalExtension, Statement};

/// One validated incident, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub external_id: String,
    /// ISO date, `YYYY-MM-DD`.
    pub occurred_on: String,
    pub description: String,
    pub causes: Option<String>,
    pub actions: Option<String>,
    pub category: Option<String>,
    /// NRLS PD09 degree of harm, 1 (no harm) to 5 (death).
    pub harm: Option<u8>,
    pub care_setting: Option<String>,
    pub specialty: Option<String>,
    pub location: Option<String>,
    /// Unmapped columns as a JSON object.
    pub extra: String,
    /// When the report was made (`YYYY-MM-DD`), where the source says.
    pub reported_on: Option<String>,
    /// Hash of every stored field: tells a re-sent duplicate from a conflicting edit.
    pub content_sha256: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// The id was already stored with identical content.
    Duplicate,
    /// The id was already stored with different content (from `dataset_id`, `line`).
    Conflict {
        dataset_id: i64,
        line: i64,
    },
}

/// Prepared statements for a bulk import inside one transaction.
pub(crate) struct IncidentWriter<'c> {
    insert: Statement<'c>,
    lookup: Statement<'c>,
}

impl<'c> IncidentWriter<'c> {
    pub(crate) fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            insert: conn.prepare(
                "INSERT INTO incidents (dataset_id, source_line, external_id, occurred_on, description, causes, actions,
                                        category, harm, care_setting, specialty, location, extra, content_sha256, reported_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (external_id) DO NOTHING",
            )?,
            lookup: conn
                .prepare("SELECT content_sha256, dataset_id, source_line FROM incidents WHERE external_id = ?1")?,
        })
    }

    pub(crate) fn insert(
        &mut self,
        dataset_id: i64,
        line: u64,
        row: &IncidentRow,
    ) -> rusqlite::Result<InsertOutcome> {
        let changed = self.insert.execute(params![
            dataset_id,
            line,
            row.external_id,
            row.occurred_on,
            row.description,
            row.causes,
            row.actions,
            row.category,
            row.harm,
            row.care_setting,
            row.specialty,
            row.location,
            row.extra,
            &row.content_sha256[..],
            row.reported_on,
        ])?;
        if changed == 1 {
            return Ok(InsertOutcome::Inserted);
        }
        let existing: Option<(Vec<u8>, i64, i64)> = self
            .lookup
            .query_row([&row.external_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        Ok(match existing {
            Some((hash, _, _)) if hash == row.content_sha256 => InsertOutcome::Duplicate,
            Some((_, dataset_id, line)) => InsertOutcome::Conflict { dataset_id, line },
            // Only a constraint other than the id could get here, and the CHECKs are
            // validated before insert; treat it as a conflict with nothing rather than lose it.
            None => InsertOutcome::Conflict {
                dataset_id: 0,
                line: 0,
            },
        })
    }
}

/// How many reports the store holds, from the imports' own counts. Reports are written
/// only by an import, in the transaction that records how many it wrote, so the sum is
/// exact; it reads a row per import where `count(*)` walks an index of every report
/// (thousands of scattered pages at a million, tens of seconds from a cold disk).
pub(crate) fn stored_count(conn: &Connection) -> rusqlite::Result<u64> {
    let sum: i64 = conn.query_row("SELECT coalesce(sum(rows_imported), 0) FROM datasets", [], |r| r.get(0))?;
    Ok(sum.max(0) as u64)
}

/// How many reports have an id above `id`: a range of the table's own b-tree, so only the
/// newest rows' pages are read (the planner would otherwise walk a whole index).
pub(crate) fn count_after(conn: &Connection, id: i64) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM incidents NOT INDEXED WHERE id > ?1", [id], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// The ids above `id`, ascending, read as `count_after` reads them (a range of the table).
pub(crate) fn ids_after(conn: &Connection, id: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare("SELECT id FROM incidents NOT INDEXED WHERE id > ?1 ORDER BY id")?
        .query_map([id], |r| r.get(0))?
        .collect()
}
