//! Reading the vectors a Spark job wrote (`spark/encode_reports.py`): Parquet with columns
//! `id` (string), `vector` (list of float), `weights_sha256`, `provenance` (JSON) and
//! `text_fields` (strings, the same on every row). A path is one file or a folder of part
//! files as Spark writes them. Read row group by row group through the column readers, so
//! tens of millions of vectors never sit in memory at once; every value is checked, and a
//! file that is not of this shape is an error naming the file, never a panic.

use parquet::basic::Type as PhysicalType;
use parquet::column::reader::ColumnReader;
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedFileReader;
use std::path::{Path, PathBuf};

/// One row group's rows: ids, vectors row-major (`ids.len() x dimension`), and the
/// constant columns' values as they appear in it.
pub(crate) struct Chunk {
    pub ids: Vec<String>,
    pub vectors: Vec<f32>,
    pub dimension: usize,
    pub weights_sha256: String,
    pub provenance: String,
    pub text_fields: String,
}

/// Why a file cannot be read as vectors: the file and what is wrong.
#[derive(Debug)]
pub(crate) struct FileProblem {
    pub path: PathBuf,
    pub reason: String,
}

type Result<T> = std::result::Result<T, FileProblem>;

/// The Parquet files at `path`: the file itself, or a folder's `*.parquet` part files in
/// name order (Spark's `_SUCCESS`, `.crc` and hidden files left out).
pub(crate) fn part_files(path: &Path) -> Result<Vec<PathBuf>> {
    let problem = |reason: String| FileProblem {
        path: path.to_path_buf(),
        reason,
    };
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| problem(format!("cannot read: {e}")))?;
    let mut parts = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| problem(format!("cannot list: {e}")))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") && !name.starts_with(['.', '_']) && entry.path().is_file() {
            parts.push(entry.path());
        }
    }
    parts.sort();
    if parts.is_empty() {
        return Err(problem("holds no .parquet files".into()));
    }
    Ok(parts)
}

/// Calls `each` with every row group of the file at `path`, in order.
pub(crate) fn read(path: &Path, each: &mut dyn FnMut(Chunk) -> std::result::Result<(), String>) -> Result<()> {
    let problem = |reason: String| FileProblem {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| problem(format!("cannot open: {e}")))?;
    let reader = SerializedFileReader::new(file).map_err(|e| problem(format!("not a Parquet file: {e}")))?;
    let columns = Columns::find(reader.metadata().file_metadata().schema_descr()).map_err(problem)?;
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(|e| problem(format!("row group {g}: {e}")))?;
        // The Parquet reader is third-party code meeting a file from elsewhere: a panic in
        // it on a crafted file is an error about that file, not a crash.
        let chunk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| columns.read(&*group)))
            .unwrap_or_else(|_| Err("the Parquet reader failed on this row group (a damaged file?)".into()))
            .map_err(|reason| problem(format!("row group {g}: {reason}")))?;
        each(chunk).map_err(|reason| problem(format!("row group {g}: {reason}")))?;
    }
    Ok(())
}

/// Where each column the import needs sits among the file's leaf columns.
struct Columns {
    id: usize,
    vector: usize,
    weights_sha256: usize,
    provenance: usize,
    text_fields: usize,
}

impl Columns {
    fn find(schema: &parquet::schema::types::SchemaDescriptor) -> std::result::Result<Columns, String> {
        let leaf = |name: &str, physical: PhysicalType, repeated: bool| -> std::result::Result<usize, String> {
            let found = (0..schema.num_columns()).find(|&i| {
                let c = schema.column(i);
                c.path().parts().first().map(String::as_str) == Some(name)
            });
            let i = found.ok_or_else(|| {
                let names: Vec<String> = (0..schema.num_columns()).map(|i| schema.column(i).path().string()).collect();
                format!("no column {name:?} (columns: {}); is this the output of spark/encode_reports.py?", names.join(", "))
            })?;
            let c = schema.column(i);
            if c.physical_type() != physical || (c.max_rep_level() > 0) != repeated || c.max_rep_level() > 1 {
                return Err(format!(
                    "column {name:?} is {:?}{}, not {}",
                    c.physical_type(),
                    if c.max_rep_level() > 0 { " in a list" } else { "" },
                    if repeated { "a list of FLOAT" } else { "a string (BYTE_ARRAY)" }
                ));
            }
            Ok(i)
        };
        Ok(Columns {
            id: leaf("id", PhysicalType::BYTE_ARRAY, false)?,
            vector: leaf("vector", PhysicalType::FLOAT, true)?,
            weights_sha256: leaf("weights_sha256", PhysicalType::BYTE_ARRAY, false)?,
            provenance: leaf("provenance", PhysicalType::BYTE_ARRAY, false)?,
            text_fields: leaf("text_fields", PhysicalType::BYTE_ARRAY, false)?,
        })
    }

    fn read(&self, group: &dyn RowGroupReader) -> std::result::Result<Chunk, String> {
        let rows = usize::try_from(group.metadata().num_rows()).map_err(|_| "negative row count".to_string())?;
        let ids = strings(group, self.id, rows, "id")?;
        let one = |column: usize, name: &str| -> std::result::Result<String, String> {
            let values = strings(group, column, rows, name)?;
            match values.first() {
                Some(first) if values.iter().all(|v| v == first) => Ok(first.clone()),
                Some(_) => Err(format!("{name} differs between rows: one model per file")),
                None => Ok(String::new()),
            }
        };
        let (vectors, dimension) = floats(group, self.vector, rows)?;
        Ok(Chunk {
            ids,
            vectors,
            dimension,
            weights_sha256: one(self.weights_sha256, "weights_sha256")?,
            provenance: one(self.provenance, "provenance")?,
            text_fields: one(self.text_fields, "text_fields")?,
        })
    }
}

/// A string column's `rows` values; a null or non-UTF-8 value is an error.
fn strings(group: &dyn RowGroupReader, column: usize, rows: usize, name: &str) -> std::result::Result<Vec<String>, String> {
    let reader = group.get_column_reader(column).map_err(|e| format!("{name}: {e}"))?;
    let ColumnReader::ByteArrayColumnReader(mut reader) = reader else {
        return Err(format!("{name} is not a string column"));
    };
    let (mut values, mut defs) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (records, _, _) = reader
        .read_records(rows, Some(&mut defs), None, &mut values)
        .map_err(|e| format!("{name}: {e}"))?;
    if records != rows {
        return Err(format!("{name}: {records} values for {rows} rows"));
    }
    // Only non-null values are stored: fewer than the rows means a null.
    if values.len() != rows {
        return Err(format!("{name}: a row has no value (null)"));
    }
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            String::from_utf8(v.data().to_vec()).map_err(|_| format!("{name} of row {i} is not UTF-8"))
        })
        .collect()
}

/// The vector column's rows, row-major, and their common length. Every row must hold the
/// same number (at least one) of values, none null.
fn floats(group: &dyn RowGroupReader, column: usize, rows: usize) -> std::result::Result<(Vec<f32>, usize), String> {
    let descriptor = group.metadata().column(column).column_descr_ptr();
    let full = descriptor.max_def_level();
    let reader = group.get_column_reader(column).map_err(|e| format!("vector: {e}"))?;
    let ColumnReader::FloatColumnReader(mut reader) = reader else {
        return Err("vector is not a FLOAT column".into());
    };
    let (mut values, mut defs, mut reps) = (Vec::new(), Vec::new(), Vec::new());
    let (records, _, _) = reader
        .read_records(rows, Some(&mut defs), Some(&mut reps), &mut values)
        .map_err(|e| format!("vector: {e}"))?;
    if records != rows || defs.len() != reps.len() {
        return Err(format!("vector: {records} rows of values for {rows} rows"));
    }
    if let Some(at) = defs.iter().position(|&d| d != full) {
        let row = reps[..=at].iter().filter(|&&r| r == 0).count().saturating_sub(1);
        return Err(format!("the vector of row {row} is null, empty or holds a null value"));
    }
    if rows == 0 {
        return Ok((values, 0));
    }
    let dimension = values.len() / rows;
    let starts: Vec<usize> = reps.iter().enumerate().filter(|(_, &r)| r == 0).map(|(i, _)| i).collect();
    if starts.len() != rows || dimension == 0 || values.len() != rows * dimension {
        return Err(format!("vectors of different lengths ({} values in {rows} rows)", values.len()));
    }
    if let Some(row) = starts.iter().enumerate().position(|(r, &s)| s != r * dimension) {
        return Err(format!("the vector of row {row} has a different length from row 0's {dimension}"));
    }
    Ok((values, dimension))
}
