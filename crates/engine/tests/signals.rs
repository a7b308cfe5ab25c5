//! Signals over a real project: reports imported into SQLite, encoded, clustered, then the
//! run's weekly series through the detectors. The reports are written here with a known
//! history (two kinds of incident at steady weekly rates for three years, then one of
//! them rising in one care setting only), so what must be found is known.

mod common;

use chrono::{Days, NaiveDate};
use engine::encode::BASELINE;
use engine::signals::{run_signals, Method, SeriesKey, SignalRequest};
use engine::store::Store;
use std::io::Write;
use std::path::Path;

const SETTINGS: [&str; 3] = ["Acute / general hospital", "Mental health service", "General practice"];
const WEEKS: u64 = 160;
/// The rise: the last three weeks, Acute only.
const RISE_FROM: u64 = WEEKS - 3;

const NEW_KIND: [&str; 2] = [
    "Oxygen cylinder regulator hissing and leaking gas in the corridor outside Ash ward",
    "Leaking oxygen cylinder regulator found hissing in the Birch ward corridor",
];

fn write_reports(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "RP01_report_id,IN01_incident_date,IN05_incident_category,PD09_degree_of_harm,RP02_care_setting,PD05_specialty,IN03_location,IN07_description_of_what_happened").unwrap();
    let start = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap(); // a Monday
    // One wording per kind, a ward name apart, so that two clusters are the two kinds.
    let falls = [
        "Patient found on the floor beside the bed after an unwitnessed fall on Ash ward",
        "Patient found on the floor beside the bed after an unwitnessed fall on Birch ward",
        "Patient found on the floor beside the bed after an unwitnessed fall on Cedar ward",
    ];
    let pumps = [
        "Infusion pump alarmed occlusion and stopped, heparin infusion interrupted on Ash ward",
        "Infusion pump alarmed occlusion and stopped, heparin infusion interrupted on Birch ward",
        "Infusion pump alarmed occlusion and stopped, heparin infusion interrupted on Cedar ward",
    ];
    let mut id = 0;
    for week in 0..WEEKS {
        let monday = start + Days::new(7 * week);
        let mut row = |day: u64, category: &str, setting: &str, text: &str| {
            id += 1;
            let date = monday + Days::new(day);
            writeln!(f, "R{id:05},{date},{category},1,{setting},General medicine,Ward,\"{text} (report {id})\"").unwrap();
        };
        for i in 0..6 {
            row(1, "Patient accident", SETTINGS[(week as usize + i) % 3], falls[i % 3]);
        }
        // Something never reported before, in the last two weeks.
        if week >= WEEKS - 2 {
            for text in NEW_KIND {
                row(4, "Patient accident", SETTINGS[2], text);
            }
        }
        let pumps_this_week = if week >= RISE_FROM { 24 } else { 3 };
        for i in 0..pumps_this_week {
            let setting = if week >= RISE_FROM { SETTINGS[0] } else { SETTINGS[(week as usize + i) % 3] };
            row(2, "Medical device / equipment", setting, pumps[i % 3]);
        }
    }
}

fn project(dir: &Path) -> (Store, i64) {
    let csv = dir.join("reports.csv");
    write_reports(&csv);
    let mut store = Store::create(&dir.join("project")).unwrap();
    common::ingest_and_encode(&mut store, &csv, BASELINE);
    common::kmeans(&mut store, BASELINE, 2);
    let run = engine::cluster::list_runs(&store).unwrap()[0].id;
    (store, run)
}

#[test]
fn a_rise_in_one_setting_raises_alarms_and_a_concentration() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = project(dir.path());
    let request = SignalRequest { run_id: run, method: Method::Auto, from: None, to: None, alpha: None };
    let signals = run_signals(&store, &request).unwrap();

    // Which cluster holds the pump reports: the one with the larger category series at the end.
    let members = engine::signals::run_members(&store, run).unwrap();
    let pump_cluster = members.iter().find(|m| m.category.as_deref() == Some("Medical device / equipment")).unwrap().cluster;
    let falls_cluster = members.iter().find(|m| m.category.as_deref() == Some("Patient accident")).unwrap().cluster;
    let mut mix = std::collections::BTreeMap::new();
    for m in &members {
        *mix.entry((m.cluster, m.category.clone())).or_insert(0) += 1;
    }
    assert_ne!(pump_cluster, falls_cluster, "the two kinds of report are apart: {mix:?}");

    let rise_week = (NaiveDate::from_ymd_opt(2022, 1, 3).unwrap() + Days::new(7 * RISE_FROM)).to_string();
    let cluster_alarm = signals
        .alarms
        .iter()
        .find(|a| a.series == SeriesKey::Cluster { cluster: pump_cluster } && a.week.week_start == rise_week)
        .unwrap_or_else(|| panic!("no alarm on the pump cluster in its first week up: {:#?}", signals.alarms));
    assert_eq!(cluster_alarm.method, Method::Noufaily, "three years of history: Farrington's");
    assert_eq!(cluster_alarm.week.observed, 24.0);
    assert!(cluster_alarm.week.expected.unwrap() < 5.0 && cluster_alarm.week.upper.unwrap() < 24.0);
    assert!(cluster_alarm.reason.starts_with("24 reports in the week of"), "{}", cluster_alarm.reason);
    assert!(cluster_alarm.reason.contains("expected") && cluster_alarm.reason.contains("upper bound"));
    let stratum = SeriesKey::Stratum { cluster: pump_cluster, field: "care_setting".into(), value: SETTINGS[0].into() };
    assert!(signals.alarms.iter().any(|a| a.series == stratum), "the Acute series of the cluster alarms too");
    assert!(
        !signals.alarms.iter().any(|a| a.series.cluster() == Some(falls_cluster)),
        "the steady cluster raises nothing: {:#?}",
        signals.alarms.iter().filter(|a| a.series.cluster() == Some(falls_cluster)).collect::<Vec<_>>()
    );
    assert!(
        signals.concentrations.iter().any(|c| c.cluster == pump_cluster && c.value == SETTINGS[0] && c.measures.ic.low > 0.0),
        "the pump cluster concentrates in Acute: {:#?}",
        signals.concentrations
    );
    // The category series sees the same rise.
    assert!(signals.alarms.iter().any(|a| a.series == SeriesKey::Category { category: "Medical device / equipment".into() }));
    // 26 weeks monitored, every cluster and category series with each week.
    let (first, last) = signals.monitored.clone().unwrap();
    assert_eq!(last, (NaiveDate::from_ymd_opt(2022, 1, 3).unwrap() + Days::new(7 * (WEEKS - 1))).to_string());
    assert_eq!((NaiveDate::parse_from_str(&last, "%Y-%m-%d").unwrap() - NaiveDate::parse_from_str(&first, "%Y-%m-%d").unwrap()).num_days(), 7 * 25);
    assert_eq!(signals.series.len(), 4);
    assert!(signals.series.iter().all(|s| s.detection.weeks.len() == 26));

    // Novelty: the four reports of a new kind, and nothing else, are one candidate cluster.
    let novelty = signals.novelty.as_ref().expect("three years of history to calibrate on");
    let new_ids: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM incidents WHERE description LIKE '%oxygen cylinder%' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(new_ids.len(), 4);
    assert_eq!(novelty.groups.len(), 1, "{:#?}", novelty.groups);
    assert_eq!(novelty.groups[0].incident_ids, new_ids);
    assert!(novelty.groups[0].reason.starts_with("4 recent reports unlike any before"), "{}", novelty.groups[0].reason);
    assert!(novelty.threshold > 0.0 && novelty.calibrated_on >= 50, "{} on {}", novelty.threshold, novelty.calibrated_on);

    // The same data and request give the same signals.
    assert_eq!(run_signals(&store, &request).unwrap(), signals);

    // As of a date before the rise, nothing on the pump cluster; the reports after it are
    // not known, so the last week is the one the date falls in.
    let before = SignalRequest { to: Some("2025-01-01".into()), ..request.clone() };
    let quiet = run_signals(&store, &before).unwrap();
    assert_eq!(quiet.monitored.as_ref().unwrap().1, "2024-12-30");
    assert!(!quiet.alarms.iter().any(|a| a.series == SeriesKey::Cluster { cluster: pump_cluster }));

    // CUSUM asked for: its own alarms, with the in-control mean of the weeks before.
    let cusum = run_signals(&store, &SignalRequest { method: Method::Cusum, ..request.clone() }).unwrap();
    assert!(cusum.alarms.iter().any(|a| a.series == SeriesKey::Cluster { cluster: pump_cluster } && a.method == Method::Cusum));
}

#[test]
fn bad_requests_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = project(dir.path());
    let base = SignalRequest { run_id: run, method: Method::Auto, from: None, to: None, alpha: None };
    let cases = [
        (SignalRequest { run_id: run + 100, ..base.clone() }, "run"),
        (SignalRequest { from: Some("2024-13-01".into()), ..base.clone() }, "not a date"),
        (SignalRequest { from: Some("2030-01-01".into()), ..base.clone() }, "after the last week"),
        (SignalRequest { to: Some("2001-01-01".into()), ..base.clone() }, "before the first week"),
        // Signals as of 1 January know nothing after it: June is past their last week.
        (SignalRequest { from: Some("2024-06-01".into()), to: Some("2024-01-01".into()), ..base.clone() }, "after the last week"),
        (SignalRequest { alpha: Some(0.7), ..base.clone() }, "alpha"),
    ];
    for (request, expected) in cases {
        let err = run_signals(&store, &request).unwrap_err().to_string();
        assert!(err.contains(expected), "{request:?}: {err}");
    }
    assert!(Method::parse("ewma").unwrap_err().to_string().contains("no detection method"));
}

/// Triage: the cluster with the rise carries its alarm, in words, and ranks by it; a
/// dismissal lands in the store and on the audit chain, lowers the priority, holds while
/// the series shows nothing later, and lapses when it moves again. Bad dismissals change
/// nothing.
#[test]
fn triage_shows_signals_and_dismissals_hold_until_the_series_moves() {
    use engine::signals::{cluster_signals, dismiss_signal, stored_signals, SignalKind};
    use engine::triage::cluster_triage;
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run) = project(dir.path());
    let members = engine::signals::run_members(&store, run).unwrap();
    let pump = members.iter().find(|m| m.category.as_deref() == Some("Medical device / equipment")).unwrap().cluster;

    // Before the signals are computed the list shows none (it never waits to compute them).
    assert!(cluster_triage(&store, run).unwrap().iter().all(|r| r.signal.is_none()));
    assert!(engine::signals::latest_signals(&store, run).unwrap().is_none());
    let computed = stored_signals(&store, run).unwrap();
    assert_eq!(engine::signals::latest_signals(&store, run).unwrap().as_ref(), Some(&computed));
    let list = cluster_triage(&store, run).unwrap();
    let row = list.iter().find(|r| r.cluster_id == pump).unwrap();
    let signal = row.signal.clone().expect("the pump cluster has a signal");
    assert_eq!(signal.kind, SignalKind::Alarm);
    assert!(!signal.dismissed && signal.strength > 0.0);
    assert!(signal.reason.contains("reports in the week of"), "{}", signal.reason);
    assert_eq!(list[0].cluster_id, pump, "the alarming cluster ranks first");
    let before = row.priority;

    let dismissals = |store: &Store| -> i64 { store.conn().query_row("SELECT count(*) FROM signal_dismissals", [], |r| r.get(0)).unwrap() };
    let audit_len = |store: &Store| -> u64 { engine::store::audit::verify(store.conn()).unwrap().entries };
    let audit_before = audit_len(&store);
    for (cluster, kind, author, expected) in [
        (pump, SignalKind::Alarm, "  ", "reviewer's name"),
        (pump, SignalKind::Novelty, "r.shah", "no novelty signal"),
        (pump + 100, SignalKind::Alarm, "r.shah", "no alarm signal"),
    ] {
        let err = dismiss_signal(&mut store, run, cluster, kind, "", author).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
    assert!(dismiss_signal(&mut store, run + 7, pump, SignalKind::Alarm, "", "r.shah").is_err());
    assert_eq!(dismissals(&store), 0, "refused dismissals write nothing");
    assert_eq!(audit_len(&store), audit_before);

    let d = dismiss_signal(&mut store, run, pump, SignalKind::Alarm, "known pump recall, handled", "r.shah").unwrap();
    assert_eq!(d.through_week, signal.week);
    assert_eq!(dismissals(&store), 1);
    let verification = engine::store::audit::verify(store.conn()).unwrap();
    assert_eq!(verification.entries, audit_before + 1);
    assert!(verification.broken_at.is_none());
    let action: String = store.conn().query_row("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(action, "signal_dismiss");

    let list = cluster_triage(&store, run).unwrap();
    let row = list.iter().find(|r| r.cluster_id == pump).unwrap();
    assert!(row.signal.as_ref().unwrap().dismissed);
    assert!(row.priority < before, "a dismissed signal no longer raises the priority");

    // The series moves again: an alarm in a later week is a signal again.
    let mut later = stored_signals(&store, run).unwrap();
    let mut alarm = later.alarms.iter().find(|a| a.series.cluster() == Some(pump)).unwrap().clone();
    let next = chrono::NaiveDate::parse_from_str(&alarm.week.week_start, "%Y-%m-%d").unwrap() + Days::new(7);
    alarm.week.week_start = next.to_string();
    later.alarms.insert(0, alarm);
    later.monitored.as_mut().unwrap().1 = next.to_string();
    let again = cluster_signals(&store, run, &later).unwrap();
    assert!(!again[&pump].dismissed, "a later alarm is not covered by the dismissal");
    assert!(cluster_signals(&store, run, &stored_signals(&store, run).unwrap()).unwrap()[&pump].dismissed);
}
