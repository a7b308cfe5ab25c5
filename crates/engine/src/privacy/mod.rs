//! Personal data in report text: where it is, of which kind, found by which rule, and the
//! text with it masked. Structured identifiers are found by validated patterns (an NHS
//! number's check digit, a postcode's shape, a date that exists, an age over 89); people by
//! titles, roles, gazetteers of names and context (`names`), with an allow-list of clinical
//! words; an organisation's own hospital-number formats by `Rules`.
//!
//! One pass: every built-in pattern, and the capitalised words names are read from, are
//! alternatives of one regular expression, so the text is scanned once; an organisation's
//! own patterns scan it once more each.

mod detect;
mod gazetteer;
mod names;
mod nhs;
mod pseudonyms;
mod rules;
pub mod score;
mod span;

pub use detect::{detect, mask};
pub use gazetteer::{first_names, name_like, surnames, Weighted};
pub use nhs::{check_digit, classify, Issuer};
pub use pseudonyms::Pseudonyms;
pub use rules::{Rules, RulesError};
pub use span::{mask_spans, Kind, Span};
