//! The project's overview, added up from each dataset's kept summary, against a scan of
//! every report.

mod common;

use engine::ingest::{ingest_file, IngestOptions};
use engine::jobs::{CancelToken, NoProgress};
use engine::stats::{project_stats, Count};
use engine::store::Store;

const NOT_RECORDED: &str = "(not recorded)";

fn by_column(store: &Store, sql: &str) -> Vec<(Option<String>, u64)> {
    let mut stmt = store.conn().prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The overview added up from the kept summaries says what grouping every report says,
/// across two datasets, for a project whose summaries were never kept as for one whose
/// were, and after a summary was damaged.
#[test]
fn summed_summaries_match_a_scan_of_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(dir.path()).unwrap();
    for (i, (skip, take)) in [(0, 300), (300, 200)].into_iter().enumerate() {
        let csv = common::demo_slice(dir.path(), &format!("part-{i}.csv"), skip, take);
        let report = ingest_file(&mut store, &csv, &IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
        assert!(report.succeeded());
    }
    let check = |store: &Store| {
        let stats = project_stats(store).unwrap();
        let pairs = |v: &[Count]| v.iter().map(|c| (c.value.clone(), c.count)).collect::<Vec<_>>();
        let scanned = |sql: &str| {
            by_column(store, sql)
                .into_iter()
                .map(|(v, n)| (v.unwrap_or_else(|| NOT_RECORDED.into()), n))
                .collect::<Vec<_>>()
        };
        assert_eq!(stats.incidents, 500);
        let (first, last): (String, String) = store
            .conn()
            .query_row("SELECT min(occurred_on), max(occurred_on) FROM incidents", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((stats.first_date.unwrap(), stats.last_date.unwrap()), (first, last));
        for (got, column) in [(&stats.by_category, "category"), (&stats.by_care_setting, "care_setting"), (&stats.by_specialty, "specialty")] {
            assert_eq!(
                pairs(got),
                scanned(&format!("SELECT {column}, count(*) AS n FROM incidents GROUP BY {column} ORDER BY n DESC, {column}")),
                "{column}"
            );
        }
        assert_eq!(
            pairs(&stats.by_month),
            scanned("SELECT substr(occurred_on, 1, 7) AS m, count(*) FROM incidents GROUP BY m ORDER BY m")
        );
        let harm: Vec<u64> = stats.by_harm.iter().map(|c| c.count).collect();
        let scanned_harm: Vec<u64> = by_column(store, "SELECT CAST(harm AS TEXT), count(*) FROM incidents GROUP BY harm ORDER BY harm IS NULL, harm")
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(harm, scanned_harm);
        assert!(stats.by_harm[0].value.starts_with("1 "), "{:?}", stats.by_harm);
    };
    let kept = |store: &Store| -> i64 {
        store.conn().query_row("SELECT count(*) FROM dataset_summaries", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(kept(&store), 2, "each import keeps its dataset's summary");
    check(&store);
    store.conn().execute_batch("DELETE FROM dataset_summaries").unwrap();
    check(&store);
    assert_eq!(kept(&store), 2, "summaries counted again are kept");
    store
        .conn()
        .execute_batch("UPDATE dataset_summaries SET summary = '{\"incidents\": \"many\"}' WHERE dataset_id = 1")
        .unwrap();
    check(&store);
}
