//! Boilerplate: sentences that recur across many reports without saying what happened —
//! the background a reporter sets down first ("night shift, the ward was very busy"), the
//! formalities at the end ("ward manager aware"). Learned from the corpus's own text, never
//! from a list of phrases: a recurring piece of a sentence (a word 3-gram, numbers folded) is
//! boilerplate when the reports that carry it are, in the *rest* of their text, hardly more
//! alike than reports taken at random. A sentence that names an incident recurs too ("found
//! on the floor beside the bed"), but the reports that carry it go on about the same kind of
//! event, so their other sentences are alike and it is kept.
//!
//! "Alike" is the mean pairwise cosine of the carrying reports' other sentences as TF-IDF
//! word vectors, sketched into a fixed number of signed hash buckets so that a recurring
//! phrase costs one dense sum however many reports carry it (the sketch keeps inner
//! products in expectation). Its ratio to their mean cosine with random reports' rests is
//! the phrase's *lift*; boilerplate is lift below [`BoilerplateConfig::max_lift`].

use crate::lsa::features::{is_stop_word, words};
use crate::MlError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

const FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct BoilerplateConfig {
    /// A phrase is judged only when at least this many reports carry it...
    pub min_reports: usize,
    /// ...and at least this share of them: boilerplate is what recurs across many reports.
    pub min_share: f64,
    /// Boilerplate when the carrying reports' other text is less than this many times as
    /// alike as random reports' (1 = no more alike than chance).
    pub max_lift: f64,
    /// Hash buckets of the TF-IDF sketch.
    pub sketch_dim: usize,
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            min_reports: 20,
            min_share: 0.002,
            max_lift: 2.0,
            sketch_dim: 512,
        }
    }
}

/// One recurring phrase and what was measured of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Phrase {
    /// The word 3-gram (numbers as `#`), as it was hashed.
    pub text: String,
    /// Reports of the fitted corpus carrying it.
    pub reports: u32,
    /// How much more alike than chance the rest of those reports is (None: too few of
    /// them have other sentences to tell).
    pub lift: Option<f64>,
    pub boilerplate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Boilerplate {
    format: u32,
    config: BoilerplateConfig,
    fitted_reports: usize,
    /// Mean pairwise cosine of random reports' rest vectors, the chance level (None: too
    /// few reports of more than one sentence).
    baseline: Option<f64>,
    /// Every phrase that recurred often enough to be judged, most frequent first.
    phrases: Vec<Phrase>,
    #[serde(skip)]
    flagged: HashSet<u64>,
}

/// A sentence's byte span in its text.
pub type Span = (usize, usize);

/// Sentences: split after `.`, `!` or `?` followed by white space, and at line breaks, so
/// "c.diff" and "1.5mg" stay whole. Spans cover the text without its separating space.
pub fn sentences(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let push = |from: usize, to: usize, out: &mut Vec<Span>| {
        let piece = &text[from..to];
        let lead = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            out.push((from + lead, from + lead + trimmed.len()));
        }
    };
    for (i, c) in text.char_indices() {
        let end_here = match c {
            '\n' | '\r' => true,
            '.' | '!' | '?' => bytes.get(i + 1).map_or(true, |b| b.is_ascii_whitespace()),
            _ => false,
        };
        if end_here {
            push(start, i + c.len_utf8(), &mut out);
            start = i + c.len_utf8();
        }
    }
    push(start, text.len(), &mut out);
    out
}

/// Words with any digit folded to `#`, so "3 admissions" and "5 admissions" are one phrase.
fn folded_words(sentence: &str) -> Vec<String> {
    words(sentence)
        .into_iter()
        .map(|w| if w.chars().any(|c| c.is_ascii_digit()) { "#".to_string() } else { w })
        .collect()
}

/// The phrases of a sentence: its word 3-grams, or the whole of a shorter sentence.
fn phrases_of(words: &[String]) -> Vec<String> {
    match words.len() {
        0 => Vec::new(),
        1 | 2 => vec![words.join(" ")],
        _ => words.windows(3).map(|w| w.join(" ")).collect(),
    }
}

/// FNV-1a: stable across runs and builds, unlike the standard library's hasher.
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

struct SplitText {
    /// Each sentence's phrase hashes.
    phrases: Vec<Vec<u64>>,
    /// Each sentence's content words (no stop words, no numbers).
    words: Vec<Vec<String>>,
}

fn split(text: &str) -> SplitText {
    let mut phrases = Vec::new();
    let mut content = Vec::new();
    for (a, b) in sentences(text) {
        let w = folded_words(&text[a..b]);
        phrases.push(phrases_of(&w).iter().map(|p| fnv1a(p)).collect());
        content.push(w.into_iter().filter(|w| w != "#" && !is_stop_word(w)).collect());
    }
    SplitText { phrases, words: content }
}

impl Boilerplate {
    /// Learns which recurring phrases are boilerplate from `texts` (a sample of the corpus).
    pub fn fit(texts: &[&str], config: &BoilerplateConfig) -> Result<Boilerplate, MlError> {
        if config.sketch_dim == 0 || !(config.max_lift > 0.0) || !(0.0..=1.0).contains(&config.min_share) {
            return Err(MlError::Training(format!("boilerplate settings out of range: {config:?}")));
        }
        let n = texts.len();
        let split_texts: Vec<SplitText> = texts.iter().map(|t| split(t)).collect();

        // How many reports carry each phrase, and one way of writing it for people to read.
        let mut df: HashMap<u64, u32> = HashMap::new();
        let mut word_df: HashMap<&str, u32> = HashMap::new();
        for s in &split_texts {
            let unique: HashSet<u64> = s.phrases.iter().flatten().copied().collect();
            unique.into_iter().for_each(|h| *df.entry(h).or_insert(0) += 1);
            let unique: HashSet<&str> = s.words.iter().flatten().map(String::as_str).collect();
            unique.into_iter().for_each(|w| *word_df.entry(w).or_insert(0) += 1);
        }
        let threshold = config.min_reports.max((config.min_share * n as f64).ceil() as usize) as u32;
        let mut candidates: Vec<(u64, u32)> = df.into_iter().filter(|(_, d)| *d >= threshold).collect();
        candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let slot: HashMap<u64, usize> = candidates.iter().enumerate().map(|(i, (h, _))| (*h, i)).collect();

        let dim = config.sketch_dim;
        let idf = |w: &str| ((1.0 + n as f64) / (1.0 + *word_df.get(w).unwrap_or(&0) as f64)).ln() as f32 + 1.0;
        let mut sums = vec![0f32; candidates.len() * dim];
        let mut counts = vec![0u32; candidates.len()];
        let mut baseline_sum = vec![0f64; dim];
        let mut baseline_count = 0usize;
        let mut sentence_vecs: Vec<Vec<f32>> = Vec::new();
        let mut whole = vec![0f32; dim];
        let mut rest = vec![0f32; dim];
        for (r, s) in split_texts.iter().enumerate() {
            let k = s.words.len();
            if k < 2 {
                continue;
            }
            sentence_vecs.resize(k, Vec::new());
            whole.iter_mut().for_each(|x| *x = 0.0);
            for (v, ws) in sentence_vecs.iter_mut().zip(&s.words) {
                v.clear();
                v.resize(dim, 0.0);
                for w in ws {
                    let h = fnv1a(w);
                    let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
                    v[(h % dim as u64) as usize] += sign * idf(w);
                }
                whole.iter_mut().zip(v.iter()).for_each(|(a, b)| *a += b);
            }
            // One sentence's rest per report stands for chance; which one is fixed by the
            // report's position so a refit gives the same model.
            let chance = (r.wrapping_mul(2_654_435_761)) % k;
            let mut seen: HashSet<usize> = HashSet::new();
            for j in 0..k {
                rest.iter_mut().zip(whole.iter().zip(&sentence_vecs[j])).for_each(|(x, (a, b))| *x = a - b);
                let norm = rest.iter().map(|x| x * x).sum::<f32>().sqrt();
                if norm <= 1e-6 {
                    continue;
                }
                rest.iter_mut().for_each(|x| *x /= norm);
                if j == chance {
                    baseline_sum.iter_mut().zip(&rest).for_each(|(a, b)| *a += *b as f64);
                    baseline_count += 1;
                }
                for h in &s.phrases[j] {
                    let Some(&c) = slot.get(h) else { continue };
                    if !seen.insert(c) {
                        continue;
                    }
                    counts[c] += 1;
                    sums[c * dim..(c + 1) * dim].iter_mut().zip(&rest).for_each(|(a, b)| *a += b);
                }
            }
        }
        let mean_cosine = |norm2: f64, m: usize| {
            if m < 2 {
                f64::NAN
            } else {
                (norm2 - m as f64) / (m as f64 * (m as f64 - 1.0))
            }
        };
        let baseline = mean_cosine(baseline_sum.iter().map(|x| x * x).sum(), baseline_count);
        // Hash positions to show the phrase: the first sentence seen carrying each.
        let mut text_of: HashMap<u64, String> = HashMap::new();
        for t in texts {
            for (a, b) in sentences(t) {
                for p in phrases_of(&folded_words(&t[a..b])) {
                    let h = fnv1a(&p);
                    if slot.contains_key(&h) {
                        text_of.entry(h).or_insert(p);
                    }
                }
            }
            if text_of.len() == slot.len() {
                break;
            }
        }
        let phrases: Vec<Phrase> = candidates
            .iter()
            .enumerate()
            .map(|(c, (h, reports))| {
                let v = &sums[c * dim..(c + 1) * dim];
                let m = counts[c] as usize;
                let within = mean_cosine(v.iter().map(|x| (*x as f64) * (*x as f64)).sum(), m);
                // Against random reports' rests rather than their own chance level: a
                // carrier's rest lacks one sentence that says nothing, a random rest lacks
                // one that may say much, so carriers' rests are a little more alike among
                // themselves even when the phrase is independent of the rest; compared
                // with random rests, that shows on both sides of the ratio.
                let cross = v.iter().zip(&baseline_sum).map(|(a, b)| *a as f64 * b).sum::<f64>()
                    / (m as f64 * baseline_count as f64);
                let lift = if m >= 2 && cross > 1e-9 { within / cross } else { f64::NAN };
                Phrase {
                    text: text_of.remove(h).unwrap_or_default(),
                    reports: *reports,
                    lift: lift.is_finite().then_some(lift),
                    // Chance too close to zero to divide by (a corpus of near-disjoint
                    // texts) judges nothing boilerplate.
                    boilerplate: baseline > 1e-6 && lift.is_finite() && lift < config.max_lift,
                }
            })
            .collect();
        let mut model = Boilerplate {
            format: FORMAT,
            config: *config,
            fitted_reports: n,
            baseline: baseline.is_finite().then_some(baseline),
            phrases,
            flagged: HashSet::new(),
        };
        model.index();
        Ok(model)
    }

    fn index(&mut self) {
        self.flagged = self.phrases.iter().filter(|p| p.boilerplate).map(|p| fnv1a(&p.text)).collect();
    }

    pub fn config(&self) -> &BoilerplateConfig {
        &self.config
    }

    pub fn fitted_reports(&self) -> usize {
        self.fitted_reports
    }

    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    /// Whether each sentence of `text` is boilerplate: more than half of its phrases are.
    pub fn judge(&self, text: &str) -> Vec<(Span, bool)> {
        sentences(text)
            .into_iter()
            .map(|(a, b)| {
                let p = phrases_of(&folded_words(&text[a..b]));
                let flagged = p.iter().filter(|p| self.flagged.contains(&fnv1a(p))).count();
                ((a, b), !p.is_empty() && flagged * 2 > p.len())
            })
            .collect()
    }

    /// `text` without its boilerplate sentences (joined by single spaces), or unchanged when
    /// it has none — or nothing else: a report that is all background is encoded whole.
    pub fn strip<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.flagged.is_empty() {
            return Cow::Borrowed(text);
        }
        let judged = self.judge(text);
        if !judged.iter().any(|(_, b)| *b) || judged.iter().all(|(_, b)| *b) {
            return Cow::Borrowed(text);
        }
        let kept: Vec<&str> = judged.iter().filter(|(_, b)| !*b).map(|((a, b), _)| &text[*a..*b]).collect();
        Cow::Owned(kept.join(" "))
    }

    /// Writes the model as one JSON file (its digest is what vectors record).
    pub fn save(&self, path: &Path) -> Result<(), MlError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| MlError::Training(format!("boilerplate model: {e}")))?;
        std::fs::write(path, json).map_err(|source| MlError::Io { path: path.to_path_buf(), source })
    }

    pub fn load(path: &Path) -> Result<Boilerplate, MlError> {
        let bytes = std::fs::read(path).map_err(|source| MlError::Io { path: path.to_path_buf(), source })?;
        let invalid = |reason: String| MlError::InvalidFile { path: path.to_path_buf(), reason };
        let mut model: Boilerplate =
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not a boilerplate model ({e})")))?;
        if model.format != FORMAT {
            return Err(invalid(format!("boilerplate format {} (this build reads {FORMAT})", model.format)));
        }
        if model.phrases.iter().any(|p| p.text.is_empty()) {
            return Err(invalid("a phrase without text".into()));
        }
        model.index();
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn sentences_split_after_stops_and_at_line_breaks_only() {
        let t = "Pt had c.diff on 1.5mg. Fell!\nFound on floor";
        let s: Vec<&str> = sentences(t).into_iter().map(|(a, b)| &t[a..b]).collect();
        assert_eq!(s, ["Pt had c.diff on 1.5mg.", "Fell!", "Found on floor"]);
        assert!(sentences("  \n. ").iter().all(|(a, b)| a < b));
    }

    /// Reports on six topics, each written from its own words; half open with one of four
    /// background sentences that do not depend on the topic; and a third of the first
    /// topic's reports carry the same topic sentence. The background must be found and the
    /// topic sentence kept, though it recurs as often.
    fn corpus(n: usize, seed: u64) -> Vec<String> {
        let mut rng = SplitMix64::new(seed);
        // Words of letters only (numbers are folded): "kab", "kac", ... for topic 0.
        let letter = |i: usize| char::from(b'a' + i as u8);
        let topics: Vec<Vec<String>> =
            (0..6).map(|t| (0..40).map(|w| format!("k{}{}{}", letter(t), letter(w / 26), letter(w % 26))).collect()).collect();
        let background = [
            "The ward was very busy with {} admissions overnight.",
            "I was the nurse in charge of the shift.",
            "Family informed.",
            "Patient known to have dementia and lives alone.",
        ];
        (0..n)
            .map(|i| {
                let t = i % topics.len();
                let mut parts = Vec::new();
                if rng.below(2) == 0 {
                    parts.push(background[rng.below(4)].replace("{}", &(1 + rng.below(9)).to_string()));
                }
                for _ in 0..2 + rng.below(2) {
                    let words: Vec<&str> = (0..6).map(|_| topics[t][rng.below(40)].as_str()).collect();
                    parts.push(format!("{}.", words.join(" ")));
                }
                if t == 0 && rng.below(3) == 0 {
                    parts.push("Found on the floor beside the bed.".to_string());
                }
                parts.join(" ")
            })
            .collect()
    }

    fn fit(texts: &[String]) -> Boilerplate {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        Boilerplate::fit(&refs, &BoilerplateConfig::default()).unwrap()
    }

    #[test]
    fn background_independent_of_the_topic_is_boilerplate_and_a_recurring_topic_sentence_is_not() {
        let texts = corpus(3000, 7);
        let model = fit(&texts);
        let phrase = |text: &str| model.phrases().iter().find(|p| p.text == text).unwrap_or_else(|| panic!("{text} not judged"));
        for text in ["ward was very", "i was the", "family informed", "known to have"] {
            let p = phrase(text);
            assert!(p.boilerplate && p.lift.unwrap() < 1.3, "{p:?}");
        }
        let kept = phrase("found on the");
        assert!(!kept.boilerplate && kept.lift.unwrap() > 3.0, "{kept:?}");
        let report = "I was the nurse in charge of the shift. kaab kaac kaad. Found on the floor beside the bed.";
        assert_eq!(model.strip(report), "kaab kaac kaad. Found on the floor beside the bed.");
        // All background: nothing else to encode, so the report stays whole.
        let all = "Family informed. The ward was very busy with 3 admissions overnight.";
        assert_eq!(model.strip(all), all);
        assert_eq!(model.strip("Nothing recurs here."), "Nothing recurs here.");
    }

    #[test]
    fn the_fit_is_repeatable_and_survives_a_save() {
        let texts = corpus(1500, 3);
        let model = fit(&texts);
        assert_eq!(model, fit(&texts));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        model.save(&path).unwrap();
        let loaded = Boilerplate::load(&path).unwrap();
        assert_eq!(loaded, model);
        assert_eq!(loaded.strip(&texts[1]), model.strip(&texts[1]));
    }

    #[test]
    fn a_small_or_uniform_corpus_flags_nothing_and_bad_files_are_refused() {
        // Fewer reports than the smallest count judged: no phrase is judged.
        let texts = corpus(30, 1);
        assert!(fit(&texts).phrases().is_empty());
        let same: Vec<String> = (0..200).map(|_| "Family informed.".to_string()).collect();
        let model = fit(&same);
        assert!(model.phrases().iter().all(|p| !p.boilerplate && p.lift.is_none()));
        let dir = tempfile::tempdir().unwrap();
        model.save(&dir.path().join("m.json")).unwrap();
        assert_eq!(Boilerplate::load(&dir.path().join("m.json")).unwrap(), model);
        assert!(Boilerplate::fit(&[], &BoilerplateConfig::default()).unwrap().phrases().is_empty());
        let bad = BoilerplateConfig { sketch_dim: 0, ..Default::default() };
        assert!(Boilerplate::fit(&["a"], &bad).is_err());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        for content in ["", "{", "[1,2]", r#"{"format":2,"config":{"min_reports":1,"min_share":0,"max_lift":2,"sketch_dim":4},"fitted_reports":1,"baseline":0.1,"phrases":[]}"#] {
            std::fs::write(&path, content).unwrap();
            let err = Boilerplate::load(&path).unwrap_err().to_string();
            assert!(err.contains("b.json"), "{err}");
        }
        assert!(Boilerplate::load(&dir.path().join("missing.json")).is_err());
    }
}
