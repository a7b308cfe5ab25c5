//! Reviewers (local identities, picked at app start) and label schemas (versioned).

use super::ReviewError;
use crate::clock::now;
use crate::store::audit;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reviewer,
    Adjudicator,
    Analyst,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Reviewer => "reviewer",
            Role::Adjudicator => "adjudicator",
            Role::Analyst => "analyst",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Reviewer, Role::Adjudicator, Role::Analyst]
            .into_iter()
            .find(|r| r.name() == s.trim().to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reviewer {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// Adds a reviewer, or returns the existing one of that name (its role unchanged).
pub fn add_reviewer(store: &mut Store, name: &str, role: Role) -> Result<Reviewer, ReviewError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ReviewError::Invalid("a reviewer needs a name".into()));
    }
    if let Some(found) = find_reviewer(store, name)? {
        return Ok(found);
    }
    store.sync_full()?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO reviewers (name, role, created_at) VALUES (?1, ?2, ?3)",
        params![name, role.name(), now()],
    )?;
    let id = tx.last_insert_rowid();
    audit::append(
        &tx,
        name,
        "reviewer_add",
        &serde_json::json!({ "reviewer": id, "name": name, "role": role.name() }),
    )?;
    tx.commit()?;
    Ok(Reviewer {
        id,
        name: name.to_string(),
        role,
    })
}

pub fn find_reviewer(store: &Store, name: &str) -> Result<Option<Reviewer>, ReviewError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id, name, role FROM reviewers WHERE name = ?1",
            [name.trim()],
            |r| {
                Ok(Reviewer {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Reviewer),
                })
            },
        )
        .optional()?)
}

pub(crate) fn reviewer(store: &Store, name: &str) -> Result<Reviewer, ReviewError> {
    find_reviewer(store, name)?
        .ok_or_else(|| ReviewError::Invalid(format!("no reviewer named {name:?}; add them first")))
}

pub fn reviewers(store: &Store) -> Result<Vec<Reviewer>, ReviewError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, name, role FROM reviewers ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok(Reviewer {
            id: r.get(0)?,
            name: r.get(1)?,
            role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Reviewer),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LabelDef {
    pub name: String,
    #[serde(default)]
    pub guideline: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Schema {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub multi: bool,
    pub labels: Vec<LabelDef>,
}

impl Schema {
    pub fn index_of(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == label)
    }
}

/// Saves a label schema. The same name with the same labels returns the existing version;
/// different labels make the next version, so labels made under the old one keep their
/// meaning.
pub fn save_schema(
    store: &mut Store,
    name: &str,
    multi: bool,
    labels: &[LabelDef],
    author: &str,
) -> Result<Schema, ReviewError> {
    let name = name.trim();
    if name.is_empty() || labels.is_empty() {
        return Err(ReviewError::Invalid(
            "a label schema needs a name and at least one label".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for l in labels {
        if l.name.trim().is_empty() || !seen.insert(l.name.trim()) {
            return Err(ReviewError::Invalid(format!(
                "label names must be non-empty and distinct ({:?})",
                l.name
            )));
        }
    }
    let labels: Vec<LabelDef> = labels
        .iter()
        .map(|l| LabelDef {
            name: l.name.trim().into(),
            guideline: l.guideline.trim().into(),
        })
        .collect();
    if let Some(latest) = latest_schema(store, name)? {
        if latest.labels == labels && latest.multi == multi {
            return Ok(latest);
        }
    }
    let version = latest_schema(store, name)?
        .map(|s| s.version + 1)
        .unwrap_or(1);
    let json = serde_json::to_string(&labels).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    store.sync_full()?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO label_schemas (name, version, multi, labels, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![name, version, multi as i64, json, now()],
    )?;
    let id = tx.last_insert_rowid();
    audit::append(
        &tx,
        author,
        "schema_save",
        &serde_json::json!({ "schema": id, "name": name, "version": version, "labels": labels }),
    )?;
    tx.commit()?;
    Ok(Schema {
        id,
        name: name.into(),
        version,
        multi,
        labels,
    })
}

fn schema_row(r: &rusqlite::Row) -> rusqlite::Result<Schema> {
    let labels: String = r.get(4)?;
    Ok(Schema {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        multi: r.get::<_, i64>(3)? == 1,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
    })
}

pub fn latest_schema(store: &Store, name: &str) -> Result<Option<Schema>, ReviewError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT id, name, version, multi, labels FROM label_schemas WHERE name = ?1 ORDER BY version DESC LIMIT 1",
            [name.trim()],
            schema_row,
        )
        .optional()?)
}

/// The latest version of every label schema, by name.
pub fn latest_schemas(store: &Store) -> Result<Vec<Schema>, ReviewError> {
    let names: Vec<String> = store
        .conn()
        .prepare("SELECT DISTINCT name FROM label_schemas ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        out.extend(latest_schema(store, &name)?);
    }
    Ok(out)
}

pub fn schema(store: &Store, id: i64) -> Result<Schema, ReviewError> {
    store
        .conn()
        .query_row(
            "SELECT id, name, version, multi, labels FROM label_schemas WHERE id = ?1",
            [id],
            schema_row,
        )
        .optional()?
        .ok_or_else(|| ReviewError::Invalid(format!("no label schema {id}")))
}
