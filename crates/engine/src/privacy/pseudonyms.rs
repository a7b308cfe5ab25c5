//! Consistent pseudonyms within one export: the same identifier gets the same numbered token
//! wherever it appears ("[PERSON_2]" in every report that names that person), so a reader
//! can follow who did what without learning who anyone is. Numbers are given in order of
//! first appearance and mean nothing outside the export.

use super::span::{replace_spans, Kind, Span};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Pseudonyms {
    seen: HashMap<(Kind, String), usize>,
    counts: HashMap<Kind, usize>,
    /// Surname (last word) -> the full names seen with it, for "Mrs Smith" after "Jane Smith".
    surnames: HashMap<String, Vec<usize>>,
}

/// What makes two writings of an identifier the same: digits and letters alone for numbers
/// and postcodes ("401 023 2137" = "4010232137"), lower case and single spaces otherwise.
fn key(kind: Kind, text: &str) -> String {
    match kind {
        Kind::NhsNumber | Kind::HospitalNumber | Kind::NiNumber | Kind::Postcode | Kind::Phone => {
            let mut k: String = text.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_uppercase();
            if kind == Kind::Phone {
                // +44 7700 900123 and 07700 900123 are one number.
                if let Some(rest) = k.strip_prefix("440") {
                    k = format!("0{rest}");
                } else if let Some(rest) = k.strip_prefix("44") {
                    k = format!("0{rest}");
                }
            }
            k
        }
        _ => text
            .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

impl Pseudonyms {
    pub fn new() -> Pseudonyms {
        Pseudonyms::default()
    }

    /// The numbered token for one identifier.
    pub fn token(&mut self, kind: Kind, text: &str) -> String {
        let key = key(kind, text);
        let number = match self.seen.get(&(kind, key.clone())) {
            Some(&n) => n,
            None => {
                let n = self.same_person(kind, &key).unwrap_or_else(|| {
                    let count = self.counts.entry(kind).or_insert(0);
                    *count += 1;
                    *count
                });
                if kind == Kind::Person && key.contains(' ') {
                    if let Some(last) = key.rsplit(' ').next() {
                        let known = self.surnames.entry(last.to_string()).or_default();
                        if !known.contains(&n) {
                            known.push(n);
                        }
                    }
                }
                self.seen.insert((kind, key), n);
                n
            }
        };
        format!("[{}_{number}]", kind.label())
    }

    /// A surname alone is the person seen with it in full, when exactly one was.
    fn same_person(&self, kind: Kind, key: &str) -> Option<usize> {
        if kind != Kind::Person || key.contains(' ') {
            return None;
        }
        match self.surnames.get(key).map(Vec::as_slice) {
            Some([only]) => Some(*only),
            _ => None,
        }
    }

    /// `text` with every span replaced by its numbered token.
    pub fn mask(&mut self, text: &str, spans: &[Span]) -> String {
        replace_spans(text, spans, |s, covered| self.token(s.kind, covered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::super::detect::detect;

    #[test]
    fn the_same_identifier_gets_the_same_token_across_texts() {
        let mut p = Pseudonyms::new();
        let a = "Jane Smith (401 023 2137) told Dr Patel.";
        let b = "Dr Patel phoned Mrs Smith about 4010232137; Paul Jones visited.";
        assert_eq!(p.mask(a, &detect(a)), "[PERSON_1] ([NHS_NUMBER_1]) told Dr [PERSON_2].");
        assert_eq!(p.mask(b, &detect(b)), "Dr [PERSON_2] phoned Mrs [PERSON_1] about [NHS_NUMBER_1]; [PERSON_3] visited.");
    }

    #[test]
    fn phones_written_two_ways_are_one() {
        let mut p = Pseudonyms::new();
        assert_eq!(p.token(Kind::Phone, "+44 7700 900123"), p.token(Kind::Phone, "07700 900123"));
        assert_eq!(p.token(Kind::Phone, "+44 (0)7700 900124"), "[PHONE_2]");
    }
}
