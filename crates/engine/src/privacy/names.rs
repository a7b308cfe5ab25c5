//! People named in free text without a pattern to check: runs of capitalised words read
//! against the name gazetteers, with the evidence a reviewer would use — a title or a role
//! before the name, a first name before a surname, an initial, a relation ("daughter",
//! "named") before it or after it in brackets — and against an allow-list of clinical words
//! and ordinary English, so that "Parkinson's", "Bell's palsy", "Will review" and
//! "Florence Ward" are not people.

use super::gazetteer::{self, Lookup};
use super::span::{overlaps_any, Kind, Span};
use regex::Regex;
use std::ops::Range;
use std::sync::OnceLock;

/// One capitalised word of a run, as the main pattern found it.
#[derive(Debug, Clone)]
pub(super) struct Word {
    /// The word without a trailing possessive ("Smith" of "Smith's").
    pub range: Range<usize>,
    /// Whether it is an initial ("J." or "J").
    pub initial: bool,
    /// Whether a possessive followed it ("Smith's").
    pub possessive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Mr, Mrs, Dr...: whatever name-like words follow are a person.
    Title,
    /// Nurse, Sister, Consultant, Daughter, Patient...: a role or relation written before a
    /// name, like a title.
    Role,
    /// A role that is also a surname ("Porter", "Nurse"): a role before a name, a surname
    /// after a first name.
    RoleOrSurname,
    Initial,
    /// A first name that is nothing else.
    First,
    /// A surname that is nothing else.
    Surname,
    /// A first name that is also a word or clinical term ("Will", "May", "Dawn").
    WeakFirst,
    /// A surname that is also a word or clinical term ("Brown", "Ward", "Bell").
    WeakSurname,
    /// In upper case and in a name list ("SMITH").
    CapsName,
    /// An ordinary word, a clinical term or an acronym, and no name.
    Word,
    /// In no list: a rarer name, or jargon.
    Unknown,
}

const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lady", "lord", "rev", "revd"];
const ROLES: &[&str] = &[
    "nurse", "sister", "matron", "sr", "sn", "rn", "hca", "consultant", "registrar", "surgeon", "midwife", "pharmacist",
    "physio", "porter", "paramedic", "student", "anaesthetist", "sho", "fy1", "fy2", "spr", "reg", "patient", "pt", "daughter",
    "son", "wife", "husband", "partner", "mother", "mum", "father", "dad", "brother", "niece", "nephew", "grandson",
    "granddaughter", "nok", "carer", "relative",
];
/// Words after a run that make it a place: "Nightingale Ward", "Queen Elizabeth Hospital".
const PLACES: &[&str] = &[
    "ward", "unit", "hospital", "house", "centre", "center", "wing", "suite", "building", "clinic", "practice", "surgery",
    "hospice", "trust", "school", "college", "university", "court", "lodge", "block", "theatre", "theatres", "bay", "road",
    "street", "lane", "avenue", "drive", "way", "close", "syndrome", "disease", "sign", "test", "score", "scale", "catheter",
    "line", "palsy", "fracture", "procedure", "protocol", "team", "pathway", "infirmary", "home", "homecare", "services",
    "service", "department", "centre", "medical", "health", "group", "partnership", "foundation", "nhs", "manager", "round",
    "staff", "clerk", "sister",
];

fn class(text: &str, word: &Word) -> Class {
    let raw = &text[word.range.clone()];
    if word.initial {
        return Class::Initial;
    }
    let lower = raw.to_lowercase();
    if TITLES.contains(&lower.as_str()) {
        return Class::Title;
    }
    // "AI-Driven", "COVID-Positive": an acronym joined to a word.
    if raw.contains('-') && raw.split('-').any(|p| p.chars().count() > 1 && !p.chars().any(char::is_lowercase)) {
        return Class::Word;
    }
    let look = lookup(&lower);
    if ROLES.contains(&lower.as_str()) {
        // "Porter", "Nurse" and "Patient" are surnames too: after a first name, one is.
        return if look.surname { Class::RoleOrSurname } else { Class::Role };
    }
    let caps = raw.chars().count() > 1 && !raw.chars().any(char::is_lowercase);
    if caps {
        // Two capitals are an acronym ("AI", "ED", "GP") far more often than a name.
        let name = (look.first || look.surname) && !look.clinical && raw.chars().count() > 2;
        return if name { Class::CapsName } else { Class::Word };
    }
    if word.possessive && (look.eponym || look.clinical) {
        return Class::Word;
    }
    let weak = look.common || look.clinical;
    match (look.first, look.surname) {
        (true, _) if !weak => Class::First,
        (false, true) if !weak => Class::Surname,
        (true, _) => Class::WeakFirst,
        (false, true) => Class::WeakSurname,
        _ if weak || looks_like_a_word(&lower) => Class::Word,
        _ => Class::Unknown,
    }
}

/// A word in no list whose ending names rarely have ("Referral", "Discharged",
/// "Reassessment"): capitalised only because a sentence starts with it.
fn looks_like_a_word(lower: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "tion", "sion", "ment", "ness", "ity", "ing", "ed", "ly", "ance", "ence", "ful", "less", "ous", "ive", "ral", "ary",
        "ise", "ize", "ical", "able", "ible",
    ];
    ENDINGS.iter().any(|e| lower.len() > e.len() + 2 && lower.ends_with(e))
}

/// A double-barrelled name is in a list when any of its parts is, and none of its parts is
/// an ordinary word that is no name ("AI-Generated", "Non-Urgent").
fn lookup(lower: &str) -> Lookup {
    let g = gazetteer::get();
    let whole = g.lookup(lower);
    if !lower.contains('-') || whole.first || whole.surname {
        return whole;
    }
    let parts: Vec<Lookup> = lower.split('-').map(|part| g.lookup(part)).collect();
    if parts.iter().any(|p| (p.common || p.clinical) && !p.first && !p.surname) {
        return Lookup { first: false, surname: false, common: true, clinical: false, eponym: false };
    }
    parts.into_iter().fold(
        Lookup { first: false, surname: false, common: true, clinical: false, eponym: false },
        |a, b| Lookup {
            first: a.first || b.first,
            surname: a.surname || b.surname,
            common: a.common && b.common,
            clinical: a.clinical || b.clinical,
            eponym: a.eponym || b.eponym,
        },
    )
}

/// A relation or naming word just before the run: "daughter Dawn", "named Smith", "pt Jones".
fn cue_before(text: &str, at: usize) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)(?:^|[^a-z])(?:patient|pt|daughter|son|wife|husband|partner|mother|mum|father|dad|brother|sister|niece|nephew|grandson|granddaughter|grandmother|grandfather|aunt|uncle|relative|carer|nok|next of kin|friend|neighbour|named|called|known as|colleague|spoke to|spoke with|informed|told|contacted|phoned|rang|asked|signed by|witnessed by|checked by|reported by|escalated to|handed over to)(?:-in-law)?[ \t]*[:,(-]?[ \t]*$",
        )
        .expect("the cue pattern compiles")
    });
    let from = floor_char_boundary(text, at.saturating_sub(40));
    re.is_match(&text[from..at])
}

/// A relation in brackets or after a comma just after the run: "Dawn (daughter)", "Smith, NOK".
fn cue_after(text: &str, at: usize) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r"(?i)^(?:'s?|’s?)?(?:\s*(?:\(|,\s*|-\s*)(?:the\s+)?(?:patient'?s\s+|pt'?s\s+|his\s+|her\s+|their\s+)?(?:daughter|son|wife|husband|partner|mother|mum|father|dad|brother|sister|niece|nephew|relative|carer|nok|next of kin|friend|neighbour|consultant|registrar|nurse|hca|fy1|fy2|gp)\b|[ \t]+(?:then\s+)?(?:said|says|stated|states|reported|explained|confirmed|agreed|asked|told|noticed|rang|phoned|called|replied|admitted|denied|refused|witnessed)\b)",
        )
        .expect("the cue pattern compiles")
    });
    let to = ceil_char_boundary(text, (at + 40).min(text.len()));
    re.is_match(&text[at..to])
}

/// Whether the title or role starting at `at` follows an article or a word that makes it a
/// noun: "the Dr.", "the on-call Dr", "a Nurse", "the RN".
fn used_as_noun(text: &str, at: usize) -> bool {
    const BEFORE: &[&str] = &["the", "a", "an", "this", "that", "another", "duty", "on-call", "covering", "night", "junior", "senior", "same", "other", "our", "no"];
    let from = floor_char_boundary(text, at.saturating_sub(40));
    let word = text[from..at].trim_end().rsplit(|c: char| c.is_whitespace()).next().unwrap_or_default();
    BEFORE.contains(&word.to_lowercase().as_str())
}

/// "(daughter)" just after: the only relation cue strong enough for a word in no list
/// ("Kowalczyk (daughter)"), where a comma or a dash after a misspelt word is not.
fn bracketed_relation_after(text: &str, at: usize) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?i)^[ \t]*\((?:the\s+)?(?:patient'?s\s+|pt'?s\s+)?(?:daughter|son|wife|husband|partner|mother|mum|father|dad|brother|sister|niece|nephew|relative|carer|nok|next of kin|friend|neighbour)\b")
            .expect("the pattern compiles")
    });
    let to = ceil_char_boundary(text, (at + 40).min(text.len()));
    re.is_match(&text[at..to])
}

/// The next word after `at` (any case) names a place or a clinical thing.
fn place_after(text: &str, at: usize) -> bool {
    let rest = &text[at..ceil_char_boundary(text, (at + 60).min(text.len()))];
    let rest = rest.strip_prefix("'s").or_else(|| rest.strip_prefix("’s")).unwrap_or(rest);
    let next: String = rest.trim_start().chars().take_while(|c| c.is_alphanumeric()).collect();
    PLACES.contains(&next.to_lowercase().as_str())
}

/// Whether two capitalised words with `gap` between them belong to one run: one space, or a
/// title's full stop and a space ("Dr. Patel").
pub(super) fn joins(text: &str, before: &Word, gap: &str) -> bool {
    const PARTICLES: &[&str] = &["van", "der", "den", "de", "la", "le", "von", "da", "di", "du", "del", "della", "dos", "bin", "binti", "bint", "al", "el", "ap", "ter", "ten"];
    gap == " "
        || (gap.is_empty() && before.initial)
        || (gap == ". " && TITLES.contains(&text[before.range.clone()].to_lowercase().as_str()))
        || (gap.len() > 2
            && gap.starts_with(' ')
            && gap.ends_with(' ')
            && gap.trim().split(' ').all(|p| PARTICLES.contains(&p)))
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Whether a word can continue a name already begun.
fn continues(class: Class) -> bool {
    matches!(
        class,
        Class::First | Class::Surname | Class::WeakFirst | Class::WeakSurname | Class::CapsName | Class::Unknown | Class::Initial
    )
}

/// Whether a word can continue a name begun with a first name: also a role that is a
/// surname, when it ends the run ("Robert Porter", not "Jane Nurse Practitioner").
fn continues_first(classes: &[Class], at: usize) -> bool {
    continues(classes[at]) || (classes[at] == Class::RoleOrSurname && at + 1 == classes.len())
}

/// The end (exclusive, in words) of the name that starts at `from`: every word after it that
/// can continue one, without a trailing initial.
fn extend(classes: &[Class], from: usize) -> usize {
    let mut end = from;
    while end < classes.len() && continues_first(classes, end) {
        end += 1;
    }
    while end > from && classes[end - 1] == Class::Initial {
        end -= 1;
    }
    end
}

/// The people in one run of adjacent capitalised words.
pub(super) fn persons(text: &str, run: &[Word], out: &mut Vec<Span>) {
    let classes: Vec<Class> = run.iter().map(|w| class(text, w)).collect();
    let mut emit = |from: usize, to: usize, score: f32, rule: &'static str| {
        let (start, end) = (run[from].range.start, run[to - 1].range.end);
        // "Ivy Ward", "Royal Victoria Infirmary": a place named after a person. After a
        // title ("Dr Ward") it is the person.
        let titled = from > 0 && matches!(classes[from - 1], Class::Title);
        let last = text[run[to - 1].range.clone()].to_lowercase();
        let place_named = !titled && to - from > 1 && PLACES.contains(&last.as_str());
        if !place_after(text, end) && !place_named {
            out.push(Span { start, end, kind: Kind::Person, score, rule });
        }
    };
    let mut i = 0;
    while i < run.len() {
        let next = classes.get(i + 1).copied();
        let cued = i == 0 && cue_before(text, run[0].range.start);
        match classes[i] {
            Class::Title | Class::Role | Class::RoleOrSurname => {
                // "by the Dr. Hoist was...": a title ending a sentence. After "Dr." only a
                // word from the name lists is taken as the name.
                let stop_between = i + 1 < run.len() && text[run[i].range.end..run[i + 1].range.start].contains('.');
                let listed = matches!(next, Some(Class::First | Class::Surname | Class::WeakFirst | Class::WeakSurname | Class::CapsName | Class::Initial))
                    || (next == Some(Class::Unknown) && classes.get(i + 2).is_some_and(|c| continues(*c)));
                // "the Dr.", "the on-call Dr", "by the RN": the title used as a noun.
                if (stop_between && !listed) || used_as_noun(text, run[i].range.start) {
                    i += 1;
                    continue;
                }
                let end = extend(&classes, i + 1);
                let named = (i + 1..end).any(|k| classes[k] != Class::Initial);
                if named {
                    let rule = if classes[i] == Class::Title { "title-and-name" } else { "role-or-relation-and-name" };
                    emit(i + 1, end, 0.9, rule);
                    i = end;
                    continue;
                }
            }
            Class::First => {
                let end = extend(&classes, i + 1);
                if end > i + 1 {
                    emit(i, end, 0.9, "first-name-and-surname");
                } else if text[run[i].range.clone()].chars().count() >= 3 {
                    // Two letters alone ("Ai", "Jo") are more often something else.
                    emit(i, end, 0.7, "first-name");
                }
                i = end;
                continue;
            }
            Class::Initial => {
                // "A" and "I" without a stop are usually words: they need a sure surname.
                let letter = &text[run[i].range.clone()];
                let bare_word = letter == "A" || letter == "I";
                let ok = match next {
                    Some(Class::Surname | Class::CapsName) => true,
                    Some(Class::WeakSurname | Class::Unknown | Class::First | Class::WeakFirst | Class::Initial) => !bare_word,
                    _ => false,
                };
                let end = extend(&classes, i + 1);
                if ok && end > i + 1 {
                    emit(i, end, 0.8, "initial-and-surname");
                    i = end;
                    continue;
                }
            }
            Class::WeakFirst => {
                // Two capitalised words from the name lists inside a sentence ("labelled for
                // Grace Hall"): capitals there mark a proper noun even when both are words.
                let inside_sentence = !sentence_start(text, run[i].range.start)
                    && matches!(next, Some(Class::WeakSurname | Class::WeakFirst));
                if matches!(next, Some(Class::Surname | Class::First | Class::Unknown | Class::CapsName)) || cued || inside_sentence {
                    let end = extend(&classes, i + 1);
                    emit(i, end, 0.75, if cued { "context-and-name" } else { "first-name-and-surname" });
                    i = end;
                    continue;
                }
            }
            Class::Surname | Class::WeakSurname | Class::Unknown | Class::CapsName => {
                let end = extend(&classes, i + 1);
                // After a relation written in lower case ("informed Staff", "asked Ward"), a
                // surname that is also a word is more often the word.
                // "informed Lactate 4.8": a cued word in no list followed by a number is a
                // test or a place, not a person.
                let number_after = text[run[end - 1].range.end..].trim_start().starts_with(|c: char| c.is_ascii_digit());
                if cued && classes[i] != Class::WeakSurname && !(classes[i] == Class::Unknown && number_after) {
                    emit(i, end, 0.75, "context-and-name");
                    i = end;
                    continue;
                }
                if matches!(classes[i], Class::Surname | Class::CapsName) && cue_after(text, run[end - 1].range.end)
                    || classes[i] == Class::Unknown && bracketed_relation_after(text, run[end - 1].range.end)
                {
                    emit(i, end, 0.7, "name-and-relation");
                    i = end;
                    continue;
                }
            }
            Class::Word => {}
        }
        i += 1;
    }
}

/// Other mentions of a name already found ("Nurse Price ... Price then said"): capitalised,
/// as a whole word, outside every span; a name that is also a word ("Baker") only where it
/// does not start a sentence (where any word is capitalised).
pub(super) fn mentioned_again(text: &str, spans: &mut Vec<Span>) {
    // The names that may be mentioned again (whether each is also a word), matched below in
    // one pass over the text, so a hostile text full of names stays linear; at most MOST.
    const MOST: usize = 1000;
    let g = gazetteer::get();
    let mut names: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    'spans: for s in spans.iter().filter(|s| s.kind == Kind::Person) {
        for word in text[s.range()].split(|c: char| c.is_whitespace() || c == ',') {
            let word = word.trim_end_matches('.');
            if names.len() == MOST {
                break 'spans;
            }
            if word.chars().count() < 2 || !word.chars().next().is_some_and(char::is_uppercase) || names.contains_key(word) {
                continue;
            }
            let lower = word.to_lowercase();
            let look = g.lookup(&lower);
            if !TITLES.contains(&lower.as_str()) && !look.clinical {
                names.insert(word, look.common);
            }
        }
    }
    if names.is_empty() {
        return;
    }
    // Matched as `\b(?:name|...)\b` would be, without compiling a pattern per text (that
    // cost a regex build for every report naming someone: 7x slower on such text): each
    // name is tried where a word starts, by the word it starts with, and kept when it ends
    // on a word boundary.
    let mut by_first_word: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for name in names.keys() {
        let first = name.split(|c: char| !is_word_char(c)).next().unwrap_or(name);
        by_first_word.entry(first).or_default().push(name);
    }
    let mut found: Vec<Span> = Vec::new();
    let mut words = word_runs(text).peekable();
    while let Some((at, word_end)) = words.next() {
        let Some(candidates) = by_first_word.get(&text[at..word_end]) else { continue };
        // The longest name that fits, as the alternation's leftmost-first match would take
        // the first listed; names differ, so at most one ends on each boundary.
        let mut best: Option<&str> = None;
        for name in candidates {
            let end = at + name.len();
            let fits = text.get(at..end) == Some(*name);
            let boundary = fits && text[..end].chars().next_back().map(is_word_char) != text[end..].chars().next().map(is_word_char);
            if boundary && best.is_none_or(|b| b.len() < name.len()) {
                best = Some(name);
            }
        }
        let Some(name) = best else { continue };
        let end = at + name.len();
        let common = names.get(name).copied().unwrap_or(false);
        let inside = overlaps_any(spans, at, end) || overlaps_any(&found, at, end);
        if !inside && (!common || !sentence_start(text, at)) {
            found.push(Span { start: at, end, kind: Kind::Person, score: 0.7, rule: "named-earlier" });
        }
        // A match does not overlap the next: skip the words it covers.
        while words.peek().is_some_and(|&(next, _)| next < end) {
            words.next();
        }
    }
    if !found.is_empty() {
        spans.extend(found);
        spans.sort_by_key(|s| (s.start, s.end));
    }
}

/// What `\b` takes for a word character (letters and digits of any script, '_').
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The maximal runs of word characters: (start, end) byte offsets.
fn word_runs(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = chars.by_ref().find(|&(_, c)| is_word_char(c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !is_word_char(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some((start, end))
    })
}

/// A capitalised name joined by "and" to a person found ("Chidi and Fatima", "Ian and Mo"):
/// the other is a person too, unless it is a word, a title or a role ("Smith and Nephew").
pub(super) fn coordinated(text: &str, spans: &mut Vec<Span>) {
    static AFTER: OnceLock<Regex> = OnceLock::new();
    static BEFORE: OnceLock<Regex> = OnceLock::new();
    let after = AFTER.get_or_init(|| Regex::new(r"^[ \t]+(?:and|&)[ \t]+(\p{Lu}\p{L}+)\b").expect("the pattern compiles"));
    let before = BEFORE.get_or_init(|| Regex::new(r"\b(\p{Lu}\p{L}+)[ \t]+(?:and|&)[ \t]+$").expect("the pattern compiles"));
    let mut found: Vec<Span> = Vec::new();
    for s in spans.iter().filter(|s| s.kind == Kind::Person) {
        let from = floor_char_boundary(text, s.start.saturating_sub(40));
        let to = ceil_char_boundary(text, (s.end + 40).min(text.len()));
        let candidates = [
            after.captures(&text[s.end..to]).and_then(|c| c.get(1)).map(|m| s.end + m.start()..s.end + m.end()),
            before.captures(&text[from..s.start]).and_then(|c| c.get(1)).map(|m| from + m.start()..from + m.end()),
        ];
        for range in candidates.into_iter().flatten() {
            let word = Word { range: range.clone(), initial: false, possessive: false };
            // Not a surname that is also a word: "O'Neil and Staff Nurse Patel".
            let name_like = matches!(class(text, &word), Class::First | Class::Surname | Class::WeakFirst | Class::Unknown | Class::CapsName);
            // `found` grows out of order here (before and after each span): a small list.
            let taken = overlaps_any(spans, range.start, range.end) || found.iter().any(|t| t.start < range.end && range.start < t.end);
            if name_like && !taken {
                found.push(Span { start: range.start, end: range.end, kind: Kind::Person, score: 0.65, rule: "and-another-name" });
            }
        }
    }
    if !found.is_empty() {
        spans.extend(found);
        spans.sort_by_key(|s| (s.start, s.end));
    }
}

/// Whether `at` starts a sentence: the text's start, or after ". ", "! ", "? ", ": " or a line break.
fn sentence_start(text: &str, at: usize) -> bool {
    let from = floor_char_boundary(text, at.saturating_sub(40));
    let before = text[from..at].trim_end_matches([' ', '\t']);
    if before.is_empty() && from > 0 {
        return false; // forty spaces: not a sentence's start, and not worth reading further
    }
    before.is_empty() || before.ends_with(['.', '!', '?', ':', '\n'])
}

/// "SMITH, John" or "Smith, John": a surname, a comma, a first name.
pub(super) fn surname_comma_first(text: &str, surname: Range<usize>, first: Range<usize>) -> bool {
    let g = gazetteer::get();
    let sur = g.lookup(&text[surname].to_lowercase());
    let fir = g.lookup(&text[first].to_lowercase());
    sur.surname && fir.first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        super::super::detect::detect(text)
            .into_iter()
            .filter(|s| s.kind == Kind::Person)
            .map(|s| text[s.start..s.end].to_string())
            .collect()
    }

    #[test]
    fn names_with_their_evidence() {
        assert_eq!(names("Jane Smith was found on the floor."), ["Jane Smith"]);
        assert_eq!(names("Spoke to J. Okonkwo about it."), ["J. Okonkwo"]);
        assert_eq!(names("Daughter Siobhan informed."), ["Siobhan"]);
        assert_eq!(names("Dr O'Neil and Staff Nurse Patel attended."), ["O'Neil", "Patel"]);
        assert_eq!(names("Reviewed by Mrs A. B. Jones-Whitfield."), ["A. B. Jones-Whitfield"]);
        assert_eq!(names("SMITH, John admitted."), ["SMITH, John"]);
        assert_eq!(names("Kowalczyk (daughter) called."), ["Kowalczyk"]);
    }

    /// Texts built to make a careless rule quadratic: thousands of names, titles with no
    /// space before them (which once made the e-mail rule scan to the end from every
    /// position), long runs of spaces. Each finishes in a fraction of a second in release.
    #[test]
    fn hostile_texts_stay_linear() {
        let many: String = (0..20_000).map(|i| format!("Dr Zq{i}x and ")).collect();
        assert!(names_count(&many) >= 20_000);
        let titles = "Dr.".repeat(100_000);
        let _ = super::super::detect::detect(&titles);
        let spaces = format!("Jane Smith{}Smith", " ".repeat(1_000_000));
        assert_eq!(names(&spaces), ["Jane Smith", "Smith"]);
    }

    /// Later mentions match whole words as `\b(?:names)\b` would: not inside a longer word,
    /// with a possessive or a hyphenated name whole, the longest name where two start alike.
    #[test]
    fn later_mentions_are_whole_words() {
        assert_eq!(names("Nurse Okafor gave the dose. Okafor said the pump alarmed; Okafor's notes agree."), ["Okafor", "Okafor", "Okafor"]);
        assert_eq!(names("Nurse Okafor checked the Okafors list and Okaforless items."), ["Okafor"]);
        // A name that is also a word is not taken where a sentence starts with it.
        assert_eq!(names("Nurse Price gave the dose. Price said the pump alarmed; Price's notes agree."), ["Price", "Price"]);
        assert_eq!(names("Dr Jones-Whitfield and Dr Jones saw her. Jones-Whitfield wrote it up."), ["Jones-Whitfield", "Jones", "Jones-Whitfield"]);
        assert_eq!(names("Nurse Øyelaran came. Later Øyelaran_x and Øyelaran left."), ["Øyelaran", "Øyelaran"]);
    }

    fn names_count(text: &str) -> usize {
        super::super::detect::detect(text).iter().filter(|s| s.kind == Kind::Person).count()
    }

    #[test]
    fn clinical_words_and_places_are_not_people() {
        for text in [
            "Known Parkinson's disease, on Madopar.",
            "Will review in the morning. May need a scan.",
            "Transferred to Nightingale Ward then Florence ward.",
            "Taken to Queen Elizabeth Hospital by ambulance.",
            "Bell's palsy noted. Wells score 4. Glasgow Coma Scale 14.",
            "A Datix was completed. I informed the NIC.",
            "NEWS2 of 7, escalated to the Outreach Team.",
        ] {
            assert!(names(text).is_empty(), "{text}: {:?}", names(text));
        }
    }
}
