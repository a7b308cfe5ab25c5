//! The project's own identifier formats (an organisation's hospital numbers), kept in the
//! project file with the audit chain recording each change: masking depends on them, so a
//! pattern quietly removed would let numbers out unmasked.

use super::{audit, Store, StoreError};
use crate::clock::now;
use crate::privacy::{Rules, RulesError};
use rusqlite::params;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyRulesError {
    #[error(transparent)]
    Rule(#[from] RulesError),
    #[error("no hospital number pattern named '{0}' is set")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The patterns, by name.
pub fn list(store: &Store) -> Result<Vec<(String, String)>, StoreError> {
    let conn = store.conn();
    let mut stmt = conn.prepare("SELECT name, pattern FROM privacy_rules ORDER BY name").map_err(|e| store.err(e))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| store.err(e))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| store.err(e))
}

/// The built-in rules with the project's patterns: what every export masks with.
pub fn rules(store: &Store) -> Result<Rules, PrivacyRulesError> {
    Ok(Rules::new(&list(store)?)?)
}

/// Adds a pattern, checked with the others before it is stored.
pub fn add(store: &Store, name: &str, pattern: &str, actor: &str) -> Result<(), PrivacyRulesError> {
    store.sync_full()?;
    let tx = store.immediate()?;
    let mut all = list(store)?;
    all.push((name.to_string(), pattern.to_string()));
    Rules::new(&all)?;
    let write = |conn: &rusqlite::Connection| -> rusqlite::Result<()> {
        conn.execute("INSERT INTO privacy_rules (name, pattern, created_at) VALUES (?1, ?2, ?3)", params![name, pattern, now()])?;
        audit::append(conn, actor, "privacy_rule_add", &serde_json::json!({ "name": name, "pattern": pattern }))?;
        Ok(())
    };
    write(store.conn()).map_err(|e| store.err(e))?;
    tx.commit()?;
    Ok(())
}

pub fn remove(store: &Store, name: &str, actor: &str) -> Result<(), PrivacyRulesError> {
    store.sync_full()?;
    let tx = store.immediate()?;
    let removed = store.conn().execute("DELETE FROM privacy_rules WHERE name = ?1", [name]).map_err(|e| store.err(e))?;
    if removed == 0 {
        return Err(PrivacyRulesError::Unknown(name.to_string()));
    }
    audit::append(store.conn(), actor, "privacy_rule_remove", &serde_json::json!({ "name": name })).map_err(|e| store.err(e))?;
    tx.commit()?;
    Ok(())
}
