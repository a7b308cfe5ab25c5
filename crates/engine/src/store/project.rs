//! An open project: the connection to `atlas.sqlite`, opened with the version check and
//! migrations, and the accessors the table modules build on.

use super::encryption::{self, Key};
use super::error::{StoreError, DB_FILE};
use super::migrations::{self, SCHEMA_VERSION};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// An open project store.
pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Connection,
    encrypted: bool,
}

impl Store {
    /// Creates the project folder if needed and an up-to-date database in it. Opening an
    /// existing project this way is allowed and migrates it, so `init` is idempotent.
    /// An encrypted project needs its passphrase from `INCIDENT_ATLAS_PASSPHRASE`
    /// (`open_with`/`create_encrypted` take it directly); a new one is encrypted when
    /// `INCIDENT_ATLAS_ENCRYPT_NEW` is set too.
    pub fn create(dir: &Path) -> Result<Store, StoreError> {
        let passphrase = encryption::passphrase_from_env();
        let fresh = !dir.join(DB_FILE).exists();
        match passphrase {
            Some(p) if fresh && std::env::var_os(encryption::ENCRYPT_NEW_ENV).is_some() => Self::create_encrypted(dir, &p),
            p => {
                Self::make_dir(dir)?;
                Self::open_db(dir, p.as_deref().map(Key::Passphrase), false)
            }
        }
    }

    /// Creates a project whose database is encrypted under `passphrase` (or opens it, when
    /// it exists and the passphrase opens it).
    pub fn create_encrypted(dir: &Path, passphrase: &str) -> Result<Store, StoreError> {
        encryption::check_new_passphrase(passphrase)?;
        Self::make_dir(dir)?;
        if dir.join(DB_FILE).exists() && !encryption::is_encrypted(dir)? {
            return Err(StoreError::Io {
                path: dir.join(DB_FILE),
                source: std::io::Error::other("a plain project is already here; encrypt it with `incident-atlas encrypt`"),
            });
        }
        Self::open_db(dir, Some(Key::Passphrase(passphrase)), true)
    }

    fn make_dir(dir: &Path) -> Result<(), StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })
    }

    /// Opens an existing project, applying any migrations this build has that it lacks.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Self::open_with(dir, encryption::passphrase_from_env().as_deref())
    }

    /// Opens an existing project with this passphrase for an encrypted one (a plain project
    /// opens whatever is given).
    pub fn open_with(dir: &Path, passphrase: Option<&str>) -> Result<Store, StoreError> {
        Self::open_key(dir, passphrase.map(Key::Passphrase))
    }

    /// Opens an existing project with this key for an encrypted one: a passphrase, or the
    /// key `encryption::derive_key` stretched from it once.
    pub fn open_key(dir: &Path, key: Option<Key<'_>>) -> Result<Store, StoreError> {
        if !dir.join(DB_FILE).is_file() {
            return Err(StoreError::NotAProject(dir.to_path_buf()));
        }
        Self::open_db(dir, key, false)
    }

    /// Whether this project's database is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Rewrites this plain project's database encrypted under `passphrase` and reopens it.
    /// Holds the project's job lock; nothing else may have the project open.
    pub fn encrypt(self, passphrase: &str) -> Result<Store, StoreError> {
        encryption::check_new_passphrase(passphrase)?;
        if self.encrypted {
            return Err(StoreError::AlreadyEncrypted(self.dir.clone()));
        }
        let _job = super::job_lock::acquire(&self.dir, "encrypting the project")?;
        let dir = self.dir.clone();
        let db_path = self.db_path.clone();
        let io = |source: std::io::Error| StoreError::Io { path: db_path.clone(), source };
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").map_err(|e| self.err(e))?;
        let staging = encryption::encrypt_file(&self.conn, &dir, passphrase)?;
        drop(self);
        ml::durable::commit_rename(&staging, &db_path).map_err(io)?;
        for suffix in ["-wal", "-shm"] {
            let side = dir.join(format!("{DB_FILE}{suffix}"));
            if side.exists() {
                std::fs::remove_file(&side).map_err(io)?;
            }
        }
        Self::open_db(&dir, Some(Key::Passphrase(passphrase)), false)
    }

    fn open_db(dir: &Path, key: Option<Key<'_>>, encrypt_new: bool) -> Result<Store, StoreError> {
        if std::env::var_os("INCIDENT_ATLAS_ALLOW_NETWORK_FS").is_none() {
            if let Some(fstype) = super::mounts::network_fs_of(dir) {
                return Err(StoreError::NetworkFileSystem { dir: dir.to_path_buf(), fstype });
            }
        }
        let db_path = dir.join(DB_FILE);
        let sqlite = |source| StoreError::Sqlite {
            path: db_path.clone(),
            source,
        };
        let encrypted = encryption::is_encrypted(dir)?;
        let conn = Connection::open(&db_path).map_err(sqlite)?;
        // The key, then the version check, before anything that could write (WAL switch
        // included): a wrong key or a newer file leaves the file byte-for-byte as it was.
        match key {
            Some(k) if encrypted || encrypt_new => encryption::unlock(&conn, &db_path, k)?,
            None if encrypted => return Err(StoreError::NeedsPassphrase(db_path)),
            _ => {}
        }
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: db_path,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
        )
        .map_err(sqlite)?;
        let mut store = Store {
            dir: dir.to_path_buf(),
            db_path,
            conn,
            encrypted: encrypted || encrypt_new,
        };
        migrations::migrate(&mut store.conn, &store.db_path, found)?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Begins an immediate transaction on the store's own connection, so that what a write
    /// decides from (read through `&Store` helpers) and the write itself see one state of
    /// the file: no other writer can commit in between. Rolled back unless committed.
    /// When another writer holds the file past the busy timeout, the error names the long
    /// job that holds the project, if one does (an import), instead of "database is locked".
    pub fn immediate(&self) -> Result<Immediate<'_>, StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => match super::job_lock::holder(&self.dir) {
                Some(holder) => StoreError::Busy { holder },
                None => self.err(e),
            },
            _ => self.err(e),
        })?;
        Ok(Immediate { store: self, done: false })
    }

    /// Makes every later commit on this connection wait for a full fsync, for writes a
    /// person acknowledged and the audit chain records (a label, a triage decision, a
    /// dismissal, an edit): with WAL and `synchronous = NORMAL` such a commit survives a
    /// killed process but may vanish on power loss as an undetectable tail of the chain.
    /// Bulk writes (imports, vectors) keep NORMAL: they can be run again.
    pub fn sync_full(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("PRAGMA synchronous = FULL").map_err(|e| self.err(e))
    }

    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Read access for queries that live in other engine modules.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.db_path.clone(),
            source,
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows: Result<Vec<String>, _> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect();
        Ok(rows.map_err(|e| self.err(e))?.join("\n"))
    }

    /// Number of incidents in the store.
    pub fn incident_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

/// An open `BEGIN IMMEDIATE` on a store's connection (`Store::immediate`).
pub struct Immediate<'a> {
    store: &'a Store,
    done: bool,
}

impl Immediate<'_> {
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        self.store.conn.execute_batch("COMMIT").map_err(|e| self.store.err(e))
    }
}

impl Drop for Immediate<'_> {
    fn drop(&mut self) {
        if !self.done {
            // An error path: nothing of it may stay. A failed rollback leaves SQLite to
            // roll back when the connection closes.
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
    }
}
