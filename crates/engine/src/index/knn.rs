//! The k-nearest-neighbour graph of every indexed vector, read from the HNSW index: the
//! input of UMAP (both the 5-d reduction for HDBSCAN and the 2-d map).

use super::{native_err, IndexError, SimilarityIndex};
use crate::jobs::{CancelToken, Progress};
use ml::umap::Knn;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// For the points `ids` (with vectors `data`, row-major), their `k` nearest other points
/// among `ids`, as row positions. Searches run on all cores; the result does not depend on
/// how they are scheduled. Returns None when cancelled.
pub fn knn_graph(
    index: &SimilarityIndex,
    ids: &[i64],
    data: &[f32],
    k: usize,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Knn>, IndexError> {
    neighbours_among(index, ids, data, true, k, progress, cancel)
}

/// For each row of `queries`, its `k` nearest points among `ids` (which the index holds),
/// as positions in `ids`. With `queries_are_ids`, row r of `queries` is point `ids[r]`
/// itself and is left out of its own neighbours. Returns None when cancelled.
pub fn neighbours_among(
    index: &SimilarityIndex,
    ids: &[i64],
    queries: &[f32],
    queries_are_ids: bool,
    k: usize,
    progress: &dyn Progress,
    cancel: &CancelToken,
) -> Result<Option<Knn>, IndexError> {
    let dim = index.model.dimension;
    let data = queries;
    let n = data.len() / dim.max(1);
    let outside = index.len().saturating_sub(ids.len());
    let position: HashMap<i64, u32> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i as u32))
        .collect();
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    // The current rayon pool's size: every core on the desktop, the caller's share where it
    // runs inside a pool of its own (the Python wheel on a Spark executor).
    let threads = rayon::current_num_threads().min(n.max(1));
    let rows_per_thread = n.div_ceil(threads.max(1)).max(1);
    let done = AtomicU64::new(0);
    progress.set_total(n as u64);
    let results: Vec<Result<(), IndexError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = indices
            .chunks_mut(rows_per_thread * k)
            .zip(distances.chunks_mut(rows_per_thread * k))
            .enumerate()
            .map(|(t, (idx_out, dist_out))| {
                let (position, done) = (&position, &done);
                scope.spawn(move || -> Result<(), IndexError> {
                    let first = t * rows_per_thread;
                    // Ask for a few extra: the point itself, and neighbours outside `ids`.
                    let want = k + usize::from(queries_are_ids) + outside.min(16);
                    for (r, (idx_row, dist_row)) in idx_out
                        .chunks_mut(k)
                        .zip(dist_out.chunks_mut(k))
                        .enumerate()
                    {
                        let row = first + r;
                        if r % 256 == 0 {
                            if cancel.is_cancelled() {
                                return Ok(());
                            }
                            progress.set_position(done.fetch_add(256, Ordering::Relaxed));
                        }
                        let query = &data[row * dim..(row + 1) * dim];
                        let found = index.search_keys(query, want)?;
                        let mut filled = 0;
                        for (key, d) in found {
                            match position.get(&(key as i64)) {
                                Some(&p)
                                    if !(queries_are_ids && p as usize == row) && filled < k =>
                                {
                                    idx_row[filled] = p;
                                    dist_row[filled] = d.max(0.0);
                                    filled += 1;
                                }
                                _ => {}
                            }
                        }
                        // Fewer results than asked (tiny index): repeat the farthest found, or
                        // point at self, which UMAP ignores; a new point with nothing found
                        // gets the farthest possible cosine distance, which nothing is near.
                        for j in filled..k {
                            let (i, d) = match (filled, queries_are_ids) {
                                (0, true) => (row as u32, 0.0),
                                (0, false) => (0, 2.0),
                                _ => (idx_row[filled - 1], dist_row[filled - 1]),
                            };
                            idx_row[j] = i;
                            dist_row[j] = d;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(native_err(&index.path, "search thread panicked")))
            })
            .collect()
    });
    for r in results {
        r?;
    }
    if cancel.is_cancelled() {
        return Ok(None);
    }
    progress.set_position(n as u64);
    Ok(Some(Knn {
        n,
        k,
        indices,
        distances,
    }))
}
