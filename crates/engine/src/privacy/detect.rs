//! The built-in rules: one regular expression whose alternatives are every structured
//! pattern (checked after matching: a check digit, an issued prefix, a date-of-birth cue)
//! and the capitalised words `names` reads people from, so the text is scanned once.

use super::names;
use super::nhs::{classify, Issuer};
use super::span::{mask_spans, Kind, Span};
use regex::{Captures, Regex};
use std::ops::Range;
use std::sync::OnceLock;

/// A month, in any case but for "may", which only capitalised is a month ("3 may need").
const MONTH: &str = r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|May|MAY)";
/// A day of the month in words, as in "the twelfth of March".
const DAY_WORD: &str = r"(?i:(?:twenty[- ]?|thirty[- ]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)";
/// Street words an address line ends with.
const STREET: &str = r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Way|Crescent|Cres|Court|Ct|Place|Gardens|Gdns|Terrace|Grove|Park|Hill|Square|Walk|Mews|Rise|View|Row|Parade|Green|Gate|Vale|Croft|Meadow|Meadows|Fold|Wynd|Brae)";
/// Between the groups of an NHS number: a space, a dash, or a line break (a number wrapped
/// in a narrow form field).
const GAP: &str = r"(?:[ \t-]|\r?\n)?";

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let alternatives = [
            // Before the phone rule: ten digits in 3-3-4 are an NHS number when they check.
            format!(r"(?P<nhs>\b\d{{3}}{GAP}\d{{3}}{GAP}\d{{4}}\b)"),
            // Bounded as RFC 5321 bounds them (64 before the @, labels of 63): unbounded, a
            // long run of letters and dots made every position scan to its end.
            r"(?P<email>\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b)".to_string(),
            r"(?P<ni>\b(?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])\s?\d{2}\s?\d{2}\s?\d{2}\s?(?i:[A-D])\b)".to_string(),
            // A hospital number by what labels it: "MRN 1234567", "hosp no: K123456".
            r"(?P<mrnlabel>(?i:\b(?:mrn|hospital\s+(?:number|no\.?)|hosp\.?\s+no\.?|unit\s+(?:number|no\.?)|case\s*note\s+(?:number|no\.?)|k\s*number|patient\s+id)\s*[:#]?\s*))(?P<mrn>\b[A-Za-z]{0,3}\d{5,10}[A-Za-z]?\b)".to_string(),
            r"(?P<phone>(?:\+44\s?\(0\)\s?|\+44\s?|\b0)\d(?:[\s-]?\d){8,9}\b)".to_string(),
            r"(?P<postcode>\b(?i:[A-Z]{1,2}\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b)".to_string(),
            format!(r"(?P<address>\b(?:(?:Flat|Apartment|Apt)\s+\d+[A-Za-z]?,?\s+)?\d{{1,4}}[A-Za-z]?,?\s+(?:(?:[A-Z][a-z]+(?:['’][a-z]+)?\s+){{1,3}}{STREET}|[A-Z][a-z]+(?:way|gate))\b)"),
            // "the patient is 96 and...": an age by who has it (not "sats were 96%").
            r"(?P<agecue>(?i:\b(?:patient|pt|he|she|who|lady|gentleman|man|woman)\s+(?:is|was)\s+(?:now\s+)?))(?P<agenum>(?:9\d|1[01]\d)\b(?i:\s*(?:years?|yrs?)(?:\s*-?\s*old\b)?)?)".to_string(),
            r"(?P<age>(?i:\b(?:aged?|age:)\s*(?:9\d|1[01]\d)\b(?:\s*(?:years?|yrs?|y/?o)\b)?|\b(?:9\d|1[01]\d)\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b|\b(?:9\d|1[01]\d)\s*(?:y/o|yo|yrs?|years?)\b))".to_string(),
            r"(?P<isodate>\b(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])\b)".to_string(),
            r"(?P<date>\b(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:\d{4}|\d{2})\b)".to_string(),
            format!(r"(?P<worddate>\b(?:(?:0?[1-9]|[12]\d|3[01])(?i:st|nd|rd|th)?(?:\s*(?:and|&|-|–|to)\s*(?:0?[1-9]|[12]\d|3[01])(?i:st|nd|rd|th)?)?\s+(?i:of\s+)?|{DAY_WORD}\s+(?i:of)\s+){MONTH}\b(?:\.?,?\s+(?:19|20)\d{{2}}\b)?|\b{MONTH}\b\.?\s+(?:0?[1-9]|[12]\d|3[01])(?i:st|nd|rd|th)?(?:,?\s+(?:19|20)\d{{2}})?\b)"),
            // "SMITH, John", as names are written on wristbands and forms: a surname in capitals,
            // a comma, a first name (both checked against the gazetteers).
            r"(?P<surfirst>(?P<sur>\b[A-Z]{2,}(?:[-'’][A-Z]+)*),\s?(?P<fir>[A-Z][a-z]+)\b)".to_string(),
            // Any other capitalised word or initial, for the name rules.
            r"(?P<cap>\b\p{Lu}(?:\.|\p{L}*(?:['’]\p{L}+|-\p{Lu}\p{L}+)*))".to_string(),
        ];
        Regex::new(&alternatives.join("|")).expect("the privacy patterns compile")
    })
}

/// Every piece of personal data in `text` the built-in rules find, in order, none
/// overlapping.
pub fn detect(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut run: Vec<names::Word> = Vec::new();
    for caps in pattern().captures_iter(text) {
        let whole = caps.get(0).map_or(0..0, |m| m.range());
        if let Some(word) = caps.name("cap") {
            let range = word.range();
            let raw = word.as_str();
            let letters = raw.chars().count();
            let initial = letters == 1 || (letters == 2 && raw.ends_with('.'));
            // A possessive is not part of the name.
            let suffix = ["'s", "’s"].iter().find(|p| raw.len() > p.len() && raw.ends_with(*p)).map_or(0, |p| p.len());
            let next = names::Word { range: range.start..range.end - suffix, initial, possessive: suffix > 0 };
            if let Some(last) = run.last() {
                if !names::joins(text, last, &text[last.range.end..range.start]) {
                    names::persons(text, &run, &mut spans);
                    run.clear();
                }
            }
            run.push(next);
            continue;
        }
        if !run.is_empty() {
            names::persons(text, &run, &mut spans);
            run.clear();
        }
        if let (Some(sur), Some(fir)) = (caps.name("sur"), caps.name("fir")) {
            if names::surname_comma_first(text, sur.range(), fir.range()) {
                spans.push(Span { start: whole.start, end: whole.end, kind: Kind::Person, score: 0.85, rule: "surname-comma-first-name" });
            } else {
                // Not a name after all: each word goes through the name rules on its own.
                for w in [sur, fir] {
                    names::persons(text, &[names::Word { range: w.range(), initial: false, possessive: false }], &mut spans);
                }
            }
            continue;
        }
        spans.extend(structured(text, &caps, whole));
    }
    if !run.is_empty() {
        names::persons(text, &run, &mut spans);
    }
    names::coordinated(text, &mut spans);
    names::mentioned_again(text, &mut spans);
    spans
}

/// The span a match of a built-in pattern (other than names) stands for, if it checks.
fn structured(text: &str, caps: &Captures, whole: Range<usize>) -> Option<Span> {
    let span = |kind, score, rule, range: Range<usize>| Some(Span { start: range.start, end: range.end, kind, score, rule });
    let matched = &text[whole.clone()];
    if caps.name("nhs").is_some() {
        return match classify(matched) {
            Some(Issuer::Nhs | Issuer::HealthAndCare) => span(Kind::NhsNumber, 0.98, "nhs-number", whole),
            Some(Issuer::Chi) => span(Kind::NhsNumber, 0.9, "chi-number", whole),
            Some(Issuer::Test) => span(Kind::NhsNumber, 0.9, "nhs-number-test-range", whole),
            Some(Issuer::Unissued) => span(Kind::NhsNumber, 0.6, "nhs-check-digit", whole),
            // Ten digits that are no NHS number may still be a phone number.
            None => (matched.starts_with('0') && !matched.contains('\n')).then(|| Span { start: whole.start, end: whole.end, kind: Kind::Phone, score: 0.7, rule: "phone-digits" }),
        };
    }
    if caps.name("email").is_some() {
        return span(Kind::Email, 0.99, "email", whole);
    }
    if caps.name("ni").is_some() {
        return if ni_prefix_allowed(matched) { span(Kind::NiNumber, 0.95, "ni-number", whole) } else { None };
    }
    if let Some(number) = caps.name("mrn") {
        return span(Kind::HospitalNumber, 0.9, "labelled-hospital-number", number.range());
    }
    if caps.name("phone").is_some() {
        return span(Kind::Phone, 0.9, "uk-phone", whole);
    }
    if caps.name("postcode").is_some() {
        return span(Kind::Postcode, 0.9, "uk-postcode", whole);
    }
    if caps.name("address").is_some() {
        return span(Kind::Address, 0.85, "street-address", whole);
    }
    if let Some(age) = caps.name("agenum") {
        // "was 96%" or "was 96.5" is a measurement.
        let after = &text[age.end()..];
        let measured = after.starts_with('%') || (after.starts_with('.') && after[1..].starts_with(|c: char| c.is_ascii_digit()));
        return if measured { None } else { span(Kind::Age, 0.8, "age-over-89-of-a-person", age.range()) };
    }
    if caps.name("age").is_some() {
        return span(Kind::Age, 0.9, "age-over-89", whole);
    }
    if caps.name("isodate").is_some() || caps.name("date").is_some() || caps.name("worddate").is_some() {
        if birth_before(text, whole.start) {
            return span(Kind::DateOfBirth, 0.95, "date-of-birth", whole);
        }
        let rule = if caps.name("worddate").is_some() { "date-in-words" } else { "numeric-date" };
        return span(Kind::Date, if rule == "numeric-date" { 0.85 } else { 0.8 }, rule, whole);
    }
    None
}

/// "DOB", "date of birth", "born (on)" just before a date make it a date of birth.
fn birth_before(text: &str, at: usize) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?i)(?:\bd\.?\s?o\.?\s?b\.?|\bdate\s+of\s+birth|\bborn(?:\s+on)?|\bbirth\s?date)\s*[:\-=]?\s*(?:is\s+|was\s+)?$").expect("the birth pattern compiles")
    });
    let mut from = at.saturating_sub(30);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    re.is_match(&text[from..at])
}

/// National Insurance prefixes never issued (BG, GB, NK, KN, TN, NT, ZZ).
fn ni_prefix_allowed(text: &str) -> bool {
    let prefix = text.get(..2).unwrap_or_default().to_ascii_uppercase();
    !matches!(prefix.as_str(), "BG" | "GB" | "NK" | "KN" | "TN" | "NT" | "ZZ")
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
                    j.smith@example.nhs.uk, NI AB 12 34 56 C, born 03/07/1948, seen 3rd March 2021 and 2021-03-04 by Dr O'Neil. \
                    MRN K1234567, lives at 14 Acacia Avenue, aged 94.";
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
            (Kind::DateOfBirth, "03/07/1948"),
            (Kind::Date, "3rd March 2021"),
            (Kind::Date, "2021-03-04"),
            (Kind::Person, "O'Neil"),
            (Kind::HospitalNumber, "K1234567"),
            (Kind::Address, "14 Acacia Avenue"),
            (Kind::Age, "aged 94"),
        ];
        let expect: Vec<(Kind, String)> = expect.iter().map(|(k, s)| (*k, s.to_string())).collect();
        assert_eq!(found, expect);
        assert_eq!(mask("Mrs Jane Smith, 401 023 2137, LS1 4AP."), "Mrs [PERSON], [NHS_NUMBER], [POSTCODE].");
    }

    #[test]
    fn an_nhs_number_wrapped_over_two_lines() {
        assert_eq!(kinds("NHS no 401 023\n2137 on the form"), [(Kind::NhsNumber, "401 023\n2137".to_string())]);
    }

    #[test]
    fn ages_over_89_only() {
        assert_eq!(kinds("a 93 year old man"), [(Kind::Age, "93 year old".to_string())]);
        assert_eq!(kinds("93yo lady, another aged 101"), [(Kind::Age, "93yo".to_string()), (Kind::Age, "aged 101".to_string())]);
        assert!(kinds("a 79 year old man, aged 45").is_empty());
    }

    #[test]
    fn clinical_numbers_are_not_personal_data() {
        for text in ["gave 10 mg at 14:30", "ward 7, bed 12", "BP 120/80", "Parkinson's disease", "NEWS2 score 5", "401 023 2138 units", "given 2 Paracetamol"] {
            assert!(detect(text).is_empty(), "{text}: {:?}", kinds(text));
        }
    }
}
