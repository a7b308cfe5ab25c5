//! What can go wrong opening or writing a project store. The database file's name lives
//! here because the "not a project" message names it.

use std::path::PathBuf;

/// File name of the database inside a project folder.
pub const DB_FILE: &str = "atlas.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{dir} is not an Incident Atlas project (no {DB_FILE}); create one with `incident-atlas init {dir}`", dir = .0.display())]
    NotAProject(PathBuf),
    #[error("cannot create project folder {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} was written by a newer Incident Atlas (schema version {found}; this build knows up to {supported}). \
         Upgrade Incident Atlas to open it; the file has not been changed.",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("migration {version} failed on {}: {source}", path.display())]
    Migration {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error("the project is busy with {holder}; wait for it to finish (or cancel it) and try again")]
    Busy { holder: String },
    #[error(
        "{} is on a network file system ({fstype}), where SQLite's write-ahead log can corrupt the \
         project when two machines open it; copy the project to a local disk (or set \
         INCIDENT_ATLAS_ALLOW_NETWORK_FS=1 if only this machine ever opens it)",
        dir.display()
    )]
    NetworkFileSystem { dir: PathBuf, fstype: String },
    #[error(
        "{} is encrypted and the passphrase given does not open it; nothing was changed",
        .0.display()
    )]
    WrongPassphrase(PathBuf),
    #[error(
        "{} is encrypted: give its passphrase (in the app, or INCIDENT_ATLAS_PASSPHRASE for the command line)",
        .0.display()
    )]
    NeedsPassphrase(PathBuf),
    #[error("a passphrase for an encrypted project needs at least {0} characters")]
    WeakPassphrase(usize),
    #[error("{} is already encrypted", .0.display())]
    AlreadyEncrypted(PathBuf),
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error on {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}
