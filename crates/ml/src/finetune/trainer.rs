//! Fine-tuning a sentence-transformers BERT folder with one of three objectives:
//! unsupervised SimCSE or masked-language-model continued pre-training over the project's
//! texts, or SetFit's contrastive stage over labelled pairs.
//! Either way: batches in a seeded order, AdamW with linear warm-up and decay, gradient
//! clipping, checkpoints that resume exactly, and the result written as a copy of the base
//! folder with the new weights, so it is again a folder in the standard layout.

use super::{
    embed, in_batch_loss, mlm_loss, pair_loss, simcse_loss, AdamW, AdamWParams, Dropout,
    TrainableBert,
};
use crate::rng::SplitMix64;
use crate::MlError;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// Texts are cut to this many tokens while training (encoding keeps the model's own).
    pub max_tokens: usize,
    pub learning_rate: f64,
    /// Share of the steps over which the learning rate rises from 0.
    pub warmup: f64,
    pub temperature: f64,
    pub dropout: f32,
    pub max_grad_norm: f64,
    pub weight_decay: f64,
    pub seed: u64,
    /// MLM: the learning rate of the masked-language-model head, which starts untrained
    /// when the base is a sentence-transformers folder (as SetFit gives its head its own).
    #[serde(default = "default_head_learning_rate")]
    pub head_learning_rate: f64,
    /// MLM: share of tokens masked (BERT's 15%; of those 80% become [MASK], 10% a random
    /// token, 10% stay).
    #[serde(default = "default_mask_probability")]
    pub mask_probability: f64,
}

fn default_mask_probability() -> f64 {
    0.15
}

fn default_head_learning_rate() -> f64 {
    1e-3
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        // The paper's unsupervised BERT settings, with shorter texts and smaller batches
        // for a CPU: batch 64, lr 3e-5, temperature 0.05, dropout 0.1.
        FinetuneConfig {
            epochs: 1,
            batch_size: 32,
            max_tokens: 64,
            learning_rate: 3e-5,
            warmup: 0.1,
            temperature: 0.05,
            dropout: 0.1,
            max_grad_norm: 1.0,
            weight_decay: 0.01,
            seed: crate::rng::DEFAULT_SEED,
            mask_probability: default_mask_probability(),
            head_learning_rate: default_head_learning_rate(),
        }
    }
}

/// Where training stands, beside the weights and optimiser moments of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinetuneState {
    pub step: u64,
    pub epoch: usize,
    /// Next batch of the epoch.
    pub batch: usize,
    pub dropout_state: u64,
    /// (step, loss) of every step.
    pub loss_curve: Vec<(u64, f64)>,
    pub config: FinetuneConfig,
    /// The objective trained ("simcse", "pairs", "mlm"); a checkpoint resumes only with it.
    #[serde(default)]
    pub objective: String,
    /// (step, score) of every held-out judgement; step 0 (or the step a run started
    /// from) is the weights before training.
    #[serde(default)]
    pub held_out: Vec<(u64, f64)>,
    /// (step, score) of every judgement of the structure guard, when there is one.
    #[serde(default)]
    pub structure: Vec<(u64, f64)>,
    /// The step whose weights scored best on the held-out pairs so far (among the steps
    /// the structure guard let through).
    #[serde(default)]
    pub best_step: Option<u64>,
    /// Training stopped before its last step because the held-out score stopped rising.
    #[serde(default)]
    pub stopped_early: bool,
    /// The files of the checkpoint this state goes with.
    weights: String,
    optimizer: String,
    #[serde(default)]
    best_weights: String,
}

impl FinetuneState {
    /// The best held-out score so far, if the run is judged.
    pub fn best_score(&self) -> Option<f64> {
        let best = self.best_step?;
        self.held_out.iter().find(|p| p.0 == best).map(|p| p.1)
    }

    /// Judgements since the best one.
    fn judged_since_best(&self) -> usize {
        match self.best_step {
            Some(best) => self.held_out.iter().filter(|p| p.0 > best).count(),
            None => 0,
        }
    }
}

/// Held-out pairs a training is judged on as it goes, so that it can stop when it no
/// longer helps and hand back its best weights rather than its last: each pair holds two
/// spans of one report the training never saw, and the score is how well each first span
/// finds its second among all the second spans (mean reciprocal rank, without dropout).
#[derive(Debug, Clone, Copy)]
pub struct Validation<'a> {
    pub pairs: &'a [(&'a str, &'a str)],
    /// Steps between judgements; the weights before training are judged first.
    pub every: u64,
    /// Judgements without a new best before training stops.
    pub patience: usize,
    /// Weights that break up the clusters the base model found are never the best.
    pub structure: Option<Structure<'a>>,
}

/// A guard against adaptation that wins its own game and loses the clusters: the held-out
/// span score rewards telling one report from every other, which a model can learn by
/// spreading all reports evenly apart (measured on genai-incidents: the span score rose
/// from 0.61 to 0.83 while the clusters fell from 12 to 2, V-measure 0.45 to 0.32). The
/// guard scores how many of each report's nearest neighbours (by cosine, among `texts`)
/// share its cluster in `labels`, the base model's clusters; a step whose score falls more
/// than `tolerance` below the base model's cannot be the best. Splitting a base cluster in
/// two keeps most neighbours inside it and costs little; mixing clusters costs a lot.
#[derive(Debug, Clone, Copy)]
pub struct Structure<'a> {
    pub texts: &'a [&'a str],
    pub labels: &'a [i64],
    pub neighbours: usize,
    pub tolerance: f64,
}

/// What a step trains on.
#[derive(Debug, Clone, Copy)]
pub enum Objective<'a> {
    /// Unsupervised SimCSE: each text against its own second dropout view.
    Simcse(&'a [&'a str]),
    /// DeCLUTR-style span contrast: each (anchor, positive) pair holds two spans of one
    /// report; the batch's other positives are the negatives.
    Spans(&'a [(&'a str, &'a str)]),
    /// SetFit's contrastive stage: the cosine of (a, b) pulled towards the target, 1 for
    /// a pair with the same label and 0 for different labels.
    Pairs(&'a [(&'a str, &'a str, f32)]),
    /// Masked-language-model continued pre-training on these texts.
    Mlm(&'a [&'a str]),
}

impl Objective<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Objective::Simcse(_) => "simcse",
            Objective::Spans(_) => "spans",
            Objective::Pairs(_) => "pairs",
            Objective::Mlm(_) => "mlm",
        }
    }

    /// Examples an epoch goes through (texts or pairs).
    pub fn len(&self) -> usize {
        match self {
            Objective::Simcse(t) | Objective::Mlm(t) => t.len(),
            Objective::Spans(p) => p.len(),
            Objective::Pairs(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FinetuneProgress {
    pub step: u64,
    pub steps: u64,
    pub epoch: usize,
    pub loss: f64,
    pub examples: usize,
}

pub struct Finetuner {
    pub config: FinetuneConfig,
    model: TrainableBert,
    optimizer: AdamW,
    tokenizer: Tokenizer,
    dropout: Dropout,
    /// A copy of the variables at `FinetuneState::best_step`, when training is judged.
    best: Option<HashMap<String, Tensor>>,
}

impl Finetuner {
    pub fn new(
        base: &Path,
        config: &FinetuneConfig,
        device: &Device,
    ) -> Result<Finetuner, MlError> {
        let model = TrainableBert::load(base, device)?;
        let tokenizer_path = base.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| MlError::InvalidFile {
                path: tokenizer_path,
                reason: e.to_string(),
            })?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: config.max_tokens.min(model.config.max_position_embeddings),
                ..Default::default()
            }))
            .map_err(|e| MlError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);
        let optimizer = optimizer(&model, config)?;
        Ok(Finetuner {
            dropout: Dropout::new(config.dropout, config.seed ^ 0xD80),
            config: config.clone(),
            model,
            optimizer,
            tokenizer,
            best: None,
        })
    }

    /// Gives the model BERT's masked-language-model head (and the optimiser its
    /// variables), which `Objective::Mlm` trains. Call before training or resuming.
    pub fn add_mlm_head(&mut self) -> Result<(), MlError> {
        self.model.add_mlm_head(self.config.seed)?;
        self.optimizer = optimizer(&self.model, &self.config)?;
        Ok(())
    }

    pub fn fresh_state(&self, objective: Objective) -> FinetuneState {
        FinetuneState {
            objective: objective.name().to_string(),
            step: 0,
            epoch: 0,
            batch: 0,
            dropout_state: self.dropout.state(),
            loss_curve: Vec::new(),
            config: self.config.clone(),
            held_out: Vec::new(),
            structure: Vec::new(),
            best_step: None,
            stopped_early: false,
            weights: String::new(),
            optimizer: String::new(),
            best_weights: String::new(),
        }
    }

    /// Batches per epoch for `texts` texts.
    pub fn batches(&self, texts: usize) -> usize {
        texts.div_ceil(self.config.batch_size.max(2))
    }

    fn learning_rate(&self, step: u64, steps: u64) -> f64 {
        let warm = ((steps as f64) * self.config.warmup).ceil().max(1.0);
        let s = step as f64;
        let lr = self.config.learning_rate;
        if s < warm {
            lr * (s + 1.0) / warm
        } else {
            lr * ((steps as f64 - s) / (steps as f64 - warm).max(1.0)).max(0.0)
        }
    }

    /// The text order of an epoch: a seeded permutation.
    fn order(&self, n: usize, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = SplitMix64::new(self.config.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37));
        for i in (1..n).rev() {
            order.swap(i, rng.below(i + 1));
        }
        order
    }

    /// Tokenises `texts` and pads them to the longest: (encodings, longest, ids, mask),
    /// ids and mask row-major.
    fn padded(
        &self,
        texts: &[&str],
    ) -> Result<(Vec<Encoding>, usize, Vec<u32>, Vec<u32>), MlError> {
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| MlError::Tokenizer(e.to_string()))?;
        let longest = enc.iter().map(|e| e.len()).max().unwrap_or(1).max(1);
        let mut ids = vec![0u32; texts.len() * longest];
        let mut mask = vec![0u32; texts.len() * longest];
        for (row, e) in enc.iter().enumerate() {
            ids[row * longest..row * longest + e.len()].copy_from_slice(e.get_ids());
            mask[row * longest..row * longest + e.len()].copy_from_slice(e.get_attention_mask());
        }
        Ok((enc, longest, ids, mask))
    }

    fn tensors(&self, texts: &[&str]) -> Result<(Tensor, Tensor), MlError> {
        let (_, longest, ids, mask) = self.padded(texts)?;
        let device = self.model.device();
        Ok((
            Tensor::from_vec(ids, (texts.len(), longest), device)?,
            Tensor::from_vec(mask, (texts.len(), longest), device)?,
        ))
    }

    /// A batch with BERT's masking: (masked ids, attention mask, flat positions masked,
    /// original ids there), or None when no token was drawn. Special tokens ([CLS], [SEP],
    /// padding) are never masked. The draws come from the dropout generator, so a resumed
    /// run masks the same tokens.
    fn masked_tensors(
        &mut self,
        texts: &[&str],
    ) -> Result<Option<(Tensor, Tensor, Tensor, Tensor)>, MlError> {
        let mask_id = self
            .tokenizer
            .token_to_id("[MASK]")
            .ok_or_else(|| MlError::Training("the tokenizer has no [MASK] token".into()))?;
        let vocab = self.model.config.vocab_size;
        let (enc, longest, mut ids, mask) = self.padded(texts)?;
        let (mut positions, mut targets) = (Vec::new(), Vec::new());
        let p = self.config.mask_probability;
        for (row, e) in enc.iter().enumerate() {
            let special = e.get_special_tokens_mask();
            for (j, &is_special) in special.iter().enumerate() {
                let at = row * longest + j;
                if mask[at] == 0 || is_special == 1 || self.dropout.draw() >= p {
                    continue;
                }
                positions.push(at as u32);
                targets.push(ids[at]);
                let how = self.dropout.draw();
                if how < 0.8 {
                    ids[at] = mask_id;
                } else if how < 0.9 {
                    ids[at] = ((self.dropout.draw() * vocab as f64) as usize).min(vocab - 1) as u32;
                }
            }
        }
        if positions.is_empty() {
            return Ok(None);
        }
        let device = self.model.device();
        let n = positions.len();
        Ok(Some((
            Tensor::from_vec(ids, (texts.len(), longest), device)?,
            Tensor::from_vec(mask, (texts.len(), longest), device)?,
            Tensor::from_vec(positions, n, device)?,
            Tensor::from_vec(targets, n, device)?,
        )))
    }

    /// The loss of one batch (positions into the objective's examples), or None for a
    /// batch that cannot be trained on: SimCSE needs two texts, so a batch of one has no
    /// negatives and is skipped.
    fn batch_loss(
        &mut self,
        objective: Objective,
        batch: &[usize],
    ) -> Result<Option<Tensor>, MlError> {
        match objective {
            Objective::Simcse(texts) => {
                if batch.len() < 2 {
                    return Ok(None);
                }
                let chunk: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
                let (ids, mask) = self.tensors(&chunk)?;
                Ok(Some(simcse_loss(
                    &self.model,
                    &ids,
                    &mask,
                    &mut self.dropout,
                    self.config.temperature,
                )?))
            }
            Objective::Spans(pairs) => {
                if batch.len() < 2 {
                    return Ok(None);
                }
                // Anchors then positives, padded together, in one forward pass.
                let (ids, mask) = self.tensors(&firsts_then_seconds(batch, |i| pairs[i]))?;
                Ok(Some(in_batch_loss(
                    &self.model,
                    &ids,
                    &mask,
                    &mut self.dropout,
                    self.config.temperature,
                )?))
            }
            Objective::Mlm(texts) => {
                let chunk: Vec<&str> = batch.iter().map(|&i| texts[i]).collect();
                let Some((ids, mask, positions, targets)) = self.masked_tensors(&chunk)? else {
                    return Ok(None);
                };
                Ok(Some(mlm_loss(
                    &self.model,
                    &ids,
                    &mask,
                    &positions,
                    &targets,
                    &mut self.dropout,
                )?))
            }
            Objective::Pairs(pairs) => {
                if batch.is_empty() {
                    return Ok(None);
                }
                // Both sides in one forward pass: a's then b's.
                let targets: Vec<f32> = batch.iter().map(|&i| pairs[i].2).collect();
                let (ids, mask) =
                    self.tensors(&firsts_then_seconds(batch, |i| (pairs[i].0, pairs[i].1)))?;
                let targets = Tensor::from_vec(targets, batch.len(), self.model.device())?;
                Ok(Some(pair_loss(
                    &self.model,
                    &ids,
                    &mask,
                    &targets,
                    &mut self.dropout,
                )?))
            }
        }
    }

    /// Trains from `state` to the end; `progress` is called after every step (a safe point
    /// to checkpoint) and returns false to stop there. Returns whether training finished.
    ///
    /// With `validation`, the weights are judged on its pairs before the first step and
    /// every `every` steps (and after the last); training stops early after `patience`
    /// judgements without a new best, and [`Finetuner::restore_best`] then gives back the
    /// best weights, which may be the ones it started from.
    pub fn train(
        &mut self,
        objective: Objective,
        validation: Option<Validation>,
        state: &mut FinetuneState,
        progress: &mut dyn FnMut(&Self, &FinetuneState, FinetuneProgress) -> Result<bool, MlError>,
    ) -> Result<bool, MlError> {
        let examples = objective.len();
        let per_epoch = self.batches(examples);
        let steps = (per_epoch * self.config.epochs) as u64;
        self.dropout.set_state(state.dropout_state);
        if state.stopped_early {
            return Ok(true);
        }
        if let Some(v) = validation {
            if state.held_out.is_empty() {
                self.judge(v, state)?;
            }
        }
        while state.epoch < self.config.epochs {
            let order = self.order(examples, state.epoch);
            while state.batch < per_epoch {
                let b = self.config.batch_size.max(2);
                let batch = &order[state.batch * b..((state.batch + 1) * b).min(order.len())];
                if let Some(loss) = self.batch_loss(objective, batch)? {
                    let grads = self.model.backward(&loss)?;
                    let lr = self.learning_rate(state.step, steps);
                    self.optimizer.step(&grads, lr, self.config.max_grad_norm)?;
                    state
                        .loss_curve
                        .push((state.step, loss.to_scalar::<f32>()? as f64));
                }
                state.step += 1;
                state.batch += 1;
                if state.batch == per_epoch {
                    state.batch = 0;
                    state.epoch += 1;
                }
                state.dropout_state = self.dropout.state();
                let last = state.epoch >= self.config.epochs;
                let mut enough = false;
                if let Some(v) = validation {
                    if state.step % v.every.max(1) == 0 || last {
                        self.judge(v, state)?;
                        enough = !last && state.judged_since_best() >= v.patience.max(1);
                        state.stopped_early = enough;
                    }
                }
                let report = FinetuneProgress {
                    step: state.step,
                    steps,
                    epoch: state.epoch,
                    loss: state.loss_curve.last().map(|p| p.1).unwrap_or(f64::NAN),
                    examples: batch.len(),
                };
                if !progress(self, state, report)? {
                    return Ok(false);
                }
                if enough {
                    return Ok(true);
                }
                if last {
                    break;
                }
            }
        }
        Ok(true)
    }

    /// Scores the current weights on `v`'s pairs and records the score; a new best is
    /// copied aside.
    fn judge(&mut self, v: Validation, state: &mut FinetuneState) -> Result<(), MlError> {
        let score = self.held_out_score(v.pairs)?;
        state.held_out.push((state.step, score));
        let kept = match v.structure {
            None => true,
            Some(guard) => {
                let agreement = self.structure_score(guard)?;
                state.structure.push((state.step, agreement));
                let base = state.structure.first().map_or(agreement, |p| p.1);
                agreement >= base - guard.tolerance
            }
        };
        if kept && state.best_score().is_none_or(|best| score > best) {
            state.best_step = Some(state.step);
            self.best = Some(self.model.snapshot()?);
        }
        Ok(())
    }

    /// How well each pair's first text finds its second among all the second texts:
    /// the mean reciprocal rank of the true partner by cosine, without dropout.
    pub fn held_out_score(&self, pairs: &[(&str, &str)]) -> Result<f64, MlError> {
        if pairs.is_empty() {
            return Err(MlError::Training("no held-out pairs to judge on".into()));
        }
        let firsts: Vec<&str> = pairs.iter().map(|p| p.0).collect();
        let seconds: Vec<&str> = pairs.iter().map(|p| p.1).collect();
        let (a, b) = (self.embed_texts(&firsts)?, self.embed_texts(&seconds)?);
        let total: f64 = a
            .iter()
            .enumerate()
            .map(|(i, ai)| {
                let own = dot(ai, &b[i]);
                let above = b.iter().filter(|bj| dot(ai, bj) > own).count();
                1.0 / (1 + above) as f64
            })
            .sum();
        Ok(total / pairs.len() as f64)
    }

    /// The share of each text's `neighbours` nearest others (by cosine) that carry its
    /// label, averaged over the texts.
    pub fn structure_score(&self, guard: Structure) -> Result<f64, MlError> {
        if guard.texts.len() != guard.labels.len() || guard.texts.len() <= guard.neighbours {
            return Err(MlError::Training(format!(
                "the structure guard needs more texts than neighbours and a label for each ({} texts, {} labels)",
                guard.texts.len(),
                guard.labels.len()
            )));
        }
        let vectors = self.embed_texts(guard.texts)?;
        let k = guard.neighbours.max(1);
        let mut total = 0.0;
        for (i, vi) in vectors.iter().enumerate() {
            let mut near: Vec<(f32, usize)> = vectors
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(j, vj)| (dot(vi, vj), j))
                .collect();
            near.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
            let same = near[..k].iter().filter(|(_, j)| guard.labels[*j] == guard.labels[i]).count();
            total += same as f64 / k as f64;
        }
        Ok(total / vectors.len() as f64)
    }

    /// Unit vectors of `texts` as training sees them (cut to `max_tokens`), in batches.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, MlError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.config.batch_size.max(2)) {
            let (ids, mask) = self.tensors(chunk)?;
            out.extend(embed(&self.model, &ids, &mask)?.detach().to_vec2::<f32>()?);
        }
        Ok(out)
    }

    /// Puts back the weights that scored best on the held-out pairs (a judged run only).
    pub fn restore_best(&mut self) -> Result<(), MlError> {
        if let Some(best) = &self.best {
            self.model.restore(best)?;
        }
        Ok(())
    }

    /// Writes weights and optimiser moments under names of their own, then commits by
    /// renaming `state.json` into place; older files go after the commit.
    pub fn save_checkpoint(&self, dir: &Path, state: &FinetuneState) -> Result<(), MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let weights = format!("weights-{}.safetensors", state.step);
        let optimizer = format!("optimizer-{}.safetensors", state.step);
        self.model.save(&dir.join(&weights))?;
        self.optimizer.save(&dir.join(&optimizer))?;
        let mut saved = state.clone();
        saved.weights = weights.clone();
        saved.optimizer = optimizer.clone();
        if let (Some(best), Some(step)) = (&self.best, state.best_step) {
            // Written once per best: a later checkpoint with the same best keeps the file.
            saved.best_weights = format!("best-{step}.safetensors");
            let path = dir.join(&saved.best_weights);
            if !path.is_file() {
                candle_core::safetensors::save(best, &path)?;
            }
        }
        crate::checkpoint::commit(
            dir,
            &saved,
            &["weights-", "optimizer-", "best-"],
            &[weights.as_str(), optimizer.as_str(), saved.best_weights.as_str()],
        )
    }

    /// Loads the checkpoint in `dir`, if any, into this trainer; refuses one made with
    /// other settings.
    pub fn resume(
        &mut self,
        dir: &Path,
        objective: Objective,
    ) -> Result<Option<FinetuneState>, MlError> {
        let Some(state) = crate::checkpoint::read::<FinetuneState>(dir)? else {
            return Ok(None);
        };
        let json = dir.join("state.json");
        // Checkpoints from before objectives were recorded are SimCSE's.
        let trained = match state.objective.as_str() {
            "" => "simcse",
            other => other,
        };
        if state.config != self.config || trained != objective.name() {
            return Err(MlError::InvalidFile {
                path: json,
                reason: "the checkpoint was written with other training settings".into(),
            });
        }
        let device = self.model.device().clone();
        let config = self.model.config.clone();
        let tensors = candle_core::safetensors::load(dir.join(&state.weights), &device)?;
        self.model = TrainableBert::from_tensors(config, tensors, &device)?;
        self.optimizer = optimizer(&self.model, &self.config)?;
        self.optimizer.load(&dir.join(&state.optimizer))?;
        self.dropout.set_state(state.dropout_state);
        if !state.best_weights.is_empty() {
            self.best = Some(candle_core::safetensors::load(dir.join(&state.best_weights), &device)?);
        }
        Ok(Some(state))
    }

    /// The fine-tuned model: every file of the base folder (tokenizer, config, pooling,
    /// sentence-transformers modules) with the new `model.safetensors`.
    pub fn save_model(&self, base: &Path, out: &Path) -> Result<(), MlError> {
        copy_folder(base, out)?;
        self.model.save_encoder(&out.join("model.safetensors"))
    }
}

/// The cosine of two unit vectors.
fn dot(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).map(|(p, q)| p * q).sum()
}

/// The batch's pairs as one list, every first text then every second one in the same
/// order, so both sides go through one forward pass and split at the middle.
fn firsts_then_seconds<'t>(
    batch: &[usize],
    pair: impl Fn(usize) -> (&'t str, &'t str),
) -> Vec<&'t str> {
    let pairs: Vec<(&str, &str)> = batch.iter().map(|&i| pair(i)).collect();
    pairs
        .iter()
        .map(|p| p.0)
        .chain(pairs.iter().map(|p| p.1))
        .collect()
}

/// AdamW over every variable of the model, with the configured weight decay; the MLM
/// head, if any, at its own learning rate.
fn optimizer(model: &TrainableBert, config: &FinetuneConfig) -> Result<AdamW, MlError> {
    let mut adamw = AdamW::new(
        model.variables(),
        AdamWParams {
            weight_decay: config.weight_decay,
            ..AdamWParams::default()
        },
    )?;
    if config.learning_rate > 0.0 {
        adamw.scale_learning_rate(
            super::trainable::MLM_HEAD,
            config.head_learning_rate / config.learning_rate,
        );
    }
    Ok(adamw)
}

fn copy_folder(from: &Path, to: &Path) -> Result<(), MlError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MlError::Io { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))?.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        // Links are refused rather than followed: one could lead outside the base folder
        // (its file copied into the new model) or back into it (a loop without end).
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_symlink() {
            return Err(MlError::InvalidFile {
                path,
                reason: "the base model's folder holds a symbolic link; copy the model without links".into(),
            });
        }
        if kind.is_dir() {
            copy_folder(&path, &target)?;
        } else if entry.file_name() != "model.safetensors"
            && entry.file_name() != "pytorch_model.bin"
        {
            std::fs::copy(&path, &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn a_base_folder_with_a_link_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        std::fs::create_dir_all(base.join("1_Pooling")).unwrap();
        std::fs::write(base.join("config.json"), "{}").unwrap();
        // A loop back into the folder, and a link to a file outside it.
        std::os::unix::fs::symlink(&base, base.join("1_Pooling/loop")).unwrap();
        let err = super::copy_folder(&base, &dir.path().join("copy")).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        std::fs::remove_file(base.join("1_Pooling/loop")).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), base.join("notes.txt")).unwrap();
        assert!(super::copy_folder(&base, &dir.path().join("copy2")).is_err());
        assert!(!dir.path().join("copy2/notes.txt").exists());
        std::fs::remove_file(base.join("notes.txt")).unwrap();
        super::copy_folder(&base, &dir.path().join("copy3")).unwrap();
        assert!(dir.path().join("copy3/config.json").is_file());
    }
}
