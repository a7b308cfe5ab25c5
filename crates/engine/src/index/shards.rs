//! An index kept as shards: contiguous runs of rows (in incident-id order), each its own
//! usearch graph in `shard-NNN.usearch` under the index's folder, built side by side on all
//! cores and searched together.
//!
//! One HNSW graph built from several threads depends on their timing; a shard is built
//! from one thread in row order, and which rows go to which shard depends only on the row
//! count, so the files are the same whatever the thread count or timing. A search asks each
//! shard for its own nearest and keeps the best by (distance, key).

use super::file_check;
use super::options::{native_err, new_index, IndexError, IndexOptions};
use crate::jobs::{CancelToken, Progress};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use usearch::Index;

/// The most rows one shard takes while an index grows; a fresh build of up to 4 x this many
/// rows makes at most 4 shards.
pub const SHARD_ROWS: usize = 262_144;
/// Fresh builds of at least twice this many rows get two shards or more, so that two cores
/// build at once.
const MIN_SPLIT_ROWS: usize = 50_000;

/// How a fresh build of `n` rows is split: as even contiguous runs as possible, their
/// number a function of `n` alone. With `split`, `n` of at least twice `MIN_SPLIT_ROWS`
/// makes two shards or more so that two cores build at once; without, shards are as few as
/// `SHARD_ROWS` allows, for an index searched far more than built (each search asks every
/// shard, so two shards cost nearly twice one).
pub(super) fn fresh_layout(n: usize, split: bool) -> Vec<Range<usize>> {
    let floor = if split && n >= 2 * MIN_SPLIT_ROWS { 2 } else { 1 };
    let count = n.div_ceil(SHARD_ROWS).max(floor);
    (0..count).map(|j| j * n / count..(j + 1) * n / count).collect()
}

/// Where rows appended to shards of the sizes `sizes` go: first into the last shard up to
/// `SHARD_ROWS`, then into new shards of `SHARD_ROWS` each. Returns (shard, rows) pairs,
/// shard numbers past the end meaning new shards.
pub(super) fn append_layout(sizes: &[usize], added: usize) -> Vec<(usize, Range<usize>)> {
    let mut out = Vec::new();
    let mut start = 0;
    if let Some(&last) = sizes.last() {
        let room = SHARD_ROWS.saturating_sub(last).min(added);
        if room > 0 {
            out.push((sizes.len() - 1, 0..room));
            start = room;
        }
    }
    let mut shard = sizes.len();
    while start < added {
        let end = (start + SHARD_ROWS).min(added);
        out.push((shard, start..end));
        start = end;
        shard += 1;
    }
    out
}

/// `shard-NNN.usearch` in `dir`.
pub(super) fn shard_path(dir: &Path, shard: usize) -> PathBuf {
    dir.join(format!("shard-{shard:03}.usearch"))
}

/// The shard files of the index in `dir`, in order (shard-000 onwards, up to the first gap).
pub(super) fn shard_files(dir: &Path) -> Vec<PathBuf> {
    (0..)
        .map(|j| shard_path(dir, j))
        .take_while(|p| p.is_file())
        .collect()
}

/// A new, empty shard with room for `rows`.
pub(super) fn new_shard(
    dimension: usize,
    options: &IndexOptions,
    path: &Path,
    rows: usize,
) -> Result<Index, IndexError> {
    let index = new_index(dimension, options, path)?;
    index.reserve(rows).map_err(|e| native_err(path, e))?;
    Ok(index)
}

/// Adds rows to shards: job `(shard, rows)` adds `ids[rows]` (with their vectors in `data`)
/// to `shards[shard]` in order from one thread; jobs run on all cores at once. Returns
/// false when cancelled (the shards are then part-filled and must be dropped).
pub(super) fn fill(
    shards: &[Index],
    jobs: &[(usize, Range<usize>)],
    ids: &[i64],
    data: &[f32],
    path: &Path,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<bool, IndexError> {
    let total: usize = jobs.iter().map(|(_, rows)| rows.len()).sum();
    progress.set_total(total as u64);
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .min(jobs.len())
        .max(1);
    let next_job = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let worker = || -> Result<(), IndexError> {
        loop {
            let j = next_job.fetch_add(1, Ordering::Relaxed);
            let Some((shard, rows)) = jobs.get(j) else {
                return Ok(());
            };
            let index = &shards[*shard];
            let dim = index.dimensions().max(1);
            let mut reported = 0;
            for (i, row) in rows.clone().enumerate() {
                if i % 1024 == 0 {
                    if cancel.is_cancelled() || failed.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    let so_far = done.fetch_add((i - reported) as u64, Ordering::Relaxed);
                    progress.set_position(so_far + (i - reported) as u64);
                    reported = i;
                }
                let vector = &data[row * dim..(row + 1) * dim];
                if let Err(e) = index.add(ids[row] as u64, vector) {
                    failed.store(true, Ordering::Relaxed);
                    return Err(native_err(path, e));
                }
            }
            done.fetch_add((rows.len() - reported) as u64, Ordering::Relaxed);
        }
    };
    let results: Vec<Result<(), IndexError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(&worker)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(native_err(path, "index build thread panicked"))))
            .collect()
    });
    for r in results {
        r?;
    }
    if cancel.is_cancelled() {
        return Ok(false);
    }
    progress.set_position(total as u64);
    Ok(true)
}

/// What goes into a shard file of a folder being written.
pub(super) enum ShardFile<'a> {
    /// An unchanged shard: its file is hard-linked (or copied) from here.
    Keep(PathBuf),
    Write(&'a Index),
}

/// Writes the folder `dir` with these shards, replacing any folder or file there once the
/// new one is complete. Returns its size in bytes and digest.
pub(super) fn write_dir(dir: &Path, shards: &[ShardFile]) -> Result<(u64, String), IndexError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io { path, source }
    };
    let staging = staging_dir(dir)?;
    for (j, shard) in shards.iter().enumerate() {
        let target = shard_path(&staging, j);
        match shard {
            ShardFile::Keep(from) => {
                if std::fs::hard_link(from, &target).is_err() {
                    std::fs::copy(from, &target).map_err(io(from))?;
                }
            }
            ShardFile::Write(index) => index
                .save(&target.to_string_lossy())
                .map_err(|e| native_err(&target, e))?,
        }
    }
    let digest = dir_digest(&staging)?;
    replace_dir(&staging, dir)?;
    Ok(digest)
}

/// The markers of the transient names below: `~` never appears in an index folder's own
/// name (`index_path` escapes it), so no model's index is taken for a leftover.
const TRANSIENT: [&str; 3] = ["~tmp-", "~old-", "~pending-"];

/// `<dir>~<kind>-<pid>-<n>`: a name beside `dir` that no other writer uses, in this process
/// (two jobs of the app) or another, and that tells the sweep whose it is.
pub(super) fn transient_path(dir: &Path, kind: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.with_file_name(format!("{name}~{kind}-{}-{n}", std::process::id()))
}

/// A fresh, empty folder beside `dir` to write its replacement in, after sweeping the
/// transient folders of writers that died.
pub(super) fn staging_dir(dir: &Path) -> Result<PathBuf, IndexError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io { path, source }
    };
    if let Some(parent) = dir.parent() {
        crate::leftovers::sweep(parent, |name| {
            TRANSIENT.iter().find_map(|marker| crate::leftovers::pid_after(name, marker))
        });
    }
    let staging = transient_path(dir, "tmp");
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    Ok(staging)
}

/// Puts the folder `from` at `to`, removing what was there (a folder, or the single file
/// an index was kept in before shards).
pub(super) fn replace_dir(from: &Path, to: &Path) -> Result<(), IndexError> {
    let io = |source| IndexError::Io {
        path: to.to_path_buf(),
        source,
    };
    // On disk before the old one goes: a crash then leaves one whole index or the other.
    ml::durable::sync_tree(from).map_err(io)?;
    if to.is_dir() {
        let old = transient_path(to, "old");
        std::fs::rename(to, &old).map_err(io)?;
        ml::durable::commit_rename(from, to).map_err(io)?;
        std::fs::remove_dir_all(&old).map_err(io)?;
    } else {
        if to.exists() {
            std::fs::remove_file(to).map_err(io)?;
        }
        ml::durable::commit_rename(from, to).map_err(io)?;
    }
    Ok(())
}

/// Total bytes and digest of the index folder `dir`: SHA-256 over each shard file's name
/// and SHA-256, in order, so a changed, missing or extra shard changes it.
pub fn dir_digest(dir: &Path) -> Result<(u64, String), IndexError> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut bytes = 0;
    for path in shard_files(dir) {
        let (sha, len) = crate::digest::sha256_file(&path, |_| true).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        hasher.update(format!("{name} {sha}\n"));
        bytes += len;
    }
    Ok((bytes, crate::digest::hex(&hasher.finalize())))
}

/// Opens every shard in `dir`, memory-mapped when `viewed`; an error when there are none
/// or one holds vectors of another dimension.
pub(super) fn open_dir(
    dir: &Path,
    dimension: usize,
    options: &IndexOptions,
    viewed: bool,
) -> Result<Vec<Index>, IndexError> {
    let files = shard_files(dir);
    if files.is_empty() {
        return Err(native_err(dir, "holds no index shards"));
    }
    files
        .iter()
        .map(|path| {
            file_check::check_shard(path, dimension, options.quantisation.vector_bytes(dimension))?;
            let index = new_index(dimension, options, path)?;
            let name = path.to_string_lossy();
            if viewed { index.view(&name) } else { index.load(&name) }.map_err(|e| native_err(path, e))?;
            if index.dimensions() != dimension {
                let message = format!("holds {}-d vectors, model has {dimension}", index.dimensions());
                return Err(native_err(path, message));
            }
            index.change_expansion_search(options.expansion_search);
            Ok(index)
        })
        .collect()
}

/// How many vectors the shards in `dir` hold, each shard checked whole first
/// (`file_check`): an error for the first that is not well formed.
pub(super) fn checked_count(dir: &Path, dimension: usize, options: &IndexOptions) -> Result<u64, IndexError> {
    let mut total = 0;
    for path in shard_files(dir) {
        total += file_check::check_shard(&path, dimension, options.quantisation.vector_bytes(dimension))?;
    }
    Ok(total)
}

/// The best `k` of the shards' results, by (distance, key).
pub(super) fn merge(mut found: Vec<(u64, f32)>, k: usize) -> Vec<(u64, f32)> {
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    found.dedup_by_key(|hit| hit.0);
    found.truncate(k);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_layouts_cover_every_row_once_in_order() {
        for n in [0, 1, 99_999, 100_000, 150_000, 262_144, 1_000_000, 1_048_577] {
            let layout = fresh_layout(n, true);
            assert_eq!(layout.first().map(|r| r.start), Some(0));
            assert_eq!(layout.last().map(|r| r.end), Some(n));
            assert!(layout.windows(2).all(|w| w[0].end == w[1].start));
            assert!(layout.iter().all(|r| r.len() <= SHARD_ROWS));
        }
        assert_eq!(fresh_layout(99_999, true).len(), 1);
        assert_eq!(fresh_layout(150_000, true).len(), 2);
        assert_eq!(fresh_layout(150_000, false).len(), 1);
        assert_eq!(fresh_layout(1_000_000, true).len(), 4);
        assert_eq!(fresh_layout(1_000_000, false).len(), 4);
    }

    #[test]
    fn appended_rows_fill_the_last_shard_then_new_ones() {
        let plan = append_layout(&[SHARD_ROWS, SHARD_ROWS - 10], 10 + SHARD_ROWS + 5);
        assert_eq!(
            plan,
            vec![(1, 0..10), (2, 10..10 + SHARD_ROWS), (3, 10 + SHARD_ROWS..15 + SHARD_ROWS)]
        );
        assert_eq!(append_layout(&[], 3), vec![(0, 0..3)]);
        assert_eq!(append_layout(&[5], 0), vec![]);
    }

    /// `n` pseudo-random `d`-d vectors around a few centres, so neighbours are meaningful.
    fn vectors(n: usize, d: usize) -> (Vec<i64>, Vec<f32>) {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let centres: Vec<f32> = (0..8 * d).map(|_| next()).collect();
        let mut data = Vec::with_capacity(n * d);
        for i in 0..n {
            let c = &centres[(i % 8) * d..(i % 8 + 1) * d];
            data.extend(c.iter().map(|x| x + 0.3 * next()));
        }
        ((1..=n as i64).map(|i| i * 3).collect(), data)
    }

    fn build(ids: &[i64], data: &[f32], d: usize, jobs: &[(usize, Range<usize>)]) -> Vec<Index> {
        let here = Path::new("<test>");
        let count = jobs.iter().map(|(s, _)| s + 1).max().unwrap_or(0);
        let built: Vec<Index> = (0..count)
            .map(|s| {
                let rows = jobs.iter().filter(|(j, _)| *j == s).map(|(_, r)| r.len()).sum();
                new_shard(d, &IndexOptions::default(), here, rows).unwrap()
            })
            .collect();
        let cancel = CancelToken::new();
        assert!(fill(&built, jobs, ids, data, here, &crate::jobs::NoProgress, &cancel).unwrap());
        built
    }

    fn bytes(index: &Index) -> Vec<u8> {
        let mut buf = vec![0u8; index.serialized_length()];
        index.save_to_buffer(&mut buf).unwrap();
        buf
    }

    #[test]
    fn shards_built_side_by_side_are_the_same_whatever_the_timing() {
        let d = 16;
        let (ids, data) = vectors(9_000, d);
        let jobs: Vec<_> = [0..3_000, 3_000..6_000, 6_000..9_000].into_iter().enumerate().collect();
        let together = build(&ids, &data, d, &jobs);
        let again = build(&ids, &data, d, &jobs);
        for (s, job) in jobs.iter().enumerate() {
            // Each shard alone, nothing else building: the same graph byte for byte.
            let alone = build(&ids, &data, d, &[(0, job.1.clone())]);
            assert_eq!(bytes(&together[s]), bytes(&alone[0]), "shard {s}");
            assert_eq!(bytes(&together[s]), bytes(&again[s]), "shard {s}");
        }
    }

    #[test]
    fn shards_searched_together_find_the_exact_nearest() {
        let d = 16;
        let (ids, data) = vectors(6_000, d);
        let jobs: Vec<_> = [0..2_000, 2_000..4_000, 4_000..6_000].into_iter().enumerate().collect();
        let built = build(&ids, &data, d, &jobs);
        let cosine = |a: &[f32], b: &[f32]| {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
            let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
            1.0 - dot / (na * nb)
        };
        let mut hits = 0;
        let queries: Vec<usize> = (0..ids.len()).step_by(60).collect();
        for &q in &queries {
            let query = &data[q * d..(q + 1) * d];
            let mut found = Vec::new();
            for shard in &built {
                let m = shard.search(query, 10).unwrap();
                found.extend(m.keys.iter().copied().zip(m.distances.iter().copied()));
            }
            let found = merge(found, 10);
            let mut exact: Vec<(u64, f32)> = (0..ids.len())
                .map(|r| (ids[r] as u64, cosine(query, &data[r * d..(r + 1) * d])))
                .collect();
            exact.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let exact: Vec<u64> = exact.iter().take(10).map(|e| e.0).collect();
            hits += found.iter().filter(|f| exact.contains(&f.0)).count();
        }
        let recall = hits as f64 / (10 * queries.len()) as f64;
        assert!(recall >= 0.95, "recall@10 {recall}");
    }

    #[test]
    fn a_written_folder_reopens_and_its_digest_sees_any_changed_shard() {
        let d = 8;
        let (ids, data) = vectors(1_000, d);
        let built = build(&ids, &data, d, &[(0, 0..600), (1, 600..1_000)]);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("model.usearch");
        // A file from before shards is replaced by the folder.
        std::fs::write(&dir, b"old single-file index").unwrap();
        let files: Vec<ShardFile> = built.iter().map(ShardFile::Write).collect();
        let (size, sha) = write_dir(&dir, &files).unwrap();
        assert!(size > 0 && dir.is_dir());
        assert_eq!(dir_digest(&dir).unwrap(), (size, sha.clone()));
        assert_eq!(checked_count(&dir, d, &IndexOptions::default()).unwrap(), 1_000);
        let opened = open_dir(&dir, d, &IndexOptions::default(), true).unwrap();
        assert_eq!(opened.iter().map(Index::size).collect::<Vec<_>>(), vec![600, 400]);
        assert!(open_dir(&dir, d + 1, &IndexOptions::default(), false).is_err());

        // Kept shards are linked into the new folder; the digest is the same.
        let copy = tmp.path().join("copy.usearch");
        let kept: Vec<ShardFile> = shard_files(&dir).into_iter().map(ShardFile::Keep).collect();
        assert_eq!(write_dir(&copy, &kept).unwrap().1, sha);
        std::fs::write(shard_path(&copy, 1), b"changed").unwrap();
        assert_ne!(dir_digest(&copy).unwrap().1, sha);
        assert!(open_dir(&copy, d, &IndexOptions::default(), false).is_err());
        std::fs::write(shard_path(&copy, 2), b"extra").unwrap();
        let empty = tmp.path().join("empty.usearch");
        std::fs::create_dir(&empty).unwrap();
        assert!(open_dir(&empty, d, &IndexOptions::default(), false).is_err());
    }

    #[test]
    fn merging_keeps_the_nearest_by_distance_then_key() {
        let found = vec![(9, 0.5), (3, 0.1), (4, 0.5), (3, 0.1), (1, 0.9)];
        assert_eq!(merge(found, 3), vec![(3, 0.1), (4, 0.5), (9, 0.5)]);
    }
}
