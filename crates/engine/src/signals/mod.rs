//! Emerging signals: which clusters, categories and places have more reports than their
//! own history predicts, which recent reports are unlike anything before, and where a
//! cluster concentrates. The statistics live in `ml::surveillance`; this module owns the
//! defaults and choices around them and the series they run on.
//!
//! `counts` reads a run's weekly series from the store (per cluster, per category, per
//! cluster within a care setting, specialty or location); `detect` runs one series through
//! a detector (Noufaily's Farrington where a year of history exists, CUSUM where it does
//! not); `over_run` runs them all over the monitored weeks with the clusters'
//! concentrations; `novelty` finds recent reports unlike any before and groups them;
//! `state` is what the triage list shows (each cluster's signal, stored results, dismissals);
//! `view` is what the app's Signals view shows (alarms with their charts and reports);
//! `stored_counts` keeps a run's counts so reports assigned later are added, not recounted;
//! `series_file` reads a series from a CSV file so any series can be
//! checked against another implementation.

mod counts;
mod error;
mod detect;
mod novelty;
mod over_run;
mod series_file;
mod state;
mod stored_counts;
mod view;
pub mod simulate;

pub use error::SignalError;
pub use counts::{monthly, run_members, run_members_by, week_of, weekly_counts, DateBasis, Member, SeriesKey, Strata, WeeklyCounts, STRATA};
pub use stored_counts::{run_counts, Taken};
pub use novelty::{novelty, NovelGroup, Novelty, NoveltyOptions};
pub use over_run::{
    run_signals, signals_of, Alarm, Concentration, RunSignals, SeriesSignal, SignalRequest, TopicSeries, Topics, CONCENTRATION_LEVEL,
    DEFAULT_MONITORED_WEEKS, TOPIC_CLUSTERS,
};
pub use detect::{
    detect, first_judgeable_week, Applied, AppliedSpan, DetectOptions, Method, SeriesDetection, WeekSignal, ALPHA, CUSUM_MIN_HISTORY, MOST_YEARS,
};
pub use state::{
    cluster_series, cluster_signals, default_request, dismiss_signal, latest_signals, refresh_signals, stored_signals, Refreshed, ClusterSignal, Dismissal, SignalKind, MAX_STRENGTH,
    RECENT_ALARM_WEEKS,
};
pub use view::{signals_view, ConcentrationView, NovelGroupView, SeriesAlarms, SignalsView, ALARM_REPORTS};
pub use series_file::{detect_series, parse_series, read_series_file, WeeklySeries};
