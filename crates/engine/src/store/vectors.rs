//! The `models` and `vectors` tables: which representations a project has, and their
//! vectors keyed by (model, incident).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelRecord {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub text_fields: String,
    pub dimension: usize,
    pub provenance: serde_json::Value,
    pub created_at: String,
    pub vectors: u64,
}

/// Which parts of an incident a model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFields {
    /// What happened (IN07) alone.
    Description,
    /// What happened, apparent causes and actions, one after the other.
    All,
}

impl TextFields {
    pub fn name(self) -> &'static str {
        match self {
            TextFields::Description => "description",
            TextFields::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<TextFields> {
        match s {
            "description" => Some(TextFields::Description),
            "all" => Some(TextFields::All),
            _ => None,
        }
    }

    /// The text these fields make of one report, exactly as [`TextFields::sql`] makes it
    /// in the store (a missing field adds nothing; a present one, even empty, adds its
    /// blank-line separator): what encoders outside the store (the Python wheel on Spark)
    /// must feed the model to get the same vectors.
    pub fn join(self, description: &str, causes: Option<&str>, actions: Option<&str>) -> String {
        match self {
            TextFields::Description => description.to_string(),
            TextFields::All => {
                let mut text = description.to_string();
                for part in [causes, actions].into_iter().flatten() {
                    text.push_str("\n\n");
                    text.push_str(part);
                }
                text
            }
        }
    }

    pub(crate) fn sql(self) -> &'static str {
        match self {
            TextFields::Description => "i.description",
            TextFields::All => {
                "i.description || coalesce(char(10) || char(10) || i.causes, '') || coalesce(char(10) || char(10) || i.actions, '')"
            }
        }
    }
}

const MODEL_SELECT: &str =
    "SELECT m.id, m.name, m.kind, m.text_fields, m.dimension, m.provenance, m.created_at, m.vector_count
     FROM models m";

pub(crate) fn find_model(conn: &Connection, name: &str) -> rusqlite::Result<Option<ModelRecord>> {
    conn.query_row(&format!("{MODEL_SELECT} WHERE m.name = ?1"), [name], record)
        .optional()
}

fn record(r: &rusqlite::Row) -> rusqlite::Result<ModelRecord> {
    let provenance: String = r.get(5)?;
    Ok(ModelRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        text_fields: r.get(3)?,
        dimension: r.get(4)?,
        provenance: serde_json::from_str(&provenance).unwrap_or(serde_json::Value::Null),
        created_at: r.get(6)?,
        vectors: r.get(7)?,
    })
}

pub(crate) fn list_models(conn: &Connection) -> rusqlite::Result<Vec<ModelRecord>> {
    let mut stmt = conn.prepare(&format!("{MODEL_SELECT} ORDER BY m.id"))?;
    let rows = stmt.query_map([], record)?;
    rows.collect()
}

pub(crate) fn insert_model(
    conn: &Connection,
    name: &str,
    kind: &str,
    text_fields: TextFields,
    dimension: usize,
    provenance: &serde_json::Value,
    created_at: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO models (name, kind, text_fields, dimension, provenance, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, kind, text_fields.name(), dimension, provenance.to_string(), created_at],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Up to `limit` incidents with no vector for `model_id` yet, oldest id first: (id, text).
/// Up to `limit` reports after incident `after` (in id order) that the model has not
/// encoded yet. Callers pass the last id of the previous chunk: starting from the first
/// report every time made encoding quadratic (each chunk re-skipped every report already
/// encoded: a million reports slowed to under 300 a second).
pub(crate) fn pending(
    conn: &Connection,
    model_id: i64,
    fields: TextFields,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT i.id, {} FROM incidents i
         WHERE i.id > ?3 AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model_id = ?1 AND v.incident_id = i.id)
         ORDER BY i.id LIMIT ?2",
        fields.sql()
    ))?;
    let rows = stmt.query_map(params![model_id, limit as i64, after], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// Where the reports a model has not encoded start, and how many there are: `(after,
/// count)`, every report with an id up to `after` having a vector. `total` is the
/// project's report count, which the caller has already read.
///
/// Encoding goes in id order, so the model's vectors usually cover every report up to the
/// newest one it encoded: then the pending reports are those after it, counted over the
/// newest rows of the table alone. That holds when the model's kept vector count equals
/// the reports up to that id (all reports less those after it). Only when some report
/// below it has no vector (an encode stopped partway through a batch written out of order)
/// is every report probed: at a million reports that probe reads the whole incidents table,
/// tens of seconds for next month's ten thousand.
pub(crate) fn pending_span(conn: &Connection, model_id: i64, total: u64) -> rusqlite::Result<(i64, u64)> {
    let (newest, kept): (Option<i64>, i64) = conn.query_row(
        "SELECT (SELECT max(incident_id) FROM vectors WHERE model_id = ?1), vector_count FROM models WHERE id = ?1",
        [model_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some(newest) = newest {
        let after = super::incidents::count_after(conn, newest)?;
        if total.checked_sub(after) == Some(kept.max(0) as u64) {
            return Ok((newest, after));
        }
    }
    let pending: i64 = conn.query_row(
        "SELECT count(*) FROM incidents i
         WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.model_id = ?1 AND v.incident_id = i.id)",
        [model_id],
        |r| r.get(0),
    )?;
    Ok((i64::MIN, pending.max(0) as u64))
}

/// Every `step`-th incident's text in id order (from the first), with `step` the smallest
/// that keeps at most `max` of them: a spread sample.
pub(crate) fn sample_texts(
    conn: &Connection,
    fields: TextFields,
    max: usize,
) -> rusqlite::Result<Vec<String>> {
    texts_at(conn, fields, |total| {
        let step = total.div_ceil(max.max(1)).max(1);
        Some((0..total).step_by(step).collect())
    })
}

/// The texts at the positions (in id order, counted from 0) that `choose` picks, given the
/// report count; `None` picks every one. `choose` returns positions in ascending order.
/// The texts stream past and only the picked ones are kept, so a sample of a million
/// reports holds its own texts, not everyone's. Read in one transaction, so the count and
/// the texts agree.
pub(crate) fn texts_at(
    conn: &Connection,
    fields: TextFields,
    choose: impl FnOnce(usize) -> Option<Vec<usize>>,
) -> rusqlite::Result<Vec<String>> {
    Ok(texts_with_ids_at(conn, fields, choose)?.into_iter().map(|(_, t)| t).collect())
}

/// As `texts_at`, each text with its incident id.
pub(crate) fn texts_with_ids_at(
    conn: &Connection,
    fields: TextFields,
    choose: impl FnOnce(usize) -> Option<Vec<usize>>,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let read = conn.unchecked_transaction()?;
    let total = super::incidents::stored_count(&read)? as usize;
    let picked = choose(total);
    let mut texts = Vec::with_capacity(picked.as_ref().map_or(total, Vec::len));
    let (mut position, mut next) = (0usize, 0usize);
    each_text(&read, fields, |id, text| {
        if picked.as_ref().is_none_or(|p| p.get(next) == Some(&position)) {
            texts.push((id, text.to_owned()));
            next += 1;
        }
        position += 1;
    })?;
    read.finish()?;
    Ok(texts)
}

/// Each incident's text, in id order, handed to `visit` one at a time: at a million reports
/// the texts would take gigabytes held together.
pub(crate) fn each_text(
    conn: &Connection,
    fields: TextFields,
    visit: impl FnMut(i64, &str),
) -> rusqlite::Result<()> {
    each_text_upto(conn, fields, i64::MAX, visit)
}

/// As `each_text`, for the incidents with ids up to `upto`: a reader that passes over the
/// texts more than once sees the same ones each time while imports add more.
pub(crate) fn each_text_upto(
    conn: &Connection,
    fields: TextFields,
    upto: i64,
    mut visit: impl FnMut(i64, &str),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(&format!(
        "SELECT i.id, {} FROM incidents i WHERE i.id <= ?1 ORDER BY i.id",
        fields.sql()
    ))?;
    let mut rows = stmt.query([upto])?;
    while let Some(row) = rows.next()? {
        let text = row.get_ref(1)?.as_str_or_null()?.unwrap_or("");
        visit(row.get(0)?, text);
    }
    Ok(())
}

pub(crate) fn insert_vectors(
    conn: &Connection,
    model_id: i64,
    rows: &[(i64, Vec<f32>)],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO vectors (model_id, incident_id, vector) VALUES (?1, ?2, ?3)",
    )?;
    let mut blob = Vec::new();
    for (incident, vector) in rows {
        blob.clear();
        blob.extend(vector.iter().flat_map(|x| x.to_le_bytes()));
        stmt.execute(params![model_id, incident, blob])?;
    }
    // In the same transaction as the rows, so the count is never out of step with them.
    conn.execute(
        "UPDATE models SET vector_count = vector_count + ?2 WHERE id = ?1",
        params![model_id, rows.len() as i64],
    )?;
    Ok(())
}

/// Every vector of a model: incident ids and the vectors, row-major (ids.len() x dimension).
pub(crate) fn load_vectors(
    conn: &Connection,
    model_id: i64,
    dimension: usize,
) -> rusqlite::Result<(Vec<i64>, Vec<f32>)> {
    load_where(conn, "", dimension, params![model_id])
}

/// Which reports `load_run_vectors` reads, relative to a cluster run.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RunReports {
    /// Those the run was fitted on.
    Fitted,
    /// Those the run does not hold yet.
    Missing,
}

/// The model's vectors of the reports `which` names for cluster run `run_id`.
pub(crate) fn load_run_vectors(
    conn: &Connection,
    model_id: i64,
    dimension: usize,
    run_id: i64,
    which: RunReports,
) -> rusqlite::Result<(Vec<i64>, Vec<f32>)> {
    let condition = match which {
        RunReports::Fitted => {
            "AND EXISTS (SELECT 1 FROM cluster_members m WHERE m.run_id = ?2 AND m.incident_id = v.incident_id
                 AND m.placement = 'fitted')"
        }
        RunReports::Missing => return load_missing(conn, model_id, dimension, run_id),
    };
    load_where(conn, condition, dimension, params![model_id, run_id])
}

/// The vectors of reports run `run_id` does not hold. Asking the vectors table which of
/// its rows the run lacks reads every vector (a gigabyte at a million reports, a minute
/// from a cold disk) to place the few thousand new ones; instead the reports the run
/// lacks are found from ids alone (the newest rows, or failing that two slim scans: the
/// incidents' smallest index and the run's member index), and only their vectors are read,
/// by key.
fn load_missing(
    conn: &Connection,
    model_id: i64,
    dimension: usize,
    run_id: i64,
) -> rusqlite::Result<(Vec<i64>, Vec<f32>)> {
    // Usually the run holds every report up to its newest member and lacks only those
    // after it: its kept member count says so, and then only the newest rows are read.
    let (newest, held): (Option<i64>, i64) = conn.query_row(
        "SELECT (SELECT max(incident_id) FROM cluster_members WHERE run_id = ?1), incidents
         FROM cluster_runs WHERE id = ?1",
        [run_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if let Some(newest) = newest {
        let total = super::incidents::stored_count(conn)?;
        let after = super::incidents::ids_after(conn, newest)?;
        if total.checked_sub(after.len() as u64) == Some(held.max(0) as u64) {
            return load_by_ids(conn, model_id, dimension, &after);
        }
    }
    let mut members: Vec<i64> = conn
        .prepare("SELECT incident_id FROM cluster_members WHERE run_id = ?1")?
        .query_map([run_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    members.sort_unstable();
    let mut missing: Vec<i64> = Vec::new();
    let mut stmt = conn.prepare("SELECT id FROM incidents")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        if members.binary_search(&id).is_err() {
            missing.push(id);
        }
    }
    drop(members);
    missing.sort_unstable();
    load_by_ids(conn, model_id, dimension, &missing)
}

/// The incident ids a model has vectors for, ascending. Read from the key's own index
/// (a dozen bytes a vector), not the vectors.
pub(crate) fn model_ids(conn: &Connection, model_id: i64) -> rusqlite::Result<Vec<i64>> {
    conn.prepare("SELECT incident_id FROM vectors WHERE model_id = ?1 ORDER BY incident_id")?
        .query_map([model_id], |r| r.get(0))?
        .collect()
}

/// The model's vectors of the incidents `ids` (ascending), by key; an incident without a
/// vector for the model is left out.
pub(crate) fn load_by_ids(
    conn: &Connection,
    model_id: i64,
    dimension: usize,
    ids: &[i64],
) -> rusqlite::Result<(Vec<i64>, Vec<f32>)> {
    let mut vector = conn.prepare_cached("SELECT vector FROM vectors WHERE model_id = ?1 AND incident_id = ?2")?;
    let (mut found, mut data) = (Vec::new(), Vec::new());
    for &id in ids {
        let mut rows = vector.query(params![model_id, id])?;
        if let Some(row) = rows.next()? {
            push_vector(&mut data, row.get_ref(0)?, dimension)?;
            found.push(id);
        }
    }
    Ok((found, data))
}

/// Appends one stored vector, checking its length against the model's dimension.
fn push_vector(
    data: &mut Vec<f32>,
    value: rusqlite::types::ValueRef<'_>,
    dimension: usize,
) -> rusqlite::Result<()> {
    let blob = value.as_blob()?;
    if blob.len() != dimension * 4 {
        return Err(rusqlite::Error::InvalidColumnType(
            1,
            "vector".into(),
            rusqlite::types::Type::Blob,
        ));
    }
    data.extend(
        blob.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
    );
    Ok(())
}

fn load_where(
    conn: &Connection,
    condition: &str,
    dimension: usize,
    params: impl rusqlite::Params,
) -> rusqlite::Result<(Vec<i64>, Vec<f32>)> {
    let mut stmt = conn.prepare(&format!(
        "SELECT v.incident_id, v.vector FROM vectors v WHERE v.model_id = ?1 {condition} ORDER BY v.incident_id"
    ))?;
    let mut ids = Vec::new();
    let mut data = Vec::new();
    let mut rows = stmt.query(params)?;
    while let Some(row) = rows.next()? {
        ids.push(row.get(0)?);
        push_vector(&mut data, row.get_ref(1)?, dimension)?;
    }
    Ok((ids, data))
}

impl super::Store {
    /// The representations this project holds, with their vector counts.
    pub fn models(&self) -> Result<Vec<ModelRecord>, super::StoreError> {
        list_models(self.conn()).map_err(|e| self.err(e))
    }

    /// All vectors of the named model: incident ids and a row-major matrix.
    pub fn vectors(
        &self,
        model: &str,
    ) -> Result<Option<(ModelRecord, Vec<i64>, Vec<f32>)>, super::StoreError> {
        let Some(record) = find_model(self.conn(), model).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let (ids, data) =
            load_vectors(self.conn(), record.id, record.dimension).map_err(|e| self.err(e))?;
        Ok(Some((record, ids, data)))
    }
}

#[cfg(test)]
mod tests {
    use super::TextFields;

    /// The Rust join makes the same text as the store's SQL for every mix of missing,
    /// empty and present fields, so vectors made outside the store match.
    #[test]
    fn join_matches_the_stores_sql() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let values = [None, Some(""), Some("fell on ward 3"), Some("línea\nno. 2")];
        for fields in [TextFields::Description, TextFields::All] {
            let sql = format!(
                "SELECT {} FROM (SELECT ?1 AS description, ?2 AS causes, ?3 AS actions) i",
                fields.sql()
            );
            for causes in values {
                for actions in values {
                    let description = "Patient found on floor.";
                    let stored: String = conn
                        .query_row(&sql, rusqlite::params![description, causes, actions], |r| r.get(0))
                        .unwrap();
                    assert_eq!(fields.join(description, causes, actions), stored, "{causes:?} {actions:?}");
                }
            }
        }
    }
}
