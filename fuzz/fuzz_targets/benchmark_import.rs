//! A benchmark file's reader (CSV or JSONL, by the first byte's lowest bit) on arbitrary
//! bytes: the header and items, or a clear error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let name = if kind & 1 == 0 { "benchmark.csv" } else { "benchmark.jsonl" };
    let path = incident_atlas_fuzz::put(name, rest);
    let _ = engine::review::benchmark::read_benchmark_file(&path);
});
