//! The audit chain: every label, edit and status change appends one entry whose hash
//! covers its own content and the previous entry's hash. `verify` walks the chain and names
//! the first entry that does not match, so a changed, inserted or removed row is found.

use super::audit_key::{self, AuditKey};
use crate::digest::hex;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's hash: its content and the hash before it. Public because anyone can compute
/// it (the keyed seal is what someone with only the file cannot).
pub fn entry_hash(
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

/// The key that seals the entry after `last` (the newest entry's key id, if any) in the
/// project `conn` has open: the one the chain already uses when this machine has it, else a
/// new one from entry `id` on (the first keyed entry, or a chain carried to another machine).
fn sealing_key(conn: &Connection, last_key: Option<&str>, id: i64) -> rusqlite::Result<Option<AuditKey>> {
    let Some(project) = audit_key::project_of(conn) else {
        return Ok(None); // an in-memory database: nothing to seal
    };
    if let Some(key) = last_key.and_then(audit_key::find).filter(|k| k.project == project) {
        return Ok(Some(key));
    }
    // A key made for an entry whose transaction then rolled back is used again.
    if let Some(key) = audit_key::for_project(&project).into_iter().min_by_key(|k| k.first_entry) {
        return Ok(Some(key));
    }
    audit_key::create(&project, id)
        .map(Some)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(format!("cannot write the audit key in {}: {e}", audit_key::keys_dir().display()).into()))
}

/// Appends an entry inside the caller's transaction (so the entry and the change it
/// records commit together or not at all). Returns the entry id. The detail gains the
/// operating-system account (`os_account`) beside the reviewer the caller names, and the
/// entry is sealed with the project's key (`audit_key`).
pub(crate) fn append(
    conn: &Connection,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<i64> {
    let (prev, last_key): (String, Option<String>) = conn
        .query_row(
            "SELECT hash, key_id FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or_else(|| (GENESIS.to_string(), None));
    let id: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM audit_log", [], |r| {
        r.get(0)
    })?;
    let created_at = crate::clock::now();
    let mut detail = detail.clone();
    if let Some(fields) = detail.as_object_mut() {
        fields.insert("os_account".into(), audit_key::os_account().into());
    }
    let detail = detail.to_string();
    let hash = entry_hash(&prev, id, &created_at, actor, action, &detail);
    let key = sealing_key(conn, last_key.as_deref(), id)?;
    conn.execute(
        "INSERT INTO audit_log (id, created_at, actor, action, detail, prev_hash, hash, key_id, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, created_at, actor, action, detail, prev, hash, key.as_ref().map(|k| k.id.clone()), key.as_ref().map(|k| k.mac(&hash))],
    )?;
    Ok(id)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Verification {
    pub entries: u64,
    /// The first entry that breaks the chain, and why; `None` when the chain is intact.
    pub broken_at: Option<(i64, String)>,
    /// Entries whose keyed MAC was checked with a key on this machine.
    pub sealed: u64,
    /// Entries sealed by a key this machine does not have (made on another machine): their
    /// hashes were checked, their MACs could not be.
    pub unchecked_seals: u64,
    /// Entries from before keying (no MAC).
    pub unsealed: u64,
}

/// The newest entry, as `audit head` exports it: kept elsewhere, it lets `verify_against`
/// tell a chain cut short or rewritten from the one that was.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ChainHead {
    pub format: String,
    pub project: String,
    pub entry: i64,
    pub hash: String,
    pub key_id: Option<String>,
    /// HMAC of `format|entry|hash` under the key, when the entry is sealed.
    pub mac: Option<String>,
}

const HEAD_FORMAT: &str = "incident-atlas-audit-head/1";

fn head_message(entry: i64, hash: &str) -> String {
    format!("{HEAD_FORMAT}|{entry}|{hash}")
}

/// The chain's newest entry, sealed; None for an empty chain.
pub fn head(conn: &Connection) -> rusqlite::Result<Option<ChainHead>> {
    let last: Option<(i64, String, Option<String>)> = conn
        .query_row("SELECT id, hash, key_id FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(last.map(|(entry, hash, key_id)| {
        let mac = key_id.as_deref().and_then(audit_key::find).map(|k| k.mac(&head_message(entry, &hash)));
        ChainHead {
            format: HEAD_FORMAT.into(),
            project: audit_key::project_of(conn).unwrap_or_default(),
            entry,
            hash,
            key_id,
            mac,
        }
    }))
}

/// Walks the whole chain in id order: each entry's hash, its link to the one before, and
/// its seal (the keyed MAC) where this machine has the key. A chain whose entries stop
/// being sealed, or that lacks entries this machine's keys sealed, is broken.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verification> {
    verify_against(conn, None)
}

/// As `verify`, and the chain must hold `head` (exported earlier) unchanged.
pub fn verify_against(conn: &Connection, head: Option<&ChainHead>) -> rusqlite::Result<Verification> {
    let mut stmt = conn.prepare(
        "SELECT id, created_at, actor, action, detail, prev_hash, hash, key_id, mac FROM audit_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut expected_id = 1;
    let mut v = Verification { entries: 0, broken_at: None, sealed: 0, unchecked_seals: 0, unsealed: 0 };
    let mut sealed_since: Option<i64> = None;
    let project = audit_key::project_of(conn);
    // The first entry this machine sealed in this project, if it sealed any.
    let own_from = project.as_deref().map(audit_key::for_project).unwrap_or_default().iter().map(|k| k.first_entry).min();
    let mut head_seen = false;
    while let Some(r) = rows.next()? {
        let (id, created_at, actor, action, detail, prev_hash, hash): (i64, String, String, String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?);
        let (key_id, mac): (Option<String>, Option<String>) = (r.get(7)?, r.get(8)?);
        v.entries += 1;
        let problem = if id != expected_id {
            Some(format!("entry {expected_id} is missing (next present is {id})"))
        } else if prev_hash != prev {
            Some("its previous-hash does not match the entry before it".to_string())
        } else if entry_hash(&prev, id, &created_at, &actor, &action, &detail) != hash {
            Some("its content does not match its hash (the row was changed)".to_string())
        } else {
            match (key_id.as_deref(), mac.as_deref()) {
                (Some(key_id), Some(mac)) => {
                    sealed_since.get_or_insert(id);
                    match audit_key::find(key_id) {
                        Some(key) if key.mac(&hash) != mac => Some(format!(
                            "its seal does not match its content under key {key_id}: rewritten by someone without the key"
                        )),
                        Some(_) => {
                            v.sealed += 1;
                            None
                        }
                        None => {
                            v.unchecked_seals += 1;
                            None
                        }
                    }
                }
                _ if sealed_since.is_some() => Some(format!(
                    "it is not sealed, though the entries from {} on were: the chain was rewritten from here",
                    sealed_since.unwrap_or(id)
                )),
                _ if own_from.is_some_and(|from| id >= from) => Some(format!(
                    "it is not sealed, though this machine sealed this project's entries from {} on: the chain was rewritten",
                    own_from.unwrap_or(id)
                )),
                _ => {
                    v.unsealed += 1;
                    None
                }
            }
        }
        .or_else(|| {
            let h = head.filter(|h| h.entry == id)?;
            head_seen = true;
            (h.hash != hash).then(|| "it is not the entry the exported head names (its hash differs): the chain was rewritten".to_string())
        });
        if let Some(why) = problem {
            v.broken_at = Some((id, why));
            return Ok(v);
        }
        prev = hash;
        expected_id = id + 1;
    }
    let last = expected_id - 1;
    // A chain cut short is told by the exported head alone: a key made for an entry whose
    // transaction rolled back says nothing about entries that should exist.
    if let Some(h) = head.filter(|_| !head_seen) {
        v.broken_at = Some((last + 1, format!("the chain ends at entry {last}, before the exported head's entry {}: entries were removed", h.entry)));
    }
    Ok(v)
}

/// Checks that `head` is sealed by the key it names, where this machine has that key:
/// a head file edited to match a rewritten chain fails here.
pub fn head_is_authentic(head: &ChainHead) -> Option<bool> {
    let key = audit_key::find(head.key_id.as_deref()?)?;
    Some(head.mac.as_deref() == Some(key.mac(&head_message(head.entry, &head.hash)).as_str()))
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
                broken_at: None,
                sealed: 5,
                unchecked_seals: 0,
                unsealed: 0
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
        // Rewriting a row together with its own hash: its seal (keyed, the key is not in the
        // file) no longer matches, and the next entry's link would not either.
        let forged = entry_hash(GENESIS, 1, "2020-01-01T00:00:00.000Z", "b", "label", "{}");
        conn.execute(
            "UPDATE audit_log SET created_at = '2020-01-01T00:00:00.000Z', actor = 'b', detail = '{}', hash = ?1 WHERE id = 1",
            [forged],
        )
        .unwrap();
        let broken = verify(conn).unwrap().broken_at.unwrap();
        assert_eq!(broken.0, 1, "{broken:?}");
        assert!(broken.1.contains("seal"), "{broken:?}");
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
