//! Personal data in report text: where it is, of which kind, found by which rule, and the
//! text with it masked. Structured identifiers are found by validated patterns (an NHS
//! number's check digit, a postcode's shape, a date that exists); people by their title.
//! One pass over the text: every pattern is an alternative of one regular expression.
//!
//! What is not found yet (issue 24): names without a title (gazetteers and context rules),
//! addresses, hospital numbers of an organisation's own format, ages over 89.

mod nhs;

pub use nhs::{check_digit, classify, Issuer};
use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

/// What a span holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    NhsNumber,
    NiNumber,
    Postcode,
    Phone,
    Email,
    Date,
    Person,
}

impl Kind {
    /// The token a masked text shows in its place.
    pub fn token(self) -> &'static str {
        match self {
            Kind::NhsNumber => "[NHS_NUMBER]",
            Kind::NiNumber => "[NI_NUMBER]",
            Kind::Postcode => "[POSTCODE]",
            Kind::Phone => "[PHONE]",
            Kind::Email => "[EMAIL]",
            Kind::Date => "[DATE]",
            Kind::Person => "[PERSON]",
        }
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

const MONTH: &str = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";

/// A capitalised name: Smith, O'Neil, McDonald, Smith-Jones.
const NAME_WORD: &str = r"[A-Z](?:'[A-Z])?[a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?";

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alternatives = [
            // Before the phone rule: ten digits in 3-3-4 are an NHS number when they check.
            r"(?P<nhs>\b\d{3}[ -]?\d{3}[ -]?\d{4}\b)".to_string(),
            r"(?P<email>\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b)".to_string(),
            r"(?P<ni>\b(?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?(?i:[A-D])\b)".to_string(),
            r"(?P<phone>(?:\+44\s?\(0\)\s?|\+44\s?|\b0)\d(?:[\s-]?\d){8,9}\b)".to_string(),
            r"(?P<postcode>\b(?i:[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b)".to_string(),
            r"(?P<isodate>\b(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])\b)".to_string(),
            r"(?P<date>\b(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})\b)".to_string(),
            format!(r"(?P<worddate>(?i:\b(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b\.?(?:,?\s+(?:19|20)\d{{2}}\b)?|\b{MONTH}\b\.?\s+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d{{2}})?\b))"),
            // A title, then one or two capitalised words: the person is the words.
            format!(r"(?P<titled>\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Nurse|Sister|Matron)\b\.?\s+(?P<name>{NAME_WORD}(?:\s+{NAME_WORD})?))"),
        ];
        Regex::new(&alternatives.join("|")).expect("the privacy patterns compile")
    })
}

/// Every piece of personal data in `text` the rules find, in order, none overlapping.
pub fn detect(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    for caps in pattern().captures_iter(text) {
        let whole = caps.get(0).map_or(0..0, |m| m.range());
        let span = |kind, score, rule, range: std::ops::Range<usize>| Span { start: range.start, end: range.end, kind, score, rule };
        let found = if caps.name("nhs").is_some() {
            match classify(&text[whole.clone()]) {
                Some(Issuer::Nhs | Issuer::HealthAndCare) => Some(span(Kind::NhsNumber, 0.98, "nhs-number", whole)),
                Some(Issuer::Chi) => Some(span(Kind::NhsNumber, 0.9, "chi-number", whole)),
                Some(Issuer::Test) => Some(span(Kind::NhsNumber, 0.9, "nhs-number-test-range", whole)),
                Some(Issuer::Unissued) => Some(span(Kind::NhsNumber, 0.6, "nhs-check-digit", whole)),
                // Ten digits that are no NHS number may still be a phone number.
                None => phone_digits(&text[whole.clone()]).then(|| span(Kind::Phone, 0.7, "phone-digits", whole)),
            }
        } else if caps.name("email").is_some() {
            Some(span(Kind::Email, 0.99, "email", whole))
        } else if caps.name("ni").is_some() {
            ni_prefix_allowed(&text[whole.clone()]).then(|| span(Kind::NiNumber, 0.95, "ni-number", whole))
        } else if caps.name("phone").is_some() {
            Some(span(Kind::Phone, 0.9, "uk-phone", whole))
        } else if caps.name("postcode").is_some() {
            Some(span(Kind::Postcode, 0.9, "uk-postcode", whole))
        } else if caps.name("isodate").is_some() || caps.name("date").is_some() {
            Some(span(Kind::Date, 0.85, "numeric-date", whole))
        } else if caps.name("worddate").is_some() {
            Some(span(Kind::Date, 0.8, "date-in-words", whole))
        } else {
            caps.name("name").map(|m| span(Kind::Person, 0.8, "title-and-name", m.range()))
        };
        spans.extend(found);
    }
    spans
}

/// A UK number written as ten digits (a landline or mobile starting 0).
fn phone_digits(text: &str) -> bool {
    text.starts_with('0')
}

/// National Insurance prefixes never issued (BG, GB, NK, KN, TN, NT, ZZ).
fn ni_prefix_allowed(text: &str) -> bool {
    let prefix = text.get(..2).unwrap_or_default().to_ascii_uppercase();
    !matches!(prefix.as_str(), "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ")
}

/// `text` with every span replaced by its kind's token.
pub fn mask_spans(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for s in spans {
        if s.start < at {
            continue;
        }
        out.push_str(&text[at..s.start]);
        out.push_str(s.kind.token());
        at = s.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `text` with the personal data `detect` finds masked.
pub fn mask(text: &str) -> String {
    mask_spans(text, &detect(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        detect(text).into_iter().map(|s| (s.kind, text[s.start..s.end].to_string())).collect()
    }

    #[test]
    fn each_kind_is_found_with_its_rule() {
        let text = "Mrs Jane Smith (NHS 401 023 2137, test 999-000-1235) of LS1 4AP, tel 0113 496 0123 or +44 7700 900123, \
                    j.smith@example.nhs.uk, NI AB 12 34 56 C, born 03/07/1948, seen 3rd March 2021 and 2021-03-04 by Dr O'Neil.";
        let found = kinds(text);
        let expect = [
            (Kind::Person, "Jane Smith"),
            (Kind::NhsNumber, "401 023 2137"),
            (Kind::NhsNumber, "999-000-1235"),
            (Kind::Postcode, "LS1 4AP"),
            (Kind::Phone, "0113 496 0123"),
            (Kind::Phone, "+44 7700 900123"),
            (Kind::Email, "j.smith@example.nhs.uk"),
            (Kind::NiNumber, "AB 12 34 56 C"),
            (Kind::Date, "03/07/1948"),
            (Kind::Date, "3rd March 2021"),
            (Kind::Date, "2021-03-04"),
            (Kind::Person, "O'Neil"),
        ];
        let expect: Vec<(Kind, String)> = expect.iter().map(|(k, s)| (*k, s.to_string())).collect();
        assert_eq!(found, expect);
        assert_eq!(
            mask("Mrs Jane Smith, 401 023 2137, LS1 4AP."),
            "Mrs [PERSON], [NHS_NUMBER], [POSTCODE]."
        );
    }

    #[test]
    fn clinical_numbers_are_not_personal_data() {
        for text in ["gave 10 mg at 14:30", "ward 7, bed 12", "BP 120/80", "Parkinson's disease", "NEWS2 score 5", "401 023 2138 units"] {
            assert!(detect(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }
}
