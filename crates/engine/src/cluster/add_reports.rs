//! Reports that arrived after a run, assigned into it without refitting: each goes to the
//! cluster its nearest fitted reports vote for (or stays "not close to any cluster") and
//! gets a map position against the fixed map. Importing next month's reports then updates
//! the map and the counts in seconds, where a new analysis would refit everything.

use super::assign::{self, Fitted};
use super::options::{AnalyseOptions, ClusterError};
use super::runs::{self, load_run, load_run_inputs};
use crate::index;
use crate::jobs::{CancelToken, Progress};
use crate::store::vectors::{self, RunReports};
use crate::store::Store;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AssignReport {
    pub run_id: i64,
    /// Reports placed into the run by this call.
    pub assigned: u64,
    /// Of those, the ones no fitted report was close to (cluster -1).
    pub unassigned: u64,
    /// The run's reports now, fitted and assigned.
    pub incidents: u64,
    /// The run's neighbour index was missing and was rebuilt from its fitted reports.
    pub rebuilt_index: bool,
    pub cancelled: bool,
    pub seconds: f64,
}

/// What the app does after an import: encodes the reports the run's model has not encoded
/// yet (as the model encoded the others), then assigns them into the run (the newest run
/// when none is named). Encoding commits in chunks, so a cancelled call keeps what it
/// encoded; the run changes only in `assign_to_run`'s one transaction.
pub fn encode_and_assign(
    store: &mut Store,
    run_id: Option<i64>,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AssignReport, ClusterError> {
    let run_id = match run_id {
        Some(id) => id,
        None => runs::newest_run_id(store)?.ok_or_else(|| {
            ClusterError::Invalid("the project has no cluster run to assign reports to; analyse first".into())
        })?,
    };
    let run = load_run(store, run_id)?;
    let (_, spec, fields) = crate::encode::stored_model_spec(store, &run.model)?;
    progress.set_phase("encoding");
    let options = crate::encode::EncodeOptions {
        fields,
        ..crate::encode::EncodeOptions::default()
    };
    // The model's own index too, so that search and the incident panel find the new reports.
    let (encoded, _) = crate::index::encode_indexed(store, &spec, &options, progress, cancel)?;
    if encoded.cancelled || cancel.is_cancelled() {
        return Ok(AssignReport {
            run_id,
            incidents: run.incidents,
            cancelled: true,
            ..AssignReport::default()
        });
    }
    assign_to_run(store, run_id, progress, cancel)
}

/// Assigns every report with a vector for the run's model that run `run_id` does not hold
/// yet. Nothing is written when cancelled; the batch is written in one transaction.
pub fn assign_to_run(
    store: &mut Store,
    run_id: i64,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<AssignReport, ClusterError> {
    let _job = crate::store::job_lock::acquire(store.dir(), "an assignment of new reports")?;
    let started = Instant::now();
    let (run, options, record) = load_run_inputs(store, run_id)?;
    let mut report = AssignReport {
        run_id,
        incidents: run.incidents,
        ..AssignReport::default()
    };
    progress.set_phase("reading");
    let load = |which| {
        vectors::load_run_vectors(store.conn(), record.id, record.dimension, run_id, which)
            .map_err(|e| store.err(e))
    };
    let (new_ids, new_data) = load(RunReports::Missing)?;
    if new_ids.is_empty() {
        report.seconds = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let Some(side) = fitted_side(store, run_id, &run, &record, &options, progress, cancel)? else {
        report.cancelled = true;
        return Ok(report);
    };
    report.rebuilt_index = side.rebuilt_index;
    let FittedSide { index: sim, members: fitted, reach, .. } = side;

    progress.set_phase("assigning");
    let side = Fitted {
        ids: &fitted.ids,
        reach: &reach,
        map: &fitted.map,
        labellings: vec![&fitted.base, &fitted.cluster],
    };
    let Some(placed) = assign::place(
        &sim,
        &side,
        &new_ids,
        &new_data,
        options.n_neighbors,
        options.seed,
        progress,
        cancel,
    )?
    else {
        report.cancelled = true;
        return Ok(report);
    };
    if cancel.is_cancelled() {
        report.cancelled = true;
        return Ok(report);
    }
    progress.set_phase("saving");
    let seconds = started.elapsed().as_secs_f64();
    let (base, cluster) = (&placed.labels[0], &placed.labels[1]);
    runs::add_members(store, run_id, &new_ids, base, cluster, &placed.map, seconds)?;
    report.assigned = new_ids.len() as u64;
    report.unassigned = cluster.iter().filter(|&&c| c < 0).count() as u64;
    report.incidents = run.incidents + report.assigned;
    // The window shows the new reports from the run's map file: rebuilt now rather than on
    // the next open. The reports are placed either way; a map that fails here is built
    // when first asked for.
    progress.set_phase("map");
    let _ = super::map::write_map_file(store, run_id);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What placing reports into a run searches: the index of its fitted reports, those
/// reports with their clusters, and each one's reach.
pub(super) struct FittedSide {
    pub index: crate::index::SimilarityIndex,
    pub members: runs::FittedMembers,
    pub reach: Vec<f32>,
    /// The run's index was missing or changed and was rebuilt from its fitted reports.
    pub rebuilt_index: bool,
}

/// The run's fitted side (see `FittedSide`); None when cancelled.
pub(super) fn fitted_side(
    store: &Store,
    run_id: i64,
    run: &runs::RunRecord,
    record: &crate::store::ModelRecord,
    options: &AnalyseOptions,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<FittedSide>, ClusterError> {
    let load = |which| {
        vectors::load_run_vectors(store.conn(), record.id, record.dimension, run_id, which)
            .map_err(|e| store.err(e))
    };
    let members = runs::fitted_members(store, run_id)?;
    let index_options = index::stored_options(store, &run.model)?;
    let mut rebuilt_index = false;
    let sim = match index::open_run_index(store.dir(), run_id, record, &index_options, &run.index_sha256)? {
        Some(sim) => sim,
        None => {
            // Runs from before run indexes were kept, or a lost or changed file: the fitted
            // reports' vectors in id order give the index a sampled run was fitted with.
            progress.set_phase("index");
            let (ids, data) = load(RunReports::Fitted)?;
            let Some(mut sim) = index::build_fit_index(record, &ids, &data, &index_options, progress, cancel)? else {
                return Ok(None);
            };
            index::save_pending(&mut sim, store.dir())?;
            index::adopt_run_index(&sim.path, store.dir(), run_id, true)?;
            rebuilt_index = true;
            sim
        }
    };
    let reach = match members.reach.iter().copied().collect::<Option<Vec<f32>>>() {
        Some(reach) => reach,
        None => {
            // Runs stored before reaches were recorded: measure them from the index.
            progress.set_phase("neighbours");
            let (ids, data) = load(RunReports::Fitted)?;
            let Some(knn) = index::knn_graph(&sim, &ids, &data, options.n_neighbors - 1, progress, cancel)? else {
                return Ok(None);
            };
            assign::reach_of(&knn)
        }
    };
    Ok(Some(FittedSide { index: sim, members, reach, rebuilt_index }))
}
