//! Labelling against a real project (the first 600 demo reports, TF-IDF/LSA vectors, one
//! cluster run): reviewers and schema versions, sampling strategies, blind double coding,
//! undo, agreement, adjudication, final labels, suggestions, and the audit chain over all
//! of it.

use engine::cluster::{self, AnalyseOptions};
use engine::encode::BASELINE;
use engine::jobs::{CancelToken, NoProgress};
use engine::review::{self, agreement, LabelDef, Role, SessionSpec, Strategy, Target};
use engine::store::Store;
use std::collections::HashMap;
use std::path::Path;

mod common;

fn project(dir: &Path) -> (Store, i64, HashMap<String, (String, Option<u8>)>) {
    let mut reader = csv::Reader::from_path(common::demo_csv()).unwrap();
    let headers = reader.headers().unwrap().clone();
    let (id_col, harm_col, type_col) = (
        headers.iter().position(|h| h.starts_with("RP01")).unwrap(),
        headers.iter().position(|h| h.starts_with("PD09")).unwrap(),
        headers
            .iter()
            .position(|h| h == "ground_truth_type")
            .unwrap(),
    );
    let mut truth = HashMap::new();
    for r in reader.records().take(600) {
        let r = r.unwrap();
        truth.insert(
            r[id_col].to_string(),
            (r[type_col].to_string(), r[harm_col].parse().ok()),
        );
    }
    let mut store = common::baseline_project(dir, 600);
    let run = cluster::analyse(
        &mut store,
        &AnalyseOptions::hdbscan(BASELINE, 15),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    (store, run.run.id, truth)
}

fn labels() -> Vec<LabelDef> {
    ["medication", "falls", "pressure ulcer", "other"]
        .iter()
        .map(|n| LabelDef {
            name: n.to_string(),
            guideline: format!("Reports mainly about {n}."),
        })
        .collect()
}

/// What a careful reviewer would call a demo report, from the generator's hidden type.
fn truth_label(kind: &str) -> &'static str {
    if kind.contains("fall") {
        "falls"
    } else if kind.contains("pressure") {
        "pressure ulcer"
    } else if [
        "insulin", "dose", "drug", "medic", "anticoag", "opioid", "epma", "allerg", "omitted",
    ]
    .iter()
    .any(|k| kind.contains(k))
    {
        "medication"
    } else {
        "other"
    }
}

fn spec(name: &str, schema: i64, strategy: Strategy, count: usize, coders: usize) -> SessionSpec {
    SessionSpec {
        name: name.into(),
        schema_id: schema,
        target: Target::All,
        strategy,
        count,
        coders_per_item: coders,
        seed: 7,
        model: Some(BASELINE.into()),
        proposed: None,
    }
}

#[test]
fn a_double_coded_session_from_sampling_to_final_labels() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run, truth) = project(dir.path());
    for (name, role) in [
        ("ana", Role::Reviewer),
        ("ben", Role::Reviewer),
        ("cat", Role::Adjudicator),
    ] {
        review::add_reviewer(&mut store, name, role).unwrap();
    }
    assert_eq!(
        review::add_reviewer(&mut store, "ana", Role::Analyst)
            .unwrap()
            .role,
        Role::Reviewer,
        "existing reviewer kept"
    );

    // Schemas: saving the same labels again is the same version; changed labels a new one.
    let schema = review::save_schema(&mut store, "incident type", false, &labels(), "cat").unwrap();
    assert_eq!(
        review::save_schema(&mut store, "incident type", false, &labels(), "cat")
            .unwrap()
            .id,
        schema.id
    );
    let mut changed = labels();
    changed[3].guideline = "Anything else.".into();
    assert_eq!(
        review::save_schema(&mut store, "incident type", false, &changed, "cat")
            .unwrap()
            .version,
        2
    );
    assert!(review::save_schema(
        &mut store,
        "dup",
        false,
        &[labels()[0].clone(), labels()[0].clone()],
        "cat"
    )
    .is_err());

    // Uncertainty sampling needs labels first.
    assert!(review::create_session(
        &mut store,
        &spec("u", schema.id, Strategy::Uncertainty, 10, 1),
        "cat"
    )
    .is_err());

    let session = review::create_session(
        &mut store,
        &spec("pilot", schema.id, Strategy::Random, 30, 2),
        "cat",
    )
    .unwrap();
    assert_eq!(session.items, 30);

    // Ana codes everything; Ben codes everything but calls every 5th "other". Ben never sees
    // Ana's label (blind), only that someone coded it.
    let mut expected_pairs = Vec::new();
    let mut made_to_disagree = Vec::new();
    let mut n = 0;
    while let Some(item) = review::next_item(&store, session.id, "ana").unwrap() {
        let label = truth_label(&truth[&item.external_id].0);
        review::record_label(
            &mut store,
            session.id,
            &item.external_id,
            "ana",
            &[label.into()],
            "",
            Some(0.9),
        )
        .unwrap();
        n += 1;
    }
    assert_eq!(n, 30);
    let ben_view = review::items(&store, session.id, "ben").unwrap();
    assert!(ben_view.iter().all(|i| i.mine.is_none() && i.coders == 1));
    let mut i = 0;
    while let Some(item) = review::next_item(&store, session.id, "ben").unwrap() {
        let ana = truth_label(&truth[&item.external_id].0);
        let ben = if i % 5 == 0 && ana != "other" {
            "other"
        } else {
            ana
        };
        if ben != ana {
            made_to_disagree.push(item.external_id.clone());
        }
        let idx = |l: &str| labels().iter().position(|d| d.name == l).unwrap();
        expected_pairs.push((idx(ana), idx(ben)));
        review::record_label(
            &mut store,
            session.id,
            &item.external_id,
            "ben",
            &[ben.into()],
            "",
            None,
        )
        .unwrap();
        i += 1;
    }
    assert_eq!(expected_pairs.len(), 30);
    assert!(
        review::next_item(&store, session.id, "cat")
            .unwrap()
            .is_none(),
        "every report has its two coders"
    );
    let some = ben_view[0].external_id.clone();
    assert!(
        review::record_label(
            &mut store,
            session.id,
            &some,
            "cat",
            &["falls".into()],
            "",
            None
        )
        .is_err(),
        "no third coder"
    );
    assert!(review::record_label(
        &mut store,
        session.id,
        &some,
        "ana",
        &["nonsense".into()],
        "",
        None
    )
    .is_err());
    assert!(review::record_label(
        &mut store,
        session.id,
        &some,
        "ana",
        &["falls".into(), "other".into()],
        "",
        None
    )
    .is_err());

    // Undo: a wrong label, undone, leaves the earlier one in force.
    let before = review::items(&store, session.id, "ana").unwrap()[0]
        .mine
        .clone();
    let first = ben_view[0].external_id.clone();
    review::record_label(
        &mut store,
        session.id,
        &first,
        "ana",
        &["pressure ulcer".into()],
        "misclick",
        None,
    )
    .unwrap();
    assert_eq!(
        review::undo_last(&mut store, session.id, "ana").unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        review::items(&store, session.id, "ana").unwrap()[0].mine,
        before
    );

    // Agreement equals the statistics computed directly on what was recorded.
    let report = review::agreement_report(&store, session.id).unwrap();
    assert_eq!(report.items, 30);
    let items: Vec<Vec<usize>> = expected_pairs.iter().map(|&(a, b)| vec![a, b]).collect();
    assert_eq!(
        report.alpha.unwrap().value,
        agreement::krippendorff_alpha_nominal(&items, 4).value
    );
    assert_eq!(
        report.ac1.unwrap().value,
        agreement::gwet_ac1(&items, 4).value
    );
    assert_eq!(
        report.fleiss.unwrap().value,
        agreement::fleiss_kappa(&items, 4).unwrap().value
    );
    assert_eq!(report.pairs.len(), 1);
    assert_eq!(
        report.pairs[0].kappa.value,
        agreement::cohen_kappa(&expected_pairs, 4).value
    );
    let mut listed: Vec<String> = report
        .disagreements
        .iter()
        .map(|d| d.external_id.clone())
        .collect();
    listed.sort();
    made_to_disagree.sort();
    assert_eq!(listed, made_to_disagree);
    assert!(!made_to_disagree.is_empty());
    assert_eq!(report.per_label.len(), 4);

    // Adjudication: only a third reviewer with the role, only where coders disagree.
    let contested = made_to_disagree[0].clone();
    assert!(review::adjudicate(
        &mut store,
        session.id,
        &contested,
        "ana",
        &["falls".into()],
        ""
    )
    .is_err());
    assert!(review::adjudicate(
        &mut store,
        session.id,
        &contested,
        "ben",
        &["falls".into()],
        ""
    )
    .is_err());
    let agreed = listed_agreed(&store, session.id, &made_to_disagree);
    assert!(review::adjudicate(
        &mut store,
        session.id,
        &agreed,
        "cat",
        &["falls".into()],
        ""
    )
    .is_err());
    for id in &made_to_disagree {
        let right = truth_label(&truth[id].0);
        review::adjudicate(
            &mut store,
            session.id,
            id,
            "cat",
            &[right.into()],
            "per guideline",
        )
        .unwrap();
    }
    let finals = review::final_labels(&store, session.id).unwrap();
    assert_eq!(finals.len(), 30);
    for f in &finals {
        let id = &f.external_id;
        assert_eq!(
            f.resolved.as_deref(),
            Some(&[truth_label(&truth[id].0).to_string()][..]),
            "{id}"
        );
        assert_eq!(f.coded.len(), 2, "both originals kept for {id}");
    }
    let after = review::agreement_report(&store, session.id).unwrap();
    assert!(after.disagreements.iter().all(|d| d.adjudicated.is_some()));

    // Suggestions come from the nearest labelled reports, with a confidence.
    let other = review::create_session(
        &mut store,
        &spec("next", schema.id, Strategy::Uncertainty, 10, 1),
        "cat",
    )
    .unwrap();
    assert_eq!(other.items, 10);
    let pick = review::items(&store, other.id, "ana").unwrap()[0]
        .external_id
        .clone();
    let s = review::suggest(&store, other.id, &pick)
        .unwrap()
        .expect("a suggestion");
    assert!(labels().iter().any(|l| l.name == s.label));
    assert!(s.confidence > 0.0 && s.confidence <= 1.0 && s.neighbours == 10);

    // Other strategies.
    let strat = review::create_session(
        &mut store,
        &spec(
            "strat",
            schema.id,
            Strategy::StratifiedByCluster { run },
            60,
            1,
        ),
        "cat",
    )
    .unwrap();
    assert_eq!(strat.items, 60);
    let div = review::create_session(
        &mut store,
        &spec("div", schema.id, Strategy::Diversity, 20, 1),
        "cat",
    )
    .unwrap();
    assert_eq!(div.items, 20);
    let nhs = review::create_session(
        &mut store,
        &spec("nhs", schema.id, Strategy::NhsReviewPreset, 1, 1),
        "cat",
    )
    .unwrap();
    let severe = truth
        .values()
        .filter(|(_, h)| matches!(h, Some(4 | 5)))
        .count();
    let moderate = truth
        .values()
        .filter(|(_, h)| *h == Some(3))
        .count()
        .min(100);
    let low = truth
        .values()
        .filter(|(_, h)| matches!(h, Some(1 | 2)))
        .count()
        .min(100);
    assert_eq!(nhs.items, severe + moderate + low);
    let cluster_target = SessionSpec {
        target: Target::Cluster { run, cluster: 0 },
        ..spec("c0", schema.id, Strategy::Random, 5, 1)
    };
    assert_eq!(
        review::create_session(&mut store, &cluster_target, "cat")
            .unwrap()
            .items,
        5
    );

    // Freeze the adjudicated session as a benchmark; export and import it back losslessly.
    let bench =
        review::benchmark::freeze_session(&mut store, session.id, "incident type v1", "cat")
            .unwrap();
    assert_eq!(
        (bench.header.items, bench.unresolved, bench.header.version),
        (30, 0, 1)
    );
    let contested_item = bench
        .items
        .iter()
        .find(|i| i.external_id == made_to_disagree[0])
        .unwrap();
    assert_eq!(contested_item.agreement, Some(0.5));
    assert_eq!(
        contested_item.reviewers,
        vec!["ana".to_string(), "ben".to_string()]
    );
    let other_project = dir.path().join("other");
    let mut other = Store::create(&other_project).unwrap();
    for (file, mode) in [
        ("b.jsonl", review::benchmark::TextMode::Full),
        ("b.csv", review::benchmark::TextMode::Masked),
    ] {
        let path = dir.path().join(file);
        review::benchmark::export(&store, &bench, &path, mode, "ana").unwrap();
        let again = review::benchmark::import(&mut store, &path, "cat").unwrap();
        assert_eq!(
            again.id, bench.id,
            "the same set imported into its own project is a no-op"
        );
        let copy = review::benchmark::import(&mut other, &path, "dan").unwrap();
        assert_eq!(
            copy.header.content_sha256, bench.header.content_sha256,
            "{file}"
        );
        assert_eq!(copy.items, bench.items, "{file}");
        // A changed label breaks the hash and the import is refused.
        let text = std::fs::read_to_string(&path).unwrap();
        let tampered = text
            .replacen("\"falls\"", "\"other\"", 1)
            .replacen(",falls,", ",other,", 1);
        assert_ne!(tampered, text, "{file}");
        let bad = dir.path().join(format!("bad-{file}"));
        std::fs::write(&bad, tampered).unwrap();
        assert!(
            review::benchmark::import(&mut other, &bad, "dan").is_err(),
            "{file}"
        );
    }
    let reloaded = review::benchmark::load_benchmark(&other, "incident type v1", None).unwrap();
    assert_eq!(reloaded.header.content_sha256, bench.header.content_sha256);
    assert_eq!(
        review::benchmark::freeze_session(&mut store, session.id, "incident type v1", "cat")
            .unwrap()
            .header
            .version,
        2
    );

    // A whole cluster labelled at once: proposed on each member, confirmed or rejected one
    // by one, never applied by itself.
    let whole = review::label_cluster(&mut store, run, 0, schema.id, "falls", None, "ana").unwrap();
    let members = review::items(&store, whole.id, "ana").unwrap();
    assert_eq!(whole.proposed, Some(vec!["falls".to_string()]));
    assert_eq!(
        members.len() as u64,
        cluster::run_clusters(&store, run)
            .unwrap()
            .iter()
            .find(|c| c.cluster_id == 0)
            .unwrap()
            .size
    );
    assert!(
        members.iter().all(|m| m.mine.is_none()),
        "nothing applied before the reviewer says so"
    );
    review::record_label(
        &mut store,
        whole.id,
        &members[0].external_id,
        "ana",
        &["falls".into()],
        "confirmed",
        None,
    )
    .unwrap();
    review::record_label(
        &mut store,
        whole.id,
        &members[1].external_id,
        "ana",
        &["other".into()],
        "rejected",
        None,
    )
    .unwrap();
    let finals = review::final_labels(&store, whole.id).unwrap();
    assert_eq!(finals[0].resolved, Some(vec!["falls".to_string()]));
    assert_eq!(finals[1].resolved, Some(vec!["other".to_string()]));
    assert!(finals[2..].iter().all(|f| f.resolved.is_none()));
    assert!(review::label_cluster(&mut store, run, 0, schema.id, "nonsense", None, "ana").is_err());

    // Everything above is on the audit chain, and the chain is intact.
    let v = engine::store::audit::verify(store.conn()).unwrap();
    assert_eq!(v.broken_at, None);
    let recent = engine::store::audit::recent(store.conn(), 1000).unwrap();
    let count = |a: &str| recent.iter().filter(|e| e.action == a).count();
    assert_eq!(
        (
            count("label"),
            count("label_change"),
            count("label_undo"),
            count("adjudicate")
        ),
        (62, 1, 1, made_to_disagree.len())
    );
    assert_eq!(
        count("session_create"),
        7,
        "the refused sessions left no trace"
    );
}

fn listed_agreed(store: &Store, session: i64, contested: &[String]) -> String {
    review::items(store, session, "ana")
        .unwrap()
        .into_iter()
        .map(|i| i.external_id)
        .find(|id| !contested.contains(id))
        .unwrap()
}
