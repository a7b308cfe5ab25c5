//! Writes one report's free text from a type's templates, in the voice of one reporter:
//! some terse, some formal; some abbreviate, some make typos; lengths from one line to
//! several paragraphs.

use super::catalogue::{IncidentType, COMMON_DETAILS, CONTEXT};
use super::rng::Rng;
use super::{shorthand, vocab};

pub struct Report {
    pub description: String,
    pub causes: String,
    pub actions: String,
}

/// How one reporter writes.
struct Voice {
    abbreviate: f64,
    /// Chance of writing the event in clinical shorthand (`shorthand::events`).
    clinical_shorthand: f64,
    typos: f64,
    lower_case: bool,
    no_full_stops: bool,
}

impl Voice {
    fn draw(r: &mut Rng) -> Voice {
        Voice {
            abbreviate: *r.pick(&[0.0, 0.0, 0.25, 0.5, 0.8]),
            clinical_shorthand: *r.pick(&[0.0, 0.0, 0.2, 0.5, 0.8]),
            typos: *r.pick(&[0.0, 0.0, 0.0, 0.01, 0.03]),
            lower_case: r.chance(0.07),
            no_full_stops: r.chance(0.1),
        }
    }
}

/// Word-level shorthand reporters use; applied per word with the voice's probability.
const SHORTHAND: &[(&str, &str)] = &[
    ("patient", "pt"),
    ("Patient", "Pt"),
    ("patients", "pts"),
    ("observations", "obs"),
    ("with", "w/"),
    ("without", "w/o"),
    ("hours", "hrs"),
    ("minutes", "mins"),
    ("and", "&"),
    ("approximately", "approx"),
    ("doctor", "Dr"),
    ("nurse", "RN"),
    ("history", "hx"),
    ("diagnosis", "dx"),
    ("treatment", "tx"),
    ("medication", "meds"),
    ("because", "as"),
    ("family", "NOK"),
    ("immediately", "immed."),
    ("required", "req'd"),
    ("reviewed", "r/v"),
    ("prescribed", "px'd"),
    ("discharge", "d/c"),
    ("discharged", "d/c'd"),
    ("transferred", "tx'd"),
];

impl Report {
    pub fn write(t: &IncidentType, r: &mut Rng) -> Report {
        let voice = Voice::draw(r);
        let terse = shorthand::events(t.key);
        let event_template = if !terse.is_empty() && r.chance(voice.clinical_shorthand) {
            *r.pick(terse)
        } else {
            *r.pick(t.events)
        };
        let event = fill(event_template, r);
        let mut used = Vec::new();
        let mut detail = |r: &mut Rng| -> String {
            for _ in 0..4 {
                let pool = if r.chance(0.8) {
                    t.details
                } else {
                    COMMON_DETAILS
                };
                let template = *r.pick(pool);
                if !used.contains(&template) {
                    used.push(template);
                    return fill(template, r);
                }
            }
            String::new()
        };
        let length = r.weighted(&[0.2, 0.55, 0.25]);
        // Background first: often in full reports, now and then before a one-liner.
        let context_sentences = match length {
            0 => usize::from(r.chance(0.25)),
            _ if r.chance(0.5) => 1 + r.below(2),
            _ => 0,
        };
        let context = sentences(CONTEXT, context_sentences, r);
        let event = if context.is_empty() {
            event
        } else if length == 0 {
            format!("{context} {}", one_liner(&event, r))
        } else {
            format!("{context} {event}")
        };
        let description = match length {
            0 if context_sentences > 0 => event,
            0 => one_liner(&event, r),
            1 => {
                let n = 1 + r.below(3);
                let mut parts = vec![event];
                parts.extend((0..n).map(|_| detail(r)));
                join(&parts)
            }
            _ => {
                let paragraphs = 2 + r.below(2);
                let mut text = Vec::new();
                let mut first = vec![event];
                first.extend((0..2 + r.below(2)).map(|_| detail(r)));
                text.push(join(&first));
                for _ in 1..paragraphs {
                    let para: Vec<String> = (0..2 + r.below(2)).map(|_| detail(r)).collect();
                    let para = join(&para);
                    if !para.is_empty() {
                        text.push(para);
                    }
                }
                text.join("\n\n")
            }
        };
        let causes = if r.chance(0.65) {
            sentences(t.causes, 1 + r.below(2), r)
        } else {
            String::new()
        };
        let actions = if r.chance(0.75) {
            sentences(t.actions, 1 + r.below(2), r)
        } else {
            String::new()
        };
        Report {
            description: voice.apply(&description, r),
            causes: voice.apply(&causes, r),
            actions: voice.apply(&actions, r),
        }
    }
}

/// The short form a hurried reporter types: the event cut at its first clause.
fn one_liner(event: &str, r: &mut Rng) -> String {
    if r.chance(0.5) {
        if let Some(cut) = event.find([';', ',']).or_else(|| event.find(" - ")) {
            if cut > 25 {
                return format!("{}.", event[..cut].trim_end());
            }
        }
    }
    event.to_string()
}

fn sentences(pool: &[&str], n: usize, r: &mut Rng) -> String {
    let first = r.below(pool.len());
    let picked: Vec<String> = (0..n.min(pool.len()))
        .map(|k| fill(pool[(first + k) % pool.len()], r))
        .collect();
    join(&picked)
}

fn join(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replaces each `{slot}` with a filler drawn for it.
pub(super) fn fill(template: &str, r: &mut Rng) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let slot = &rest[open + 1..open + close];
        match vocab::fillers(slot) {
            Some(words) => out.push_str(*r.pick(words)),
            None => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    // A filler at the start of a sentence is written capitalised.
    let mut chars = out.chars();
    match chars.next() {
        Some(c) if c.is_lowercase() => c.to_uppercase().chain(chars).collect(),
        _ => out,
    }
}

impl Voice {
    fn apply(&self, text: &str, r: &mut Rng) -> String {
        if text.is_empty() {
            return String::new();
        }
        let mut out = String::with_capacity(text.len());
        for (i, piece) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let (word, tail) = split_punctuation(piece);
            let mut word = word.to_string();
            if self.abbreviate > 0.0 && r.chance(self.abbreviate) {
                if let Some((_, short)) = SHORTHAND.iter().find(|(long, _)| *long == word) {
                    word = short.to_string();
                }
            }
            if self.typos > 0.0 && word.len() >= 4 && word.is_ascii() && r.chance(self.typos) {
                word = typo(&word, r);
            }
            out.push_str(&word);
            out.push_str(tail);
        }
        if self.no_full_stops {
            out = out.replace(". ", " ").trim_end_matches('.').to_string();
        }
        if self.lower_case {
            out = out.to_lowercase();
        }
        out
    }
}

fn split_punctuation(piece: &str) -> (&str, &str) {
    let end = piece
        .trim_end_matches(['.', ',', ';', ':', ')', '\n'])
        .len();
    piece.split_at(end)
}

/// One slip of the keyboard: two letters swapped, one dropped or one doubled.
fn typo(word: &str, r: &mut Rng) -> String {
    let mut b: Vec<u8> = word.bytes().collect();
    let i = 1 + r.below(b.len() - 2);
    match r.below(3) {
        0 => b.swap(i, i + 1),
        1 => {
            b.remove(i);
        }
        _ => b.insert(i, b[i]),
    }
    String::from_utf8(b).unwrap_or_else(|_| word.to_string())
}

#[cfg(test)]
mod tests {
    use crate::catalogue::{SPIKE, TYPES};
    use super::*;

    #[test]
    fn every_template_slot_has_fillers() {
        let all = TYPES.iter().chain([&SPIKE]);
        for t in all {
            for template in t
                .events
                .iter()
                .chain(t.details)
                .chain(t.causes)
                .chain(t.actions)
                .chain(COMMON_DETAILS)
                .chain(CONTEXT)
                .chain(shorthand::events(t.key))
            {
                let mut rest = *template;
                while let Some(open) = rest.find('{') {
                    let close = rest[open..].find('}').expect("closing brace") + open;
                    let slot = &rest[open + 1..close];
                    assert!(
                        vocab::fillers(slot).is_some(),
                        "{}: unknown slot {{{slot}}} in {template:?}",
                        t.key
                    );
                    rest = &rest[close + 1..];
                }
            }
            assert!(
                t.events.len() >= 5 && t.details.len() >= 4,
                "{} needs more variety",
                t.key
            );
        }
    }

    #[test]
    fn fill_capitalises_sentence_start() {
        let mut r = Rng::new(1);
        let s = fill("{pt} fell.", &mut r);
        assert!(s.starts_with(|c: char| c.is_uppercase()), "{s}");
    }
}
