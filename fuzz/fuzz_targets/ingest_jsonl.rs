//! A JSONL import's reader (keys become columns), mapping and validation on arbitrary
//! bytes: rows or a clear error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = incident_atlas_fuzz::put("in.jsonl", data);
    let _ = engine::ingest::check_file(&path, &engine::ingest::IngestOptions::default());
    // The first run's preview reads the same bytes with a mapping that goes past conflicts.
    let _ = engine::ingest::preview_file(&path, &engine::ingest::IngestOptions::default());
});
