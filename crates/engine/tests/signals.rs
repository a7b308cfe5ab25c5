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
    let request = SignalRequest { run_id: run, method: Method::Auto, from: None, to: None, alpha: None, by: None };
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
    let base = SignalRequest { run_id: run, method: Method::Auto, from: None, to: None, alpha: None, by: None };
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

#[test]
fn the_signals_view_shows_each_alarm_with_its_chart_reports_and_dismissal_and_says_when_it_is_stale() {
    use engine::signals::{dismiss_signal, signals_view, stored_signals, SeriesKey, SignalKind, ALARM_REPORTS, TOPIC_CLUSTERS};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run) = project(dir.path());
    let members = engine::signals::run_members(&store, run).unwrap();
    let pump = members.iter().find(|m| m.category.as_deref() == Some("Medical device / equipment")).unwrap().cluster;

    // Nothing computed: an empty view that says so.
    let empty = signals_view(&store, run).unwrap();
    assert!(empty.computed_at.is_none() && !empty.current && empty.alarms.is_empty());
    assert!(signals_view(&store, run + 9).is_err(), "a run that does not exist is refused");

    let signals = stored_signals(&store, run).unwrap();
    let view = signals_view(&store, run).unwrap();
    assert!(view.computed_at.is_some() && view.current);
    assert_eq!(view.monitored, signals.monitored);
    let monitored_weeks = signals.series[0].detection.weeks.len();
    let alarm = view.alarms.iter().find(|a| a.series == SeriesKey::Cluster { cluster: pump }).expect("the pump cluster alarms");
    assert!(alarm.recent && !alarm.dismissed && alarm.dismissable);
    assert_eq!(alarm.weeks.len(), monitored_weeks, "the chart has every monitored week");
    let marked: Vec<&str> = alarm.weeks.iter().filter(|w| w.alarm).map(|w| w.week_start.as_str()).collect();
    assert_eq!(alarm.alarm_weeks.iter().map(String::as_str).collect::<Vec<_>>(), marked);
    assert_eq!(alarm.latest_week, *alarm.alarm_weeks.last().unwrap());
    assert!(alarm.reason.contains("reports in the week of"), "{}", alarm.reason);
    assert!(!alarm.detectors.is_empty() && alarm.detectors.iter().all(|d| d.contains(" to ")), "{:?}", alarm.detectors);
    // The reports are the series' own, from the latest alarm week, newest first.
    let week = chrono::NaiveDate::parse_from_str(&alarm.latest_week, "%Y-%m-%d").unwrap();
    assert_eq!(alarm.reports.len(), ALARM_REPORTS, "24 pump reports a week, the listed ones capped");
    for r in &alarm.reports {
        let date = chrono::NaiveDate::parse_from_str(&r.occurred_on, "%Y-%m-%d").unwrap();
        assert!(date >= week && date < week + Days::new(7), "{} outside the week of {week}", r.occurred_on);
        assert!(r.description.starts_with("Infusion pump"), "{}", r.description);
    }
    assert!(alarm.reports.windows(2).all(|w| w[0].occurred_on >= w[1].occurred_on));
    // The rise is in one care setting: its stratum series alarms too, with its own chart.
    let stratum = view
        .alarms
        .iter()
        .find(|a| matches!(&a.series, SeriesKey::Stratum { cluster, value, .. } if *cluster == pump && value == SETTINGS[0]))
        .expect("the pump cluster's alarm in the setting it rose in");
    assert_eq!(stratum.weeks.len(), monitored_weeks);
    assert!(stratum.reports.iter().all(|r| r.care_setting.as_deref() == Some(SETTINGS[0])));
    // Recent alarms come first, strongest first.
    assert!(view.alarms.windows(2).all(|w| w[0].recent >= w[1].recent));
    // Topics over time: the largest clusters, every month, their counts adding up.
    assert!(!view.topics.clusters.is_empty() && view.topics.clusters.len() <= TOPIC_CLUSTERS);
    for t in &view.topics.clusters {
        assert_eq!(t.counts.len(), view.topics.months.len());
        assert_eq!(t.counts.iter().sum::<u64>(), t.total);
        assert_eq!(t.total, members.iter().filter(|m| m.cluster == t.cluster).count() as u64);
    }
    assert!(view.topics.clusters.windows(2).all(|w| w[0].total >= w[1].total));
    assert!(view.keywords.iter().any(|(c, k)| *c == pump && !k.is_empty()));
    assert!(view.cluster_signals.iter().any(|(c, s)| *c == pump && s.kind == SignalKind::Alarm));

    // A dismissal shows on every series of the cluster.
    dismiss_signal(&mut store, run, pump, SignalKind::Alarm, "pump recall", "r.shah").unwrap();
    let view = signals_view(&store, run).unwrap();
    for a in view.alarms.iter().filter(|a| a.cluster == Some(pump) && a.recent) {
        assert!(a.dismissed && !a.dismissable, "{}", a.title);
    }

    // The run's clusters change: the stored signals are shown, marked as not current.
    let how = engine::cluster::SplitHow::from_request(Some(2), None).unwrap();
    engine::cluster::split_cluster(&mut store, run, pump, &how, "r.shah").unwrap();
    let stale = signals_view(&store, run).unwrap();
    assert!(!stale.current && !stale.alarms.is_empty());
    stored_signals(&store, run).unwrap();
    assert!(signals_view(&store, run).unwrap().current);
}

#[test]
fn short_data_keeps_its_first_weeks_as_history_and_flags_a_burst() {
    use engine::signals::{signals_of, Member, CUSUM_MIN_HISTORY};
    // 15 weeks of 10 reports a week in one cluster, 40 in the last full week.
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut members = Vec::new();
    for week in 0..15u64 {
        let n = if week == 13 { 40 } else { 10 };
        for i in 0..n {
            members.push(Member {
                incident_id: members.len() as i64 + 1,
                cluster: 1,
                date: start + Days::new(7 * week + i % 7),
                category: Some("Medication".into()),
                strata: [None, None, None],
            });
        }
    }
    let request = SignalRequest { run_id: 1, method: Method::Auto, from: None, to: None, alpha: None, by: None };
    let signals = signals_of(&members, &request).unwrap();
    let first = start + Days::new(7 * CUSUM_MIN_HISTORY as u64);
    assert_eq!(signals.monitored.as_ref().unwrap().0, first.to_string(), "the first weeks are history");
    let alarm = signals.alarms.iter().find(|a| a.series == SeriesKey::Cluster { cluster: 1 }).expect("the burst alarms");
    assert_eq!(alarm.week.week_start, (start + Days::new(7 * 13)).to_string());
    assert_eq!(alarm.method, Method::Cusum);
}

#[test]
fn reports_assigned_after_an_import_are_added_to_the_stored_counts_and_an_edit_counts_again() {
    use engine::jobs::{CancelToken, NoProgress};
    use engine::signals::{run_counts, run_members, stored_signals, DateBasis, Strata, Taken, WeeklyCounts};
    let dir = tempfile::tempdir().unwrap();
    let (mut store, run) = project(dir.path());
    let full = |store: &Store| {
        let mut c = WeeklyCounts::default();
        c.add(&run_members(store, run).unwrap(), Strata::None);
        c
    };
    let first = run_members(&store, run).unwrap();
    let (counts, taken) = run_counts(&store, run, &first, DateBasis::Occurred).unwrap();
    assert_eq!(taken, Taken::Full, "nothing stored yet");
    assert_eq!(counts, full(&store));

    // Next month's import: a week after the data, and one report dated before its first week.
    let csv = dir.path().join("next.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    writeln!(f, "RP01_report_id,IN01_incident_date,IN05_incident_category,PD09_degree_of_harm,RP02_care_setting,PD05_specialty,IN03_location,IN07_description_of_what_happened").unwrap();
    let after = NaiveDate::from_ymd_opt(2022, 1, 3).unwrap() + Days::new(7 * WEEKS + 2);
    for i in 0..6 {
        writeln!(f, "N{i},{after},Patient accident,1,{},General medicine,Ward,\"Patient found on the floor beside the bed after an unwitnessed fall on Ash ward (late {i})\"", SETTINGS[0]).unwrap();
    }
    writeln!(f, "N9,2021-12-29,Medical device / equipment,1,{},General medicine,Ward,\"Infusion pump alarmed occlusion and stopped, heparin infusion interrupted on Ash ward (backdated)\"", SETTINGS[1]).unwrap();
    drop(f);
    let report = engine::ingest::ingest_file(&mut store, &csv, &engine::ingest::IngestOptions::default(), &NoProgress, &CancelToken::new()).unwrap();
    assert!(report.succeeded());
    engine::cluster::encode_and_assign(&mut store, Some(run), &NoProgress, &CancelToken::new()).unwrap();
    let now = run_members(&store, run).unwrap();
    assert_eq!(now.len(), first.len() + 7);
    let (grown, taken) = run_counts(&store, run, &now, DateBasis::Occurred).unwrap();
    assert_eq!(taken, Taken::Grown { added: 7 });
    assert_eq!(grown, full(&store), "grown counts are the counts of every report, the axis widened both ways");
    assert_eq!(grown.weeks.len(), WEEKS as usize + 2);
    // The signals computed from them are those of counting again.
    let signals = stored_signals(&store, run).unwrap();
    store.conn().execute("DELETE FROM signal_counts", []).unwrap();
    store.conn().execute("DELETE FROM signal_results", []).unwrap();
    assert_eq!(stored_signals(&store, run).unwrap().alarms, signals.alarms);

    // An edit moves reports between clusters: counted again.
    let members = run_members(&store, run).unwrap();
    let pump = members.iter().find(|m| m.category.as_deref() == Some("Medical device / equipment")).unwrap().cluster;
    let how = engine::cluster::SplitHow::from_request(Some(2), None).unwrap();
    engine::cluster::split_cluster(&mut store, run, pump, &how, "r.shah").unwrap();
    let edited = run_members(&store, run).unwrap();
    let (counts, taken) = run_counts(&store, run, &edited, DateBasis::Occurred).unwrap();
    assert_eq!(taken, Taken::Full);
    assert_eq!(counts, full(&store));

    // Stored counts that are not what this code writes are counted again, never trusted.
    for tampered in [
        r#"{"weeks":["2022-01-03","2022-01-10"],"series":[[{"kind":"cluster","cluster":0},[1]]],"last_date":null}"#,
        r#"{"weeks":["2022-01-04"],"series":[],"last_date":null}"#,
        r#"{"something":"else"}"#,
    ] {
        store.conn().execute("UPDATE signal_counts SET counts = ?1", [tampered]).unwrap();
        let (counts, taken) = run_counts(&store, run, &edited, DateBasis::Occurred).unwrap();
        assert_eq!(taken, Taken::Full, "{tampered}");
        assert_eq!(counts, full(&store));
    }
    // A count of reports that does not add up (a report with a lower id assigned later).
    store.conn().execute("UPDATE signal_counts SET members = members - 1", []).unwrap();
    assert_eq!(run_counts(&store, run, &edited, DateBasis::Occurred).unwrap().1, Taken::Full);
}

#[test]
fn reports_are_counted_by_their_reporting_date_when_every_one_has_it() {
    use engine::signals::{run_members_by, stored_signals, DateBasis, WeeklyCounts};
    let dir = tempfile::tempdir().unwrap();
    let (store, run) = project(dir.path());
    // Without reporting dates: by incident date, and asking for reporting dates is refused.
    let (_, by) = run_members_by(&store, run, None).unwrap();
    assert_eq!(by, DateBasis::Occurred);
    let err = run_members_by(&store, run, Some(DateBasis::Reported)).unwrap_err().to_string();
    assert!(err.contains("have no reporting date"), "{err}");

    // Every report made 0 to 20 days after its incident.
    store.conn().execute("UPDATE incidents SET reported_on = date(occurred_on, '+' || (id * 7 % 21) || ' days')", []).unwrap();
    let (members, by) = run_members_by(&store, run, None).unwrap();
    assert_eq!(by, DateBasis::Reported);
    let reported: std::collections::HashMap<i64, String> = store
        .conn()
        .prepare("SELECT id, reported_on FROM incidents")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(members.iter().all(|m| m.date.to_string() == reported[&m.incident_id]));
    let (by_occurrence, _) = run_members_by(&store, run, Some(DateBasis::Occurred)).unwrap();
    let weekly = |ms: &[engine::signals::Member]| {
        let mut c = WeeklyCounts::default();
        c.add(ms, engine::signals::Strata::None);
        c
    };
    assert_ne!(weekly(&members), weekly(&by_occurrence), "delays move reports between weeks");
    // The stored signals say what they counted by, and a change of basis counts again.
    let signals = stored_signals(&store, run).unwrap();
    assert_eq!(signals.by, DateBasis::Reported);
    assert_eq!(signals.last_date, members.iter().map(|m| m.date).max().map(|d| d.to_string()));
    let view = engine::signals::signals_view(&store, run).unwrap();
    assert!(view.current && view.by == DateBasis::Reported);
    // One report without a reporting date: the run falls back to incident dates.
    store.conn().execute("UPDATE incidents SET reported_on = NULL WHERE id = (SELECT min(id) FROM incidents)", []).unwrap();
    assert!(!engine::signals::signals_view(&store, run).unwrap().current);
    assert_eq!(stored_signals(&store, run).unwrap().by, DateBasis::Occurred);
}
