//! What a piece of personal data is: its kind and where it lies, and the text with spans
//! replaced by their kinds.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// What a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Kind {
    NhsNumber,
    HospitalNumber,
    NiNumber,
    Postcode,
    Address,
    Phone,
    Email,
    DateOfBirth,
    Date,
    Age,
    Person,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::NhsNumber,
        Kind::HospitalNumber,
        Kind::NiNumber,
        Kind::Postcode,
        Kind::Address,
        Kind::Phone,
        Kind::Email,
        Kind::DateOfBirth,
        Kind::Date,
        Kind::Age,
        Kind::Person,
    ];

    /// The name a masked text shows in its place, between brackets.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NhsNumber => "NHS_NUMBER",
            Kind::HospitalNumber => "HOSPITAL_NUMBER",
            Kind::NiNumber => "NI_NUMBER",
            Kind::Postcode => "POSTCODE",
            Kind::Address => "ADDRESS",
            Kind::Phone => "PHONE",
            Kind::Email => "EMAIL",
            Kind::DateOfBirth => "DATE_OF_BIRTH",
            Kind::Date => "DATE",
            Kind::Age => "AGE",
            Kind::Person => "PERSON",
        }
    }

    /// The token a masked text shows in its place: `[PERSON]`.
    pub fn token(self) -> String {
        format!("[{}]", self.label())
    }

    /// The kind a snake_case name (as in JSON) stands for.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.label().eq_ignore_ascii_case(name))
    }
}

/// One piece of personal data: byte offsets into the text, its kind, how sure the rule is
/// (0 to 1) and the rule's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub score: f32,
    pub rule: &'static str,
}

impl Span {
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Whether `start..end` overlaps a span of `sorted` (in order of start, none overlapping
/// another, as detection gives them): one binary search, so checks over long lists stay
/// cheap.
pub fn overlaps_any(sorted: &[Span], start: usize, end: usize) -> bool {
    let before_end = sorted.partition_point(|s| s.start < end);
    before_end > 0 && sorted[before_end - 1].end > start
}

/// `text` with every span replaced by what `token` gives for it and the text it covers
/// (spans in order; an overlapping one is skipped).
pub fn replace_spans(text: &str, spans: &[Span], mut token: impl FnMut(&Span, &str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        if s.start < at {
            continue;
        }
        out.push_str(&text[at..s.start]);
        out.push_str(&token(s, &text[s.start..s.end]));
        at = s.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` with every span replaced by its kind's token.
pub fn mask_spans(text: &str, spans: &[Span]) -> String {
    replace_spans(text, spans, |s, _| s.kind.token())
}
