//! Checks an index shard file's structure before usearch loads or memory-maps it.
//!
//! usearch trusts its files: a truncated file, an absurd node count or a neighbour slot past
//! the last node makes it allocate wildly or read out of bounds when searched. Every shard
//! is read here first, in one pass, and refused unless its layout adds up to its length
//! byte for byte and every neighbour it lists exists. The layout is that of usearch 2's
//! dense index with 64-bit keys and 32-bit slots (what `usearch::Index` writes):
//!
//! ```text
//! u32 rows, u32 bytes per vector | rows × vector bytes
//! 64-byte head: "usearch", 3 × u16 version, 4 × u8 kinds, u64 present, u64 deleted, u64 dimensions, u8 multi, padding
//! graph header: u64 size, connectivity, connectivity_base, max_level, entry_slot
//! size × i16 level | size nodes: u64 key, i16 level, base list, level × upper lists
//! a list: u32 count, then connectivity (base: connectivity_base) u32 slots
//! ```

use super::options::{native_err, IndexError};
use std::io::{BufReader, Read};
use std::path::Path;

const HEAD_BYTES: u64 = 64;
const NODE_HEAD_BYTES: u64 = 10;
/// Far above what any index we build uses (16 by default, 64 at most from the CLI), far
/// below what would make a list's size overflow.
const MAX_CONNECTIVITY: u64 = 4096;
/// HNSW levels grow with the logarithm of the node count: 64 is unreachable in practice.
const MAX_LEVEL: u64 = 64;

/// Reads `path` whole and checks that it is a well-formed shard of `dimensions`-d vectors
/// stored in `vector_bytes` bytes each, and returns how many vectors it holds (deleted ones
/// aside); the error names the first thing that does not add up.
pub(super) fn check_shard(path: &Path, dimensions: usize, vector_bytes: usize) -> Result<u64, IndexError> {
    let bad = |why: String| native_err(path, format!("is damaged or not an index shard: {why}"));
    let file = std::fs::File::open(path).map_err(|source| IndexError::Io { path: path.to_path_buf(), source })?;
    let length = file
        .metadata()
        .map_err(|source| IndexError::Io { path: path.to_path_buf(), source })?
        .len();
    let mut reader = Reader { inner: BufReader::with_capacity(1 << 20, file), at: 0, length };
    let truncated = |r: &Reader| bad(format!("it ends at byte {} of its layout", r.length));

    let rows = reader.u32().ok_or_else(|| truncated(&reader))? as u64;
    let columns = reader.u32().ok_or_else(|| truncated(&reader))? as u64;
    if columns != vector_bytes as u64 {
        return Err(bad(format!("vectors of {columns} bytes, expected {vector_bytes}")));
    }
    let matrix = rows.checked_mul(columns).filter(|&m| m <= length).ok_or_else(|| bad(format!("{rows} vectors do not fit in {length} bytes")))?;
    reader.skip(matrix).ok_or_else(|| truncated(&reader))?;

    let mut head = [0u8; HEAD_BYTES as usize];
    reader.exact(&mut head).ok_or_else(|| truncated(&reader))?;
    if &head[..7] != b"usearch" {
        return Err(bad("no usearch head after the vectors".into()));
    }
    let word = |at: usize| u64::from_le_bytes(head[at..at + 8].try_into().unwrap_or([0; 8]));
    let (present, deleted, dims) = (word(17), word(25), word(33));
    if dims != dimensions as u64 {
        return Err(bad(format!("{dims}-d vectors, expected {dimensions}")));
    }
    if present.checked_add(deleted) != Some(rows) {
        return Err(bad(format!("{present} present and {deleted} deleted vectors, {rows} stored")));
    }

    let mut graph = [0u64; 5];
    for g in &mut graph {
        *g = reader.u64().ok_or_else(|| truncated(&reader))?;
    }
    let [size, connectivity, connectivity_base, max_level, entry_slot] = graph;
    if size != rows {
        return Err(bad(format!("a graph of {size} nodes over {rows} vectors")));
    }
    if !(2..=MAX_CONNECTIVITY).contains(&connectivity) || !(connectivity..=2 * MAX_CONNECTIVITY).contains(&connectivity_base) {
        return Err(bad(format!("connectivity {connectivity} (base {connectivity_base})")));
    }
    if max_level > MAX_LEVEL || (size > 0 && entry_slot >= size) {
        return Err(bad(format!("top level {max_level}, entry node {entry_slot} of {size}")));
    }
    let list_bytes = 4 + 4 * connectivity;
    let base_bytes = 4 + 4 * connectivity_base;
    // The levels come before the nodes; 2 bytes each, so their count is bounded by the file.
    if size.saturating_mul(2) > length {
        return Err(truncated(&reader));
    }
    let mut levels = Vec::with_capacity(size as usize);
    let mut nodes_bytes: u64 = 0;
    for _ in 0..size {
        let level = reader.i16().ok_or_else(|| truncated(&reader))?;
        if level < 0 || level as u64 > max_level {
            return Err(bad(format!("a node on level {level}, top level {max_level}")));
        }
        levels.push(level as u16);
        nodes_bytes = nodes_bytes.saturating_add(NODE_HEAD_BYTES + base_bytes + level as u64 * list_bytes);
    }
    if size > 0 && levels[entry_slot as usize] as u64 != max_level {
        return Err(bad(format!("entry node on level {}, top level {max_level}", levels[entry_slot as usize])));
    }
    let expected_length = reader.at.saturating_add(nodes_bytes);
    if expected_length != length {
        return Err(bad(format!("{length} bytes where its layout makes {expected_length}")));
    }
    for (slot, &level) in levels.iter().enumerate() {
        let _key = reader.u64().ok_or_else(|| truncated(&reader))?;
        let own = reader.i16().ok_or_else(|| truncated(&reader))?;
        if own as u16 != level {
            return Err(bad(format!("node {slot} says level {own}, the level table {level}")));
        }
        for list in 0..=level {
            let capacity = if list == 0 { connectivity_base } else { connectivity };
            let count = reader.u32().ok_or_else(|| truncated(&reader))? as u64;
            if count > capacity {
                return Err(bad(format!("node {slot} lists {count} neighbours, room for {capacity}")));
            }
            for i in 0..capacity {
                let neighbour = reader.u32().ok_or_else(|| truncated(&reader))? as u64;
                if i < count && neighbour >= size {
                    return Err(bad(format!("node {slot} links to node {neighbour} of {size}")));
                }
            }
        }
    }
    Ok(present)
}

/// Little-endian reads that say `None` at the file's end instead of failing mid-value.
struct Reader {
    inner: BufReader<std::fs::File>,
    at: u64,
    length: u64,
}

impl Reader {
    fn exact(&mut self, buf: &mut [u8]) -> Option<()> {
        self.inner.read_exact(buf).ok()?;
        self.at += buf.len() as u64;
        Some(())
    }
    fn u32(&mut self) -> Option<u32> {
        let mut b = [0; 4];
        self.exact(&mut b).map(|_| u32::from_le_bytes(b))
    }
    fn u64(&mut self) -> Option<u64> {
        let mut b = [0; 8];
        self.exact(&mut b).map(|_| u64::from_le_bytes(b))
    }
    fn i16(&mut self) -> Option<i16> {
        let mut b = [0; 2];
        self.exact(&mut b).map(|_| i16::from_le_bytes(b))
    }
    /// Moves past `n` bytes without reading them; past the end, the next read fails.
    fn skip(&mut self, n: u64) -> Option<()> {
        self.inner.seek_relative(i64::try_from(n).ok()?).ok()?;
        self.at += n;
        (self.at <= self.length).then_some(())
    }
}
