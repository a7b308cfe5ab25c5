//! The incident fields the store knows, and how their values are read from source text:
//! NRLS degree of harm (PD09), incident dates, and the NRLS category list (IN05).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// A column of the incident table that a source column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    OccurredOn,
    Description,
    Causes,
    Actions,
    Category,
    Harm,
    CareSetting,
    Specialty,
    Location,
    /// The date the report was made, when the source has it (an incident may be reported
    /// days or weeks after it occurred).
    ReportedOn,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::ExternalId,
        Field::OccurredOn,
        Field::Description,
        Field::Causes,
        Field::Actions,
        Field::Category,
        Field::Harm,
        Field::CareSetting,
        Field::Specialty,
        Field::Location,
        Field::ReportedOn,
    ];

    /// The name used in `--map column=NAME` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::ExternalId => "id",
            Field::OccurredOn => "date",
            Field::Description => "description",
            Field::Causes => "causes",
            Field::Actions => "actions",
            Field::Category => "category",
            Field::Harm => "harm",
            Field::CareSetting => "care_setting",
            Field::Specialty => "specialty",
            Field::Location => "location",
            Field::ReportedOn => "reported",
        }
    }

    /// How a person reads the field, with the NRLS export code it has one.
    pub fn label(self) -> &'static str {
        match self {
            Field::ExternalId => "Report id (RP01)",
            Field::OccurredOn => "Incident date (IN01)",
            Field::Description => "What happened (IN07)",
            Field::Causes => "Causes (IN11)",
            Field::Actions => "Actions taken (IN10)",
            Field::Category => "Incident category (IN05)",
            Field::Harm => "Degree of harm (PD09)",
            Field::CareSetting => "Care setting (RP02)",
            Field::Specialty => "Specialty (PD05)",
            Field::Location => "Location (IN03)",
            Field::ReportedOn => "Date reported",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        Field::ALL
            .into_iter()
            .find(|f| f.name() == n)
            .or(match n.as_str() {
                "external_id" => Some(Field::ExternalId),
                "occurred_on" => Some(Field::OccurredOn),
                "text" => Some(Field::Description),
                "speciality" => Some(Field::Specialty),
                "reported_on" | "reported_date" => Some(Field::ReportedOn),
                _ => None,
            })
    }

    /// NRLS (and LFPSE) export codes that name this field in a header.
    pub fn export_codes(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &["rp01"],
            Field::OccurredOn => &["in01"],
            Field::Description => &["in07", "f001"],
            Field::Causes => &["in11"],
            Field::Actions => &["in10", "ac001"],
            Field::Category => &["in05"],
            Field::Harm => &["pd09"],
            Field::CareSetting => &["rp02"],
            Field::Specialty => &["pd05"],
            Field::Location => &["in03"],
            Field::ReportedOn => &[],
        }
    }

    /// Plain header names (normalised: lower case, words joined by `_`) that mean this field.
    pub fn header_synonyms(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &[
                "id",
                "incident_id",
                "report_id",
                "external_id",
                "reference",
                "ref",
                "incident_reference",
                "incident_ref",
                "incident_number",
                "report_number",
                "local_id",
            ],
            Field::OccurredOn => &[
                "date",
                "incident_date",
                "date_of_incident",
                "occurred",
                "occurred_on",
                "occurred_at",
                "event_date",
                "incident_occurred",
            ],
            Field::Description => &[
                "description",
                "incident_description",
                "description_of_what_happened",
                "what_happened",
                "free_text",
                "text",
                "narrative",
                "details",
                "incident_details",
                "summary",
            ],
            Field::Causes => &[
                "apparent_causes",
                "causes",
                "cause",
                "contributory_factors",
                "root_cause",
            ],
            Field::Actions => &[
                "actions",
                "action_taken",
                "actions_taken",
                "actions_preventing_reoccurrence",
                "immediate_actions",
                "immediate_action",
            ],
            Field::Category => &["category", "incident_category", "incident_type_category"],
            Field::Harm => &[
                "harm",
                "degree_of_harm",
                "harm_level",
                "harm_grade",
                "severity",
                "level_of_harm",
            ],
            Field::CareSetting => &[
                "care_setting",
                "setting",
                "service_setting",
                "setting_of_care",
            ],
            Field::Specialty => &["specialty", "speciality", "clinical_specialty"],
            Field::Location => &["location", "incident_location", "location_of_incident"],
            Field::ReportedOn => &[
                "reported",
                "reported_on",
                "reported_date",
                "date_reported",
                "report_date",
                "date_of_report",
                "reported_at",
                "submitted_on",
                "date_submitted",
                "submission_date",
            ],
        }
    }

    /// Whether a row without this field is invalid.
    pub fn required(self) -> bool {
        matches!(self, Field::OccurredOn | Field::Description)
    }
}

/// NRLS PD09 degree of harm.
pub const HARM_LEVELS: [&str; 5] = ["No harm", "Low", "Moderate", "Severe", "Death"];

/// Reads a PD09 value: `1`..`5`, optionally followed by its text (`"2 - Low harm"`), or the
/// text alone (`"moderate"`, `"No Harm"`).
pub fn parse_harm(raw: &str) -> Option<u8> {
    let s = raw.trim().to_ascii_lowercase();
    let first = s.chars().next()?;
    if let Some(d) = first.to_digit(10) {
        let rest = &s[1..];
        let rest_ok =
            rest.is_empty() || rest.starts_with(|c: char| !c.is_ascii_digit() && c != '.');
        return ((1..=5).contains(&d) && rest_ok).then_some(d as u8);
    }
    let words = s.replace(['-', '_'], " ");
    let words = words.trim_end_matches(" harm").trim();
    match words {
        "no" | "none" | "no harm" | "nil" => Some(1),
        "low" | "minor" => Some(2),
        "moderate" => Some(3),
        "severe" | "major" => Some(4),
        "death" | "catastrophic" | "catastrophic / death" | "catastrophic death" => Some(5),
        _ => None,
    }
}

/// Reads an incident date. ISO dates (with or without a time) come first; slashed and dotted
/// dates are read day-first, as in NHS exports. Returns the date as `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    const DATE_FORMATS: [&str; 6] = [
        "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y",
    ];
    const DATETIME_FORMATS: [&str; 6] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ];
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(d);
        }
    }
    // RFC 3339 with an offset: the calendar date where it was recorded is the incident date.
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.date_naive());
    }
    DATETIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok().map(|dt| dt.date()))
}

/// The 15 NRLS incident categories (IN05 level 1), as they appear in exports.
pub const NRLS_CATEGORIES: [&str; 15] = [
    "Access, admission, transfer, discharge (including missing patient)",
    "Clinical assessment (including diagnosis, scans, tests, assessments)",
    "Consent, communication, confidentiality",
    "Disruptive, aggressive behaviour (includes patient-to-patient)",
    "Documentation (including electronic & paper records, identification and drug charts)",
    "Implementation of care and ongoing monitoring / review",
    "Infection control incident",
    "Infrastructure (including staffing, facilities, environment)",
    "Medical device / equipment",
    "Medication",
    "Patient abuse (by staff / third party)",
    "Patient accident",
    "Self-harming behaviour",
    "Treatment, procedure",
    "Other",
];

/// Field filters; an empty list or `None` leaves that field unfiltered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Filter {
    /// Inclusive ISO dates (`YYYY-MM-DD`).
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    /// NRLS PD09 levels 1..5.
    pub harm: Vec<u8>,
    pub care_setting: Vec<String>,
    pub category: Vec<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self == &Filter::default()
    }

    /// Whether a report with these fields passes (dates are ISO, so they compare as text).
    pub fn matches(
        &self,
        date: &str,
        harm: Option<u8>,
        care_setting: Option<&str>,
        category: Option<&str>,
    ) -> bool {
        let listed = |wanted: &[String], value: Option<&str>| {
            wanted.is_empty() || value.is_some_and(|v| wanted.iter().any(|w| w == v))
        };
        self.date_from.as_deref().is_none_or(|from| date >= from)
            && self.date_to.as_deref().is_none_or(|to| date <= to)
            && (self.harm.is_empty() || harm.is_some_and(|h| self.harm.contains(&h)))
            && listed(&self.care_setting, care_setting)
            && listed(&self.category, category)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harm_accepts_codes_and_words() {
        assert_eq!(parse_harm("1"), Some(1));
        assert_eq!(parse_harm(" 5 "), Some(5));
        assert_eq!(parse_harm("2 - Low harm"), Some(2));
        assert_eq!(parse_harm("No Harm"), Some(1));
        assert_eq!(parse_harm("moderate harm"), Some(3));
        assert_eq!(parse_harm("Severe"), Some(4));
        assert_eq!(parse_harm("death"), Some(5));
        assert_eq!(parse_harm("6"), None);
        assert_eq!(parse_harm("12"), None);
        assert_eq!(parse_harm("2.5"), None);
        assert_eq!(parse_harm("bad"), None);
        assert_eq!(parse_harm(""), None);
    }

    #[test]
    fn dates_iso_and_day_first() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("2024-03-07"), d(2024, 3, 7));
        assert_eq!(parse_date("07/03/2024"), d(2024, 3, 7));
        assert_eq!(parse_date("7.3.2024"), d(2024, 3, 7));
        assert_eq!(parse_date("2024-03-07T23:10:00"), d(2024, 3, 7));
        assert_eq!(parse_date("2024-03-07 08:15"), d(2024, 3, 7));
        assert_eq!(parse_date("2024-03-07T23:10:00+01:00"), d(2024, 3, 7));
        assert_eq!(parse_date("07/03/2024 14:20"), d(2024, 3, 7));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("31/31/2024"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
        }
        assert_eq!(Field::from_name("Speciality"), Some(Field::Specialty));
    }
}
