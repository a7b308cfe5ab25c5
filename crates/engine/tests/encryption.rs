//! Encrypted projects (issue 24): the file on disk has no SQLite header and none of the
//! reports' text, opens with its passphrase, refuses a wrong one leaving every byte as it
//! was, and a plain project can be encrypted in place with nothing lost.

use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::store::encryption::{self, Key};
use engine::store::{Store, StoreError, DB_FILE};
use std::path::Path;

const PASSPHRASE: &str = "correct horse battery staple";
/// Words only the reports hold: none may be found in the project's files.
const SECRETS: [&str; 3] = ["Oluwaseun", "Kowalczyk", "haloperidol"];

fn ingest_reports(store: &mut Store, dir: &Path) {
    let csv = dir.join("reports.csv");
    let mut text = String::from("id,date,category,description\n");
    for i in 0..300 {
        text.push_str(&format!(
            "R{i},2024-02-{:02},Medication,\"Son Oluwaseun Kowalczyk said {i} doses of haloperidol were given twice.\"\n",
            1 + i % 28
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let report = ingest_file(store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(report.succeeded(), "{:?}", report.bad_rows);
}

/// Every file SQLite keeps for the project (the database and its write-ahead log).
fn database_bytes(project: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let path = project.join(format!("{DB_FILE}{suffix}"));
            std::fs::read(&path).ok().map(|b| (path.display().to_string(), b))
        })
        .collect()
}

fn assert_no_plaintext(project: &Path) {
    for (path, bytes) in database_bytes(project) {
        if path.ends_with("-shm") {
            continue; // the shared-memory index holds page numbers, no content
        }
        assert!(!bytes.starts_with(b"SQLite format 3"), "{path} has a SQLite header");
        for secret in SECRETS {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{path} holds {secret:?} in the clear");
        }
    }
}

fn reports(store: &Store) -> i64 {
    store.conn().query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap()
}

#[test]
fn an_encrypted_project_keeps_no_plaintext_and_opens_only_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    assert!(matches!(Store::create_encrypted(&project, "short"), Err(StoreError::WeakPassphrase(_))));
    let mut store = Store::create_encrypted(&project, PASSPHRASE).unwrap();
    assert!(store.is_encrypted());
    ingest_reports(&mut store, dir.path());
    assert_eq!(reports(&store), 300);
    assert_no_plaintext(&project);
    drop(store);
    assert_no_plaintext(&project);

    let before = database_bytes(&project);
    assert!(matches!(Store::open_with(&project, None), Err(StoreError::NeedsPassphrase(_))));
    let wrong = Store::open_with(&project, Some("not the passphrase")).err().expect("a wrong passphrase is refused");
    assert!(matches!(wrong, StoreError::WrongPassphrase(_)), "{wrong}");
    assert!(wrong.to_string().contains("nothing was changed"), "{wrong}");
    assert_eq!(database_bytes(&project), before, "a refused passphrase changes no byte");

    let store = Store::open_with(&project, Some(PASSPHRASE)).unwrap();
    assert_eq!(reports(&store), 300);
    assert!(engine::audit::check(&store, None).unwrap().intact());
    drop(store);

    // The key stretched once here is the key SQLCipher stretches: it opens the project, and
    // one stretched from a wrong passphrase is refused like the passphrase.
    let key = encryption::derive_key(&project, PASSPHRASE).unwrap();
    let store = Store::open_key(&project, Some(Key::Raw(&key))).unwrap();
    assert_eq!(reports(&store), 300);
    drop(store);
    let wrong = encryption::derive_key(&project, "not the passphrase").unwrap();
    assert!(matches!(Store::open_key(&project, Some(Key::Raw(&wrong))), Err(StoreError::WrongPassphrase(_))));
    assert_eq!(database_bytes(&project), before);
}

#[test]
fn a_plain_project_is_encrypted_in_place_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    let mut store = Store::create(&project).unwrap();
    if store.is_encrypted() {
        return; // the suite runs in encrypted mode: there is no plain project to start from
    }
    ingest_reports(&mut store, dir.path());
    engine::review::add_reviewer(&mut store, "ana", engine::review::Role::Reviewer).unwrap();
    let plain = std::fs::read(project.join(DB_FILE)).unwrap();
    assert!(plain.starts_with(b"SQLite format 3"));
    assert!(matches!(store.encrypt("short").err(), Some(StoreError::WeakPassphrase(_))));

    let store = Store::open_with(&project, None).unwrap().encrypt(PASSPHRASE).unwrap();
    assert!(store.is_encrypted());
    assert_eq!(reports(&store), 300);
    assert!(engine::audit::check(&store, None).unwrap().intact(), "the audit chain survives encryption");
    drop(store);
    assert_no_plaintext(&project);
    let store = Store::open_with(&project, Some(PASSPHRASE)).unwrap();
    assert_eq!(reports(&store), 300);
    assert!(matches!(store.encrypt(PASSPHRASE).err(), Some(StoreError::AlreadyEncrypted(_))));
}
