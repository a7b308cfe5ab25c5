//! The keys that seal the audit chain, kept outside the project.
//!
//! The chain's hashes prove only that the rows agree with each other: whoever has the
//! project file can rewrite every entry from one on and recompute them. Each entry also
//! carries an HMAC of its hash under a key that lives in this machine's keys folder, not in
//! the project, so a rewrite by someone with the file alone shows. A key file also records
//! which project it seals and from which entry on, so stripping the MACs (making the chain
//! look older than keying) shows too. The truncated tail is what an exported chain head
//! (`audit head`, checked by `audit verify --against`) catches.

use crate::digest::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// One key: 32 random bytes, named by the first 16 hex digits of their SHA-256.
#[derive(Clone)]
pub struct AuditKey {
    pub id: String,
    bytes: [u8; 32],
    /// The project folder it seals, and the first entry it sealed there.
    pub project: String,
    pub first_entry: i64,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    key: String,
    project: String,
    first_entry: i64,
}

impl AuditKey {
    /// HMAC-SHA256 (RFC 2104) of `message` under this key, as hex.
    pub fn mac(&self, message: &str) -> String {
        hex(&hmac_sha256(&self.bytes, message.as_bytes()))
    }
}

pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// `INCIDENT_ATLAS_AUDIT_KEYS`, else `$XDG_DATA_HOME/incident-atlas/audit-keys`, else
/// `~/.local/share/incident-atlas/audit-keys`: the user's own data, never the project's.
pub fn keys_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("INCIDENT_ATLAS_AUDIT_KEYS") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data.join("incident-atlas/audit-keys")
}

/// The name a project folder's key files start with: its canonical path, hashed.
fn project_tag(project: &str) -> String {
    hex(&Sha256::digest(project.as_bytes()))[..16].to_string()
}

/// The project folder of the database `conn` has open, canonical (remembered per database
/// path: every audited write asks, and resolving a path costs a system call per component).
pub(crate) fn project_of(conn: &rusqlite::Connection) -> Option<String> {
    static KNOWN: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let db = conn.path()?;
    let known = KNOWN.get_or_init(Default::default);
    if let Some(dir) = known.lock().ok().and_then(|k| k.get(db).cloned()) {
        return Some(dir);
    }
    let dir = Path::new(db).parent()?.canonicalize().ok()?.to_string_lossy().into_owned();
    if let Ok(mut k) = known.lock() {
        k.insert(db.to_string(), dir.clone());
    }
    Some(dir)
}

fn cache() -> &'static Mutex<HashMap<String, Option<AuditKey>>> {
    static KEYS: OnceLock<Mutex<HashMap<String, Option<AuditKey>>>> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

fn read_key(path: &Path) -> Option<AuditKey> {
    let file: KeyFile = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let bytes: [u8; 32] = crate::digest::unhex(&file.key)?.try_into().ok()?;
    Some(AuditKey {
        id: hex(&Sha256::digest(bytes))[..16].to_string(),
        bytes,
        project: file.project,
        first_entry: file.first_entry,
    })
}

/// The key named `id` in the keys folder, if this machine has it.
pub fn find(id: &str) -> Option<AuditKey> {
    if let Some(known) = cache().lock().ok().and_then(|c| c.get(id).cloned()) {
        return known;
    }
    let found = std::fs::read_dir(keys_dir())
        .ok()?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(&format!("-{id}.key")))
        .and_then(|e| read_key(&e.path()))
        .filter(|k| k.id == id);
    if let Ok(mut c) = cache().lock() {
        c.insert(id.to_string(), found.clone());
    }
    found
}

/// Every key this machine made for `project`.
pub fn for_project(project: &str) -> Vec<AuditKey> {
    let prefix = format!("{}-", project_tag(project));
    let Ok(entries) = std::fs::read_dir(keys_dir()) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter_map(|e| read_key(&e.path()))
        .filter(|k| k.project == project)
        .collect()
}

/// A new key for `project`, sealing from entry `first_entry` on, written (owner-only)
/// before any entry uses it.
pub fn create(project: &str, first_entry: i64) -> std::io::Result<AuditKey> {
    let mut bytes = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    let id = hex(&Sha256::digest(bytes))[..16].to_string();
    let dir = keys_dir();
    std::fs::create_dir_all(&dir)?;
    let file = KeyFile { key: hex(&bytes), project: project.to_string(), first_entry };
    let path = dir.join(format!("{}-{id}.key", project_tag(project)));
    let staging = dir.join(format!(".{id}.partial"));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&staging)?;
        out.write_all(&serde_json::to_vec(&file).map_err(std::io::Error::other)?)?;
        out.sync_all()?;
    }
    ml::durable::commit_rename(&staging, &path)?;
    let key = AuditKey { id: id.clone(), bytes, project: file.project, first_entry };
    if let Ok(mut c) = cache().lock() {
        c.insert(id, Some(key.clone()));
    }
    Ok(key)
}

/// The operating-system account this process runs as (its real uid's name, from the
/// password database; `uid N` where it has none). Recorded beside the reviewer the user
/// chose, which is only what they said.
pub fn os_account() -> String {
    static ACCOUNT: OnceLock<String> = OnceLock::new();
    ACCOUNT
        .get_or_init(|| {
            let uid = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|rest| rest.split_whitespace().next().map(str::to_string))
            });
            let Some(uid) = uid else {
                return std::env::var("USER").unwrap_or_else(|_| "unknown".into());
            };
            std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|p| {
                    p.lines().find_map(|l| {
                        let f: Vec<&str> = l.split(':').collect();
                        (f.len() > 2 && f[2] == uid).then(|| f[0].to_string())
                    })
                })
                .unwrap_or_else(|| format!("uid {uid}"))
        })
        .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = super::hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::digest::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
