//! Skip-gram with negative sampling over words and n-grams, one thread, seeded.

use super::corpus::Corpus;
use super::model::WordVecModel;
use super::{ngram_buckets, tokenize, WordVecConfig};
use crate::rng::SplitMix64;
use crate::MlError;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// Entries in the negative-sampling table (unigram counts to the power 0.75).
const TABLE_SIZE: usize = 1 << 22;
/// Documents between two loss-curve points and progress reports.
pub const REPORT_EVERY: usize = 500;

/// Where training stands: everything needed to continue exactly where it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainState {
    /// (vocabulary + buckets) x dimension: a word's row, then its n-grams' rows.
    pub input: Vec<f32>,
    /// vocabulary x dimension.
    pub output: Vec<f32>,
    pub epoch: usize,
    /// Next document of the epoch.
    pub document: usize,
    /// Tokens processed so far, over all epochs (drives the learning-rate decay).
    pub processed: u64,
    pub rng_state: u64,
    /// (tokens processed, mean loss over the span) every REPORT_EVERY documents.
    pub loss_curve: Vec<(u64, f64)>,
    loss_sum: f64,
    loss_count: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    /// The weights file this state goes with.
    weights: String,
    epoch: usize,
    document: usize,
    processed: u64,
    rng_state: u64,
    loss_curve: Vec<(u64, f64)>,
    loss_sum: f64,
    loss_count: u64,
    config: WordVecConfig,
}

impl TrainState {
    /// Writes the weights under a name of their own, then commits by renaming `state.json`
    /// into place (it names its weights file): a crash at any point leaves the previous
    /// checkpoint whole. Older weights files are removed after the commit.
    pub fn save(&self, dir: &Path, config: &WordVecConfig) -> Result<(), MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let tensors: HashMap<String, Tensor> = [
            (
                "input".to_string(),
                Tensor::from_slice(&self.input, self.input.len(), &Device::Cpu)?,
            ),
            (
                "output".to_string(),
                Tensor::from_slice(&self.output, self.output.len(), &Device::Cpu)?,
            ),
        ]
        .into_iter()
        .collect();
        let weights_name = format!("state-{}-{}.safetensors", self.epoch, self.processed);
        candle_core::safetensors::save(&tensors, dir.join(&weights_name))?;
        let saved = SavedState {
            weights: weights_name.clone(),
            epoch: self.epoch,
            document: self.document,
            processed: self.processed,
            rng_state: self.rng_state,
            loss_curve: self.loss_curve.clone(),
            loss_sum: self.loss_sum,
            loss_count: self.loss_count,
            config: config.clone(),
        };
        crate::checkpoint::commit(dir, &saved, &["state-"], &[weights_name.as_str()])
    }

    /// Reads a checkpoint written by `save`, or None when `dir` holds none. Refuses one
    /// written with another configuration.
    pub fn load(dir: &Path, config: &WordVecConfig) -> Result<Option<TrainState>, MlError> {
        let Some(saved) = crate::checkpoint::read::<SavedState>(dir)? else {
            return Ok(None);
        };
        let json = dir.join("state.json");
        if &saved.config != config {
            return Err(MlError::InvalidFile {
                path: json,
                reason: "the checkpoint was written with another training configuration".into(),
            });
        }
        let weights = dir.join(&saved.weights);
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)?;
        let get = |name: &str| -> Result<Vec<f32>, MlError> {
            tensors
                .get(name)
                .ok_or_else(|| MlError::InvalidFile {
                    path: weights.clone(),
                    reason: format!("no tensor {name:?}"),
                })?
                .to_vec1::<f32>()
                .map_err(MlError::from)
        };
        Ok(Some(TrainState {
            input: get("input")?,
            output: get("output")?,
            epoch: saved.epoch,
            document: saved.document,
            processed: saved.processed,
            rng_state: saved.rng_state,
            loss_curve: saved.loss_curve,
            loss_sum: saved.loss_sum,
            loss_count: saved.loss_count,
        }))
    }
}

/// What the progress callback is told.
#[derive(Debug, Clone, Copy)]
pub struct TrainProgress {
    pub epoch: usize,
    pub document: usize,
    pub documents: usize,
    pub processed: u64,
    pub total_tokens: u64,
    /// Mean loss over the latest span, once there is one.
    pub loss: Option<f64>,
}

/// The vocabulary, the documents as word ids, and the sampling tables, ready to train.
pub struct Trainer {
    pub config: WordVecConfig,
    words: Vec<String>,
    counts: Vec<u64>,
    /// Per vocabulary word: its own row, then its n-gram rows.
    subwords: Vec<Vec<u32>>,
    /// Every document's in-vocabulary token ids, one after another; document i is
    /// `tokens[starts[i]..starts[i + 1]]`. Four bytes a token, with no per-document
    /// allocation, where the texts themselves would take several times that.
    tokens: Vec<u32>,
    starts: Vec<usize>,
    keep_probability: Vec<f32>,
    table: Vec<u32>,
    /// Tokens per epoch (in-vocabulary), for the learning-rate schedule.
    epoch_tokens: u64,
}

impl Trainer {
    pub fn new(corpus: &mut dyn Corpus, config: &WordVecConfig) -> Result<Trainer, MlError> {
        if let Some(why) = config.invalid() {
            return Err(MlError::Training(why));
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        let mut documents = 0usize;
        corpus.each_text(&mut |text| {
            documents += 1;
            for t in tokenize(text) {
                match counts.get_mut(t.as_str()) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(t, 1);
                    }
                }
            }
        })?;
        // Frequent words first, ties by the word itself: the same text gives the same ids.
        let mut vocab: Vec<(String, u64)> = counts
            .into_iter()
            .filter(|&(_, c)| c >= config.min_count)
            .collect();
        vocab.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if vocab.is_empty() {
            return Err(MlError::Training(format!(
                "no word occurs {} times or more; too little text to train word vectors",
                config.min_count
            )));
        }
        let index: HashMap<&str, u32> = vocab
            .iter()
            .enumerate()
            .map(|(i, (w, _))| (w.as_str(), i as u32))
            .collect();
        let v = vocab.len() as u32;
        let subwords = vocab
            .iter()
            .enumerate()
            .map(|(i, (w, _))| {
                std::iter::once(i as u32)
                    .chain(ngram_buckets(w, config).into_iter().map(|b| v + b))
                    .collect()
            })
            .collect();
        let mut tokens: Vec<u32> = Vec::new();
        let mut starts: Vec<usize> = Vec::with_capacity(documents + 1);
        starts.push(0);
        corpus.each_text(&mut |text| {
            tokens.extend(tokenize(text).iter().filter_map(|t| index.get(t.as_str()).copied()));
            starts.push(tokens.len());
        })?;
        if starts.len() != documents + 1 {
            return Err(MlError::Training(format!(
                "the texts changed while training read them ({documents} documents, then {})",
                starts.len() - 1
            )));
        }
        drop(index);
        tokens.shrink_to_fit();
        let total: u64 = vocab.iter().map(|(_, c)| c).sum();
        let keep_probability = vocab
            .iter()
            .map(|&(_, c)| {
                let f = c as f64 / total as f64;
                let t = config.subsample;
                if t <= 0.0 {
                    1.0
                } else {
                    (((f / t).sqrt() + 1.0) * t / f).min(1.0) as f32
                }
            })
            .collect();
        // Unigram^0.75 table for negatives.
        let powered: Vec<f64> = vocab.iter().map(|&(_, c)| (c as f64).powf(0.75)).collect();
        let norm: f64 = powered.iter().sum();
        let mut table = Vec::with_capacity(TABLE_SIZE);
        for (i, p) in powered.iter().enumerate() {
            let n = (p / norm * TABLE_SIZE as f64).ceil() as usize;
            table.extend(std::iter::repeat_n(i as u32, n));
        }
        let epoch_tokens = tokens.len() as u64;
        Ok(Trainer {
            config: config.clone(),
            counts: vocab.iter().map(|&(_, c)| c).collect(),
            words: vocab.into_iter().map(|(w, _)| w).collect(),
            subwords,
            tokens,
            starts,
            keep_probability,
            table,
            epoch_tokens,
        })
    }

    pub fn vocabulary(&self) -> usize {
        self.words.len()
    }

    pub fn documents(&self) -> usize {
        self.starts.len() - 1
    }

    fn document(&self, i: usize) -> &[u32] {
        &self.tokens[self.starts[i]..self.starts[i + 1]]
    }

    /// Tokens over all epochs.
    pub fn total_tokens(&self) -> u64 {
        self.epoch_tokens * self.config.epochs as u64
    }

    /// Fresh weights: inputs uniform in ±1/dimension, outputs zero (as fastText starts).
    pub fn initial_state(&self) -> TrainState {
        let d = self.config.dimension;
        let rows = self.words.len() + self.config.buckets;
        let mut rng = SplitMix64::new(self.config.seed);
        let scale = 1.0 / d as f64;
        let input = (0..rows * d)
            .map(|_| ((rng.next_f64() * 2.0 - 1.0) * scale) as f32)
            .collect();
        TrainState {
            input,
            output: vec![0.0; self.words.len() * d],
            epoch: 0,
            document: 0,
            processed: 0,
            rng_state: SplitMix64::new(self.config.seed ^ 0x5EED).state(),
            loss_curve: Vec::new(),
            loss_sum: 0.0,
            loss_count: 0,
        }
    }

    /// Trains from `state` to the end. `progress` is called every REPORT_EVERY documents
    /// with the state as it stands between two documents (a safe point to checkpoint);
    /// it returns false to stop there. Returns whether training finished.
    pub fn train(
        &self,
        state: &mut TrainState,
        progress: &mut dyn FnMut(&TrainState, TrainProgress) -> Result<bool, MlError>,
    ) -> Result<bool, MlError> {
        let d = self.config.dimension;
        let mut rng = SplitMix64::from_state(state.rng_state);
        let mut hidden = vec![0f32; d];
        let mut grad = vec![0f32; d];
        let mut kept: Vec<u32> = Vec::new();
        let total = self.total_tokens().max(1);
        // One document per turn; the epoch advances when its last document is done.
        while state.epoch < self.config.epochs {
            {
                let doc = self.document(state.document);
                let lr = self.config.learning_rate
                    * (1.0 - state.processed as f32 / total as f32).max(1e-4);
                kept.clear();
                for &w in doc {
                    if rng.next_f64() < self.keep_probability[w as usize] as f64 {
                        kept.push(w);
                    }
                }
                for (pos, &center) in kept.iter().enumerate() {
                    let span = 1 + rng.below(self.config.window.max(1));
                    let lo = pos.saturating_sub(span);
                    let hi = (pos + span).min(kept.len() - 1);
                    let subwords = &self.subwords[center as usize];
                    // The centre word's vector: the mean of its own and its n-grams' rows.
                    hidden.iter_mut().for_each(|h| *h = 0.0);
                    for &row in subwords {
                        let r = &state.input[row as usize * d..][..d];
                        hidden.iter_mut().zip(r).for_each(|(h, x)| *h += x);
                    }
                    let inv = 1.0 / subwords.len() as f32;
                    hidden.iter_mut().for_each(|h| *h *= inv);
                    for ctx in lo..=hi {
                        if ctx == pos {
                            continue;
                        }
                        grad.iter_mut().for_each(|g| *g = 0.0);
                        let mut loss = 0.0f64;
                        for n in 0..=self.config.negatives {
                            let (target, label) = if n == 0 {
                                (kept[ctx], 1.0f32)
                            } else {
                                let t = self.table[rng.below(self.table.len())];
                                if t == kept[ctx] {
                                    continue;
                                }
                                (t, 0.0)
                            };
                            let out = &mut state.output[target as usize * d..][..d];
                            let dot: f32 = hidden.iter().zip(out.iter()).map(|(a, b)| a * b).sum();
                            let score = sigmoid(dot);
                            loss -= if label > 0.0 {
                                (score.max(1e-7) as f64).ln()
                            } else {
                                ((1.0 - score).max(1e-7) as f64).ln()
                            };
                            let g = lr * (label - score);
                            grad.iter_mut()
                                .zip(out.iter())
                                .for_each(|(gr, o)| *gr += g * o);
                            out.iter_mut().zip(&hidden).for_each(|(o, h)| *o += g * h);
                        }
                        for &row in subwords {
                            let r = &mut state.input[row as usize * d..][..d];
                            r.iter_mut().zip(&grad).for_each(|(x, g)| *x += g);
                        }
                        state.loss_sum += loss;
                        state.loss_count += 1;
                    }
                }
                state.processed += doc.len() as u64;
                state.document += 1;
                let boundary =
                    state.document % REPORT_EVERY == 0 || state.document == self.documents();
                if boundary {
                    let loss =
                        (state.loss_count > 0).then(|| state.loss_sum / state.loss_count as f64);
                    if let Some(l) = loss {
                        state.loss_curve.push((state.processed, l));
                    }
                    state.loss_sum = 0.0;
                    state.loss_count = 0;
                    if state.document == self.documents() {
                        state.epoch += 1;
                        state.document = 0;
                    }
                    state.rng_state = rng.state();
                    let report = TrainProgress {
                        epoch: state.epoch,
                        document: state.document,
                        documents: self.documents(),
                        processed: state.processed,
                        total_tokens: total,
                        loss,
                    };
                    if !progress(state, report)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// The trained model: word vectors, n-gram rows for unseen words, SIF weights and the
    /// training sentences' first principal component.
    pub fn finish(&self, state: &TrainState, corpus: &mut dyn Corpus) -> Result<WordVecModel, MlError> {
        let d = self.config.dimension;
        let v = self.words.len();
        let word_vectors: Vec<f32> = self
            .subwords
            .iter()
            .flat_map(|rows| {
                let mut out = vec![0f32; d];
                for &row in rows {
                    let r = &state.input[row as usize * d..][..d];
                    out.iter_mut().zip(r).for_each(|(o, x)| *o += x);
                }
                let inv = 1.0 / rows.len() as f32;
                out.into_iter().map(move |x| x * inv)
            })
            .collect();
        let ngrams = state.input[v * d..].to_vec();
        WordVecModel::new(
            self.config.clone(),
            self.words.clone(),
            self.counts.clone(),
            word_vectors,
            ngrams,
            corpus,
        )
    }
}

fn sigmoid(x: f32) -> f32 {
    if x > 8.0 {
        1.0
    } else if x < -8.0 {
        0.0
    } else {
        1.0 / (1.0 + (-x).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPICS: [[&str; 5]; 6] = [
        ["insulin", "dose", "glucose", "pharmacy", "prescribed"],
        ["fall", "bed", "floor", "bathroom", "slipped"],
        ["pressure", "ulcer", "heel", "sacrum", "turning"],
        ["sepsis", "antibiotics", "lactate", "fever", "cultures"],
        ["discharge", "letter", "gp", "summary", "transport"],
        ["oxygen", "cylinder", "mask", "saturation", "flow"],
    ];

    /// Six topics that share only the ward's common words.
    fn corpus() -> Vec<String> {
        let mut rng = SplitMix64::new(1);
        let common = ["the", "was", "patient", "ward", "staff", "nurse"];
        (0..1200)
            .map(|i| {
                let topic = &TOPICS[i % TOPICS.len()];
                (0..14)
                    .map(|j| {
                        if j % 3 == 2 {
                            common[rng.below(common.len())]
                        } else {
                            topic[rng.below(topic.len())]
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn config() -> WordVecConfig {
        WordVecConfig {
            dimension: 16,
            epochs: 3,
            buckets: 2000,
            min_count: 2,
            subsample: 0.0,
            ..WordVecConfig::default()
        }
    }

    fn run_to_end(trainer: &Trainer, state: &mut TrainState) -> Vec<TrainProgress> {
        let mut seen = Vec::new();
        let done = trainer
            .train(state, &mut |_, p| {
                seen.push(p);
                Ok(true)
            })
            .unwrap();
        assert!(done);
        seen
    }

    #[test]
    fn training_is_seeded_learns_topics_and_resumes_to_the_same_state() {
        let texts = corpus();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let trainer = Trainer::new(&mut refs.as_slice(), &config()).unwrap();
        let mut a = trainer.initial_state();
        let reports = run_to_end(&trainer, &mut a);
        assert_eq!(reports.len(), 3 * (1200 / REPORT_EVERY + 1));
        let mut b = trainer.initial_state();
        run_to_end(&trainer, &mut b);
        assert_eq!(a, b, "same text, config and seed: same weights");
        // The loss falls from the first span to the last.
        let (first, last) = (a.loss_curve[0].1, a.loss_curve.last().unwrap().1);
        assert!(last < first, "loss {first} -> {last}");

        // Stop after the second report, save, load, continue: the same end state.
        let dir = tempfile::tempdir().unwrap();
        let mut c = trainer.initial_state();
        let mut calls = 0;
        let finished = trainer
            .train(&mut c, &mut |state, _| {
                calls += 1;
                if calls == 2 {
                    state.save(dir.path(), &trainer.config)?;
                    return Ok(false);
                }
                Ok(true)
            })
            .unwrap();
        assert!(!finished);
        let mut resumed = TrainState::load(dir.path(), &trainer.config)
            .unwrap()
            .unwrap();
        run_to_end(&trainer, &mut resumed);
        assert_eq!(
            resumed, a,
            "resumed training ends where uninterrupted training does"
        );
        // Another configuration refuses the checkpoint.
        let other = WordVecConfig {
            dimension: 8,
            ..config()
        };
        assert!(TrainState::load(dir.path(), &other).is_err());

        // Sentences of one topic sit closer to each other than to the other topic.
        let model = trainer.finish(&a, &mut refs.as_slice()).unwrap();
        // Two fresh sentences per topic, made of different topic words.
        let sentences: Vec<String> = TOPICS
            .iter()
            .flat_map(|t| {
                [
                    format!("the patient {} {}", t[0], t[1]),
                    format!("{} {} {} the ward", t[2], t[3], t[4]),
                ]
            })
            .collect();
        let refs2: Vec<&str> = sentences.iter().map(String::as_str).collect();
        let v = model.encode(&refs2);
        let cos = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        let (mut within, mut across) = (Vec::new(), Vec::new());
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                if i / 2 == j / 2 {
                    within.push(cos(&v[i], &v[j]))
                } else {
                    across.push(cos(&v[i], &v[j]))
                }
            }
        }
        let mean = |x: &[f32]| x.iter().sum::<f32>() / x.len() as f32;
        assert!(
            mean(&within) > mean(&across) + 0.3,
            "within {} across {}",
            mean(&within),
            mean(&across)
        );
        // Saved and loaded, it encodes the same, unseen words included.
        model.save(dir.path()).unwrap();
        let loaded = WordVecModel::load(dir.path()).unwrap();
        let texts2 = ["insulin dosing missed", "an unheard-of word"];
        assert_eq!(loaded.encode(&texts2), model.encode(&texts2));
        assert!(WordVecModel::is_wordvec_dir(dir.path()));
    }
}
