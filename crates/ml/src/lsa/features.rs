//! Turning incident text into sparse TF-IDF features: word unigrams and bigrams (minus stop
//! words) and character 3- to 5-grams inside word boundaries. Character n-grams make
//! "unwitnesed fal" land near "unwitnessed fall", which matters for hurried clinical text.

use std::collections::HashMap;

/// Common English words that say nothing about what happened.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has",
    "have", "he", "her", "his", "i", "in", "into", "is", "it", "its", "of", "on", "or", "she",
    "that", "the", "their", "them", "then", "there", "they", "this", "to", "was", "were", "which",
    "while", "who", "will", "with",
];

#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct FeatureConfig {
    pub word_ngrams: (usize, usize),
    pub char_ngrams: (usize, usize),
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngrams: (1, 2),
            char_ngrams: (3, 5),
        }
    }
}

/// Whether `word` (lower-cased) is one of the stop words features leave out.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Lower-cased words: runs of letters and digits (keeping inner apostrophes and dots as in
/// "pt's" or "c.diff" out: they split).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Calls `emit` with every feature string of `text`, repeats included (for term counts).
pub fn for_each_feature(text: &str, config: &FeatureConfig, mut emit: impl FnMut(&str)) {
    let words = words(text);
    let mut buf = String::new();
    let (wmin, wmax) = config.word_ngrams;
    let kept: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !STOP_WORDS.contains(w))
        .collect();
    for n in wmin.max(1)..=wmax {
        for gram in kept.windows(n) {
            buf.clear();
            buf.push_str("w:");
            buf.push_str(&gram.join(" "));
            emit(&buf);
        }
    }
    let (cmin, cmax) = config.char_ngrams;
    if cmax == 0 {
        return;
    }
    for word in &words {
        let padded: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        for n in cmin.max(1)..=cmax {
            if padded.len() < n {
                break;
            }
            for gram in padded.windows(n) {
                buf.clear();
                buf.push_str("c:");
                buf.extend(gram);
                emit(&buf);
            }
        }
    }
}

/// Counts of each feature in one document.
pub fn term_counts(text: &str, config: &FeatureConfig) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for_each_feature(text, config, |f| {
        *counts.entry(f.to_string()).or_insert(0) += 1
    });
    counts
}
