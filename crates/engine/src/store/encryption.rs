//! Encrypted projects: the database through SQLCipher (AES-256 on every page, the write-ahead
//! log included), keyed by a passphrase that SQLCipher stretches with PBKDF2-HMAC-SHA512
//! (256,000 iterations, a random salt in the file). An encrypted file has no SQLite header:
//! that is how a project is known to be encrypted before a key is tried.
//!
//! The passphrase comes from the caller (the app's prompt) or, for scripts, from
//! `INCIDENT_ATLAS_PASSPHRASE`. It is never stored. What is not encrypted, and says so:
//! the files beside the database (indexes, models, repeated lines, maps) — `UNENCRYPTED`.

use super::{StoreError, DB_FILE};
use rusqlite::Connection;
use sha2::{Digest, Sha512};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The environment variable a script gives the passphrase in.
pub const PASSPHRASE_ENV: &str = "INCIDENT_ATLAS_PASSPHRASE";
/// With the passphrase variable set, makes every new project encrypted: how the test
/// suites run once in encrypted mode.
pub const ENCRYPT_NEW_ENV: &str = "INCIDENT_ATLAS_ENCRYPT_NEW";
/// The shortest passphrase accepted for a new encrypted project.
pub const MIN_PASSPHRASE: usize = 8;

/// What an encrypted project still keeps in the clear, said wherever encryption is offered.
pub const UNENCRYPTED: &str = "The project database (reports, labels, clusters, audit trail) is encrypted. \
These files beside it are not: indexes/ (one vector per report, from which similar text can be guessed), \
models/ (models fitted or trained on the reports: the TF-IDF model's and a word-vector model's vocabularies \
list report words), text/ (lines repeated across many reports, kept to set them aside) and maps/ (each \
report's date, category, harm and place on the map). Keep the project folder on an encrypted disk too.";

const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Whether the project's database is encrypted: it exists, is not empty and does not start
/// with SQLite's header.
pub fn is_encrypted(dir: &Path) -> Result<bool, StoreError> {
    let path = dir.join(DB_FILE);
    let io = |source: std::io::Error| StoreError::Io { path: path.clone(), source };
    let mut file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
    };
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
    }
    Ok(read > 0 && &head[..read] != &HEADER[..read])
}

/// The passphrase from the environment, if one is set.
pub fn passphrase_from_env() -> Option<String> {
    std::env::var(PASSPHRASE_ENV).ok().filter(|p| !p.is_empty())
}

/// A key as SQLCipher uses it after stretching a passphrase: opening with it skips the
/// 256,000 rounds, so an app that has unlocked a project once opens it again at once.
#[derive(Clone, PartialEq, Eq)]
pub struct RawKey([u8; 32]);

impl std::fmt::Debug for RawKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawKey(..)")
    }
}

impl RawKey {
    /// The `PRAGMA key` value for a raw key: `x'<64 hex digits>'`.
    pub(super) fn pragma(&self) -> String {
        format!("x'{}'", crate::digest::hex(&self.0))
    }
}

/// How an encrypted project is opened.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Passphrase(&'a str),
    Raw(&'a RawKey),
}

/// SQLCipher 4's stretching of `passphrase` for the project in `dir`, done here once:
/// PBKDF2-HMAC-SHA512, 256,000 iterations, the 16-byte salt the file starts with, a 32-byte
/// key. `Store::open_key` with it opens the project without stretching again; a wrong
/// passphrase gives a key that opening refuses.
pub fn derive_key(dir: &Path, passphrase: &str) -> Result<RawKey, StoreError> {
    let path = dir.join(DB_FILE);
    let io = |source: std::io::Error| StoreError::Io { path: path.clone(), source };
    let mut salt = [0u8; 16];
    std::fs::File::open(&path).and_then(|mut f| f.read_exact(&mut salt)).map_err(io)?;
    Ok(RawKey(pbkdf2_sha512(passphrase.as_bytes(), &salt, 256_000)))
}

/// PBKDF2 with HMAC-SHA512 for one 32-byte block (RFC 8018).
fn pbkdf2_sha512(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
    let mut key = [0u8; 128];
    if password.len() > 128 {
        key[..64].copy_from_slice(&Sha512::digest(password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let pad = |byte: u8| key.map(|k| k ^ byte);
    let inner = Sha512::new().chain_update(pad(0x36));
    let outer = Sha512::new().chain_update(pad(0x5c));
    let hmac = |message: &[u8]| -> [u8; 64] {
        let i = inner.clone().chain_update(message).finalize();
        outer.clone().chain_update(i).finalize().into()
    };
    let mut u = hmac(&[salt, &1u32.to_be_bytes()].concat());
    let mut t = u;
    for _ in 1..rounds {
        u = hmac(&u);
        for (a, b) in t.iter_mut().zip(u) {
            *a ^= b;
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&t[..32]);
    out
}

/// Keys a freshly opened connection and proves the key by reading the schema: a wrong key
/// fails here, before anything could write.
pub(super) fn unlock(conn: &Connection, db_path: &Path, key: Key<'_>) -> Result<(), StoreError> {
    let value = match key {
        Key::Passphrase(p) => p.to_string(),
        Key::Raw(raw) => raw.pragma(),
    };
    // SQLCipher logs a failed page check to standard error; the refusal is our error to give.
    let _ = conn.pragma_update(None, "cipher_log_level", "NONE");
    conn.pragma_update(None, "key", value).map_err(|source| StoreError::Sqlite { path: db_path.to_path_buf(), source })?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => Err(StoreError::WrongPassphrase(db_path.to_path_buf())),
        Err(source) => Err(StoreError::Sqlite { path: db_path.to_path_buf(), source }),
    }
}

/// Checks a passphrase chosen for a new encrypted project.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), StoreError> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(StoreError::WeakPassphrase(MIN_PASSPHRASE));
    }
    Ok(())
}

/// Rewrites a plain project's database encrypted under `passphrase` (SQLCipher's
/// `sqlcipher_export` into a new file, flushed, then renamed over the old one). The caller
/// holds the project's job lock and no other connection is open. The plain file's pages are
/// gone from the folder afterwards, though not from backups or the disk's free space.
pub(super) fn encrypt_file(conn: &Connection, dir: &Path, passphrase: &str) -> Result<PathBuf, StoreError> {
    let db_path = dir.join(DB_FILE);
    let staging = dir.join(format!("{DB_FILE}.encrypting-{}", std::process::id()));
    let sqlite = |source| StoreError::Sqlite { path: db_path.clone(), source };
    let _ = std::fs::remove_file(&staging);
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(sqlite)?;
    let staging_text = staging.to_str().ok_or_else(|| StoreError::Io {
        path: staging.clone(),
        source: std::io::Error::other("the project's path is not UTF-8"),
    })?;
    let result = (|| -> rusqlite::Result<()> {
        conn.execute("ATTACH DATABASE ?1 AS encrypted KEY ?2", [staging_text, passphrase])?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        conn.pragma_update(Some("encrypted"), "user_version", version)?;
        conn.execute_batch("DETACH DATABASE encrypted")
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&staging);
        return Err(sqlite(e));
    }
    Ok(staging)
}
