//! A trained word-vector model: sentence vectors as SIF-weighted means of word vectors
//! (unseen words from their n-grams), minus the training sentences' first principal
//! component, L2-normalised. Saved as `config.json` (with the SIF parameters and the
//! component), `vocabulary.json` (words and counts) and `model.safetensors`.

use super::{ngram_buckets, tokenize, WordVecConfig, MODEL_TYPE};
use crate::model_files::read_json;
use crate::rng::SplitMix64;
use crate::MlError;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone)]
pub struct WordVecModel {
    config: WordVecConfig,
    words: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, u32>,
    /// vocabulary x dimension.
    word_vectors: Vec<f32>,
    /// buckets x dimension.
    ngrams: Vec<f32>,
    total: u64,
    /// The first principal component of the training sentences' SIF means (unit length).
    component: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
struct SavedConfig {
    model_type: String,
    format_version: u32,
    config: WordVecConfig,
    vocabulary: usize,
    component: Vec<f32>,
}

impl WordVecModel {
    pub(super) fn new(
        config: WordVecConfig,
        words: Vec<String>,
        counts: Vec<u64>,
        word_vectors: Vec<f32>,
        ngrams: Vec<f32>,
        corpus: &mut dyn super::corpus::Corpus,
    ) -> Result<WordVecModel, MlError> {
        let mut model = WordVecModel {
            index: words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), i as u32))
                .collect(),
            total: counts.iter().sum(),
            component: vec![0.0; config.dimension],
            config,
            words,
            counts,
            word_vectors,
            ngrams,
        };
        // The sentences' second-moment matrix, summed as they stream past: the principal
        // component needs only this d x d matrix, not a vector per sentence.
        let d = model.config.dimension;
        let mut moment = vec![0f64; d * d];
        corpus.each_text(&mut |text| {
            let mean = model.sif_mean(text);
            for (i, &a) in mean.iter().enumerate() {
                if a == 0.0 {
                    continue;
                }
                let row = &mut moment[i * d..][..d];
                row.iter_mut().zip(&mean).for_each(|(m, &b)| *m += a as f64 * b as f64);
            }
        })?;
        model.component = first_component(&moment, d, model.config.seed);
        Ok(model)
    }

    pub fn dimension(&self) -> usize {
        self.config.dimension
    }

    pub fn vocabulary(&self) -> usize {
        self.words.len()
    }

    pub fn config(&self) -> &WordVecConfig {
        &self.config
    }

    /// A word's vector: its own when in the vocabulary, else the mean of its n-grams'.
    fn word_vector(&self, word: &str, out: &mut [f32]) -> bool {
        let d = self.config.dimension;
        if let Some(&i) = self.index.get(word) {
            out.copy_from_slice(&self.word_vectors[i as usize * d..][..d]);
            return true;
        }
        let buckets = ngram_buckets(word, &self.config);
        if buckets.is_empty() {
            return false;
        }
        out.iter_mut().for_each(|o| *o = 0.0);
        for b in &buckets {
            let r = &self.ngrams[*b as usize * d..][..d];
            out.iter_mut().zip(r).for_each(|(o, x)| *o += x);
        }
        let inv = 1.0 / buckets.len() as f32;
        out.iter_mut().for_each(|o| *o *= inv);
        true
    }

    /// SIF weight a / (a + p(word)); an unseen word counts as seen once.
    fn weight(&self, word: &str) -> f32 {
        let count = self
            .index
            .get(word)
            .map(|&i| self.counts[i as usize])
            .unwrap_or(1);
        let p = count as f64 / self.total.max(1) as f64;
        (self.config.sif_a / (self.config.sif_a + p)) as f32
    }

    fn sif_mean(&self, text: &str) -> Vec<f32> {
        let d = self.config.dimension;
        let mut sum = vec![0f32; d];
        let mut v = vec![0f32; d];
        let mut n = 0usize;
        for token in tokenize(text) {
            if self.word_vector(&token, &mut v) {
                let w = self.weight(&token);
                sum.iter_mut().zip(&v).for_each(|(s, x)| *s += w * x);
                n += 1;
            }
        }
        if n > 0 {
            let inv = 1.0 / n as f32;
            sum.iter_mut().for_each(|s| *s *= inv);
        }
        sum
    }

    /// One L2-normalised vector per text (all zeros for a text with no usable word).
    pub fn encode(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts
            .iter()
            .map(|t| {
                let mut v = self.sif_mean(t);
                let proj: f32 = v.iter().zip(&self.component).map(|(a, b)| a * b).sum();
                v.iter_mut()
                    .zip(&self.component)
                    .for_each(|(x, c)| *x -= proj * c);
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|x| *x /= norm);
                }
                v
            })
            .collect()
    }

    pub fn save(&self, dir: &Path) -> Result<(), MlError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MlError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let saved = SavedConfig {
            model_type: MODEL_TYPE.into(),
            format_version: FORMAT_VERSION,
            config: self.config.clone(),
            vocabulary: self.words.len(),
            component: self.component.clone(),
        };
        let config = dir.join("config.json");
        std::fs::write(
            &config,
            serde_json::to_string_pretty(&saved).unwrap_or_default(),
        )
        .map_err(io(&config))?;
        let vocab: Vec<(&String, u64)> =
            self.words.iter().zip(self.counts.iter().copied()).collect();
        let vocab_path = dir.join("vocabulary.json");
        std::fs::write(
            &vocab_path,
            serde_json::to_string(&vocab).unwrap_or_default(),
        )
        .map_err(io(&vocab_path))?;
        let d = self.config.dimension;
        let tensors: HashMap<String, Tensor> = [
            (
                "word_vectors".to_string(),
                Tensor::from_slice(&self.word_vectors, (self.words.len(), d), &Device::Cpu)?,
            ),
            (
                "ngram_vectors".to_string(),
                Tensor::from_slice(&self.ngrams, (self.config.buckets, d), &Device::Cpu)?,
            ),
        ]
        .into_iter()
        .collect();
        candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
        Ok(())
    }

    /// Whether `dir` holds a model of this kind (by its config's model_type).
    pub fn is_wordvec_dir(dir: &Path) -> bool {
        std::fs::read_to_string(dir.join("config.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|v| v["model_type"] == MODEL_TYPE)
    }

    pub fn load(dir: &Path) -> Result<WordVecModel, MlError> {
        let invalid = |file: &str, reason: String| MlError::InvalidFile {
            path: dir.join(file),
            reason,
        };
        let saved: SavedConfig = read_json(dir, "config.json")?;
        if saved.model_type != MODEL_TYPE || saved.format_version != FORMAT_VERSION {
            return Err(invalid(
                "config.json",
                format!("not a {MODEL_TYPE} model of format {FORMAT_VERSION}"),
            ));
        }
        if let Some(why) = saved.config.invalid() {
            return Err(invalid("config.json", why));
        }
        let vocab: Vec<(String, u64)> = read_json(dir, "vocabulary.json")?;
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)?;
        let get = |name: &str| -> Result<Vec<f32>, MlError> {
            let t = tensors
                .get(name)
                .ok_or_else(|| invalid("model.safetensors", format!("no tensor {name:?}")))?;
            Ok(t.flatten_all()?.to_vec1::<f32>()?)
        };
        let word_vectors = get("word_vectors")?;
        let ngrams = get("ngram_vectors")?;
        let d = saved.config.dimension;
        if Some(word_vectors.len()) != vocab.len().checked_mul(d)
            || ngrams.len() != saved.config.buckets * d
            || saved.component.len() != d
        {
            return Err(MlError::Mismatch {
                dir: dir.to_path_buf(),
                reason: format!(
                    "{} words, {} word-vector values, {} n-gram values, dimension {d}",
                    vocab.len(),
                    word_vectors.len(),
                    ngrams.len()
                ),
            });
        }
        let (words, counts): (Vec<String>, Vec<u64>) = vocab.into_iter().unzip();
        Ok(WordVecModel {
            index: words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.clone(), i as u32))
                .collect(),
            total: counts.iter().sum(),
            config: saved.config,
            words,
            counts,
            word_vectors,
            ngrams,
            component: saved.component,
        })
    }
}

/// The leading eigenvector of sum(v v^T) by power iteration from a seeded start.
/// The leading eigenvector of the sentences' second-moment matrix `moment` (d x d, as
/// TruncatedSVD's first right singular vector of the uncentred sentence matrix), by power
/// iteration from a seeded start.
fn first_component(moment: &[f64], d: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed ^ 0x00C0_FFEE);
    let mut u: Vec<f64> = (0..d).map(|_| rng.next_f64() - 0.5).collect();
    for _ in 0..100 {
        let mut next: Vec<f64> = moment
            .chunks_exact(d)
            .map(|row| row.iter().zip(&u).map(|(m, x)| m * x).sum())
            .collect();
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return vec![0.0; d];
        }
        next.iter_mut().for_each(|x| *x /= norm);
        u = next;
    }
    u.into_iter().map(|x| x as f32).collect()
}
