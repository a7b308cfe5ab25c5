//! Turns a source row into a storable incident, or into the list of what is wrong with it.

use super::mapping::{ColumnMapping, Target};
use super::report::Problem;
use super::source::{ShapeProblem, SourceRow};
use crate::fields::{parse_date, parse_harm, Field};
use crate::store::IncidentRow;
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

/// Limits a row must keep.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub max_field_bytes: usize,
    /// Dates after this are reported as in the future.
    pub latest_date: NaiveDate,
    pub earliest_date: NaiveDate,
    /// Keep cells with invalid UTF-8 (bad bytes replaced by U+FFFD) instead of rejecting the row.
    pub repair_utf8: bool,
}

pub(crate) struct Validated {
    pub row: Result<IncidentRow, Vec<Problem>>,
    /// Columns whose bytes were not valid UTF-8 (decoded with U+FFFD).
    pub lossy_columns: Vec<String>,
    /// The external id as read, for reports, even when the row is bad.
    pub external_id: Option<String>,
}

fn problem(column: &str, reason: impl Into<String>) -> Problem {
    Problem {
        column: Some(column.to_string()),
        reason: reason.into(),
    }
}

/// A cell's text as the store keeps it; None when nothing is left (the field is absent).
/// What encoders outside the store apply to raw fields to feed the model the same text.
pub fn stored_text(raw: &str) -> Option<String> {
    Some(clean(raw)).filter(|t| !t.is_empty())
}

/// Text as stored: surrounding white space trimmed, line endings as `\n`.
fn clean(text: &str) -> String {
    let t = text.trim();
    if t.contains('\r') {
        t.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        t.to_string()
    }
}

/// A row's cells by incident field, the unmapped columns kept as extra fields.
type Values = [Option<String>; Field::ALL.len()];

pub(crate) fn validate(row: &SourceRow, mapping: &ColumnMapping, rules: &Rules) -> Validated {
    let mut problems = Vec::new();
    match &row.shape {
        Some(ShapeProblem::ColumnCount { expected, found }) => problems.push(Problem {
            column: None,
            reason: format!("has {found} fields, the header has {expected}"),
        }),
        Some(ShapeProblem::NotJsonObject(reason)) => {
            return Validated {
                row: Err(vec![Problem {
                    column: None,
                    reason: reason.clone(),
                }]),
                lossy_columns: Vec::new(),
                external_id: None,
            }
        }
        None => {}
    }
    let (mut values, extra, lossy_columns) = read_cells(row, mapping, rules, &mut problems);
    let column_name = |field: Field| {
        mapping
            .column_for(field)
            .map(|i| mapping.columns()[i].as_str())
            .unwrap_or(field.name())
    };
    let external_id = values[Field::ExternalId as usize].clone();
    if mapping.column_for(Field::ExternalId).is_some() && external_id.is_none() {
        push_unless_reported(
            &mut problems,
            column_name(Field::ExternalId),
            "is empty; every row needs an id",
        );
    }
    for field in Field::ALL.into_iter().filter(|f| f.required()) {
        if values[field as usize].is_none() {
            push_unless_reported(&mut problems, column_name(field), "is empty");
        }
    }
    let occurred_on = values[Field::OccurredOn as usize]
        .take()
        .and_then(|raw| stored_date(&raw, rules).map_err(|why| problems.push(problem(column_name(Field::OccurredOn), why))).ok());
    let reported_on = values[Field::ReportedOn as usize].take().and_then(|raw| {
        stored_date(&raw, rules).map_err(|why| problems.push(problem(column_name(Field::ReportedOn), why))).ok()
    });
    // ISO dates compare as text.
    if let (Some(occurred), Some(reported)) = (&occurred_on, &reported_on) {
        if reported < occurred {
            problems.push(problem(
                column_name(Field::ReportedOn),
                "is before the incident date: a report cannot come before its incident",
            ));
        }
    }
    let harm = values[Field::Harm as usize].take().and_then(|raw| {
        let harm = parse_harm(&raw);
        if harm.is_none() {
            problems.push(problem(
                column_name(Field::Harm),
                format!("is not a degree of harm (1-5, or no harm/low/moderate/severe/death; {} characters)", raw.chars().count()),
            ));
        }
        harm
    });
    let row = if problems.is_empty() {
        Ok(incident(values, extra, occurred_on.unwrap_or_default(), reported_on, harm))
    } else {
        Err(problems)
    };
    Validated { row, lossy_columns, external_id }
}

/// The row's cells by field (trimmed, line endings as `\n`, empty ones left out), its
/// unmapped columns as extra fields, and the columns whose bytes were not valid UTF-8.
/// A cell that breaks a rule is reported and left out.
fn read_cells(
    row: &SourceRow,
    mapping: &ColumnMapping,
    rules: &Rules,
    problems: &mut Vec<Problem>,
) -> (Values, serde_json::Map<String, serde_json::Value>, Vec<String>) {
    let columns = mapping.columns();
    let targets = mapping.targets();
    let mut values: Values = Default::default();
    let mut extra = serde_json::Map::new();
    let mut lossy_columns = Vec::new();
    for (index, cell) in row.cells.iter().enumerate() {
        let Some(cell) = cell else { continue };
        let (Some(column), Some(target)) = (columns.get(index), targets.get(index)) else {
            continue;
        };
        if *target == Target::Ignore {
            continue;
        }
        if let Some(at) = cell.invalid_utf8_at {
            if rules.repair_utf8 {
                lossy_columns.push(column.clone());
            } else {
                problems.push(problem(
                    column,
                    format!("invalid UTF-8 at byte {at} (--repair-utf8 keeps it with the bad bytes replaced)"),
                ));
                continue;
            }
        }
        if cell.text.len() > rules.max_field_bytes {
            problems.push(problem(
                column,
                format!(
                    "value is {} bytes, longer than the limit of {} bytes",
                    cell.text.len(),
                    rules.max_field_bytes
                ),
            ));
            continue;
        }
        if cell.text.contains('\0') {
            problems.push(problem(column, "contains a NUL byte"));
            continue;
        }
        let text = clean(&cell.text);
        if text.is_empty() {
            continue;
        }
        match target {
            Target::Field(field) => values[*field as usize] = Some(text),
            Target::Extra => {
                extra.insert(column.clone(), serde_json::Value::String(text));
            }
            Target::Ignore => {}
        }
    }
    (values, extra, lossy_columns)
}

/// The date as stored (`YYYY-MM-DD`), or why it cannot be. Reasons never quote the value:
/// they reach terminals, logs and job lists, and a cell may hold anything.
fn stored_date(raw: &str, rules: &Rules) -> Result<String, String> {
    match parse_date(raw) {
        Some(d) if d > rules.latest_date => Err("is a date in the future".to_string()),
        Some(d) if d < rules.earliest_date => {
            Err(format!("is a date before {}", rules.earliest_date))
        }
        Some(d) => Ok(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())),
        None => Err(format!(
            "is not a date (expected YYYY-MM-DD or DD/MM/YYYY; {} characters)",
            raw.chars().count()
        )),
    }
}

/// The incident a valid row stores, with its content hash; without an id column,
/// identical content is the identity, so re-sending a report is still a duplicate rather
/// than a second incident.
fn incident(
    mut values: Values,
    extra: serde_json::Map<String, serde_json::Value>,
    occurred_on: String,
    reported_on: Option<String>,
    harm: Option<u8>,
) -> IncidentRow {
    let mut take = |field: Field| values[field as usize].take();
    let mut incident = IncidentRow {
        external_id: String::new(),
        occurred_on,
        description: take(Field::Description).unwrap_or_default(),
        causes: take(Field::Causes),
        actions: take(Field::Actions),
        category: take(Field::Category),
        harm,
        care_setting: take(Field::CareSetting),
        specialty: take(Field::Specialty),
        location: take(Field::Location),
        extra: serde_json::Value::Object(extra).to_string(),
        reported_on,
        content_sha256: [0; 32],
    };
    incident.content_sha256 = content_hash(&incident);
    incident.external_id = match take(Field::ExternalId) {
        Some(id) => id,
        None => format!(
            "sha256:{}",
            crate::digest::hex(&incident.content_sha256[..12])
        ),
    };
    incident
}

fn push_unless_reported(problems: &mut Vec<Problem>, column: &str, reason: &str) {
    if !problems.iter().any(|p| p.column.as_deref() == Some(column)) {
        problems.push(problem(column, reason));
    }
}

fn content_hash(i: &IncidentRow) -> [u8; 32] {
    let mut h = Sha256::new();
    let harm = i.harm.map(|h| h.to_string());
    for part in [
        Some(&i.occurred_on),
        Some(&i.description),
        i.causes.as_ref(),
        i.actions.as_ref(),
        i.category.as_ref(),
        harm.as_ref(),
        i.care_setting.as_ref(),
        i.specialty.as_ref(),
        i.location.as_ref(),
        Some(&i.extra),
    ] {
        match part {
            Some(s) => {
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(u64::MAX.to_le_bytes()),
        }
    }
    // Hashed only when present, so a report from a source without reporting dates keeps
    // the hash it had before the store knew them (a re-sent file is still a duplicate).
    if let Some(reported) = &i.reported_on {
        h.update(b"reported_on");
        h.update(reported.as_bytes());
    }
    h.finalize().into()
}
