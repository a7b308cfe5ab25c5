//! Cluster keywords by class-based TF-IDF (c-TF-IDF, as in BERTopic): all reports of a
//! cluster form one document; a term scores by its share of the cluster's words times
//! log(1 + average words per cluster / the term's count over all clusters).
//!
//! Clinical shorthand is expanded first ("pt" → patient, "r/v" → reviewed, "obs" →
//! observations) so a cluster written in shorthand and one written in full get the same
//! keywords, and words that say nothing about what happened are dropped.

use std::collections::HashMap;

/// Shorthand in incident reports and what it stands for. Keys are lower case, matched on a
/// whole whitespace-separated token with its outer punctuation trimmed.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("pt", "patient"),
    ("pt's", "patient"),
    ("pts", "patients"),
    ("obs", "observations"),
    ("w/", "with"),
    ("w/o", "without"),
    ("hrs", "hours"),
    ("hr", "hour"),
    ("mins", "minutes"),
    ("approx", "approximately"),
    ("dr", "doctor"),
    ("drs", "doctors"),
    ("rn", "nurse"),
    ("sn", "nurse"),
    ("hca", "healthcare assistant"),
    ("hx", "history"),
    ("dx", "diagnosis"),
    ("tx", "treatment"),
    ("rx", "prescription"),
    ("meds", "medication"),
    ("med", "medication"),
    ("nok", "family"),
    ("immed", "immediately"),
    ("req'd", "required"),
    ("r/v", "reviewed"),
    ("r/v'd", "reviewed"),
    ("px'd", "prescribed"),
    ("d/c", "discharge"),
    ("d/c'd", "discharged"),
    ("tx'd", "transferred"),
    ("fx", "fracture"),
    ("sob", "breathless"),
    ("a&e", "emergency department"),
    ("ed", "emergency department"),
    ("itu", "intensive care"),
    ("icu", "intensive care"),
    ("iv", "intravenous"),
    ("im", "intramuscular"),
    ("sc", "subcutaneous"),
    ("po", "oral"),
    ("prn", "as needed"),
    ("bp", "blood pressure"),
    ("gp", "general practitioner"),
];

/// English function words plus reporting filler that occurs in every cluster.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "done",
    "due",
    "during",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "me",
    "my",
    "no",
    "not",
    "now",
    "of",
    "on",
    "once",
    "one",
    "or",
    "other",
    "our",
    "out",
    "over",
    "she",
    "so",
    "some",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "will",
    "with",
    "without",
    "would",
    "you",
    "your",
    "approximately",
    "noted",
    "reported",
    "incident",
    "patient",
    "patients",
    "pt",
    "staff",
    "today",
    "yesterday",
    "am",
    "pm",
    "x",
    "re",
];

/// Lower-case content words of `text`, shorthand expanded, stop words and numbers dropped.
pub fn content_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        let token = raw
            .trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '&' && c != '\'')
            .to_lowercase();
        let token = token.trim_end_matches('.').trim_matches('\'');
        if let Some((_, long)) = ABBREVIATIONS.iter().find(|(short, _)| *short == token) {
            out.extend(
                long.split(' ')
                    .filter(|w| !STOP_WORDS.contains(w))
                    .map(str::to_string),
            );
            continue;
        }
        for word in token.split(|c: char| !c.is_alphanumeric()) {
            let expanded = ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == word)
                .map(|(_, long)| *long);
            for w in expanded.unwrap_or(word).split(' ') {
                if w.chars().count() < 2
                    || w.chars().all(|c| c.is_ascii_digit())
                    || STOP_WORDS.contains(&w)
                {
                    continue;
                }
                out.push(w.to_string());
            }
        }
    }
    out
}

/// Unigrams and bigrams of content words.
fn terms(text: &str) -> Vec<String> {
    let words = content_words(text);
    let mut out = words.clone();
    out.extend(words.windows(2).map(|w| format!("{} {}", w[0], w[1])));
    out
}

/// Top `top` keywords of each cluster. `labels[i]` is the cluster of `texts[i]` (negative:
/// noise, ignored). Terms in fewer than `min_docs` reports are ignored (typos and one-offs).
/// Returns (cluster, keywords best first), clusters in ascending order.
pub fn c_tf_idf(
    texts: &[&str],
    labels: &[i64],
    top: usize,
    min_docs: usize,
) -> Vec<(i64, Vec<String>)> {
    let each = |visit: &mut dyn FnMut(usize, &str)| {
        texts.iter().enumerate().for_each(|(i, t)| visit(i, t));
        Ok::<(), std::convert::Infallible>(())
    };
    match c_tf_idf_streamed(each, labels, top, min_docs) {
        Ok(keywords) => keywords,
        Err(never) => match never {},
    }
}

/// As `c_tf_idf`, over texts that `each_text` hands out, (position, text), once per call;
/// it is called three times (counts, scores, then how often the best terms share a report)
/// so that neither every report's text nor its terms are held between the passes: at a
/// million reports those take gigabytes.
pub fn c_tf_idf_streamed<E>(
    mut each_text: impl FnMut(&mut dyn FnMut(usize, &str)) -> Result<(), E>,
    labels: &[i64],
    top: usize,
    min_docs: usize,
) -> Result<Vec<(i64, Vec<String>)>, E> {
    let mut doc_freq: HashMap<String, u32> = HashMap::new();
    each_text(&mut |_, text| {
        let mut unique = terms(text);
        unique.sort_unstable();
        unique.dedup();
        for term in unique {
            *doc_freq.entry(term).or_insert(0) += 1;
        }
    })?;
    let mut class_tf: HashMap<i64, HashMap<&str, f64>> = HashMap::new();
    each_text(&mut |i, text| {
        let Some(&label) = labels.get(i).filter(|l| **l >= 0) else {
            return;
        };
        let counts = class_tf.entry(label).or_default();
        for term in terms(text) {
            if let Some((key, &d)) = doc_freq.get_key_value(&term) {
                if d as usize >= min_docs {
                    *counts.entry(key.as_str()).or_insert(0.0) += 1.0;
                }
            }
        }
    })?;
    let mut term_total: HashMap<&str, f64> = HashMap::new();
    let mut words_all = 0.0;
    for counts in class_tf.values() {
        for (term, c) in counts {
            *term_total.entry(term).or_insert(0.0) += c;
            words_all += c;
        }
    }
    let avg_words = if class_tf.is_empty() {
        0.0
    } else {
        words_all / class_tf.len() as f64
    };
    let mut clusters: Vec<i64> = class_tf.keys().copied().collect();
    clusters.sort_unstable();
    // Each cluster's best terms by c-TF-IDF, more than are shown: the diversity step
    // below picks among them.
    let candidates: HashMap<i64, Vec<(String, f64)>> = clusters
        .iter()
        .map(|&label| {
            let counts = &class_tf[&label];
            let total: f64 = counts.values().sum::<f64>().max(1.0);
            let mut scored: Vec<(&str, f64)> = counts
                .iter()
                .map(|(term, c)| (*term, (c / total) * (1.0 + avg_words / term_total[term]).ln()))
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            scored.truncate(top * CANDIDATES_PER_KEYWORD);
            (label, scored.into_iter().map(|(t, s)| (t.to_string(), s)).collect())
        })
        .collect();
    drop(class_tf);
    let together = co_occurrence(&mut each_text, labels, &candidates)?;
    Ok(clusters
        .into_iter()
        .map(|label| {
            let chosen = diverse(&candidates[&label], &together[&label], top);
            (label, chosen)
        })
        .collect())
}

/// Candidates per keyword shown, for the diversity step to choose among.
const CANDIDATES_PER_KEYWORD: usize = 4;

/// The weight of a term's redundancy against its c-TF-IDF score when picking the next
/// keyword (maximal marginal relevance; BERTopic's `diversity`). A term written in the
/// same sentences as one already shown (document overlap near 1) loses about this share of
/// the best score, so the keywords cover the cluster's different accounts of what
/// happened rather than the words of one template sentence.
const DIVERSITY: f64 = 0.5;

/// How often each cluster's candidate terms occur in the same report: per cluster, the
/// reports holding each candidate and each pair (a third pass over the texts, so only the
/// candidates' counts are held).
#[allow(clippy::type_complexity)]
fn co_occurrence<E>(
    each_text: &mut impl FnMut(&mut dyn FnMut(usize, &str)) -> Result<(), E>,
    labels: &[i64],
    candidates: &HashMap<i64, Vec<(String, f64)>>,
) -> Result<HashMap<i64, Overlap>, E> {
    let position: HashMap<i64, HashMap<&str, usize>> = candidates
        .iter()
        .map(|(&label, terms)| (label, terms.iter().enumerate().map(|(i, (t, _))| (t.as_str(), i)).collect()))
        .collect();
    let mut out: HashMap<i64, Overlap> =
        candidates.iter().map(|(&label, terms)| (label, Overlap::new(terms.len()))).collect();
    each_text(&mut |i, text| {
        let Some(&label) = labels.get(i).filter(|l| **l >= 0) else {
            return;
        };
        let (Some(position), Some(overlap)) = (position.get(&label), out.get_mut(&label)) else {
            return;
        };
        let mut present: Vec<usize> = terms(text).iter().filter_map(|t| position.get(t.as_str()).copied()).collect();
        present.sort_unstable();
        present.dedup();
        overlap.add(&present);
    })?;
    Ok(out)
}

/// Reports holding each candidate term, and each pair of them, in one cluster.
struct Overlap {
    n: usize,
    docs: Vec<u32>,
    pairs: Vec<u32>,
}

impl Overlap {
    fn new(n: usize) -> Overlap {
        Overlap { n, docs: vec![0; n], pairs: vec![0; n * n] }
    }

    fn add(&mut self, present: &[usize]) {
        for (x, &a) in present.iter().enumerate() {
            self.docs[a] += 1;
            for &b in &present[x + 1..] {
                self.pairs[a * self.n + b] += 1;
                self.pairs[b * self.n + a] += 1;
            }
        }
    }

    /// Ochiai's coefficient of the two terms' sets of reports (1: always together).
    fn similarity(&self, a: usize, b: usize) -> f64 {
        let both = self.pairs[a * self.n + b] as f64;
        let each = (self.docs[a] as f64 * self.docs[b] as f64).sqrt();
        if each > 0.0 {
            both / each
        } else {
            0.0
        }
    }
}

/// Up to `top` of the candidates (best c-TF-IDF first), each next one the best by score
/// less `DIVERSITY` times its overlap with those already chosen; a word already shown
/// inside a chosen bigram adds nothing on its own, nor a bigram of words already shown.
fn diverse(candidates: &[(String, f64)], overlap: &Overlap, top: usize) -> Vec<String> {
    let best = candidates.first().map_or(1.0, |c| c.1).max(f64::MIN_POSITIVE);
    let mut chosen: Vec<usize> = Vec::with_capacity(top);
    let mut open: Vec<usize> = (0..candidates.len()).collect();
    while chosen.len() < top {
        let shown: Vec<&str> = chosen.iter().flat_map(|&c| candidates[c].0.split(' ')).collect();
        open.retain(|&i| {
            let term = &candidates[i].0;
            if term.contains(' ') {
                !term.split(' ').all(|w| shown.contains(&w))
            } else {
                !chosen.iter().any(|&c| candidates[c].0.contains(' ') && candidates[c].0.split(' ').any(|w| w == term))
            }
        });
        let pick = open
            .iter()
            .enumerate()
            .map(|(slot, &i)| {
                let redundancy = chosen.iter().map(|&c| overlap.similarity(i, c)).fold(0.0, f64::max);
                (slot, candidates[i].1 / best - DIVERSITY * redundancy)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((slot, _)) = pick else { break };
        chosen.push(open.remove(slot));
    }
    chosen.into_iter().map(|i| candidates[i].0.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_is_expanded_and_filler_dropped() {
        assert_eq!(
            content_words("Pt r/v'd by Dr, obs 4 hrly; BP 90/60."),
            vec![
                "reviewed",
                "doctor",
                "observations",
                "hrly",
                "blood",
                "pressure"
            ]
        );
        assert_eq!(content_words("the patient's meds"), vec!["medication"]);
    }

    #[test]
    fn keywords_cover_the_clusters_different_accounts() {
        // One cluster told two ways: "call bells left unanswered" in six reports, "short
        // staffed" in four. Without the diversity step the first sentence's words fill the
        // keywords; with it, the second account is shown too.
        let mut texts = vec!["call bells left unanswered for long periods"; 6];
        texts.extend(["ward short staffed, agency cancelled"; 4]);
        texts.extend(["wrong dose of insulin given"; 9]);
        let labels: Vec<i64> = (0..texts.len()).map(|i| if i < 10 { 0 } else { 1 }).collect();
        let kw = c_tf_idf(&texts, &labels, 4, 1);
        assert!(kw[0].1.iter().any(|k| k.contains("short") || k.contains("agency")), "{kw:?}");
        assert!(kw[0].1.iter().any(|k| k.contains("bells") || k.contains("unanswered")), "{kw:?}");
        // Overlap is measured on reports: terms always together are fully redundant.
        let mut o = Overlap::new(3);
        o.add(&[0, 1]);
        o.add(&[0, 1]);
        o.add(&[2]);
        assert_eq!(o.similarity(0, 1), 1.0);
        assert_eq!(o.similarity(0, 2), 0.0);
    }

    #[test]
    fn distinctive_terms_win_over_shared_ones() {
        let texts = [
            "pt found on floor after unwitnessed fall",
            "unwitnessed fall in bay, pt found on floor",
            "fall from bed, found on floor",
            "wrong dose of insulin given, found on drug round",
            "insulin dose omitted, found on drug round",
            "insulin given twice, found at handover",
        ];
        let labels = [0, 0, 0, 1, 1, 1];
        let kw = c_tf_idf(&texts, &labels, 3, 1);
        assert_eq!(kw.len(), 2);
        assert!(
            kw[0]
                .1
                .iter()
                .any(|k| k.contains("fall") || k.contains("floor")),
            "{kw:?}"
        );
        assert!(kw[1].1.iter().any(|k| k.contains("insulin")), "{kw:?}");
        assert!(
            !kw[0].1.iter().any(|k| k == "found"),
            "a word in every cluster is not a keyword: {kw:?}"
        );
    }
}
