//! How well detection does on texts whose personal data is known: span-level recall and
//! precision per kind, three ways.
//! - strict: a span is right only with the same kind and exactly the same bounds;
//! - masked (recall): every letter and digit of a true span lies under some detected span,
//!   whatever its kind — the identifier does not survive masking;
//! - overlapping (precision): a detected span overlaps a true span of the same kind (a date
//!   of birth and a date count as one kind here).

use super::span::{Kind, Span};
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::Range;

/// A text and where its personal data is.
#[derive(Debug, Clone)]
pub struct Labelled {
    pub text: String,
    pub spans: Vec<(Range<usize>, Kind)>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KindScore {
    /// True spans of this kind.
    pub truth: usize,
    /// Detected spans of this kind.
    pub found: usize,
    pub strict_hits: usize,
    /// True spans fully masked.
    pub masked: usize,
    /// Detected spans overlapping a true span of this kind.
    pub overlapping: usize,
}

impl KindScore {
    pub fn strict_recall(&self) -> f64 {
        ratio(self.strict_hits, self.truth)
    }
    pub fn masked_recall(&self) -> f64 {
        ratio(self.masked, self.truth)
    }
    pub fn strict_precision(&self) -> f64 {
        ratio(self.strict_hits, self.found)
    }
    pub fn precision(&self) -> f64 {
        ratio(self.overlapping, self.found)
    }
    fn add(&mut self, other: &KindScore) {
        self.truth += other.truth;
        self.found += other.found;
        self.strict_hits += other.strict_hits;
        self.masked += other.masked;
        self.overlapping += other.overlapping;
    }
}

/// 1 when there is nothing to count (no span to find, none found).
fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    pub texts: usize,
    pub per_kind: BTreeMap<Kind, KindScore>,
    pub overall: KindScore,
    /// True spans not fully masked: kind and text, for reading what was missed.
    pub missed: Vec<(Kind, String)>,
    /// Detected spans that overlap no true span: kind, text and rule.
    pub spurious: Vec<(Kind, String, &'static str)>,
}

fn family(kind: Kind) -> Kind {
    if kind == Kind::DateOfBirth {
        Kind::Date
    } else {
        kind
    }
}

/// Scores `detect` on every labelled text.
pub fn score(items: &[Labelled], detect: impl Fn(&str) -> Vec<Span>) -> Score {
    let mut out = Score { texts: items.len(), ..Score::default() };
    for item in items {
        let found = detect(&item.text);
        for (range, kind) in &item.spans {
            let s = out.per_kind.entry(*kind).or_default();
            s.truth += 1;
            if found.iter().any(|f| f.kind == *kind && f.start == range.start && f.end == range.end) {
                s.strict_hits += 1;
            }
            let masked = item.text[range.clone()]
                .char_indices()
                .filter(|(_, c)| c.is_alphanumeric())
                .all(|(i, _)| found.iter().any(|f| f.start <= range.start + i && range.start + i < f.end));
            if masked {
                s.masked += 1;
            } else {
                out.missed.push((*kind, item.text[range.clone()].to_string()));
            }
        }
        for f in &found {
            let s = out.per_kind.entry(f.kind).or_default();
            s.found += 1;
            let overlaps = item.spans.iter().any(|(r, k)| family(*k) == family(f.kind) && r.start < f.end && f.start < r.end);
            if overlaps {
                s.overlapping += 1;
            } else {
                out.spurious.push((f.kind, item.text[f.start..f.end].to_string(), f.rule));
            }
        }
    }
    let mut overall = KindScore::default();
    for s in out.per_kind.values() {
        overall.add(s);
    }
    out.overall = overall;
    out
}

/// One line of a hand-labelled fixture: `{"text": "...", "spans": [["person", "Jane Smith"],
/// ["date", "3 May", 2]]}` — each span by its kind and its text, with which occurrence of
/// that text (1 when left out), so nobody counts bytes by hand.
pub fn parse_fixture_line(line: &str) -> Result<Labelled, String> {
    #[derive(serde::Deserialize)]
    struct Line {
        text: String,
        spans: Vec<serde_json::Value>,
    }
    let parsed: Line = serde_json::from_str(line).map_err(|e| format!("not a fixture line: {e}"))?;
    let mut spans = Vec::new();
    for span in &parsed.spans {
        let parts = span.as_array().ok_or("a span is not an array")?;
        let kind_name = parts.first().and_then(|v| v.as_str()).ok_or("a span's kind is not text")?;
        let kind = Kind::parse(kind_name).ok_or_else(|| format!("unknown kind {kind_name:?}"))?;
        let piece = parts.get(1).and_then(|v| v.as_str()).ok_or("a span's text is not text")?;
        let nth = parts.get(2).and_then(|v| v.as_u64()).unwrap_or(1).max(1) as usize;
        let start = parsed
            .text
            .match_indices(piece)
            .nth(nth - 1)
            .map(|(i, _)| i)
            .ok_or_else(|| format!("{piece:?} (occurrence {nth}) is not in the text {:?}", parsed.text))?;
        spans.push((start..start + piece.len(), kind));
    }
    spans.sort_by_key(|(r, _)| r.start);
    Ok(Labelled { text: parsed.text, spans })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        let items = [
            parse_fixture_line(r#"{"text": "Jane Smith, 401 023 2137, on Ward 5 by J. Bloggs.", "spans": [["person", "Jane Smith"], ["nhs_number", "401 023 2137"], ["person", "J. Bloggs"]]}"#).unwrap(),
            parse_fixture_line(r#"{"text": "Seen 3 May.", "spans": [["date", "3 May"]]}"#).unwrap(),
        ];
        let detect = |text: &str| -> Vec<Span> {
            let at = |piece: &str| text.find(piece).unwrap();
            let mut v = vec![];
            if text.starts_with("Jane") {
                v.push(Span { start: 0, end: 4, kind: Kind::Person, score: 1.0, rule: "t" }); // half a name
                v.push(Span { start: 5, end: 10, kind: Kind::Person, score: 1.0, rule: "t" }); // the other half
                v.push(Span { start: at("401"), end: at("401") + 12, kind: Kind::NhsNumber, score: 1.0, rule: "t" });
                v.push(Span { start: at("Ward"), end: at("Ward") + 4, kind: Kind::Person, score: 1.0, rule: "t" }); // wrong
            } else {
                v.push(Span { start: 5, end: 10, kind: Kind::DateOfBirth, score: 1.0, rule: "t" }); // right place, near kind
            }
            v
        };
        let s = score(&items, detect);
        let person = &s.per_kind[&Kind::Person];
        assert_eq!((person.truth, person.found, person.strict_hits, person.masked, person.overlapping), (2, 3, 0, 1, 2));
        let nhs = &s.per_kind[&Kind::NhsNumber];
        assert_eq!((nhs.truth, nhs.found, nhs.strict_hits, nhs.masked, nhs.overlapping), (1, 1, 1, 1, 1));
        assert_eq!(s.per_kind[&Kind::Date].masked, 1);
        assert_eq!(s.per_kind[&Kind::DateOfBirth].overlapping, 1);
        assert_eq!((s.overall.truth, s.overall.found, s.overall.masked, s.overall.overlapping), (4, 5, 3, 4));
        assert_eq!(s.missed, [(Kind::Person, "J. Bloggs".to_string())]);
        assert_eq!(s.spurious, [(Kind::Person, "Ward".to_string(), "t")]);
    }

    #[test]
    fn a_span_not_in_its_text_is_refused() {
        assert!(parse_fixture_line(r#"{"text": "abc", "spans": [["person", "Jane"]]}"#).unwrap_err().contains("not in the text"));
        assert!(parse_fixture_line(r#"{"text": "abc", "spans": [["someone", "a"]]}"#).unwrap_err().contains("unknown kind"));
    }
}
