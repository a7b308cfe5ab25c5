//! Which source column feeds which incident field: detected from header names (plain names
//! or NRLS/LFPSE export codes such as `IN07` or `PD09`), overridable per column.

use crate::fields::Field;
use serde::Serialize;

/// Where a source column's values go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "field")]
pub enum Target {
    Field(Field),
    /// Kept in the incident's `extra` JSON object under the column name.
    Extra,
    /// Dropped.
    Ignore,
}

impl Target {
    /// Parses the right-hand side of `--map column=TARGET`.
    pub fn parse(s: &str) -> Option<Target> {
        match s.trim().to_ascii_lowercase().as_str() {
            "extra" => Some(Target::Extra),
            "ignore" | "skip" | "drop" => Some(Target::Ignore),
            other => Field::from_name(other).map(Target::Field),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Target::Field(f) => f.name(),
            Target::Extra => "extra",
            Target::Ignore => "ignore",
        }
    }
}

/// A user's `column=target` instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapOverride {
    pub column: String,
    pub target: Target,
}

impl std::str::FromStr for MapOverride {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (column, target) = s
            .rsplit_once('=')
            .ok_or_else(|| format!("'{s}' is not COLUMN=FIELD (for example IN07=description)"))?;
        let target = Target::parse(target).ok_or_else(|| {
            let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            format!(
                "unknown field '{target}' in '{s}'; fields are {}, extra, ignore",
                names.join(", ")
            )
        })?;
        if column.trim().is_empty() {
            return Err(format!("'{s}' names no column"));
        }
        Ok(MapOverride {
            column: column.trim().to_string(),
            target,
        })
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("columns {first} and {second} both look like the {field} field; say which one with --map COLUMN={field} and --map COLUMN=extra")]
    Ambiguous {
        field: &'static str,
        first: String,
        second: String,
    },
    #[error("columns {first} and {second} are both mapped to {field}")]
    Twice {
        field: &'static str,
        first: String,
        second: String,
    },
    #[error("no column for the required field '{field}'; the columns are {columns}; name one with --map COLUMN={field}")]
    MissingRequired {
        field: &'static str,
        columns: String,
    },
    #[error(
        "--map names column {column:?}, which the file does not have; the columns are {columns}"
    )]
    UnknownColumn { column: String, columns: String },
}

impl MappingError {
    /// The problem in the words of a screen where each column's field is chosen from a list
    /// (the `Display` form speaks of the CLI's `--map`).
    pub fn for_choosing(&self) -> String {
        match self {
            MappingError::Ambiguous { field, first, second } => format!(
                "columns {first} and {second} both look like the {field} field: choose which one it is, and set the other to another field, extra or leave out"
            ),
            MappingError::Twice { field, first, second } => {
                format!("columns {first} and {second} are both set to {field}: one column a field")
            }
            MappingError::MissingRequired { field, columns } => format!(
                "no column is set to the required field '{field}'; the columns are {columns}: choose the one that holds it"
            ),
            MappingError::UnknownColumn { column, columns } => {
                format!("a choice names column {column:?}, which the file does not have; the columns are {columns}")
            }
        }
    }
}

/// A header cell as an error may show it: quoted when it looks like a column name (short,
/// a few words), else only its position. A file without a header row has a report where
/// the names should be, and an error must not carry a report's text to a log or a screen.
fn shown(position: usize, name: &str) -> String {
    let words = name.split_whitespace().count();
    let plain = name.chars().all(|c| c.is_alphanumeric() || " _-./()#:&'".contains(c));
    if name.chars().count() <= 64 && words <= 8 && plain {
        format!("{name:?}")
    } else {
        format!("column {} (not shown: it does not look like a column name)", position + 1)
    }
}

/// Every column as `shown`, and a hint when one does not look like a name.
fn shown_columns(columns: &[String]) -> String {
    let listed: Vec<String> = columns.iter().enumerate().map(|(i, c)| shown(i, c)).collect();
    let hidden = listed.iter().any(|s| s.starts_with("column "));
    let hint = if hidden { " (if the first line is a report, not a header row, add a header row)" } else { "" };
    format!("{}{hint}", listed.join(", "))
}

/// Lower case, runs of anything but letters and digits turned into one `_`.
pub fn normalise_header(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// Whether a name given by the user denotes this column: exactly, or after normalising both.
pub(super) fn same_column(a: &str, b: &str) -> bool {
    a == b || normalise_header(a) == normalise_header(b)
}

/// The field a header names by itself, if any.
pub fn detect(header: &str) -> Option<Field> {
    let norm = normalise_header(header);
    let code = norm.split('_').next().unwrap_or("");
    Field::ALL
        .into_iter()
        .find(|f| f.export_codes().contains(&code))
        .or_else(|| {
            Field::ALL
                .into_iter()
                .find(|f| f.header_synonyms().contains(&norm.as_str()))
        })
}

/// The mapping of one import. Columns may be added as they are discovered (JSONL keys).
#[derive(Debug, Clone, Default)]
pub struct ColumnMapping {
    columns: Vec<String>,
    targets: Vec<Target>,
    overrides: Vec<MapOverride>,
    /// A preview's mapping: conflicts are kept in `conflicts` instead of stopping it.
    lenient: bool,
    conflicts: Vec<MappingError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MappedColumn {
    pub column: String,
    #[serde(flatten)]
    pub target: Target,
}

impl ColumnMapping {
    pub fn new(overrides: &[MapOverride]) -> Self {
        ColumnMapping {
            overrides: overrides.to_vec(),
            ..Default::default()
        }
    }

    /// As `new`, for a preview that must show every column however it is mapped: a column
    /// that would map to a field another column already feeds goes to `extra`, and the
    /// conflict is kept (`conflicts`) for the preview to show.
    pub fn lenient(overrides: &[MapOverride]) -> Self {
        ColumnMapping { lenient: true, ..ColumnMapping::new(overrides) }
    }

    /// The conflicts a lenient mapping went past, in column order.
    pub fn conflicts(&self) -> &[MappingError] {
        &self.conflicts
    }

    /// Adds a column and decides its target; returns its index.
    pub fn add_column(&mut self, name: &str) -> Result<usize, MappingError> {
        let target = self
            .overrides
            .iter()
            .find(|o| same_column(&o.column, name))
            .map(|o| o.target)
            .or_else(|| detect(name).map(Target::Field))
            .unwrap_or(Target::Extra);
        if let Target::Field(field) = target {
            if let Some(i) = self.targets.iter().position(|t| *t == target) {
                let by_user = |c: &str| self.overrides.iter().any(|o| same_column(&o.column, c));
                let twice = by_user(&self.columns[i]) && by_user(name);
                let first = shown(i, &self.columns[i]);
                let second = shown(self.columns.len(), name);
                let conflict = if twice {
                    MappingError::Twice { field: field.name(), first, second }
                } else {
                    MappingError::Ambiguous { field: field.name(), first, second }
                };
                if !self.lenient {
                    return Err(conflict);
                }
                self.conflicts.push(conflict);
                self.columns.push(name.to_string());
                self.targets.push(Target::Extra);
                return Ok(self.columns.len() - 1);
            }
        }
        self.columns.push(name.to_string());
        self.targets.push(target);
        Ok(self.columns.len() - 1)
    }

    /// Checks that what the user named exists and that required fields have a column.
    pub fn check_complete(&self) -> Result<(), MappingError> {
        let columns = shown_columns(&self.columns);
        for o in &self.overrides {
            if !self.columns.iter().any(|c| same_column(c, &o.column)) {
                return Err(MappingError::UnknownColumn {
                    column: o.column.clone(),
                    columns,
                });
            }
        }
        for field in Field::ALL.into_iter().filter(|f| f.required()) {
            if self.column_for(field).is_none() {
                return Err(MappingError::MissingRequired {
                    field: field.name(),
                    columns,
                });
            }
        }
        Ok(())
    }

    pub fn column_for(&self, field: Field) -> Option<usize> {
        self.targets.iter().position(|t| *t == Target::Field(field))
    }

    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    pub fn describe(&self) -> Vec<MappedColumn> {
        self.columns
            .iter()
            .zip(&self.targets)
            .map(|(c, t)| MappedColumn {
                column: c.clone(),
                target: *t,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(headers: &[&str], overrides: &[&str]) -> Result<ColumnMapping, MappingError> {
        let overrides: Vec<MapOverride> = overrides.iter().map(|s| s.parse().unwrap()).collect();
        let mut m = ColumnMapping::new(&overrides);
        for h in headers {
            m.add_column(h)?;
        }
        m.check_complete()?;
        Ok(m)
    }

    #[test]
    fn nrls_codes_and_plain_names_are_recognised() {
        let m = mapping(
            &[
                "RP01_report_id",
                "IN01 Incident date",
                "IN05",
                "PD09 Degree of harm",
                "IN07",
                "Care Setting",
                "ground_truth_type",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(m.column_for(Field::ExternalId), Some(0));
        assert_eq!(m.column_for(Field::OccurredOn), Some(1));
        assert_eq!(m.column_for(Field::Category), Some(2));
        assert_eq!(m.column_for(Field::Harm), Some(3));
        assert_eq!(m.column_for(Field::Description), Some(4));
        assert_eq!(m.column_for(Field::CareSetting), Some(5));
        assert_eq!(m.targets()[6], Target::Extra);
    }

    #[test]
    fn overrides_win_and_unknown_columns_are_named() {
        let m = mapping(&["when", "what", "Ref"], &["when=date", "what=description"]).unwrap();
        assert_eq!(m.column_for(Field::OccurredOn), Some(0));
        assert_eq!(m.column_for(Field::ExternalId), Some(2));
        let err = mapping(&["date", "text"], &["nope=harm"]).unwrap_err();
        assert!(matches!(err, MappingError::UnknownColumn { .. }), "{err}");
        let m = mapping(&["date", "text", "category"], &["category=ignore"]).unwrap();
        assert_eq!(m.targets()[2], Target::Ignore);
    }

    #[test]
    fn missing_and_ambiguous_columns_are_errors() {
        let err = mapping(&["date", "category"], &[]).unwrap_err();
        assert!(
            matches!(
                err,
                MappingError::MissingRequired {
                    field: "description",
                    ..
                }
            ),
            "{err}"
        );
        let err = mapping(&["date", "description", "IN07"], &[]).unwrap_err();
        assert!(
            matches!(
                err,
                MappingError::Ambiguous {
                    field: "description",
                    ..
                }
            ),
            "{err}"
        );
        assert!(mapping(&["date", "description", "IN07"], &["description=extra"]).is_ok());
    }

    #[test]
    fn override_syntax() {
        assert!("a=b=c".parse::<MapOverride>().is_err());
        let o: MapOverride = "a=b=harm".parse().unwrap();
        assert_eq!(o.column, "a=b");
        assert!("=harm".parse::<MapOverride>().is_err());
        assert!("harm".parse::<MapOverride>().is_err());
    }
}
