//! Benchmark sets that need no reviewer: the reports' own categorical fields (incident
//! category, degree of harm, care setting) as labels, the way the NHS's incident
//! language-model study (ELM4PSIR) scored its models on IN05 category and binarised PD09
//! harm. Such a set says it was derived from a field (`source = 'field'`, `derived_from`).

use super::benchmark::{content_hash, insert, next_version, Benchmark, BenchmarkHeader};
use super::benchmark::{BenchmarkItem, FORMAT};
use super::sampling::stratified;
use super::ReviewError;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchmarkField {
    /// IN05 incident category, as recorded.
    Category,
    /// PD09 degree of harm, five grades.
    Harm,
    /// PD09 binarised as ELM4PSIR did: 1-3 against 4-5 (severe harm or death).
    HarmSevere,
    /// RP02 care setting.
    CareSetting,
}

impl BenchmarkField {
    pub const ALL: [BenchmarkField; 4] = [
        BenchmarkField::Category,
        BenchmarkField::Harm,
        BenchmarkField::HarmSevere,
        BenchmarkField::CareSetting,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BenchmarkField::Category => "category",
            BenchmarkField::Harm => "harm",
            BenchmarkField::HarmSevere => "harm_severe",
            BenchmarkField::CareSetting => "care_setting",
        }
    }

    pub fn parse(s: &str) -> Result<BenchmarkField, ReviewError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                ReviewError::Invalid(format!(
                    "unknown field {s:?}; use one of category, harm, harm_severe, care_setting"
                ))
            })
    }

    fn column(self) -> &'static str {
        match self {
            BenchmarkField::Category => "category",
            BenchmarkField::Harm | BenchmarkField::HarmSevere => "CAST(harm AS TEXT)",
            BenchmarkField::CareSetting => "care_setting",
        }
    }

    /// The label a stored value gives, or None when the value says nothing.
    fn label(self, raw: &str) -> Option<String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match self {
            BenchmarkField::Category | BenchmarkField::CareSetting => Some(raw.to_string()),
            BenchmarkField::Harm => harm_name(raw).map(String::from),
            BenchmarkField::HarmSevere => match raw {
                "1" | "2" | "3" => Some(HARM_LOW.into()),
                "4" | "5" => Some(HARM_SEVERE.into()),
                _ => None,
            },
        }
    }
}

pub const HARM_LOW: &str = "no, low or moderate harm (PD09 1-3)";
pub const HARM_SEVERE: &str = "severe harm or death (PD09 4-5)";

/// PD09's grade names.
pub fn harm_name(grade: &str) -> Option<&'static str> {
    Some(match grade {
        "1" => "1 no harm",
        "2" => "2 low harm",
        "3" => "3 moderate harm",
        "4" => "4 severe harm",
        "5" => "5 death",
        _ => return None,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldBenchmarkSpec {
    pub field: BenchmarkField,
    /// At most this many reports, sampled stratified by label (all when None).
    pub limit: Option<usize>,
    /// Labels with fewer reports than this are left out: cross-validation and
    /// per-label scores need a few of each.
    pub min_per_label: usize,
    pub seed: u64,
}

impl FieldBenchmarkSpec {
    pub fn new(field: BenchmarkField) -> Self {
        FieldBenchmarkSpec {
            field,
            limit: Some(5000),
            min_per_label: 10,
            seed: crate::DEFAULT_SEED,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldBenchmark {
    pub benchmark: Benchmark,
    /// Reports with no value in the field.
    pub without_value: usize,
    /// Labels left out as too rare, with their report counts.
    pub rare_labels: Vec<(String, usize)>,
}

/// Stores the field's values as the next version of benchmark `name`.
pub fn derive_from_field(
    store: &mut Store,
    name: &str,
    spec: &FieldBenchmarkSpec,
    author: &str,
) -> Result<FieldBenchmark, ReviewError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ReviewError::Invalid("a benchmark needs a name".into()));
    }
    let sql = format!(
        "SELECT id, external_id, {} FROM incidents ORDER BY id",
        spec.field.column()
    );
    let mut by_label: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    let mut without_value = 0;
    {
        let mut stmt = store.conn().prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let raw: Option<String> = r.get(2)?;
            match raw.as_deref().and_then(|v| spec.field.label(v)) {
                Some(label) => by_label
                    .entry(label)
                    .or_default()
                    .push((r.get(0)?, r.get(1)?)),
                None => without_value += 1,
            }
        }
    }
    let mut rare_labels = Vec::new();
    by_label.retain(|label, members| {
        let keep = members.len() >= spec.min_per_label.max(1);
        if !keep {
            rare_labels.push((label.clone(), members.len()));
        }
        keep
    });
    if by_label.len() < 2 {
        return Err(ReviewError::Invalid(format!(
            "field {} gives {} label(s) with at least {} reports; a benchmark needs two or more",
            spec.field.name(),
            by_label.len(),
            spec.min_per_label
        )));
    }
    let labels: Vec<String> = by_label.keys().cloned().collect();
    // Strata keyed by label index so the sampler's stratum order is the label order.
    let strata: BTreeMap<i64, Vec<i64>> = by_label
        .values()
        .enumerate()
        .map(|(i, members)| (i as i64, members.iter().map(|m| m.0).collect()))
        .collect();
    let total: usize = strata.values().map(Vec::len).sum();
    let chosen: std::collections::HashSet<i64> =
        stratified(&strata, spec.limit.unwrap_or(total).min(total), spec.seed)
            .into_iter()
            .collect();
    let mut items: Vec<BenchmarkItem> = by_label
        .iter()
        .flat_map(|(label, members)| {
            members
                .iter()
                .filter(|(id, _)| chosen.contains(id))
                .map(move |(_, ext)| BenchmarkItem {
                    external_id: ext.clone(),
                    labels: vec![label.clone()],
                    reviewers: Vec::new(),
                    agreement: None,
                })
        })
        .collect();
    items.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let content_sha256 = content_hash(&labels, false, &items);
    // Deriving again from unchanged reports gives the same set: keep the stored version.
    if let Ok(latest) = super::benchmark::load_benchmark(store, name, None) {
        if latest.header.content_sha256 == content_sha256
            && latest.header.derived_from.as_deref() == Some(spec.field.name())
        {
            return Ok(FieldBenchmark {
                benchmark: latest,
                without_value,
                rare_labels,
            });
        }
    }
    let header = BenchmarkHeader {
        format: FORMAT.into(),
        name: name.into(),
        version: next_version(store, name)?,
        source: "field".into(),
        derived_from: Some(spec.field.name().into()),
        content_sha256,
        labels,
        multi: false,
        items: items.len(),
    };
    let id = insert(store, &header, None, &items, author)?;
    Ok(FieldBenchmark {
        benchmark: Benchmark {
            id,
            header,
            items,
            unresolved: 0,
        },
        without_value,
        rare_labels,
    })
}
