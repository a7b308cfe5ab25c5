//! Benchmark sets: a session's final labels frozen under a name and version, with a
//! content hash over the label set and every item. Export as JSONL or CSV (report text
//! left out, in full, or masked) and import back: the hash proves the round trip lossless.

use super::labels::final_labels;
use super::session::load_session;
use super::ReviewError;
use crate::clock::now;
use crate::store::audit;
use crate::digest::hex;
use crate::store::Store;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::{BufRead, Write};
use std::path::Path;

pub const FORMAT: &str = "incident-atlas-benchmark/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkItem {
    pub external_id: String,
    pub labels: Vec<String>,
    pub reviewers: Vec<String>,
    pub agreement: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BenchmarkHeader {
    pub format: String,
    pub name: String,
    pub version: i64,
    /// reviewers, field or import.
    pub source: String,
    /// For a field-derived set: the field its labels come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<String>,
    pub labels: Vec<String>,
    pub multi: bool,
    pub content_sha256: String,
    pub items: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Benchmark {
    pub id: i64,
    pub header: BenchmarkHeader,
    pub items: Vec<BenchmarkItem>,
    /// Reports of the session left out because they were unresolved when frozen.
    pub unresolved: usize,
}

/// SHA-256 over a canonical form: the label set in order, whether multi-label, then the
/// items sorted by id, each with its labels, reviewers (sorted) and agreement to 6 places.
/// Name and version are not content: the same labels under another name hash the same.
pub fn content_hash(labels: &[String], multi: bool, items: &[BenchmarkItem]) -> String {
    let mut sorted: Vec<&BenchmarkItem> = items.iter().collect();
    sorted.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(FORMAT);
    put(if multi { "multi" } else { "single" });
    put(&labels.len().to_string());
    labels.iter().for_each(|l| put(l));
    for item in sorted {
        let mut reviewers = item.reviewers.clone();
        reviewers.sort();
        put(&item.external_id);
        put(&item.labels.join("\u{1f}"));
        put(&reviewers.join("\u{1f}"));
        put(&item
            .agreement
            .map(|a| format!("{a:.6}"))
            .unwrap_or_default());
    }
    hex(&h.finalize())
}

pub(super) fn next_version(store: &Store, name: &str) -> Result<i64, ReviewError> {
    Ok(store.conn().query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM benchmark_sets WHERE name = ?1",
        [name],
        |r| r.get(0),
    )?)
}

pub(super) fn insert(
    store: &mut Store,
    header: &BenchmarkHeader,
    session: Option<i64>,
    items: &[BenchmarkItem],
    author: &str,
) -> Result<i64, ReviewError> {
    store.sync_full()?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "INSERT INTO benchmark_sets (name, version, source, session_id, labels, multi, content_sha256, created_by, created_at, derived_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            header.name,
            header.version,
            header.source,
            session,
            serde_json::to_string(&header.labels).unwrap_or_default(),
            header.multi as i64,
            header.content_sha256,
            author,
            now(),
            header.derived_from
        ],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut stmt = tx.prepare("INSERT INTO benchmark_items (set_id, external_id, labels, reviewers, agreement) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for item in items {
            stmt.execute(params![
                id,
                item.external_id,
                serde_json::to_string(&item.labels).unwrap_or_default(),
                serde_json::to_string(&item.reviewers).unwrap_or_default(),
                item.agreement
            ])?;
        }
    }
    audit::append(
        &tx,
        author,
        "benchmark_save",
        &serde_json::json!({ "benchmark": id, "name": header.name, "version": header.version, "source": header.source, "items": items.len(), "content_sha256": header.content_sha256 }),
    )?;
    tx.commit()?;
    Ok(id)
}

/// Freezes the session's resolved final labels as the next version of `name`.
pub fn freeze_session(
    store: &mut Store,
    session_id: i64,
    name: &str,
    author: &str,
) -> Result<Benchmark, ReviewError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ReviewError::Invalid("a benchmark needs a name".into()));
    }
    let session = load_session(store, session_id)?;
    let finals = final_labels(store, session_id)?;
    let mut items = Vec::new();
    let mut unresolved = 0;
    for f in finals {
        match f.resolved {
            Some(labels) => {
                let agreeing = f.coded.iter().filter(|(_, v)| *v == labels).count();
                let mut reviewers: Vec<String> = f.coded.iter().map(|(r, _)| r.clone()).collect();
                reviewers.sort();
                items.push(BenchmarkItem {
                    external_id: f.external_id,
                    agreement: (!f.coded.is_empty())
                        .then(|| agreeing as f64 / f.coded.len() as f64),
                    labels,
                    reviewers,
                });
            }
            None => unresolved += 1,
        }
    }
    if items.is_empty() {
        return Err(ReviewError::Invalid(format!(
            "session {session_id} has no resolved labels to freeze"
        )));
    }
    // Items are kept in id order everywhere (store, exports), the canonical order.
    items.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let labels: Vec<String> = session
        .schema
        .labels
        .iter()
        .map(|l| l.name.clone())
        .collect();
    let header = BenchmarkHeader {
        format: FORMAT.into(),
        name: name.into(),
        version: next_version(store, name)?,
        source: "reviewers".into(),
        derived_from: None,
        content_sha256: content_hash(&labels, session.schema.multi, &items),
        labels,
        multi: session.schema.multi,
        items: items.len(),
    };
    let id = insert(store, &header, Some(session_id), &items, author)?;
    Ok(Benchmark {
        id,
        header,
        items,
        unresolved,
    })
}

/// A stored benchmark by name (its latest version, or the one given).
pub fn load_benchmark(
    store: &Store,
    name: &str,
    version: Option<i64>,
) -> Result<Benchmark, ReviewError> {
    let row = store
        .conn()
        .query_row(
            "SELECT id, name, version, source, labels, multi, content_sha256, derived_from FROM benchmark_sets
             WHERE name = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY version DESC LIMIT 1",
            params![name, version],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| {
            ReviewError::Invalid(format!(
                "no benchmark named {name:?}{}",
                version.map(|v| format!(" version {v}")).unwrap_or_default()
            ))
        })?;
    let mut stmt = store.conn().prepare("SELECT external_id, labels, reviewers, agreement FROM benchmark_items WHERE set_id = ?1 ORDER BY external_id")?;
    let items = stmt
        .query_map([row.0], |r| {
            Ok(BenchmarkItem {
                external_id: r.get(0)?,
                labels: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                reviewers: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                agreement: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let header = BenchmarkHeader {
        format: FORMAT.into(),
        name: row.1,
        version: row.2,
        source: row.3,
        derived_from: row.7,
        labels: serde_json::from_str(&row.4).unwrap_or_default(),
        multi: row.5 == 1,
        content_sha256: row.6,
        items: items.len(),
    };
    Ok(Benchmark {
        id: row.0,
        header,
        items,
        unresolved: 0,
    })
}

/// How report text goes into an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextMode {
    /// No text: ids and labels only.
    Omit,
    /// The text as reported: needs an explicit choice, and the audit chain records it.
    Full,
    /// Personal data found by `privacy` (with the project's own hospital-number patterns)
    /// replaced by its kind: `[PERSON]`, `[NHS_NUMBER]`, `[DATE]`... The default. Detection
    /// is measured, not perfect: read the export before it leaves the organisation.
    Masked,
    /// As `Masked`, each identifier numbered consistently across the export
    /// (`[PERSON_2]` is the same person in every report that names them).
    Pseudonymised,
}

impl TextMode {
    /// `none`, `full`, `masked` or `pseudonymised`, as the CLI and the app name them.
    pub fn parse(name: &str) -> Result<TextMode, ReviewError> {
        match name {
            "none" => Ok(TextMode::Omit),
            "full" => Ok(TextMode::Full),
            "masked" => Ok(TextMode::Masked),
            "pseudonymised" | "pseudonymized" => Ok(TextMode::Pseudonymised),
            other => Err(ReviewError::Invalid(format!(
                "text {other:?}: use none, masked, pseudonymised or full"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TextMode::Omit => "none",
            TextMode::Full => "full",
            TextMode::Masked => "masked",
            TextMode::Pseudonymised => "pseudonymised",
        }
    }
}

/// The text with the personal data the built-in rules find replaced by its kind
/// (`[PERSON]`, `[NHS_NUMBER]`, `[DATE]`...).
pub fn mask(text: &str) -> String {
    crate::privacy::mask(text)
}

/// What one export does to each report's text: the project's rules, and for pseudonyms
/// the numbering so far.
struct TextOut {
    mode: TextMode,
    rules: crate::privacy::Rules,
    pseudonyms: crate::privacy::Pseudonyms,
}

impl TextOut {
    fn new(store: &Store, mode: TextMode) -> Result<TextOut, ReviewError> {
        let rules = crate::store::privacy_rules::rules(store).map_err(|e| ReviewError::Invalid(e.to_string()))?;
        Ok(TextOut { mode, rules, pseudonyms: crate::privacy::Pseudonyms::new() })
    }

    fn text_of(&mut self, store: &Store, id: &str) -> Result<Option<String>, ReviewError> {
        if self.mode == TextMode::Omit {
            return Ok(None);
        }
        let text: Option<String> = store
            .conn()
            .query_row("SELECT description FROM incidents WHERE external_id = ?1", [id], |r| r.get(0))
            .optional()?;
        Ok(text.map(|t| match self.mode {
            TextMode::Masked => crate::privacy::mask_spans(&t, &self.rules.detect(&t)),
            TextMode::Pseudonymised => self.pseudonyms.mask(&t, &self.rules.detect(&t)),
            TextMode::Full | TextMode::Omit => t,
        }))
    }
}

#[derive(Serialize, Deserialize)]
struct JsonlItem {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    labels: Vec<String>,
    reviewers: Vec<String>,
    agreement: Option<f64>,
}

/// Writes the benchmark as JSONL (a header line, then one line per item) or CSV (a
/// `#benchmark` row carrying the header as JSON, then one row per item), by extension.
/// The audit chain records who exported which set with which text, before the file
/// appears: a full-text export is never unrecorded.
pub fn export(
    store: &Store,
    bench: &Benchmark,
    path: &Path,
    text: TextMode,
    actor: &str,
) -> Result<(), ReviewError> {
    let io =
        |e: std::io::Error| ReviewError::Invalid(format!("cannot write {}: {e}", path.display()));
    let header =
        serde_json::to_string(&bench.header).map_err(|e| ReviewError::Invalid(e.to_string()))?;
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    // A name of its own (two exports to one path do not write into each other), removed when
    // the export fails: a half-written file of report text is left nowhere.
    static EXPORTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = EXPORTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("partial-{}-{n}", std::process::id()));
    let written = TextOut::new(store, text).and_then(|mut out| write_export(store, bench, path, &tmp, &mut out, &header, csv));
    let result = written
        .and_then(|()| record_export(store, bench, path, text, actor))
        .and_then(|()| ml::durable::commit_rename(&tmp, path).map_err(io));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn record_export(store: &Store, bench: &Benchmark, path: &Path, text: TextMode, actor: &str) -> Result<(), ReviewError> {
    store.sync_full()?;
    let tx = store.immediate()?;
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    audit::append(
        store.conn(),
        actor,
        "benchmark_export",
        &serde_json::json!({ "name": bench.header.name, "version": bench.header.version, "text": text.name(), "items": bench.items.len(), "file": file }),
    )?;
    tx.commit()?;
    Ok(())
}

fn write_export(
    store: &Store,
    bench: &Benchmark,
    path: &Path,
    tmp: &Path,
    text: &mut TextOut,
    header: &str,
    csv: bool,
) -> Result<(), ReviewError> {
    let io =
        |e: std::io::Error| ReviewError::Invalid(format!("cannot write {}: {e}", path.display()));
    {
        let file = std::fs::File::create(tmp).map_err(io)?;
        let mut w = std::io::BufWriter::new(file);
        if csv {
            let mut c = csv::Writer::from_writer(&mut w);
            let fail = |e: csv::Error| {
                ReviewError::Invalid(format!("cannot write {}: {e}", path.display()))
            };
            c.write_record(["id", "text", "labels", "reviewers", "agreement"])
                .map_err(fail)?;
            c.write_record(["#benchmark", header, "", "", ""])
                .map_err(fail)?;
            for item in &bench.items {
                let text = text.text_of(store, &item.external_id)?.unwrap_or_default();
                let agreement = item.agreement.map(|a| format!("{a}")).unwrap_or_default();
                let cells = [
                    item.external_id.clone(),
                    text,
                    list_cell(&item.labels),
                    list_cell(&item.reviewers),
                    agreement,
                ];
                c.write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned()))
                    .map_err(fail)?;
            }
            c.flush().map_err(io)?;
        } else {
            writeln!(w, "{header}").map_err(io)?;
            for item in &bench.items {
                let line = JsonlItem {
                    id: item.external_id.clone(),
                    text: text.text_of(store, &item.external_id)?,
                    labels: item.labels.clone(),
                    reviewers: item.reviewers.clone(),
                    agreement: item.agreement,
                };
                writeln!(
                    w,
                    "{}",
                    serde_json::to_string(&line)
                        .map_err(|e| ReviewError::Invalid(e.to_string()))?
                )
                .map_err(io)?;
            }
        }
        w.flush().map_err(io)?;
    }
    Ok(())
}

/// A cell a spreadsheet shows as text: one starting with a formula character (`= + - @`,
/// tab, carriage return) would run as a formula in Excel or LibreOffice, so it is written
/// with a leading `'`, as is one that starts with `'` itself so that reading strips
/// exactly one.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The cell as it was before `spreadsheet_safe`.
fn from_spreadsheet(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// Labels or reviewers in one cell: joined by `;`, or as a JSON array when a name holds a
/// `;` or starts with `[` (which joining could not give back).
fn list_cell(names: &[String]) -> String {
    if names.iter().any(|n| n.contains(';') || n.starts_with('[')) {
        serde_json::to_string(names).unwrap_or_default()
    } else {
        names.join(";")
    }
}

fn parse_list(cell: &str) -> Result<Vec<String>, String> {
    if cell.starts_with('[') {
        return serde_json::from_str(cell).map_err(|e| format!("{cell:?} is not a list of names: {e}"));
    }
    Ok(if cell.is_empty() { Vec::new() } else { cell.split(';').map(String::from).collect() })
}

/// The largest benchmark file imported: a million reports with their text fit in far less.
pub const MAX_IMPORT_BYTES: u64 = 256 << 20;

/// Reads an exported benchmark, checks its content hash, and stores it (a no-op when the
/// same name, version and content are already there; an error when the content differs).
pub fn import(store: &mut Store, path: &Path, author: &str) -> Result<Benchmark, ReviewError> {
    let bad = |why: String| ReviewError::Invalid(format!("{}: {why}", path.display()));
    let (header, items) = read_benchmark_file(path)?;
    let hash = header.content_sha256.clone();
    if let Ok(existing) = load_benchmark(store, &header.name, Some(header.version)) {
        if existing.header.content_sha256 == hash {
            return Ok(existing);
        }
        return Err(bad(format!(
            "{} version {} is already here with other content",
            header.name, header.version
        )));
    }
    let mut items = items;
    items.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    // The file's account of where its labels came from is a claim anyone can write: a set
    // brought in from a file is an import here, whatever it says.
    let mut header = header;
    header.source = "import".into();
    let id = insert(store, &header, None, &items, author)?;
    Ok(Benchmark {
        id,
        header,
        items,
        unresolved: 0,
    })
}

/// Reads an exported benchmark file (CSV or JSONL, by extension) and checks its format and
/// content hash, storing nothing: the header and the items, as the file has them.
pub fn read_benchmark_file(path: &Path) -> Result<(BenchmarkHeader, Vec<BenchmarkItem>), ReviewError> {
    let bad = |why: String| ReviewError::Invalid(format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let size = file.metadata().map_err(|e| bad(e.to_string()))?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(bad(format!(
            "{} MiB is more than a benchmark file may be ({} MiB)",
            size >> 20,
            MAX_IMPORT_BYTES >> 20
        )));
    }
    // Read no further than the size checked, should the file grow while it is read.
    let file = std::io::Read::take(file, MAX_IMPORT_BYTES);
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (header, items): (BenchmarkHeader, Vec<BenchmarkItem>) = if csv {
        let mut r = csv::Reader::from_reader(file);
        let mut rows = r.records();
        let first = rows
            .next()
            .ok_or_else(|| bad("empty file".into()))?
            .map_err(|e| bad(e.to_string()))?;
        if first.get(0) != Some("#benchmark") {
            return Err(bad("the first row is not the #benchmark header row".into()));
        }
        let header: BenchmarkHeader =
            serde_json::from_str(first.get(1).unwrap_or("")).map_err(|e| bad(e.to_string()))?;
        let mut items = Vec::new();
        for row in rows {
            let row = row.map_err(|e| bad(e.to_string()))?;
            let cell = |i: usize| from_spreadsheet(row.get(i).unwrap_or(""));
            let line = row.position().map_or(0, |p| p.line());
            let list = |i: usize| parse_list(cell(i)).map_err(|why| bad(format!("line {line}: {why}")));
            items.push(BenchmarkItem {
                external_id: cell(0).into(),
                labels: list(2)?,
                reviewers: list(3)?,
                agreement: Some(cell(4))
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse()
                            .map_err(|_| bad(format!("agreement {s:?} is not a number")))
                    })
                    .transpose()?,
            });
        }
        (header, items)
    } else {
        let mut lines = std::io::BufReader::new(file).lines();
        let first = lines
            .next()
            .ok_or_else(|| bad("empty file".into()))?
            .map_err(|e| bad(e.to_string()))?;
        let header: BenchmarkHeader =
            serde_json::from_str(&first).map_err(|e| bad(format!("header: {e}")))?;
        let mut items = Vec::new();
        for (n, line) in lines.enumerate() {
            let line = line.map_err(|e| bad(e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            let it: JsonlItem =
                serde_json::from_str(&line).map_err(|e| bad(format!("line {}: {e}", n + 2)))?;
            items.push(BenchmarkItem {
                external_id: it.id,
                labels: it.labels,
                reviewers: it.reviewers,
                agreement: it.agreement,
            });
        }
        (header, items)
    };
    if header.format != FORMAT {
        return Err(bad(format!("format {:?} is not {FORMAT}", header.format)));
    }
    let hash = content_hash(&header.labels, header.multi, &items);
    if hash != header.content_sha256 || items.len() != header.items {
        return Err(bad(format!("content does not match its hash (file says {}, content is {hash}); it was changed after export", header.content_sha256)));
    }
    Ok((header, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_order_but_not_content() {
        let item = |id: &str, l: &str| BenchmarkItem {
            external_id: id.into(),
            labels: vec![l.into()],
            reviewers: vec!["b".into(), "a".into()],
            agreement: Some(0.5),
        };
        let labels = vec!["x".to_string(), "y".to_string()];
        let a = content_hash(&labels, false, &[item("1", "x"), item("2", "y")]);
        assert_eq!(
            a,
            content_hash(&labels, false, &[item("2", "y"), item("1", "x")])
        );
        assert_ne!(
            a,
            content_hash(&labels, false, &[item("1", "y"), item("2", "y")])
        );
        assert_ne!(
            a,
            content_hash(&labels, true, &[item("1", "x"), item("2", "y")])
        );
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_written_as_text_and_read_back() {
        for cell in ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-0.25", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain", ""] {
            let safe = spreadsheet_safe(cell);
            assert!(!matches!(safe.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')), "{safe:?}");
            assert_eq!(from_spreadsheet(&safe), cell);
        }
        for names in [vec![], vec!["falls".to_string()], vec!["a;b".to_string(), "c".to_string()], vec!["[draft] x".to_string()]] {
            assert_eq!(parse_list(&list_cell(&names)).unwrap(), names);
        }
        assert!(parse_list("[not json").is_err());
    }

    #[test]
    fn masking_hides_numbers_emails_and_titled_names() {
        assert_eq!(
            mask("Mr Smith (NHS 943 476 5919) seen 12/03/2024; email j.bloggs@nhs.net by Dr Patel."),
            "Mr [PERSON] (NHS [NHS_NUMBER]) seen [DATE]; email [EMAIL] by Dr [PERSON]."
        );
    }
}

/// A stored benchmark set in a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BenchmarkSummary {
    pub id: i64,
    pub name: String,
    pub version: i64,
    pub source: String,
    pub derived_from: Option<String>,
    pub labels: usize,
    pub items: usize,
    pub content_sha256: String,
    pub created_by: String,
    pub created_at: String,
}

/// Every stored benchmark version, by name then newest version first.
pub fn list_benchmarks(store: &Store) -> Result<Vec<BenchmarkSummary>, ReviewError> {
    let mut stmt = store.conn().prepare(
        "SELECT s.id, s.name, s.version, s.source, s.derived_from, json_array_length(s.labels),
                (SELECT count(*) FROM benchmark_items i WHERE i.set_id = s.id),
                s.content_sha256, s.created_by, s.created_at
         FROM benchmark_sets s ORDER BY s.name, s.version DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(BenchmarkSummary {
            id: r.get(0)?,
            name: r.get(1)?,
            version: r.get(2)?,
            source: r.get(3)?,
            derived_from: r.get(4)?,
            labels: r.get::<_, i64>(5)? as usize,
            items: r.get::<_, i64>(6)? as usize,
            content_sha256: r.get(7)?,
            created_by: r.get(8)?,
            created_at: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
