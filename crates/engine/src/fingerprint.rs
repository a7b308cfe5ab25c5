//! A dataset's privacy fingerprint: what personal data its text holds (per kind and per
//! field, and how many reports hold any), how identifiable its reports are from their
//! structured fields (k-anonymity over the quasi-identifiers: incident date, care setting,
//! specialty, location, and age or sex when the source had such columns), and which words in
//! the vocabularies of models trained on it look like names. What an analyst reads before a
//! model or an export leaves the project.

use crate::encode::registry;
use crate::jobs::{CancelToken, NoProgress, Progress};
use crate::privacy::{Kind, Rules};
use crate::store::{privacy_rules, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The rarest combinations listed, and the name-like words listed per model.
pub const LISTED: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KindCount {
    pub kind: Kind,
    /// Spans found.
    pub spans: u64,
    /// Reports with at least one.
    pub reports: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldCount {
    pub field: String,
    pub kinds: Vec<KindCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Combination {
    /// One value per quasi-identifier, in `QuasiIdentifiers::columns` order ("" when empty).
    pub values: Vec<String>,
    pub reports: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuasiIdentifiers {
    pub columns: Vec<String>,
    /// Reports alone in their combination (k = 1), in one of 2 to 4 (k < 5), in one of 5 to 10.
    pub unique: u64,
    pub below_5: u64,
    pub below_11: u64,
    /// The smallest k any report has (0 with no reports).
    pub smallest_k: u64,
    pub combinations: u64,
    /// The rarest combinations, fewest reports first.
    pub rarest: Vec<Combination>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelVocabulary {
    pub model: String,
    /// Words in the vocabulary, or None when it was not built from the reports (a transformer
    /// keeps its base model's vocabulary).
    pub words: Option<u64>,
    pub name_like: u64,
    /// The most frequent name-like words, up to `LISTED`.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Fingerprint {
    pub reports: u64,
    pub reports_with_identifier: u64,
    pub per_kind: Vec<KindCount>,
    pub per_field: Vec<FieldCount>,
    pub quasi_identifiers: QuasiIdentifiers,
    pub models: Vec<ModelVocabulary>,
}

/// Why a fingerprint could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum FingerprintError {
    #[error(transparent)]
    Rules(#[from] privacy_rules::PrivacyRulesError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fingerprint cancelled")]
    Cancelled,
}

/// Reports read between two progress updates and cancellation checks.
const STEP: u64 = 1024;

/// Columns of `extra` (the source's own columns) that identify a patient with the others.
fn is_quasi_extra(key: &str) -> bool {
    let k = key.to_lowercase();
    ["age", "sex", "gender", "ethnic", "birth"].iter().any(|w| k.split(|c: char| !c.is_alphanumeric()).any(|part| part.starts_with(w)))
}

/// The whole fingerprint of the project's reports and models.
pub fn fingerprint(store: &Store) -> Result<Fingerprint, FingerprintError> {
    fingerprint_with(store, &NoProgress, &CancelToken::new())
}

/// As `fingerprint`, as a job: progress in reports read, cancellable between reports (it
/// writes nothing, so a cancelled fingerprint leaves nothing behind).
pub fn fingerprint_with(store: &Store, progress: &dyn Progress, cancel: &CancelToken) -> Result<Fingerprint, FingerprintError> {
    let rules = privacy_rules::rules(store)?;
    progress.set_phase("reading reports");
    progress.set_total(store.incident_count()?);
    let mut fp = scan_reports(store, &rules, progress, cancel)?;
    progress.set_phase("reading model vocabularies");
    fp.models = model_vocabularies(store.dir());
    Ok(fp)
}

fn scan_reports(store: &Store, rules: &Rules, progress: &dyn Progress, cancel: &CancelToken) -> Result<Fingerprint, FingerprintError> {
    const FIELDS: [&str; 3] = ["description", "causes", "actions"];
    let mut per_kind: BTreeMap<Kind, KindCount> = BTreeMap::new();
    let mut per_field: Vec<BTreeMap<Kind, KindCount>> = vec![BTreeMap::new(); FIELDS.len()];
    let mut groups: HashMap<Vec<String>, u64> = HashMap::new();
    let conn = store.conn();
    // The source's own quasi-identifier columns, known before the pass, so each report is
    // counted into its group as it is read (nothing per report is kept).
    let mut keys = conn.prepare("SELECT DISTINCT j.key FROM incidents, json_each(incidents.extra) j ORDER BY j.key").map_err(|e| store.err(e))?;
    let extra_keys: Vec<String> = keys
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| store.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| store.err(e))?
        .into_iter()
        .filter(|k| is_quasi_extra(k))
        .collect();
    let (mut reports, mut with_identifier) = (0u64, 0u64);
    let mut stmt = conn
        .prepare("SELECT description, causes, actions, occurred_on, care_setting, specialty, location, extra FROM incidents ORDER BY id")
        .map_err(|e| store.err(e))?;
    let mut cursor = stmt.query([]).map_err(|e| store.err(e))?;
    while let Some(row) = cursor.next().map_err(|e| store.err(e))? {
        // Checked on the first report too, so a job cancelled before it began stops at once.
        if reports % STEP == 0 {
            if cancel.is_cancelled() {
                return Err(FingerprintError::Cancelled);
            }
            progress.set_position(reports);
        }
        reports += 1;
        let mut kinds_in_report: Vec<Kind> = Vec::new();
        for f in 0..FIELDS.len() {
            let text: Option<String> = row.get(f).map_err(|e| store.err(e))?;
            let Some(text) = text else { continue };
            let spans = rules.detect(&text);
            let mut kinds_in_field: Vec<Kind> = Vec::new();
            for s in &spans {
                per_field[f].entry(s.kind).or_insert_with(|| KindCount { kind: s.kind, spans: 0, reports: 0 }).spans += 1;
                per_kind.entry(s.kind).or_insert_with(|| KindCount { kind: s.kind, spans: 0, reports: 0 }).spans += 1;
                if !kinds_in_field.contains(&s.kind) {
                    kinds_in_field.push(s.kind);
                }
            }
            for k in kinds_in_field {
                if let Some(c) = per_field[f].get_mut(&k) {
                    c.reports += 1;
                }
                if !kinds_in_report.contains(&k) {
                    kinds_in_report.push(k);
                }
            }
        }
        for k in &kinds_in_report {
            if let Some(c) = per_kind.get_mut(k) {
                c.reports += 1;
            }
        }
        if !kinds_in_report.is_empty() {
            with_identifier += 1;
        }
        let mut key: Vec<String> = (3..7).map(|i| row.get::<_, Option<String>>(i).map(Option::unwrap_or_default)).collect::<Result<_, _>>().map_err(|e| store.err(e))?;
        if !extra_keys.is_empty() {
            let extra: String = row.get(7).map_err(|e| store.err(e))?;
            let extra: BTreeMap<String, serde_json::Value> = serde_json::from_str(&extra).unwrap_or_default();
            key.extend(extra_keys.iter().map(|k| match extra.get(k) {
                Some(serde_json::Value::String(v)) => v.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            }));
        }
        *groups.entry(key).or_insert(0) += 1;
    }
    progress.set_position(reports);
    let mut columns: Vec<String> = ["incident date", "care setting", "specialty", "location"].map(String::from).to_vec();
    columns.extend(extra_keys);
    let mut quasi = QuasiIdentifiers { columns, combinations: groups.len() as u64, ..Default::default() };
    for &k in groups.values() {
        match k {
            1 => quasi.unique += 1,
            2..=4 => quasi.below_5 += k,
            5..=10 => quasi.below_11 += k,
            _ => {}
        }
    }
    quasi.smallest_k = groups.values().copied().min().unwrap_or(0);
    let mut rarest: Vec<Combination> = groups.into_iter().map(|(values, reports)| Combination { values, reports }).collect();
    rarest.sort_by(|a, b| a.reports.cmp(&b.reports).then_with(|| a.values.cmp(&b.values)));
    rarest.truncate(LISTED);
    quasi.rarest = rarest;
    Ok(Fingerprint {
        reports,
        reports_with_identifier: with_identifier,
        per_kind: per_kind.into_values().collect(),
        per_field: FIELDS
            .iter()
            .zip(per_field)
            .map(|(field, kinds)| FieldCount { field: field.to_string(), kinds: kinds.into_values().collect() })
            .collect(),
        quasi_identifiers: quasi,
        models: Vec::new(),
    })
}

/// The name-like words in the vocabularies of the models trained in this project.
fn model_vocabularies(project: &Path) -> Vec<ModelVocabulary> {
    let dir = registry::project_models_dir(project);
    let mut out = Vec::new();
    for (name, folder) in registry::installed_in(&[dir]) {
        let vocabulary = folder.join("vocabulary.json");
        let words: Option<Vec<(String, u64)>> = std::fs::read_to_string(&vocabulary).ok().and_then(|t| serde_json::from_str(&t).ok());
        let Some(mut words) = words else {
            out.push(ModelVocabulary { model: name, words: None, name_like: 0, examples: Vec::new() });
            continue;
        };
        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total = words.len() as u64;
        let name_like: Vec<String> = words.into_iter().map(|(w, _)| w).filter(|w| crate::privacy::name_like(w)).collect();
        out.push(ModelVocabulary {
            model: name,
            words: Some(total),
            name_like: name_like.len() as u64,
            examples: name_like.into_iter().take(LISTED).collect(),
        });
    }
    out
}
