//! Word vectors trained from scratch on every report of the project (`ml::wordvec`), with
//! checkpoints and resumption.

use super::error::TrainError;
use super::model_dir::{checkpoint_dir, loss_chart_into, new_model_dir, publish, staging};
use crate::encode::registry::project_models_dir;
use crate::jobs::{CancelToken, Progress};
use crate::store::{vectors, Store, TextFields};
use ml::wordvec::{Corpus, TrainState, Trainer, WordVecConfig};
use ml::MlError;
use rusqlite::Connection;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct WordVecSpec {
    /// Folder name under the project's `models/`, and the model's name.
    pub name: String,
    pub config: WordVecConfig,
    pub fields: TextFields,
    /// Documents between checkpoints.
    pub checkpoint_every: usize,
}

impl WordVecSpec {
    pub fn new(name: &str) -> Self {
        WordVecSpec {
            name: name.into(),
            config: WordVecConfig::default(),
            // As `encode` reads by default, so the model learns from the text it encodes.
            fields: TextFields::Description,
            checkpoint_every: 5000,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    pub name: String,
    pub method: &'static str,
    pub dir: PathBuf,
    pub documents: usize,
    pub vocabulary: usize,
    pub epochs: usize,
    pub tokens: u64,
    /// Tokens processed in this call (less than `tokens` when it resumed).
    pub tokens_this_run: u64,
    pub seconds: f64,
    pub tokens_per_second: f64,
    pub documents_per_second: f64,
    /// Where it resumed from (epoch, document), if it did.
    pub resumed_from: Option<(usize, usize)>,
    pub final_loss: Option<f64>,
    pub loss_curve: Vec<(u64, f64)>,
}

/// Trains word vectors on every report of the project, resuming from a checkpoint of the
/// same name and configuration when there is one.
pub fn train_wordvec(
    store: &Store,
    spec: &WordVecSpec,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<TrainReport, TrainError> {
    let _job = crate::store::job_lock::acquire(store.dir(), &format!("a training of {}", spec.name))?;
    let out = new_model_dir(store, &spec.name)?;
    let model_err = |source| TrainError::Model {
        name: spec.name.clone(),
        source,
    };
    let newest: Option<i64> = store
        .conn()
        .query_row("SELECT max(id) FROM incidents", [], |r| r.get(0))
        .map_err(|e| store.err(e))?;
    let Some(newest) = newest else {
        return Err(TrainError::Invalid(
            "the project has no reports to train on".into(),
        ));
    };
    let mut corpus = StoreCorpus {
        conn: store.conn(),
        fields: spec.fields,
        upto: newest,
    };
    progress.set_phase("building the vocabulary");
    let trainer = Trainer::new(&mut corpus, &spec.config).map_err(model_err)?;
    let ckpt = checkpoint_dir(store.dir(), &spec.name);
    let (mut state, resumed_from) =
        match TrainState::load(&ckpt, &spec.config).map_err(model_err)? {
            Some(s) => {
                let at = (s.epoch, s.document);
                (s, Some(at))
            }
            None => (trainer.initial_state(), None),
        };
    let total = trainer.total_tokens();
    progress.set_total(total);
    let started = Instant::now();
    let start_tokens = state.processed;
    let mut since_checkpoint = 0usize;
    let mut documents_this_run = 0usize;
    let mut last_document = state.document;
    let finished = trainer
        .train(&mut state, &mut |s, p| {
            let done_now = if p.document >= last_document {
                p.document - last_document
            } else {
                p.documents - last_document + p.document
            };
            last_document = p.document;
            since_checkpoint += done_now;
            documents_this_run += done_now;
            progress.set_position(p.processed);
            let elapsed = started.elapsed().as_secs_f64().max(1e-9);
            let rate = (p.processed - start_tokens) as f64 / elapsed;
            let eta = (p.total_tokens - p.processed) as f64 / rate.max(1e-9);
            progress.set_phase(&format!(
                "epoch {}/{}, loss {}, {:.0} tokens/s, ETA {:.0} s",
                (p.epoch + 1).min(spec.config.epochs),
                spec.config.epochs,
                p.loss
                    .map(|l| format!("{l:.4}"))
                    .unwrap_or_else(|| "-".into()),
                rate,
                eta
            ));
            let stop = cancel.is_cancelled();
            if stop || since_checkpoint >= spec.checkpoint_every {
                s.save(&ckpt, &spec.config)?;
                since_checkpoint = 0;
            }
            Ok(!stop)
        })
        .map_err(model_err)?;
    if !finished {
        return Err(TrainError::Cancelled(ckpt));
    }
    let seconds = started.elapsed().as_secs_f64();
    progress.set_phase("saving");
    let model = trainer.finish(&state, &mut corpus).map_err(model_err)?;
    let tmp = staging(&project_models_dir(store.dir()), &spec.name)?;
    model.save(&tmp).map_err(model_err)?;
    loss_chart_into(
        &tmp,
        &format!("{}: skip-gram loss while training", spec.name),
        "tokens processed",
        &state.loss_curve,
    )?;
    let tokens_this_run = state.processed - start_tokens;
    let report = TrainReport {
        name: spec.name.clone(),
        method: "wordvec",
        dir: out.clone(),
        documents: trainer.documents(),
        vocabulary: trainer.vocabulary(),
        epochs: spec.config.epochs,
        tokens: total,
        tokens_this_run,
        seconds,
        tokens_per_second: tokens_this_run as f64 / seconds.max(1e-9),
        documents_per_second: documents_this_run as f64 / seconds.max(1e-9),
        resumed_from,
        final_loss: state.loss_curve.last().map(|p| p.1),
        loss_curve: state.loss_curve.clone(),
    };
    publish(
        &tmp,
        &out,
        &ckpt,
        &serde_json::json!({
            "method": "wordvec",
            "config": spec.config,
            "fields": spec.fields.name(),
            "report": report,
        }),
    )?;
    Ok(report)
}

/// The project's reports as a training corpus, streamed from the store in id order on each
/// pass (a million reports' texts are gigabytes held at once), up to the newest report when
/// training began, so every pass reads the same documents while imports add more.
struct StoreCorpus<'a> {
    conn: &'a Connection,
    fields: TextFields,
    upto: i64,
}

impl Corpus for StoreCorpus<'_> {
    fn each_text(&mut self, visit: &mut dyn FnMut(&str)) -> Result<(), MlError> {
        vectors::each_text_upto(self.conn, self.fields, self.upto, |_, text| visit(text))
            .map_err(|e| MlError::Training(format!("reading the reports failed: {e}")))
    }
}
