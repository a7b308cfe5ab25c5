//! `bench search`: latency and recall of the HNSW index on random unit vectors, against
//! exact search, at each quantisation.

use engine::bench::{MemoryIndex, SplitMix64};
use engine::index::IndexOptions;
use serde::Serialize;
use std::time::Instant;

#[derive(Serialize)]
pub struct SearchFigures {
    pub vectors: usize,
    pub dimension: usize,
    pub threads: usize,
    pub expansion_add: usize,
    pub build_seconds: f64,
    pub index_mib: f64,
    pub queries: usize,
    /// (expansion, p50 ms, p99 ms, recall@10 against exact search)
    pub by_expansion: Vec<(usize, f64, f64, f64)>,
    /// One exact (brute-force) query, for scale.
    pub exact_ms: f64,
}

pub fn search_bench(
    n: usize,
    dimension: usize,
    queries: usize,
    expansion_add: usize,
    seed: u64,
) -> anyhow::Result<SearchFigures> {
    let mut rng = SplitMix64::new(seed);
    let data = unit_vectors(&mut rng, n, dimension);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let started = Instant::now();
    let options = IndexOptions {
        expansion_add,
        ..IndexOptions::default()
    };
    let index = MemoryIndex::build(&data, dimension, &options, threads)?;
    let build_seconds = started.elapsed().as_secs_f64();
    // Queries: fresh random unit vectors, not indexed points.
    let qs = unit_vectors(&mut rng, queries, dimension);
    let exact_n = queries.min(100);
    let exact_started = Instant::now();
    let exact: Vec<Vec<u64>> = (0..exact_n)
        .map(|q| {
            let qv = &qs[q * dimension..(q + 1) * dimension];
            let mut scored: Vec<(f32, u64)> = data
                .chunks_exact(dimension)
                .enumerate()
                .map(|(i, row)| {
                    (
                        -row.iter().zip(qv).map(|(a, b)| a * b).sum::<f32>(),
                        i as u64,
                    )
                })
                .collect();
            scored.select_nth_unstable_by(10, |a, b| a.0.total_cmp(&b.0));
            scored[..10].iter().map(|s| s.1).collect()
        })
        .collect();
    let exact_ms = exact_started.elapsed().as_secs_f64() * 1000.0 / exact_n.max(1) as f64;
    let mut by_expansion = Vec::new();
    for expansion in [64usize, 128, 256] {
        index.set_expansion(expansion);
        let mut latencies = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for q in 0..queries {
            let qv = &qs[q * dimension..(q + 1) * dimension];
            let t = Instant::now();
            let found = index.search(qv, 10)?;
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            if q < exact_n {
                hits += found.iter().filter(|(k, _)| exact[q].contains(k)).count();
            }
        }
        latencies.sort_by(f64::total_cmp);
        let pct =
            |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        by_expansion.push((
            expansion,
            pct(0.50),
            pct(0.99),
            hits as f64 / (10 * exact_n) as f64,
        ));
    }
    Ok(SearchFigures {
        vectors: n,
        dimension,
        threads,
        expansion_add,
        build_seconds,
        index_mib: index.memory_bytes() as f64 / (1 << 20) as f64,
        queries,
        by_expansion,
        exact_ms,
    })
}

pub fn print_search(f: &SearchFigures) {
    println!(
        "search: {} random unit vectors of {} dimensions; HNSW (M=16, ef_add={}) built in {:.1} s on {} threads, {:.0} MiB",
        f.vectors, f.dimension, f.expansion_add, f.build_seconds, f.threads, f.index_mib
    );
    for (ef, p50, p99, recall) in &f.by_expansion {
        println!(
            "  ef {ef:>3}: p50 {p50:.3} ms, p99 {p99:.3} ms over {} queries, recall@10 {recall:.3}",
            f.queries
        );
    }
    println!(
        "  peer: exact brute-force search {:.1} ms per query (one thread)",
        f.exact_ms
    );
}

/// `n` random unit vectors of `dimension` (Gaussian draws, normalised).
fn unit_vectors(rng: &mut SplitMix64, n: usize, dimension: usize) -> Vec<f32> {
    let mut data = rng.gaussian(n * dimension);
    for row in data.chunks_exact_mut(dimension) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        row.iter_mut().for_each(|v| *v /= norm);
    }
    data
}
