//! What a word-vector model is made of: its settings, its tokenizer and the hashed
//! character n-gram buckets of a word (shared by training and encoding).

use serde::{Deserialize, Serialize};

pub const MODEL_TYPE: &str = "incident-atlas-wordvec";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordVecConfig {
    pub dimension: usize,
    /// Largest distance between a word and a context word (each step draws 1..=window).
    pub window: usize,
    pub negatives: usize,
    pub epochs: usize,
    /// Words seen fewer times are left out of the vocabulary (their n-grams still count
    /// when encoding).
    pub min_count: u64,
    /// Character n-gram lengths, of the word wrapped in `<` and `>`.
    pub min_n: usize,
    pub max_n: usize,
    /// Hash buckets the n-grams share.
    pub buckets: usize,
    pub learning_rate: f32,
    /// Frequent words are dropped with probability 1 - sqrt(t/f) - t/f (word2vec's rule).
    pub subsample: f64,
    /// SIF's a: a word's weight is a / (a + p(word)).
    pub sif_a: f64,
    pub seed: u64,
}

impl Default for WordVecConfig {
    fn default() -> Self {
        WordVecConfig {
            dimension: 100,
            window: 5,
            negatives: 5,
            epochs: 5,
            min_count: 3,
            min_n: 3,
            max_n: 5,
            buckets: 200_000,
            learning_rate: 0.05,
            subsample: 1e-4,
            sif_a: 1e-3,
            seed: crate::rng::DEFAULT_SEED,
        }
    }
}

impl WordVecConfig {
    /// Why these settings cannot describe a model this code trains or reads, if they
    /// cannot: sizes of 0 (a modulo by zero buckets), or beyond any real model (sized
    /// allocations from a crafted `config.json`).
    pub fn invalid(&self) -> Option<String> {
        if let Some(why) = crate::model_files::outside_bounds(&[
            ("dimension", self.dimension, 4_096),
            ("buckets", self.buckets, 50_000_000),
            ("min_n", self.min_n, 32),
            ("max_n", self.max_n, 32),
        ]) {
            return Some(why);
        }
        if self.min_n > self.max_n {
            return Some(format!("min_n {} is above max_n {}", self.min_n, self.max_n));
        }
        if self.buckets.checked_mul(self.dimension).is_none_or(|cells| cells > 1 << 32) {
            return Some(format!("{} buckets of dimension {} is more than 2^32 values", self.buckets, self.dimension));
        }
        None
    }
}

/// Lower-cased runs of letters and digits: "Pt's BP 80/50" -> ["pt", "s", "bp", "80", "50"].
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_lowercase())
        .collect()
}

/// FNV-1a over the bytes, as fastText hashes its n-grams.
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// Bucket ids of the word's character n-grams (of `<word>`; the whole `<word>` is left
/// out, since the word has its own row when it is in the vocabulary).
pub fn ngram_buckets(word: &str, config: &WordVecConfig) -> Vec<u32> {
    let wrapped: Vec<char> = format!("<{word}>").chars().collect();
    let mut out = Vec::new();
    let mut buf = String::new();
    for n in config.min_n..=config.max_n {
        if n >= wrapped.len() {
            break;
        }
        for start in 0..=wrapped.len() - n {
            buf.clear();
            buf.extend(&wrapped[start..start + n]);
            out.push(fnv1a(buf.as_bytes()) % config.buckets as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_ngrams() {
        assert_eq!(
            tokenize("Pt's BP 80/50, NEWS2 ↑"),
            ["pt", "s", "bp", "80", "50", "news2"]
        );
        let config = WordVecConfig::default();
        // "<ab>": 3-grams "<ab", "ab>"; 4-gram would be the whole word and is left out.
        assert_eq!(ngram_buckets("ab", &config).len(), 2);
        assert_eq!(ngram_buckets("ab", &config), ngram_buckets("ab", &config));
        assert_ne!(ngram_buckets("ab", &config), ngram_buckets("ba", &config));
        assert_eq!(config.invalid(), None);
        for (broken, says) in [
            (WordVecConfig { buckets: 0, ..config.clone() }, "buckets 0"),
            (WordVecConfig { buckets: usize::MAX, ..config.clone() }, "buckets"),
            (WordVecConfig { min_n: 6, max_n: 3, ..config.clone() }, "min_n 6 is above"),
            (WordVecConfig { dimension: 0, ..config.clone() }, "dimension 0"),
        ] {
            assert!(broken.invalid().is_some_and(|why| why.contains(says)), "{says}");
        }
        // fastText's FNV-1a constants.
        assert_eq!(fnv1a(b""), 2_166_136_261);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }
}
