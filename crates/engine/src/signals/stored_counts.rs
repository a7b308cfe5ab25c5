//! A run's cluster and category counts kept between computations (`signal_counts`), so
//! that the reports assigned to a run after an import are added to its counts instead of
//! the run being counted again. Counts are taken again in full when the run's clusters were
//! edited since, when they were counted by another date, or when the run's reports are
//! not the counted ones plus newer ones (a
//! report with a lower id assigned later, stored counts that do not parse or do not fit
//! their own axis).

use super::counts::{DateBasis, Member, Strata, WeeklyCounts};
use super::error::SignalError;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};

/// How the counts were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The stored counts, with this many newer reports added.
    Grown { added: usize },
    /// Every report counted.
    Full,
}

/// The cluster and category counts of `members` (every report of the run, in id order, as
/// `run_members` reads them), grown from the stored ones where they allow it, and stored.
pub fn run_counts(store: &Store, run_id: i64, members: &[Member], by: DateBasis) -> Result<(WeeklyCounts, Taken), SignalError> {
    let edits = crate::cluster::last_edit(store.conn(), run_id)?;
    let stored: Option<(i64, i64, i64, String, String)> = store
        .conn()
        .query_row(
            "SELECT members, max_incident, edits_through, date_basis, counts FROM signal_counts WHERE run_id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let grown = stored.and_then(|(counted, max_incident, edits_through, basis, text)| {
        if edits_through != edits || basis != by.name() {
            return None;
        }
        let counts: WeeklyCounts = serde_json::from_str(&text).ok().filter(fits)?;
        // `members` is in id order: the newer reports are a tail.
        let newer = members.partition_point(|m| m.incident_id <= max_incident);
        (usize::try_from(counted).ok()? == newer).then_some((counts, newer))
    });
    let (counts, taken) = match grown {
        Some((mut counts, newer)) => {
            counts.add(&members[newer..], Strata::None);
            (counts, Taken::Grown { added: members.len() - newer })
        }
        None => {
            let mut counts = WeeklyCounts::default();
            counts.add(members, Strata::None);
            (counts, Taken::Full)
        }
    };
    let text = serde_json::to_string(&counts).map_err(|e| SignalError::Invalid(e.to_string()))?;
    let max_incident = members.last().map_or(0, |m| m.incident_id);
    store.conn().execute(
        "INSERT INTO signal_counts (run_id, members, max_incident, edits_through, date_basis, counts, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (run_id) DO UPDATE SET members = excluded.members, max_incident = excluded.max_incident,
             edits_through = excluded.edits_through, date_basis = excluded.date_basis, counts = excluded.counts,
             updated_at = excluded.updated_at",
        params![run_id, members.len() as i64, max_incident, edits, by.name(), text, crate::clock::now()],
    )?;
    Ok((counts, taken))
}

/// Stored counts are only grown when they are what this code writes: consecutive Mondays,
/// and every series as long as the axis, with no stratum series.
fn fits(counts: &WeeklyCounts) -> bool {
    use chrono::Datelike;
    let mondays = counts.weeks.iter().all(|w| w.weekday() == chrono::Weekday::Mon)
        && counts.weeks.windows(2).all(|w| (w[1] - w[0]).num_days() == 7);
    let lengths = counts.series.iter().all(|(key, c)| c.len() == counts.weeks.len() && !matches!(key, super::SeriesKey::Stratum { .. }));
    mondays && lengths && !(counts.weeks.is_empty() && !counts.series.is_empty())
}
