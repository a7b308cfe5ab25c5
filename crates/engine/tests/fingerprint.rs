//! The privacy fingerprint (issue 24) against counts made by hand on a six-report fixture,
//! and the name-like words of a word-vector model really trained on it.

use engine::fingerprint::fingerprint;
use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::privacy::Kind;
use engine::store::Store;

const FIXTURE: &str = "\
id,date,category,care setting,specialty,location,description,causes,actions,Patient age
R1,2024-01-05,Medication,Acute,Surgery,Ward,\"Mrs Jane Smith fell; NHS 401 023 2137.\",\"Daughter phoned 0113 496 0123.\",,94
R2,2024-01-06,Patient accident,Acute,Medicine,Bay,Patient slipped in the bathroom.,Wet floor.,,70
R3,2024-01-06,Patient accident,Acute,Medicine,Bay,Seen by Dr Patel and Dr Jones.,,Email j.bloggs@example.org.,70
R4,2024-01-07,Patient accident,Community,Nursing,Home,No harm. Postcode LS1 4AP given.,,,80
R5,2024-01-07,Patient accident,Community,Nursing,Home,Fall on the ward.,,,80
R6,2024-01-07,Patient accident,Community,Nursing,Home,Fall on the ward.,,,80
";

fn count(kinds: &[engine::fingerprint::KindCount], kind: Kind) -> (u64, u64) {
    kinds.iter().find(|k| k.kind == kind).map_or((0, 0), |k| (k.spans, k.reports))
}

/// A project of the six-report fixture (its folder kept alive beside it).
fn six_reports() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    let csv = dir.path().join("six.csv");
    std::fs::write(&csv, FIXTURE).unwrap();
    let report = ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(report.succeeded(), "{:?}", report.bad_rows);
    (dir, store)
}

#[test]
fn the_fingerprint_matches_hand_counts() {
    let (_dir, store) = six_reports();
    let fp = fingerprint(&store).unwrap();
    assert_eq!(fp.reports, 6);
    // By hand: R1 (a person, an NHS number, a phone), R3 (two people, an email), R4 (a postcode).
    assert_eq!(fp.reports_with_identifier, 3);
    assert_eq!(count(&fp.per_kind, Kind::Person), (3, 2));
    for kind in [Kind::NhsNumber, Kind::Phone, Kind::Email, Kind::Postcode] {
        assert_eq!(count(&fp.per_kind, kind), (1, 1), "{kind:?}");
    }
    assert_eq!(fp.per_kind.len(), 5, "{:?}", fp.per_kind);
    let field = |name: &str| &fp.per_field.iter().find(|f| f.field == name).unwrap().kinds;
    assert_eq!(count(field("description"), Kind::Person), (3, 2));
    assert_eq!(count(field("description"), Kind::NhsNumber), (1, 1));
    assert_eq!(count(field("description"), Kind::Postcode), (1, 1));
    assert_eq!(count(field("causes"), Kind::Phone), (1, 1));
    assert_eq!(count(field("actions"), Kind::Email), (1, 1));
    assert_eq!(field("causes").len() + field("actions").len(), 2);

    // Quasi-identifiers: date, setting, specialty, location and the source's age column.
    // Groups by hand: {R1} alone, {R2, R3}, {R4, R5, R6}.
    let q = &fp.quasi_identifiers;
    assert_eq!(q.columns, ["incident date", "care setting", "specialty", "location", "Patient age"]);
    assert_eq!((q.combinations, q.unique, q.below_5, q.below_11, q.smallest_k), (3, 1, 5, 0, 1));
    assert_eq!(q.rarest[0].values, ["2024-01-05", "Acute", "Surgery", "Ward", "94"]);
    assert_eq!(q.rarest.iter().map(|c| c.reports).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn a_trained_models_name_like_words_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("p")).unwrap();
    let csv = dir.path().join("r.csv");
    let mut text = String::from("id,date,category,description\n");
    for i in 0..120 {
        let who = ["Siobhan", "Okonkwo", "Kowalczyk"][i % 3];
        text.push_str(&format!("R{i},2024-01-{:02},Medication,Patient fell in the bathroom and {who} called the nurse for help with the hoist\n", 1 + i % 28));
    }
    std::fs::write(&csv, text).unwrap();
    ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    let mut spec = engine::train::WordVecSpec::new("words");
    spec.config.min_count = 1;
    spec.config.epochs = 1;
    engine::train::train_wordvec(&store, &spec, &NoProgress, &CancelToken::new()).unwrap();

    let fp = fingerprint(&store).unwrap();
    let model = fp.models.iter().find(|m| m.model == "words").expect("the trained model is read");
    assert!(model.words.unwrap_or(0) >= 15, "{model:?}");
    for name in ["siobhan", "okonkwo", "kowalczyk"] {
        assert!(model.examples.iter().any(|w| w.to_lowercase() == name), "{name} in {model:?}");
    }
    for word in ["patient", "bathroom", "nurse", "hoist", "help"] {
        assert!(!model.examples.iter().any(|w| w.to_lowercase() == word), "{word} is no name: {model:?}");
    }
}

/// Progress counted in reports read, to the total.
#[derive(Default)]
struct Recorded {
    total: std::sync::atomic::AtomicU64,
    position: std::sync::atomic::AtomicU64,
}

impl engine::jobs::Progress for Recorded {
    fn set_total(&self, total: u64) {
        self.total.store(total, std::sync::atomic::Ordering::Relaxed);
    }
    fn set_position(&self, position: u64) {
        self.position.store(position, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn the_fingerprint_job_reports_progress_and_stops_when_cancelled() {
    let (_dir, store) = six_reports();

    let progress = Recorded::default();
    let fp = engine::fingerprint::fingerprint_with(&store, &progress, &CancelToken::new()).unwrap();
    assert_eq!(fp, fingerprint(&store).unwrap());
    use std::sync::atomic::Ordering::Relaxed;
    assert_eq!((progress.total.load(Relaxed), progress.position.load(Relaxed)), (6, 6));

    let cancel = CancelToken::new();
    cancel.cancel();
    let err = engine::fingerprint::fingerprint_with(&store, &NoProgress, &cancel).unwrap_err();
    assert!(matches!(err, engine::fingerprint::FingerprintError::Cancelled), "{err}");
}
