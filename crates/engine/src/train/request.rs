//! A training as a front end asks for it: the method, the new model's name and whichever
//! settings the user gave. `plan` fills the rest with the method's defaults and refuses a
//! value out of range with a message that names it, so the CLI and the app train the same
//! model from the same request and neither restates a default or a limit.

use super::adapt::{train_adapt, AdaptSpec, Adaptation};
use super::error::TrainError;
use super::supervised::{train_supervised, SupervisedSpec};
use super::wordvec::{train_wordvec, WordVecSpec};
use crate::jobs::{CancelToken, Progress};
use crate::store::{Store, TextFields};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// The methods `plan` knows, in the order the front ends offer them.
pub const METHODS: [&str; 5] = ["wordvec", "declutr", "simcse", "mlm", "supervised"];

/// What a front end gathered; `None` (or a blank string) takes the method's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(optional_fields = nullable))]
#[serde(default)]
pub struct TrainRequest {
    /// wordvec, declutr, simcse, mlm or supervised.
    pub method: String,
    /// The new model's folder name under the project's `models/`.
    pub name: String,
    /// Adaptation and supervised: the encoder to start from.
    pub base: Option<String>,
    /// wordvec: vector dimension.
    pub dimension: Option<usize>,
    pub epochs: Option<usize>,
    pub seed: Option<u64>,
    /// Adaptation: texts per step; supervised: pairs per step.
    pub batch_size: Option<usize>,
    /// Adaptation and supervised: texts are cut to this many tokens while training.
    pub max_tokens: Option<usize>,
    pub learning_rate: Option<f64>,
    /// Adaptation: train on at most this many reports (a seeded sample); 0 means all.
    pub max_documents: Option<usize>,
    /// Supervised: the benchmark set whose labels to learn, and its version (latest if
    /// none).
    pub benchmark: Option<String>,
    pub version: Option<i64>,
    /// Supervised: training reports per label, and pair rounds.
    pub per_label: Option<usize>,
    pub iterations: Option<usize>,
    /// Reports (wordvec) or steps (the others) between checkpoints.
    pub checkpoint_every: Option<usize>,
    /// Adaptation: train on every report for every step and keep the last weights, instead
    /// of holding reports out, stopping when they say training no longer helps, and
    /// keeping the best weights (refusing when none beat the base model).
    pub keep_last: Option<bool>,
    /// `description` or `all` (description, causes, actions).
    pub text: Option<String>,
}

/// A request with every setting decided: what `run` trains.
#[derive(Debug, Clone)]
pub enum TrainPlan {
    WordVec(WordVecSpec),
    Adapt(AdaptSpec),
    Supervised(SupervisedSpec),
}

/// What a training reports, as the method's own report (serialised as that report).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum TrainOutcome {
    WordVec(super::wordvec::TrainReport),
    Adapt(super::adapt::AdaptReport),
    Supervised(super::supervised::SupervisedReport),
}

const EPOCHS: RangeInclusive<usize> = 1..=100;
const DIMENSION: RangeInclusive<usize> = 8..=1024;
const MAX_TOKENS: RangeInclusive<usize> = 8..=512;
const PER_LABEL: RangeInclusive<usize> = 1..=10_000;
const ITERATIONS: RangeInclusive<usize> = 1..=100;

/// `value`, or `default` when absent; an error naming `what` when outside `range`.
fn within<T: PartialOrd + Copy + std::fmt::Display>(
    what: &str,
    value: Option<T>,
    default: T,
    range: RangeInclusive<T>,
) -> Result<T, TrainError> {
    let v = value.unwrap_or(default);
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(TrainError::Invalid(format!(
            "{what} must be between {} and {}, not {v}",
            range.start(),
            range.end()
        )))
    }
}

/// A non-blank string, trimmed.
fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl TrainRequest {
    /// A request for `method` training `name`, every setting at its default.
    pub fn new(method: &str, name: &str) -> Self {
        TrainRequest {
            method: method.into(),
            name: name.into(),
            ..TrainRequest::default()
        }
    }

    /// `method`'s settings as `plan` decides them for a silent request, for a front end to
    /// show as the starting values of its form (the name is left empty).
    pub fn defaults(method: &str) -> Result<TrainRequest, TrainError> {
        let mut probe = TrainRequest::new(method, "defaults");
        if method == "supervised" {
            probe.benchmark = Some("defaults".into());
        }
        let mut out = TrainRequest::new(method, "");
        match probe.plan()? {
            TrainPlan::WordVec(s) => {
                out.dimension = Some(s.config.dimension);
                out.epochs = Some(s.config.epochs);
                out.seed = Some(s.config.seed);
                out.checkpoint_every = Some(s.checkpoint_every);
                out.text = Some(s.fields.name().into());
            }
            TrainPlan::Adapt(s) => {
                out.fill_finetune(&s.base, &s.config, s.checkpoint_every, s.fields);
                out.keep_last = Some(s.held_out.is_none());
            }
            TrainPlan::Supervised(s) => {
                out.fill_finetune(&s.base, &s.config, s.checkpoint_every, s.fields);
                out.per_label = Some(s.per_label);
                out.iterations = Some(s.iterations);
            }
        }
        Ok(out)
    }

    fn fill_finetune(&mut self, base: &str, config: &ml::finetune::FinetuneConfig, checkpoint_every: u64, fields: TextFields) {
        self.base = Some(base.into());
        self.epochs = Some(config.epochs);
        self.seed = Some(config.seed);
        self.batch_size = Some(config.batch_size);
        self.max_tokens = Some(config.max_tokens);
        self.learning_rate = Some(config.learning_rate);
        self.checkpoint_every = Some(checkpoint_every as usize);
        self.text = Some(fields.name().into());
    }

    /// Decides every setting: the method's defaults where the request is silent, an error
    /// where a value is out of range or the method does not exist.
    pub fn plan(&self) -> Result<TrainPlan, TrainError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(TrainError::Invalid("give the new model a name".into()));
        }
        let fields = match given(&self.text) {
            None => None,
            Some(t) => Some(TextFields::parse(&t).ok_or_else(|| {
                TrainError::Invalid(format!("text {t:?}: use description or all"))
            })?),
        };
        if self.checkpoint_every == Some(0) {
            return Err(TrainError::Invalid("checkpoints come at least every 1 step or report".into()));
        }
        match self.method.as_str() {
            "wordvec" => {
                let mut spec = WordVecSpec::new(name);
                spec.config.dimension = within("dimension", self.dimension, spec.config.dimension, DIMENSION)?;
                spec.config.epochs = within("epochs", self.epochs, spec.config.epochs, EPOCHS)?;
                spec.config.seed = self.seed.unwrap_or(spec.config.seed);
                spec.checkpoint_every = self.checkpoint_every.unwrap_or(spec.checkpoint_every);
                spec.fields = fields.unwrap_or(spec.fields);
                Ok(TrainPlan::WordVec(spec))
            }
            "simcse" | "mlm" | "declutr" => {
                let method = Adaptation::parse(&self.method).unwrap_or(Adaptation::Simcse);
                let mut spec = AdaptSpec::new(name, method);
                spec.base = given(&self.base).unwrap_or(spec.base);
                // In-batch negatives need at least one other text in the batch.
                spec.config.batch_size = within("batch size", self.batch_size, spec.config.batch_size, 2..=256)?;
                self.finetune_settings(&mut spec.config)?;
                spec.max_documents = self.max_documents.filter(|&m| m > 0);
                if self.keep_last == Some(true) {
                    spec.held_out = None;
                }
                spec.checkpoint_every = self.checkpoint_every.map_or(spec.checkpoint_every, |c| c as u64);
                spec.fields = fields.unwrap_or(spec.fields);
                Ok(TrainPlan::Adapt(spec))
            }
            "supervised" => {
                let benchmark = given(&self.benchmark).ok_or_else(|| {
                    TrainError::Invalid("supervised training needs the benchmark set to learn from".into())
                })?;
                let mut spec = SupervisedSpec::new(name, &benchmark);
                spec.base = given(&self.base).unwrap_or(spec.base);
                spec.version = self.version;
                spec.config.batch_size = within("batch size", self.batch_size, spec.config.batch_size, 1..=256)?;
                self.finetune_settings(&mut spec.config)?;
                spec.per_label = within("reports per label", self.per_label, spec.per_label, PER_LABEL)?;
                spec.iterations = within("pair rounds", self.iterations, spec.iterations, ITERATIONS)?;
                spec.checkpoint_every = self.checkpoint_every.map_or(spec.checkpoint_every, |c| c as u64);
                spec.fields = fields.unwrap_or(spec.fields);
                Ok(TrainPlan::Supervised(spec))
            }
            other => Err(TrainError::Invalid(format!(
                "unknown training method {other:?}; use {}",
                METHODS.join(", ")
            ))),
        }
    }

    /// The settings every fine-tuning shares, over the objective's own defaults.
    fn finetune_settings(&self, config: &mut ml::finetune::FinetuneConfig) -> Result<(), TrainError> {
        config.epochs = within("epochs", self.epochs, config.epochs, EPOCHS)?;
        config.max_tokens = within("tokens per text", self.max_tokens, config.max_tokens, MAX_TOKENS)?;
        config.seed = self.seed.unwrap_or(config.seed);
        let rate = self.learning_rate.unwrap_or(config.learning_rate);
        if !(rate > 0.0 && rate < 1.0) {
            return Err(TrainError::Invalid(format!("learning rate must be above 0 and below 1, not {rate}")));
        }
        config.learning_rate = rate;
        Ok(())
    }
}

impl TrainPlan {
    /// What a job list calls this training.
    pub fn title(&self) -> String {
        match self {
            TrainPlan::WordVec(s) => format!("Train {} (word vectors)", s.name),
            TrainPlan::Adapt(s) => format!("Adapt {} as {} ({})", s.base, s.name, s.method.name()),
            TrainPlan::Supervised(s) => format!("Fine-tune {} as {} on {}", s.base, s.name, s.benchmark),
        }
    }

    /// What progress counts: tokens for word vectors, optimiser steps for the others.
    pub fn unit(&self) -> &'static str {
        match self {
            TrainPlan::WordVec(_) => "tokens",
            TrainPlan::Adapt(_) | TrainPlan::Supervised(_) => "steps",
        }
    }

    /// Trains, resuming from a checkpoint of the same name and settings when there is one.
    /// The pretrained model this plan starts from, when it starts from one.
    pub fn base(&self) -> Option<&str> {
        match self {
            TrainPlan::WordVec(_) => None,
            TrainPlan::Adapt(s) => Some(&s.base),
            TrainPlan::Supervised(s) => Some(&s.base),
        }
    }

    pub fn run(
        &self,
        store: &Store,
        progress: &dyn Progress,
        cancel: &CancelToken,
    ) -> Result<TrainOutcome, TrainError> {
        Ok(match self {
            TrainPlan::WordVec(s) => TrainOutcome::WordVec(train_wordvec(store, s, progress, cancel)?),
            TrainPlan::Adapt(s) => TrainOutcome::Adapt(train_adapt(store, s, progress, cancel)?),
            TrainPlan::Supervised(s) => TrainOutcome::Supervised(train_supervised(store, s, progress, cancel)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_requests_take_each_methods_defaults() {
        let TrainPlan::WordVec(w) = TrainRequest::new("wordvec", "wv").plan().unwrap() else { panic!() };
        assert_eq!((w.config.dimension, w.config.epochs, w.config.seed), (100, 5, crate::DEFAULT_SEED));
        let TrainPlan::Adapt(a) = TrainRequest::new("declutr", "d").plan().unwrap() else { panic!() };
        assert_eq!((a.config.batch_size, a.fields, a.base.as_str()), (32, TextFields::All, crate::encode::DEFAULT_TRANSFORMER));
        let mut s = TrainRequest::new("supervised", "s");
        s.benchmark = Some(" cat ".into());
        let TrainPlan::Supervised(s) = s.plan().unwrap() else { panic!() };
        assert_eq!((s.benchmark.as_str(), s.config.batch_size, s.per_label, s.iterations), ("cat", 16, 16, 5));
    }

    #[test]
    fn defaults_are_what_a_silent_request_trains_with() {
        for method in METHODS {
            let mut d = TrainRequest::defaults(method).unwrap();
            assert_eq!(d.seed, Some(crate::DEFAULT_SEED));
            d.name = "m".into();
            if method == "supervised" {
                d.benchmark = Some("b".into());
            }
            let mut silent = TrainRequest::new(method, "m");
            silent.benchmark = d.benchmark.clone();
            assert_eq!(format!("{:?}", d.plan().unwrap()), format!("{:?}", silent.plan().unwrap()), "{method}");
        }
        assert!(TrainRequest::defaults("lda").is_err());
    }

    #[test]
    fn out_of_range_and_unknown_values_are_refused_by_name() {
        let refused = |r: TrainRequest| r.plan().map(|_| ()).unwrap_err().to_string();
        let mut r = TrainRequest::new("wordvec", "wv");
        r.dimension = Some(4);
        assert!(refused(r).contains("dimension"));
        let mut r = TrainRequest::new("simcse", "s");
        r.batch_size = Some(1);
        assert!(refused(r).contains("batch size"));
        let mut r = TrainRequest::new("mlm", "m");
        r.learning_rate = Some(f64::NAN);
        assert!(refused(r).contains("learning rate"));
        assert!(refused(TrainRequest::new("supervised", "s")).contains("benchmark"));
        assert!(refused(TrainRequest::new("lda", "x")).contains("unknown training method"));
        assert!(refused(TrainRequest::new("wordvec", "  ")).contains("name"));
        let mut r = TrainRequest::new("wordvec", "wv");
        r.text = Some("causes".into());
        assert!(refused(r).contains("description or all"));
    }
}
