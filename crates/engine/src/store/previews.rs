//! Short previews of reports (by external id) for lists: a cluster's representatives, a
//! search hit.

use super::{Store, StoreError};
use rusqlite::OptionalExtension;
use serde::Serialize;

/// Longest description kept in a preview, in characters.
const PREVIEW_CHARS: usize = 280;

/// A report in a list: enough to recognise it and decide whether to open it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preview {
    pub external_id: String,
    pub occurred_on: String,
    pub category: Option<String>,
    pub harm: Option<u8>,
    pub care_setting: Option<String>,
    /// The start of the description, cut at a word boundary when long.
    pub description: String,
}

pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max_chars / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// Previews of reports by external id, in the order given; unknown ids are skipped.
pub fn previews(store: &Store, external_ids: &[String]) -> Result<Vec<Preview>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare_cached(
            "SELECT external_id, occurred_on, category, harm, care_setting, description FROM incidents WHERE external_id = ?1",
        )
        .map_err(|e| store.err(e))?;
    let mut out = Vec::with_capacity(external_ids.len());
    for id in external_ids {
        let row = stmt
            .query_row([id], |r| {
                Ok(Preview {
                    external_id: r.get(0)?,
                    occurred_on: r.get(1)?,
                    category: r.get(2)?,
                    harm: r.get(3)?,
                    care_setting: r.get(4)?,
                    description: shorten(&r.get::<_, String>(5)?, PREVIEW_CHARS),
                })
            })
            .optional()
            .map_err(|e| store.err(e))?;
        out.extend(row);
    }
    Ok(out)
}

/// Previews of reports by the store's own id, in the order given; unknown ids are skipped.
pub fn previews_by_id(store: &Store, ids: &[i64]) -> Result<Vec<Preview>, StoreError> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT external_id FROM incidents WHERE id = ?1")
        .map_err(|e| store.err(e))?;
    let mut external = Vec::with_capacity(ids.len());
    for id in ids {
        external.extend(stmt.query_row([id], |r| r.get::<_, String>(0)).optional().map_err(|e| store.err(e))?);
    }
    previews(store, &external)
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn shorten_cuts_at_a_word_and_keeps_short_text() {
        assert_eq!(shorten("short text", 20), "short text");
        assert_eq!(shorten("alpha beta gamma delta", 14), "alpha beta…");
        // Multi-byte text is cut on characters, never inside one.
        assert_eq!(shorten("ééééééééééé", 4), "éééé…");
    }
}
