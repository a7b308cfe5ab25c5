//! The audit chain: every label, edit and status change appends one entry whose hash
//! covers its own content and the previous entry's hash. `verify` walks the chain and names
//! the first entry that does not match, so a changed, inserted or removed row is found.

use crate::digest::hex;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn entry_hash(
    prev: &str,
    id: i64,
    created_at: &str,
    actor: &str,
    action: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    // Length-prefixed fields, so no two different entries serialise to the same bytes.
    for part in [prev, &id.to_string(), created_at, actor, action, detail] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

/// Appends an entry inside the caller's transaction (so the entry and the change it
/// records commit together or not at all). Returns the entry id.
pub(crate) fn append(
    conn: &Connection,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<i64> {
    let prev: String = conn
        .query_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let id: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM audit_log", [], |r| {
        r.get(0)
    })?;
    let created_at = crate::clock::now();
    let detail = detail.to_string();
    let hash = entry_hash(&prev, id, &created_at, actor, action, &detail);
    conn.execute(
        "INSERT INTO audit_log (id, created_at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, created_at, actor, action, detail, prev, hash],
    )?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Verification {
    pub entries: u64,
    /// The first entry that breaks the chain, and why; `None` when the chain is intact.
    pub broken_at: Option<(i64, String)>,
}

/// Walks the whole chain in id order.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, actor, action, detail, prev_hash, hash FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    let mut entries = 0;
    while let Some(r) = rows.next()? {
        let (id, created_at, actor, action, detail, prev_hash, hash): (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
        ) = (
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        );
        entries += 1;
        let problem = if id != expected_id {
            Some(format!(
                "entry {expected_id} is missing (next present is {id})"
            ))
        } else if prev_hash != prev {
            Some("its previous-hash does not match the entry before it".to_string())
        } else if entry_hash(&prev, id, &created_at, &actor, &action, &detail) != hash {
            Some("its content does not match its hash (the row was changed)".to_string())
        } else {
            None
        };
        if let Some(why) = problem {
            return Ok(Verification {
                entries,
                broken_at: Some((id, why)),
            });
        }
        prev = hash;
        expected_id = id + 1;
    }
    Ok(Verification {
        entries,
        broken_at: None,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub created_at: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// The latest `limit` entries, newest first.
pub fn recent(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        let detail: String = r.get(4)?;
        Ok(AuditEntry {
            id: r.get(0)?,
            created_at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, crate::Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::create(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn an_intact_chain_verifies_and_any_changed_row_is_named() {
        let (_dir, store) = db();
        let conn = store.conn();
        for i in 0..5 {
            append(
                conn,
                "r.shah",
                "label",
                &serde_json::json!({ "item": i, "label": "medication" }),
            )
            .unwrap();
        }
        assert_eq!(
            verify(conn).unwrap(),
            Verification {
                entries: 5,
                broken_at: None
            }
        );
        // The triggers refuse an ordinary edit.
        assert!(conn
            .execute("UPDATE audit_log SET actor = 'x' WHERE id = 3", [])
            .is_err());
        assert!(conn
            .execute("DELETE FROM audit_log WHERE id = 3", [])
            .is_err());
        // Someone who drops them first is caught by the chain.
        conn.execute_batch(
            "DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;",
        )
        .unwrap();
        conn.execute(
            "UPDATE audit_log SET detail = '{\"item\":2,\"label\":\"falls\"}' WHERE id = 3",
            [],
        )
        .unwrap();
        let v = verify(conn).unwrap();
        assert_eq!(v.broken_at.as_ref().map(|b| b.0), Some(3), "{v:?}");
        assert!(v.broken_at.unwrap().1.contains("changed"));
    }

    #[test]
    fn a_removed_or_rehashed_row_breaks_the_chain_too() {
        let (_dir, store) = db();
        let conn = store.conn();
        for i in 0..4 {
            append(conn, "a", "label", &serde_json::json!({ "i": i })).unwrap();
        }
        conn.execute_batch(
            "DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete;",
        )
        .unwrap();
        // Rewriting a row together with its own hash still breaks the next entry's link.
        let forged = entry_hash(GENESIS, 1, "2020-01-01T00:00:00.000Z", "b", "label", "{}");
        conn.execute(
            "UPDATE audit_log SET created_at = '2020-01-01T00:00:00.000Z', actor = 'b', detail = '{}', hash = ?1 WHERE id = 1",
            [forged],
        )
        .unwrap();
        assert_eq!(verify(conn).unwrap().broken_at.map(|b| b.0), Some(2));
        let (_d2, store2) = db();
        let conn2 = store2.conn();
        for i in 0..4 {
            append(conn2, "a", "label", &serde_json::json!({ "i": i })).unwrap();
        }
        conn2
            .execute_batch("DROP TRIGGER audit_append_only_delete;")
            .unwrap();
        conn2
            .execute("DELETE FROM audit_log WHERE id = 2", [])
            .unwrap();
        let v = verify(conn2).unwrap();
        assert_eq!(v.broken_at.as_ref().map(|b| b.0), Some(3));
        assert!(v.broken_at.unwrap().1.contains("missing"));
    }
}
