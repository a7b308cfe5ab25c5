//! The word lists behind name detection, compiled into the binary (no file to find at run
//! time, none to tamper with). `data/` holds them with their sources in their first lines;
//! `scripts/privacy/build_gazetteer.py` writes all but the hand-written clinical list.

use std::collections::HashSet;
use std::sync::OnceLock;

const FIRST_NAMES: &str = include_str!("data/first_names.tsv");
const SURNAMES: &str = include_str!("data/surnames.tsv");
const COMMON_WORDS: &str = include_str!("data/common_words.txt");
const EPONYMS: &str = include_str!("data/eponyms.txt");
const CLINICAL_WORDS: &str = include_str!("data/clinical_words.txt");
const PLACES: &str = include_str!("data/places.txt");

/// A name with its frequency in the population (thousandths of a per cent; 0 for the rare
/// tail), in the lists' order, most frequent first.
pub type Weighted = Vec<(&'static str, u32)>;

pub struct Gazetteer {
    first: HashSet<&'static str>,
    surnames: HashSet<&'static str>,
    common: HashSet<&'static str>,
    clinical: HashSet<&'static str>,
    eponyms: HashSet<&'static str>,
}

fn lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn weighted(text: &'static str) -> Weighted {
    lines(text)
        .filter_map(|l| {
            let (name, weight) = l.split_once('\t')?;
            Some((name, weight.parse().unwrap_or(0)))
        })
        .collect()
}

/// First names with their frequencies (US Census 1990, public domain).
pub fn first_names() -> &'static Weighted {
    static LIST: OnceLock<Weighted> = OnceLock::new();
    LIST.get_or_init(|| weighted(FIRST_NAMES))
}

/// Surnames with their frequencies (US Census 1990, public domain).
pub fn surnames() -> &'static Weighted {
    static LIST: OnceLock<Weighted> = OnceLock::new();
    LIST.get_or_init(|| weighted(SURNAMES))
}

pub fn get() -> &'static Gazetteer {
    static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
    GAZETTEER.get_or_init(|| Gazetteer {
        first: first_names().iter().map(|(n, _)| *n).collect(),
        surnames: surnames().iter().map(|(n, _)| *n).collect(),
        // A place is, like a common word, no evidence of a person on its own ("China",
        // "Florida" and "Kent" are in the first-name list).
        common: lines(COMMON_WORDS).chain(lines(PLACES)).collect(),
        clinical: lines(CLINICAL_WORDS).collect(),
        eponyms: lines(EPONYMS).collect(),
    })
}

/// What a capitalised word may be, from the lists alone (the caller lower-cases it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    pub first: bool,
    pub surname: bool,
    /// An ordinary English word too ("Will", "Brown", "Ward").
    pub common: bool,
    /// Clinical vocabulary: roles, wards, drugs, devices, eponyms, days and months.
    pub clinical: bool,
    /// A name medicine uses for a sign or disease ("Addison", "Paget"): with a possessive
    /// ("Addison's") it names the disease, not a person.
    pub eponym: bool,
}

impl Gazetteer {
    pub fn lookup(&self, lower: &str) -> Lookup {
        Lookup {
            first: self.first.contains(lower),
            surname: self.surnames.contains(lower),
            common: self.common.contains(lower),
            clinical: self.clinical.contains(lower),
            eponym: self.eponyms.contains(lower),
        }
    }
}

/// Whether a word (any case) is a name and nothing else: in a name list, not an English
/// or clinical word. How the fingerprint reads a model's vocabulary, where capitals are gone.
pub fn name_like(word: &str) -> bool {
    let lower = word.to_lowercase();
    if lower.chars().count() < 3 || !lower.chars().all(char::is_alphabetic) {
        return false;
    }
    let look = get().lookup(&lower);
    (look.first || look.surname) && !look.common && !look.clinical
}
