//! The (anchor, positive) span pairs of DeCLUTR-style contrastive training: two spans of
//! one report are pulled together and pushed away from the other reports' spans.
//!
//! Against SimCSE, whose positive is the same text under other dropout, the positive here
//! is other words of the same report, so what the model learns is what parts of one
//! incident have in common: a shorthand event line ("cat 2 PU sacrum") and the sentences
//! that explain it ("Waterlow 22", "referred to TVN") end up close, while the slot fillers
//! that tell two reports apart (a drug, a time, a bay) are not shared by the two spans and
//! carry no reward. Reports are short, so spans are runs of sentences (or of clauses, for
//! a report of one sentence) rather than DeCLUTR's token windows of 32 or more.

use ml::rng::SplitMix64;

/// One pair per report: an anchor run of units and a different, overlapping or adjacent
/// run as its positive. A report with a single unit is paired with itself, which is
/// SimCSE's dropout view. Seeded: the same texts and seed give the same pairs.
pub fn span_pairs(texts: &[&str], seed: u64) -> Vec<(String, String)> {
    let mut rng = SplitMix64::new(seed ^ 0x5EED_5A17);
    texts
        .iter()
        .map(|text| {
            let units = units(text);
            if units.len() < 2 {
                let whole = text.trim().to_string();
                return (whole.clone(), whole);
            }
            let n = units.len();
            // The anchor covers up to all but one unit; the positive up to half of them,
            // starting within or right after the anchor so the two spans are neighbours.
            let anchor_len = 1 + rng.below((n - 1).max(1));
            let anchor_start = rng.below(n - anchor_len + 1);
            let positive_len = 1 + rng.below(n.div_ceil(2));
            let mut positive_start = anchor_start + rng.below(anchor_len + 1);
            positive_start = positive_start.min(n - positive_len);
            if positive_start == anchor_start && positive_len == anchor_len {
                // The same run twice: move the positive next to the anchor instead.
                positive_start = if anchor_start + anchor_len < n {
                    anchor_start + anchor_len
                } else {
                    anchor_start - 1
                }
                .min(n - positive_len);
            }
            (
                join(&units[anchor_start..anchor_start + anchor_len]),
                join(&units[positive_start..positive_start + positive_len]),
            )
        })
        .collect()
}

/// A report's sentences (and paragraph breaks); a report of one sentence is split at its
/// clauses instead (commas, semicolons, dashes), as terse reports run events together.
fn units(text: &str) -> Vec<&str> {
    let sentences = split_after(text, &[". ", "! ", "? ", "\n"]);
    if sentences.len() >= 2 {
        return sentences;
    }
    split_after(text, &[", ", "; ", " - "])
}

fn split_after<'t>(text: &'t str, marks: &[&str]) -> Vec<&'t str> {
    let mut units = Vec::new();
    let mut start = 0;
    let bytes = text.len();
    let mut i = 0;
    while i < bytes {
        if let Some(mark) = marks.iter().find(|m| text[i..].starts_with(**m)) {
            let end = i + mark.len();
            let unit = text[start..end].trim();
            if unit.chars().any(char::is_alphanumeric) {
                units.push(unit);
            }
            start = end;
            i = end;
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    let rest = text[start..].trim();
    if rest.chars().any(char::is_alphanumeric) {
        units.push(rest);
    }
    units
}

fn join(units: &[&str]) -> String {
    units.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spans_of_one_report_never_the_same_run() {
        let text =
            "Cat 2 PU sacrum noted on adm. Waterlow 22. Referred to TVN.\n\nSSKIN bundle started.";
        for seed in 0..50 {
            let pairs = span_pairs(&[text], seed);
            let (a, p) = &pairs[0];
            assert_ne!(a, p, "seed {seed}");
            assert!(text.contains(a.as_str()) || a.contains("SSKIN"), "{a}");
            assert!(!a.is_empty() && !p.is_empty());
        }
    }

    #[test]
    fn one_sentence_splits_at_clauses_and_one_clause_pairs_with_itself() {
        assert_eq!(
            units("Unwit fall ?#NOF, L leg shortened + ext rotated."),
            vec!["Unwit fall ?#NOF,", "L leg shortened + ext rotated."]
        );
        let pairs = span_pairs(&["Dentures lost on ward move."], 1);
        assert_eq!(pairs[0].0, pairs[0].1);
    }

    #[test]
    fn seeded() {
        let texts = ["A. B. C. D.", "E, F, G", "H. I."];
        assert_eq!(span_pairs(&texts, 7), span_pairs(&texts, 7));
        let differ = (0..20).any(|s| span_pairs(&texts, s) != span_pairs(&texts, 7));
        assert!(differ);
    }
}
