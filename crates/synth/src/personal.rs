//! Personal data written into generated reports, with where each piece is, so that the
//! privacy detector can be scored. Everything is fake but of a valid format: NHS numbers
//! from the 999 test range with a correct check digit, phone numbers from Ofcom's ranges
//! reserved for drama, postcodes of a real shape, names drawn from the gazetteer's census
//! frequencies, emails at example domains.
//!
//! Two sets of templates: `Demo` for the demo file, and `HeldOut`, written separately with
//! other wording and formats, for measuring the detector on text its rules were not
//! written against.

use crate::rng::Rng;
use engine::privacy::{self, Kind};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Templates {
    Demo,
    HeldOut,
}

/// One piece of personal data in a generated text: byte offsets and kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Truth {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

const DEMO: &[&str] = &[
    "Patient {first} {surname} (NHS {nhs}) was involved.",
    "Daughter {first} was informed by phone on {phone}.",
    "Seen by Dr {surname} who reviewed the patient.",
    "Staff Nurse {first} {surname} witnessed the incident.",
    "NOK: {first} {surname}, {address}, {postcode}, tel {phone}.",
    "DOB {dob}, NHS no {nhs}.",
    "Patient {age}.",
    "Discussed with {first} {surname} (son) on {date}.",
    "Statement emailed to {email}.",
    "MRN {mrn} on the wristband.",
    "NI number {ni} recorded on the form.",
    "Mrs {surname} said she had not been told about the change.",
    "{first} {surname} was the nurse in charge on {date}.",
    "Husband {first} asked for a call back on {phone}.",
    "Address on file: {address}, {postcode}.",
];

const HELD_OUT: &[&str] = &[
    "{initial}. {surname} (son) rang the ward on {phone} to ask what had happened.",
    "Pt {caps_surname}, {first} NHS {nhs_wrapped} transferred in.",
    "I spoke with {first} {surname}, who lives at {address} {postcode}, about the fall.",
    "The event happened on the {words_date} during the night shift.",
    "Her date of birth is {dob_words} and she is {age_phrase}.",
    "Hospital number {mrn}; the label showed another patient's number.",
    "Please contact {email} or {phone} for the statement.",
    "{first} was then reviewed by Mr {surname} on the {words_date}.",
    "The family ({first} and {first2} {surname}) raised concerns at the bedside.",
    "Wife {first} {surname} phoned from {postcode}.",
    "Incident witnessed by HCA {first} {initial}. {surname} and reported the same day.",
    "Referral letter dated {date} quoted NHS number {nhs} and NI {ni}.",
    "The patient, born {dob}, was found on the floor by {first}.",
    "Call back requested on {phone} by {first} {surname}.",
    "Records from {address}, {postcode} arrived late.",
];

const FORMATS_NHS: &[&str] = &["{} {} {}", "{}{}{}", "{}-{}-{}"];
const OUTWARD: &[&str] = &["LS1", "LS7", "M13", "B15", "SW1A", "E1", "N19", "EH3", "G12", "CF10", "BS2", "NE1", "S10", "L3", "NG7", "OX3", "CB2", "PL6", "YO31", "BT9"];
const STREETS: &[&str] = &["Acacia", "Station", "Church", "Victoria", "Mill", "Chapel", "Oak Tree", "Willow", "Kingsway", "Meadow", "Holly Bank", "Beech", "Orchard", "Albert", "Ash Grove"];
const STREET_TYPES: &[&str] = &["Road", "Street", "Avenue", "Lane", "Close", "Drive", "Crescent", "Gardens", "Terrace", "Way"];
const LANDLINE_BLOCKS: &[&str] = &["0113 496 0", "0114 496 0", "0115 496 0", "0116 496 0", "0117 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0", "0161 496 0", "020 7946 0", "029 2018 0", "0191 498 0"];
const MONTHS: &[&str] = &["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const NI_FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
const NI_SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";

/// Cumulative census weights, for drawing a name in O(log n).
struct Drawer {
    names: Vec<&'static str>,
    cumulative: Vec<f64>,
}

impl Drawer {
    fn new(list: &'static privacy::Weighted) -> Drawer {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(list.len());
        for (_, w) in list {
            // The tail's weight rounds to 0 in the list; it still occurs.
            total += f64::from(*w).max(0.5);
            cumulative.push(total);
        }
        Drawer { names: list.iter().map(|(n, _)| *n).collect(), cumulative }
    }

    fn draw(&self, r: &mut Rng) -> String {
        let x = r.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        let i = self.cumulative.partition_point(|c| *c <= x).min(self.names.len().saturating_sub(1));
        capitalise(self.names.get(i).copied().unwrap_or("smith"))
    }
}

fn drawers() -> &'static (Drawer, Drawer) {
    static D: OnceLock<(Drawer, Drawer)> = OnceLock::new();
    D.get_or_init(|| (Drawer::new(privacy::first_names()), Drawer::new(privacy::surnames())))
}

/// "smith-jones" -> "Smith-Jones", "o'neil" -> "O'Neil": each part capitalised.
fn capitalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c == '-' || c == '\'';
    }
    out
}

fn digits(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + r.below(10) as u8)).collect()
}

/// A 999-range NHS number with a valid check digit, as its three groups.
fn nhs_groups(r: &mut Rng) -> [String; 3] {
    loop {
        let six = digits(r, 6);
        let mut nine = [9u8; 9];
        for (i, b) in six.bytes().enumerate() {
            nine[3 + i] = b - b'0';
        }
        if let Some(check) = privacy::check_digit(&nine) {
            return ["999".to_string(), six[..3].to_string(), format!("{}{check}", &six[3..])];
        }
    }
}

fn date(r: &mut Rng, years: std::ops::Range<u32>) -> (u32, usize, u32) {
    let year = years.start + r.below((years.end - years.start) as usize) as u32;
    (1 + r.below(28) as u32, r.below(12), year)
}

fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// The text for one slot, and the kind of personal data it is (None for a slot that is
/// not personal data on its own).
fn fill(slot: &str, r: &mut Rng, person: &mut (String, String)) -> Option<(String, Option<Kind>)> {
    let (first, _) = drawers();
    Some(match slot {
        "first" => (person.0.clone(), Some(Kind::Person)),
        "first2" => (first.draw(r), Some(Kind::Person)),
        "surname" => (person.1.clone(), Some(Kind::Person)),
        "caps_surname" => (person.1.to_uppercase(), Some(Kind::Person)),
        "initial" => (person.0.chars().next().unwrap_or('J').to_string(), Some(Kind::Person)),
        "nhs" => {
            let [a, b, c] = nhs_groups(r);
            let format = *r.pick(FORMATS_NHS);
            let mut parts = [a, b, c].into_iter();
            let text = format.split("{}").fold(String::new(), |mut acc, piece| {
                acc.push_str(piece);
                acc.push_str(&parts.next().unwrap_or_default());
                acc
            });
            (text, Some(Kind::NhsNumber))
        }
        "nhs_wrapped" => {
            let [a, b, c] = nhs_groups(r);
            (format!("{a} {b}\n{c}"), Some(Kind::NhsNumber))
        }
        "phone" => {
            let text = match r.below(4) {
                0 => format!("07700 900{}", digits(r, 3)),
                1 => format!("+44 7700 900{}", digits(r, 3)),
                _ => format!("{}{}", r.pick(LANDLINE_BLOCKS), digits(r, 3)),
            };
            (text, Some(Kind::Phone))
        }
        "postcode" => {
            let letters = b"ABDEFGHJLNPQRSTUWXYZ";
            let inward = format!("{}{}{}", r.below(10), char::from(*r.pick(letters)), char::from(*r.pick(letters)));
            let outward = *r.pick(OUTWARD);
            let text = match r.below(5) {
                0 => format!("{outward}{inward}"),
                1 => format!("{outward} {inward}").to_lowercase(),
                _ => format!("{outward} {inward}"),
            };
            (text, Some(Kind::Postcode))
        }
        "email" => {
            let domain = *r.pick(&["example.nhs.uk", "example.org", "example.com"]);
            (format!("{}.{}@{domain}", person.0.to_lowercase(), person.1.to_lowercase()), Some(Kind::Email))
        }
        "address" => {
            let flat = if r.chance(0.2) { format!("Flat {}, ", 1 + r.below(30)) } else { String::new() };
            (format!("{flat}{} {} {}", 1 + r.below(250), r.pick(STREETS), r.pick(STREET_TYPES)), Some(Kind::Address))
        }
        "date" => {
            let (d, m, y) = date(r, 2019..2026);
            let text = match r.below(3) {
                0 => format!("{d:02}/{:02}/{y}", m + 1),
                1 => format!("{y}-{:02}-{d:02}", m + 1),
                _ => format!("{d} {} {y}", MONTHS[m]),
            };
            (text, Some(Kind::Date))
        }
        "words_date" => {
            let (d, m, _) = date(r, 2019..2026);
            (format!("{} of {}", ordinal(d), MONTHS[m]), Some(Kind::Date))
        }
        "dob" => {
            let (d, m, y) = date(r, 1925..2005);
            (format!("{d:02}/{:02}/{y}", m + 1), Some(Kind::DateOfBirth))
        }
        "dob_words" => {
            let (d, m, y) = date(r, 1925..2005);
            (format!("{} {} {y}", ordinal(d), MONTHS[m]), Some(Kind::DateOfBirth))
        }
        "age" => {
            let age = 90 + r.below(15);
            let text = match r.below(3) {
                0 => format!("aged {age}"),
                1 => format!("{age} years old"),
                _ => format!("{age}yo"),
            };
            (text, Some(Kind::Age))
        }
        "age_phrase" => (format!("{} years old", 90 + r.below(12)), Some(Kind::Age)),
        "mrn" => {
            let text = if r.chance(0.5) { digits(r, 7) } else { format!("K{}", digits(r, 6)) };
            (text, Some(Kind::HospitalNumber))
        }
        "ni" => {
            // Prefixes never issued (BG, GB, KN, NK, NT, TN, ZZ) are drawn again.
            let prefix = loop {
                let p = format!("{}{}", char::from(*r.pick(NI_FIRST)), char::from(*r.pick(NI_SECOND)));
                if !matches!(p.as_str(), "BG" | "GB" | "KN" | "NK" | "NT" | "TN" | "ZZ") {
                    break p;
                }
            };
            (format!("{prefix}{}{}", digits(r, 6), char::from(b'A' + r.below(4) as u8)), Some(Kind::NiNumber))
        }
        _ => return None,
    })
}

/// One templated sentence filled in, with the spans of its personal data relative to its
/// start. Adjacent name slots ("{first} {surname}", "{initial}. {surname}",
/// "{caps_surname}, {first}") are one person.
pub fn sentence(templates: Templates, r: &mut Rng) -> (String, Vec<Truth>) {
    let list = match templates {
        Templates::Demo => DEMO,
        Templates::HeldOut => HELD_OUT,
    };
    let template = *r.pick(list);
    let (first, sur) = drawers();
    let mut person = (first.draw(r), sur.draw(r));
    let mut out = String::new();
    let mut spans: Vec<Truth> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        let literal = &rest[..open];
        out.push_str(literal);
        let slot = &rest[open + 1..close];
        if let Some((text, kind)) = fill(slot, r, &mut person) {
            let start = out.len();
            out.push_str(&text);
            if let Some(kind) = kind {
                // A person continues across ". ", " " or ", " to the next name slot.
                let joined = kind == Kind::Person
                    && matches!(spans.last(), Some(last) if last.kind == Kind::Person && last.end + literal.len() == start && matches!(literal, " " | ". " | ", "));
                match spans.last_mut() {
                    Some(last) if joined => last.end = out.len(),
                    _ => spans.push(Truth { start, end: out.len(), kind }),
                }
            }
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    // An initial's full stop belongs to the person when nothing follows it in the span.
    for s in &mut spans {
        if s.kind == Kind::Person && out[s.start..s.end].len() == 1 && out[s.end..].starts_with('.') {
            s.end += 1;
        }
    }
    (out, spans)
}

/// The personal data the report's own templates wrote: ages over 89 ("{age} year old",
/// "was {age} and", with an age of 91 or 95 from the vocabulary), so that a scorer does not
/// count finding them as a mistake.
pub fn in_report(text: &str) -> Vec<Truth> {
    let mut spans: Vec<Truth> = Vec::new();
    for age in crate::vocab::fillers("age").unwrap_or_default().iter().filter(|a| a.parse::<u32>().is_ok_and(|n| n > 89)) {
        let phrase = format!("{age} year old");
        for (at, _) in text.match_indices(&phrase) {
            if !text[..at].ends_with(|c: char| c.is_ascii_digit()) {
                spans.push(Truth { start: at, end: at + phrase.len(), kind: Kind::Age });
            }
        }
        // "{Pt} was {age} and had been in hospital...": the number alone.
        let phrase = format!(" was {age} and");
        for (at, _) in text.match_indices(&phrase) {
            let start = at + " was ".len();
            spans.push(Truth { start, end: start + age.len(), kind: Kind::Age });
        }
    }
    spans.sort_by_key(|t| t.start);
    spans
}

/// `text` with one to three personal sentences added before or after it, and where each
/// piece of personal data is in the result (that of `text` itself too, `in_report`).
pub fn inject(text: &str, templates: Templates, r: &mut Rng) -> (String, Vec<Truth>) {
    let mut before = String::new();
    let mut after = String::new();
    let mut before_spans = Vec::new();
    let mut after_spans = Vec::new();
    for _ in 0..1 + r.below(3) {
        let (s, spans) = sentence(templates, r);
        if r.chance(0.4) {
            let at = before.len();
            before_spans.extend(spans.into_iter().map(|t| Truth { start: t.start + at, end: t.end + at, kind: t.kind }));
            before.push_str(&s);
            before.push(' ');
        } else {
            after.push(' ');
            let at = after.len();
            after_spans.extend(spans.into_iter().map(|t| Truth { start: t.start + at, end: t.end + at, kind: t.kind }));
            after.push_str(&s);
        }
    }
    let offset = before.len() + text.len();
    let mut spans = before_spans;
    spans.extend(in_report(text).into_iter().map(|t| Truth { start: t.start + before.len(), end: t.end + before.len(), kind: t.kind }));
    spans.extend(after_spans.into_iter().map(|t| Truth { start: t.start + offset, end: t.end + offset, kind: t.kind }));
    (format!("{before}{text}{after}"), spans)
}

/// The ground-truth column read back.
pub fn parse_truth_column(column: &str) -> std::io::Result<Vec<Truth>> {
    let cells: Vec<(usize, usize, String)> = serde_json::from_str(column).map_err(std::io::Error::other)?;
    cells
        .into_iter()
        .map(|(start, end, kind)| {
            let kind = Kind::parse(&kind).ok_or_else(|| std::io::Error::other(format!("unknown kind {kind}")))?;
            Ok(Truth { start, end, kind })
        })
        .collect()
}

/// The spans as the ground-truth column holds them: `[[start,end,"kind"],...]`, byte offsets
/// into the description.
pub fn truth_column(spans: &[Truth]) -> String {
    let cells: Vec<String> = spans.iter().map(|t| format!("[{},{},\"{}\"]", t.start, t.end, t.kind.label().to_lowercase())).collect();
    format!("[{}]", cells.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_holds_what_it_says() {
        let mut r = Rng::new(7);
        for templates in [Templates::Demo, Templates::HeldOut] {
            for _ in 0..400 {
                let (text, spans) = inject("Patient fell in the bay.", templates, &mut r);
                assert!(!spans.is_empty());
                for s in &spans {
                    let piece = &text[s.start..s.end];
                    match s.kind {
                        Kind::NhsNumber => assert_eq!(privacy::classify(piece), Some(privacy::Issuer::Test), "{piece}"),
                        Kind::Person => assert!(piece.chars().next().is_some_and(char::is_uppercase), "{piece} in {text}"),
                        Kind::Email => assert!(piece.contains('@')),
                        _ => assert!(!piece.trim().is_empty() && piece.trim() == piece, "{:?} {piece:?}", s.kind),
                    }
                }
            }
        }
    }

    #[test]
    fn names_next_to_each_other_are_one_person() {
        let mut r = Rng::new(1);
        for _ in 0..200 {
            let (text, spans) = sentence(Templates::HeldOut, &mut r);
            if text.starts_with("Pt ") {
                let person = &spans[0];
                assert!(text[person.start..person.end].contains(", "), "{text}: {spans:?}");
                return;
            }
        }
        panic!("no 'Pt SURNAME, First' sentence drawn");
    }
}
