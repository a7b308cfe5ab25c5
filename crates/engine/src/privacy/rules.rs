//! An organisation's own identifier formats (hospital numbers: "RX1" and seven digits, a
//! letter and six...), added to the built-in rules. Each is a regular expression the
//! organisation names; patterns are checked before use, since a pattern that matches
//! nothing useful or everything would silently break masking.

use super::detect::detect;
use super::span::{overlaps_any, Kind, Span};
use regex::{Regex, RegexBuilder};

/// At most this many patterns, each at most this long: a real organisation has a handful.
pub const MAX_PATTERNS: usize = 32;
pub const MAX_PATTERN_LEN: usize = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RulesError {
    #[error("a hospital number pattern needs a name of 1 to 64 letters, digits, '-' or '_' (got {0:?})")]
    Name(String),
    #[error("hospital number pattern '{name}' is not a valid regular expression: {reason}")]
    Invalid { name: String, reason: String },
    #[error("hospital number pattern '{0}' matches empty text, so it would find nothing real; make it require at least one character")]
    MatchesEmpty(String),
    #[error("hospital number pattern '{0}' is longer than {MAX_PATTERN_LEN} characters")]
    TooLong(String),
    #[error("at most {MAX_PATTERNS} hospital number patterns can be set")]
    TooMany,
    #[error("a hospital number pattern named '{0}' is already set")]
    Duplicate(String),
}

/// The built-in rules and an organisation's hospital-number patterns.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    hospital_numbers: Vec<(String, Regex)>,
}

impl Rules {
    /// The built-in rules alone.
    pub fn built_in() -> Rules {
        Rules::default()
    }

    /// The built-in rules and these named hospital-number patterns, each checked.
    pub fn new(patterns: &[(String, String)]) -> Result<Rules, RulesError> {
        if patterns.len() > MAX_PATTERNS {
            return Err(RulesError::TooMany);
        }
        let mut hospital_numbers: Vec<(String, Regex)> = Vec::with_capacity(patterns.len());
        for (name, pattern) in patterns {
            if hospital_numbers.iter().any(|(n, _)| n == name) {
                return Err(RulesError::Duplicate(name.clone()));
            }
            hospital_numbers.push((name.clone(), compile(name, pattern)?));
        }
        Ok(Rules { hospital_numbers })
    }

    pub fn patterns(&self) -> impl Iterator<Item = (&str, &str)> {
        self.hospital_numbers.iter().map(|(n, r)| (n.as_str(), r.as_str()))
    }

    /// Every span the built-in rules and the organisation's patterns find, in order, none
    /// overlapping; where they overlap, the organisation's pattern wins (it knows its own
    /// numbers better than a phone-number shape does).
    pub fn detect(&self, text: &str) -> Vec<Span> {
        let built_in = detect(text);
        if self.hospital_numbers.is_empty() {
            return built_in;
        }
        let mut own: Vec<Span> = Vec::new();
        for (_, re) in &self.hospital_numbers {
            let mut this: Vec<Span> = re
                .find_iter(text)
                .filter(|m| !m.is_empty() && !overlaps_any(&own, m.start(), m.end()))
                .map(|m| Span { start: m.start(), end: m.end(), kind: Kind::HospitalNumber, score: 0.95, rule: "organisation-hospital-number" })
                .collect();
            own.append(&mut this);
            own.sort_by_key(|s| s.start);
        }
        let mut all: Vec<Span> = built_in.into_iter().filter(|b| !overlaps_any(&own, b.start, b.end)).collect();
        all.extend(own);
        all.sort_by_key(|s| (s.start, s.end));
        all
    }
}

/// A pattern checked for what masking needs: a name, a bounded size, and no empty match.
pub fn compile(name: &str, pattern: &str) -> Result<Regex, RulesError> {
    let name_ok = (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !name_ok {
        return Err(RulesError::Name(name.to_string()));
    }
    if pattern.chars().count() > MAX_PATTERN_LEN {
        return Err(RulesError::TooLong(name.to_string()));
    }
    // Word boundaries around the organisation's pattern: "RX1\d{7}" should not match
    // inside a longer code.
    let re = RegexBuilder::new(&format!(r"\b(?:{pattern})\b"))
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| RulesError::Invalid { name: name.to_string(), reason: e.to_string().lines().last().unwrap_or_default().trim().to_string() })?;
    if Regex::new(&format!("^(?:{pattern})$")).map(|r| r.is_match("")).unwrap_or(false) {
        return Err(RulesError::MatchesEmpty(name.to_string()));
    }
    Ok(re)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organisations_numbers_are_found_and_win_overlaps() {
        let rules = Rules::new(&[("rx1".into(), r"RX1\d{7}".into()), ("k".into(), r"K\d{6}".into())]).unwrap();
        let text = "Hospital no RX11234567 and K123456, not XRX11234567.";
        let found: Vec<(Kind, &str)> = rules.detect(text).iter().map(|s| (s.kind, &text[s.range()])).collect();
        assert_eq!(found, [(Kind::HospitalNumber, "RX11234567"), (Kind::HospitalNumber, "K123456")]);
    }

    #[test]
    fn bad_patterns_are_refused_with_their_name() {
        assert!(matches!(Rules::new(&[("a".into(), "(".into())]), Err(RulesError::Invalid { .. })));
        assert_eq!(Rules::new(&[("a".into(), r"\d*".into())]).unwrap_err(), RulesError::MatchesEmpty("a".into()));
        assert_eq!(Rules::new(&[("a b".into(), r"\d+".into())]).unwrap_err(), RulesError::Name("a b".into()));
        assert_eq!(Rules::new(&[("a".into(), "x".repeat(301))]).unwrap_err(), RulesError::TooLong("a".into()));
        assert_eq!(Rules::new(&[("a".into(), r"\d+".into()), ("a".into(), r"K\d+".into())]).unwrap_err(), RulesError::Duplicate("a".into()));
        assert!(matches!(Rules::new(&[("a".into(), r"\w{1000}\w{1000}\w{1000}".into())]), Err(RulesError::Invalid { .. })), "an exploding pattern is refused by size");
        let many: Vec<(String, String)> = (0..33).map(|i| (format!("p{i}"), r"\d+".to_string())).collect();
        assert_eq!(Rules::new(&many).unwrap_err(), RulesError::TooMany);
    }
}
