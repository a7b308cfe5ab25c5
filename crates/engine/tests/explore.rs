//! What the review UI reads and writes, against a real project: the first 3,000 demo
//! reports encoded by the TF-IDF/LSA baseline and clustered. The map's columns, the triage
//! list and decisions (kept across a re-run), an incident in full with its neighbours, and
//! semantic search under field filters.

use engine::cluster::{self, AnalyseOptions, ClusterError};
use engine::encode::BASELINE;
use engine::explore::{self, Cache};
use engine::fields::Filter;
use engine::jobs::{CancelToken, NoProgress};
use engine::store::Store;
use engine::triage::{self, Status};
use std::collections::HashMap;
use std::path::Path;

mod common;

fn project(dir: &Path) -> (Store, i64) {
    let mut store = common::baseline_project(dir, 3000);
    let options = AnalyseOptions::hdbscan(BASELINE, 0);
    let summary = cluster::analyse(&mut store, &options, &NoProgress, &CancelToken::new()).unwrap();
    (store, summary.run.id)
}

#[test]
fn map_triage_detail_and_search_read_one_consistent_project() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run) = project(dir.path());
    assert_eq!(explore::latest_run_id(&store).unwrap(), Some(run));

    // The map: one entry per report in every column, dictionaries that cover every code.
    let map = explore::map_data(&store, run).unwrap();
    let n = map.external_id.len();
    assert_eq!(n, 3000);
    for len in [
        map.x.len(),
        map.y.len(),
        map.cluster.len(),
        map.category.len(),
        map.harm.len(),
        map.care_setting.len(),
        map.day.len(),
        map.month.len(),
    ] {
        assert_eq!(len, n);
    }
    assert!(map
        .category
        .iter()
        .all(|&c| (c as usize) < map.categories.len()));
    assert!(map
        .care_setting
        .iter()
        .all(|&c| (c as usize) < map.care_settings.len()));
    assert!(map.month.iter().all(|&m| (m as usize) < map.months.len()));
    assert!(map.months.windows(2).all(|w| w[0] < w[1]), "months ascend");
    assert!(map.harm.iter().all(|&h| h <= 5));
    let clusters = cluster::run_clusters(&store, run).unwrap();
    assert!(clusters.len() >= 3, "{} clusters", clusters.len());
    assert_eq!(map.clusters.len(), clusters.len());
    let mut sizes: HashMap<i64, u64> = HashMap::new();
    for &c in &map.cluster {
        if c >= 0 {
            *sizes.entry(c).or_default() += 1;
        }
    }
    for c in &map.clusters {
        assert_eq!(
            sizes[&c.cluster_id], c.size,
            "cluster {} size",
            c.cluster_id
        );
    }

    // Triage: ranked by priority, harm counts add up to the size, all new at first.
    let list = triage::cluster_triage(&store, run).unwrap();
    assert_eq!(list.len(), clusters.len());
    assert!(list.windows(2).all(|w| w[0].priority >= w[1].priority));
    for row in &list {
        assert_eq!(row.harm.iter().sum::<u64>(), row.size);
        assert!(row.recent + row.previous <= row.size);
        assert_eq!(row.status, Status::New);
        assert!(!row.keywords.is_empty());
        assert!(!row.representatives.is_empty() && row.representatives.len() <= 5);
        assert!((0.0..=1.0).contains(&row.severe_share));
        let signal = row.signal.as_ref().filter(|s| !s.dismissed).map_or(0.0, |s| s.strength);
        let expected = triage::list_priority(row.size, row.severe_share, signal);
        assert_eq!(row.priority, expected);
    }

    // Decisions: recorded, listed, kept in history, refused when unattributed or unknown.
    let target = list[0].cluster_id;
    triage::set_status(
        &mut store,
        run,
        target,
        Status::UnderReview,
        "  looks like one ward  ",
        "r.shah",
    )
    .unwrap();
    let decided = triage::set_status(
        &mut store,
        run,
        target,
        Status::Escalated,
        "sent to the medicines safety officer",
        "r.shah",
    )
    .unwrap();
    assert_eq!(decided.status, Status::Escalated);
    let again = triage::cluster_triage(&store, run).unwrap();
    let row = again.iter().find(|r| r.cluster_id == target).unwrap();
    assert_eq!(row.status, Status::Escalated);
    assert_eq!(
        row.decision.as_ref().unwrap().note,
        "sent to the medicines safety officer"
    );
    let history = triage::history(&store, run, target).unwrap();
    assert_eq!(
        history.iter().map(|h| h.status).collect::<Vec<_>>(),
        vec![Status::UnderReview, Status::Escalated]
    );
    assert_eq!(history[0].note, "looks like one ward");
    assert!(matches!(
        triage::set_status(&mut store, run, target, Status::Dismissed, "", "  "),
        Err(ClusterError::Invalid(_))
    ));
    assert!(matches!(
        triage::set_status(&mut store, run, 99_999, Status::Dismissed, "", "r.shah"),
        Err(ClusterError::UnknownCluster { .. })
    ));
    assert_eq!(
        triage::history(&store, run, target).unwrap().len(),
        2,
        "refused changes leave no trace"
    );
    let audit = engine::store::audit::recent(store.conn(), 10).unwrap();
    assert_eq!(
        audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["cluster_status", "cluster_status"]
    );
    assert_eq!(audit[0].detail["status"], "escalated");
    assert_eq!(
        engine::store::audit::verify(store.conn())
            .unwrap()
            .broken_at,
        None
    );

    // A re-run keeps cluster ids by overlap, so the decision follows the cluster.
    let rerun = cluster::analyse(
        &mut store,
        &AnalyseOptions::hdbscan(BASELINE, 0),
        &NoProgress,
        &CancelToken::new(),
    )
    .unwrap();
    let carried = triage::cluster_triage(&store, rerun.run.id).unwrap();
    assert_eq!(
        carried
            .iter()
            .find(|r| r.cluster_id == target)
            .map(|r| r.status),
        Some(Status::Escalated)
    );

    // An incident in full: its cluster in the run matches the map, 10 neighbours, not itself.
    let cache = Cache::default();
    let i = map.cluster.iter().position(|&c| c == target).unwrap();
    let id = &map.external_id[i];
    let detail = explore::incident_detail(&store, &cache, id, Some(run)).unwrap();
    assert_eq!(&detail.external_id, id);
    assert!(!detail.description.is_empty());
    let cref = detail.cluster.as_ref().unwrap();
    assert_eq!(
        (cref.run_id, cref.cluster_id, cref.status),
        (run, target, Some(Status::Escalated))
    );
    assert_eq!(detail.similar.len(), 10);
    assert!(detail.similar.iter().all(|h| &h.external_id != id));
    assert!(detail
        .similar
        .windows(2)
        .all(|w| w[0].similarity >= w[1].similarity));
    assert!(explore::incident_detail(&store, &cache, "no-such-report", Some(run)).is_err());
    let bare = explore::incident_detail(&store, &cache, id, None).unwrap();
    assert!(bare.cluster.is_none() && bare.similar.is_empty());

    // Search: unfiltered gives k hits; a filter holds for every hit, even a narrow one.
    let text = "insulin dose missed on the ward";
    let plain = explore::search(&store, &cache, BASELINE, text, &Filter::default(), 20).unwrap();
    assert_eq!(plain.len(), 20);
    let severe = Filter {
        harm: vec![4, 5],
        ..Filter::default()
    };
    let hits = explore::search(&store, &cache, BASELINE, text, &severe, 15).unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| matches!(h.hit.harm, Some(4 | 5))));
    let setting = map.care_settings[0].clone();
    let (from, to) = (
        format!("{}-01", map.months[0]),
        format!("{}-31", map.months[1]),
    );
    let dated = Filter {
        date_from: Some(from.clone()),
        date_to: Some(to.clone()),
        care_setting: vec![setting.clone()],
        ..Filter::default()
    };
    let hits = explore::search(&store, &cache, BASELINE, text, &dated, 10).unwrap();
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(
            h.hit.occurred_on >= from && h.hit.occurred_on <= to,
            "{}",
            h.hit.occurred_on
        );
        assert_eq!(h.care_setting.as_deref(), Some(setting.as_str()));
    }
    assert!(explore::search(&store, &cache, BASELINE, "   ", &Filter::default(), 5).is_err());
}

/// The map the window reads is the run's kept file while it shows the run as it is: the
/// analysis writes it, an edit makes it stale (the next read rebuilds it), and a file
/// changed or removed on disk is never served but built again.
#[test]
fn the_kept_map_file_follows_the_run_and_is_rebuilt_when_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run) = project(dir.path());
    let path = store.dir().join("maps").join(format!("run-{run}.iamap"));
    let fresh = |store: &Store| explore::map_data(store, run).unwrap().to_binary().unwrap().bytes;
    let built = fresh(&store);
    assert_eq!(std::fs::read(&path).unwrap(), built, "the analysis keeps the run's map");
    assert_eq!(explore::map_bytes(&store, run).unwrap().bytes, built);

    // Scaled positions, one scale for both axes, the longer side spanning [-0.95, 0.95].
    let map = explore::map_data(&store, run).unwrap();
    let span = |v: &[f32]| v.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let ((x0, x1), (y0, y1)) = (span(&map.x), span(&map.y));
    assert!(x0 >= -0.951 && x1 <= 0.951 && y0 >= -0.951 && y1 <= 0.951);
    assert!((x1 - x0).max(y1 - y0) > 1.89, "the longer side spans the square");

    let mut damaged = built.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x20;
    std::fs::write(&path, &damaged).unwrap();
    assert_eq!(explore::map_bytes(&store, run).unwrap().bytes, built, "a changed file is not served");
    assert_eq!(std::fs::read(&path).unwrap(), built, "and is replaced");
    std::fs::remove_file(&path).unwrap();
    // A writer killed before its rename left a staging file; a live writer's is kept.
    let pid_max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .map_or(4_194_304, |s| s.trim().parse().unwrap());
    let maps = path.parent().unwrap();
    let dead = maps.join(format!(".run-{run}.iamap.{}-ThreadId(1).part", pid_max + 1));
    let live = maps.join(format!(".run-{run}.iamap.{}-ThreadId(99).part", std::process::id()));
    std::fs::write(&dead, b"half a map").unwrap();
    std::fs::write(&live, b"being written").unwrap();
    assert_eq!(explore::map_bytes(&store, run).unwrap().bytes, built);
    assert!(path.exists());
    assert!(!dead.exists(), "a dead writer's staging file is swept");
    assert!(live.exists(), "a live writer's staging file is left alone");
    std::fs::remove_file(&live).unwrap();

    let clusters = cluster::run_clusters(&store, run).unwrap();
    let merged = cluster::merge_clusters(&mut store, run, &[clusters[0].cluster_id, clusters[1].cluster_id], "tester").unwrap();
    let after = explore::map_bytes(&store, run).unwrap().bytes;
    assert_ne!(after, built, "an edit makes the kept map stale");
    assert_eq!(after, fresh(&store));
    let map = explore::map_data(&store, run).unwrap();
    assert!(map.cluster.contains(&merged.new_clusters[0]));
    assert_eq!(std::fs::read(&path).unwrap(), after);
}
