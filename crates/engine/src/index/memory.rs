//! An index held only in memory and built from several threads at once, for benchmarks:
//! faster to build than the project index, but its graph depends on thread timing, so
//! nothing that must be reproducible reads from it.

use super::{native_err, new_index, IndexError, IndexOptions};
use std::path::Path;
use usearch::Index;

pub struct MemoryIndex {
    index: Index,
    dimension: usize,
}

impl MemoryIndex {
    /// Indexes the rows of `data` (n × dimension) under keys 0..n on `threads` threads.
    pub fn build(
        data: &[f32],
        dimension: usize,
        options: &IndexOptions,
        threads: usize,
    ) -> Result<MemoryIndex, IndexError> {
        let here = Path::new("<memory>");
        let index = new_index(dimension, options, here)?;
        let n = data.len() / dimension;
        let threads = threads.max(1);
        index
            .reserve_capacity_and_threads(n, threads)
            .map_err(|e| native_err(here, e))?;
        let per = n.div_ceil(threads).max(1);
        let results: Vec<Result<(), IndexError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let index = &index;
                    scope.spawn(move || {
                        for i in (t * per)..((t + 1) * per).min(n) {
                            index
                                .add(i as u64, &data[i * dimension..(i + 1) * dimension])
                                .map_err(|e| native_err(here, e))?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(native_err(here, "build thread panicked")))
                })
                .collect()
        });
        for r in results {
            r?;
        }
        Ok(MemoryIndex { index, dimension })
    }

    /// Keys (row numbers) and cosine distances of the `k` nearest rows.
    pub fn search(&self, query: &[f32], k: usize) -> Result<Vec<(u64, f32)>, IndexError> {
        if query.len() != self.dimension {
            return Err(native_err(
                Path::new("<memory>"),
                "query dimension mismatch",
            ));
        }
        let found = self
            .index
            .search(query, k)
            .map_err(|e| native_err(Path::new("<memory>"), e))?;
        Ok(found.keys.into_iter().zip(found.distances).collect())
    }

    pub fn set_expansion(&self, expansion: usize) {
        self.index.change_expansion_search(expansion);
    }

    pub fn memory_bytes(&self) -> usize {
        self.index.memory_usage()
    }

    pub fn len(&self) -> usize {
        self.index.size()
    }

    pub fn is_empty(&self) -> bool {
        self.index.size() == 0
    }
}
