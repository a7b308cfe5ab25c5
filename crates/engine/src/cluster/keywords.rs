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
/// it is called twice (the texts are tokenised twice) so that neither every report's text
/// nor its terms are held between the passes: at a million reports those take gigabytes.
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
    Ok(clusters
        .into_iter()
        .map(|label| {
            let counts = &class_tf[&label];
            let total: f64 = counts.values().sum::<f64>().max(1.0);
            let mut scored: Vec<(&str, f64)> = counts
                .iter()
                .map(|(term, c)| {
                    (
                        *term,
                        (c / total) * (1.0 + avg_words / term_total[term]).ln(),
                    )
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            let mut chosen: Vec<String> = Vec::with_capacity(top);
            for (term, _) in scored {
                if chosen.len() >= top {
                    break;
                }
                // A word already shown inside a better bigram adds nothing on its own.
                let redundant =
                    !term.contains(' ') && chosen.iter().any(|c| c.split(' ').any(|w| w == term));
                if !redundant {
                    chosen.push(term.to_string());
                }
            }
            (label, chosen)
        })
        .collect())
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
