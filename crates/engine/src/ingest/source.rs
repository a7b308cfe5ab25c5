//! Streaming readers for CSV and JSONL sources. Each yields one row at a time, so memory
//! does not grow with the file; only the longest row is held at once, and a row is at most
//! `MAX_RECORD_BYTES` (an unterminated quote or a file without line breaks would otherwise
//! be read whole) and a file at most `MAX_COLUMNS` columns (each new JSONL key is one).

use super::mapping::{ColumnMapping, MappingError};
use super::IngestError;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The longest row read, in bytes: far beyond any real report (a field is at most
/// `IngestOptions::max_field_bytes`, 100 kB by default), small enough that a hostile file
/// cannot take the memory.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;
/// The most columns a file may have (header cells, or distinct keys over a JSONL file).
pub const MAX_COLUMNS: usize = 1000;

/// One cell as read: the text (invalid UTF-8 replaced by U+FFFD) and what was wrong with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub text: String,
    /// Where the first invalid UTF-8 byte was, when the bytes were decoded lossily.
    pub invalid_utf8_at: Option<usize>,
}

impl Cell {
    fn from_bytes(bytes: &[u8]) -> Cell {
        match std::str::from_utf8(bytes) {
            Ok(s) => Cell {
                text: s.to_string(),
                invalid_utf8_at: None,
            },
            Err(e) => Cell {
                text: String::from_utf8_lossy(bytes).into_owned(),
                invalid_utf8_at: Some(e.valid_up_to()),
            },
        }
    }
}

/// A row whose shape is wrong before any field is looked at.
#[derive(Debug, Clone)]
pub(crate) enum ShapeProblem {
    ColumnCount { expected: usize, found: usize },
    NotJsonObject(String),
}

#[derive(Debug, Default)]
pub(crate) struct SourceRow {
    /// 1-based line number where the row starts in the file.
    pub line: u64,
    /// Cells by column index of the mapping; `None` where the row has no value.
    pub cells: Vec<Option<Cell>>,
    pub shape: Option<ShapeProblem>,
}

pub(crate) trait RowReader {
    /// Reads the next row, or `None` at the end of the file.
    fn next_row(&mut self, mapping: &mut ColumnMapping) -> Result<Option<SourceRow>, IngestError>;
    /// Bytes consumed so far, for progress.
    fn position(&self) -> u64;
}

/// Counts bytes read through it, for progress on formats whose reader hides the position.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Refuses to read more than `MAX_RECORD_BYTES` (plus 1 MiB for the readers' buffers) past the start of the
/// record being read: the CSV reader keeps a record whole in memory until it ends, and an
/// unterminated quote never ends it.
struct RecordBound<R> {
    inner: R,
    read: u64,
    /// Where the record being read starts, set after each record.
    record_start: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for RecordBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read > self.record_start.load(std::sync::atomic::Ordering::Relaxed) + MAX_RECORD_BYTES + (1 << 20) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, RecordTooLong));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// The reason `RecordBound` stops a read, recognised to name the row.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a row longer than {} MiB", MAX_RECORD_BYTES >> 20)
    }
}

impl std::error::Error for RecordTooLong {}

pub(crate) struct CsvRows {
    reader: csv::Reader<BufReader<RecordBound<File>>>,
    record_start: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The line the next record starts on, to name it when it is too long.
    next_line: u64,
    record: csv::ByteRecord,
    width: usize,
    path: PathBuf,
}

impl CsvRows {
    /// Opens the file, reads the header and registers its columns with the mapping.
    pub(crate) fn open(
        path: &Path,
        delimiter: Option<u8>,
        mapping: &mut ColumnMapping,
    ) -> Result<Self, IngestError> {
        let io = |source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let record_start = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let bounded = RecordBound { inner: file, read: 0, record_start: record_start.clone() };
        let mut buffered = BufReader::with_capacity(1 << 16, bounded);
        let delimiter = match delimiter {
            Some(d) => d,
            None => sniff_delimiter(buffered.fill_buf().map_err(io)?, path),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(buffered);
        let headers = reader
            .byte_headers()
            .map_err(|e| csv_error(path, 1, e))?
            .clone();
        if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
            return Err(IngestError::EmptyFile(path.to_path_buf()));
        }
        if headers.len() > MAX_COLUMNS {
            return Err(IngestError::TooManyColumns { path: path.to_path_buf(), line: 1, columns: headers.len(), limit: MAX_COLUMNS });
        }
        record_start.store(reader.position().byte(), std::sync::atomic::Ordering::Relaxed);
        let mut seen = std::collections::HashSet::new();
        for (i, raw) in headers.iter().enumerate() {
            let raw = if i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let mut name = String::from_utf8_lossy(raw).trim().to_string();
            if name.is_empty() {
                name = format!("column_{}", i + 1);
            }
            // Repeated header names get a suffix so each column stays addressable.
            let base = name.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            mapping
                .add_column(&name)
                .map_err(|e| IngestError::Mapping {
                    path: path.to_path_buf(),
                    source: e,
                })?;
        }
        let next_line = reader.position().line();
        Ok(CsvRows {
            reader,
            record_start,
            next_line,
            record: csv::ByteRecord::new(),
            width: headers.len(),
            path: path.to_path_buf(),
        })
    }
}

/// Picks the separator that the first line uses most, outside quotes: exports from
/// spreadsheets in many locales use `;`, some systems tabs or pipes.
fn sniff_delimiter(head: &[u8], path: &Path) -> u8 {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"))
    {
        return b'\t';
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let mut counts = [0usize; 4];
    let candidates = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for b in line {
        if *b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(i) = candidates.iter().position(|c| c == b) {
                counts[i] += 1;
            }
        }
    }
    let best = (0..4)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

impl RowReader for CsvRows {
    fn next_row(&mut self, _mapping: &mut ColumnMapping) -> Result<Option<SourceRow>, IngestError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(&self.path, self.next_line, e))?;
        if !more {
            return Ok(None);
        }
        let end = self.reader.position();
        self.record_start.store(end.byte(), std::sync::atomic::Ordering::Relaxed);
        self.next_line = end.line();
        let line = self.record.position().map_or(0, |p| p.line());
        let found = self.record.len();
        let cells = self
            .record
            .iter()
            .take(self.width)
            .map(|b| Some(Cell::from_bytes(b)))
            .collect();
        let shape = (found != self.width).then_some(ShapeProblem::ColumnCount {
            expected: self.width,
            found,
        });
        Ok(Some(SourceRow { line, cells, shape }))
    }

    fn position(&self) -> u64 {
        self.reader.position().byte()
    }
}

/// A CSV error, or the row named when it was stopped for its length.
fn csv_error(path: &Path, line: u64, e: csv::Error) -> IngestError {
    let too_long = match e.kind() {
        csv::ErrorKind::Io(io) => io.get_ref().is_some_and(|inner| inner.is::<RecordTooLong>()),
        _ => false,
    };
    if too_long {
        IngestError::RowTooLong { path: path.to_path_buf(), line, limit_mib: MAX_RECORD_BYTES >> 20 }
    } else {
        IngestError::Csv { path: path.to_path_buf(), source: e }
    }
}

pub(crate) struct JsonlRows {
    reader: BufReader<Counting<File>>,
    buf: Vec<u8>,
    line: u64,
    path: PathBuf,
}

impl JsonlRows {
    pub(crate) fn open(path: &Path) -> Result<Self, IngestError> {
        let file = File::open(path).map_err(|source| IngestError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(JsonlRows {
            reader: BufReader::with_capacity(
                1 << 16,
                Counting {
                    inner: file,
                    count: 0,
                },
            ),
            buf: Vec::new(),
            line: 0,
            path: path.to_path_buf(),
        })
    }
}

fn json_cell(value: serde_json::Value) -> Option<Cell> {
    let text = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) => s,
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        nested => nested.to_string(),
    };
    Some(Cell {
        text,
        invalid_utf8_at: None,
    })
}

impl RowReader for JsonlRows {
    fn next_row(&mut self, mapping: &mut ColumnMapping) -> Result<Option<SourceRow>, IngestError> {
        loop {
            self.buf.clear();
            let n = (&mut self.reader)
                .take(MAX_RECORD_BYTES + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|source| IngestError::Io {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if n as u64 > MAX_RECORD_BYTES {
                return Err(IngestError::RowTooLong { path: self.path.clone(), line: self.line, limit_mib: MAX_RECORD_BYTES >> 20 });
            }
            let bytes = if self.line == 1 {
                self.buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&self.buf)
            } else {
                &self.buf
            };
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            // serde_json rejects invalid UTF-8 outright; decode lossily first so the row is
            // kept (and reported) rather than lost.
            let decoded = Cell::from_bytes(bytes);
            let mut row = SourceRow {
                line: self.line,
                ..Default::default()
            };
            match serde_json::from_str::<serde_json::Value>(&decoded.text) {
                Ok(serde_json::Value::Object(object)) => {
                    for (key, value) in object {
                        let index = match mapping.columns().iter().position(|c| *c == key) {
                            Some(i) => i,
                            None if mapping.columns().len() >= MAX_COLUMNS => {
                                return Err(IngestError::TooManyColumns {
                                    path: self.path.clone(),
                                    line: self.line,
                                    columns: MAX_COLUMNS + 1,
                                    limit: MAX_COLUMNS,
                                })
                            }
                            None => mapping.add_column(&key).map_err(|e: MappingError| {
                                IngestError::Mapping {
                                    path: self.path.clone(),
                                    source: e,
                                }
                            })?,
                        };
                        if row.cells.len() <= index {
                            row.cells.resize(index + 1, None);
                        }
                        row.cells[index] = json_cell(value).map(|mut c| {
                            if decoded.invalid_utf8_at.is_some() && c.text.contains('\u{FFFD}') {
                                c.invalid_utf8_at = c.text.find('\u{FFFD}');
                            }
                            c
                        });
                    }
                }
                Ok(other) => {
                    let kind = match other {
                        serde_json::Value::Array(_) => "an array",
                        serde_json::Value::String(_) => "a string",
                        serde_json::Value::Number(_) => "a number",
                        serde_json::Value::Bool(_) => "a boolean",
                        _ => "null",
                    };
                    row.shape = Some(ShapeProblem::NotJsonObject(format!(
                        "line is {kind}, not a JSON object"
                    )));
                    row.cells.push(Some(decoded.clone()));
                }
                Err(e) => {
                    row.shape = Some(ShapeProblem::NotJsonObject(format!("invalid JSON: {e}")));
                    row.cells.push(Some(decoded.clone()));
                }
            }
            row.cells
                .resize(mapping.columns().len().max(row.cells.len()), None);
            return Ok(Some(row));
        }
    }

    fn position(&self) -> u64 {
        self.reader.get_ref().count
    }
}
