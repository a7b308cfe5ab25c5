#!/usr/bin/env bash
# Builds the coverage-guided fuzz targets in fuzz/ (libFuzzer, on the stable toolchain: the
# instrumentation flags cargo-fuzz passes, without a sanitizer) and runs each for RUNS
# executions (default 1,000,000), starting from the seeds in fuzz/seeds/<target> and the
# corpus earlier runs grew (kept in the build cache). Prints "# pass 1" or "# fail 1" per
# target, as the test summary counts them; a failing input is kept in
# test-artifacts/fuzz/<target>/ to reproduce with `<binary> <file>`.
#   scripts/fuzz.sh [RUNS] [TARGET...]
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest_csv ingest_jsonl model_folder benchmark_import)

triple="$(rustc -vV | sed -n 's/^host: //p')"
fuzz_target_dir="$(dirname "$CARGO_TARGET_DIR")/fuzz-target"
# --target keeps the flags off build scripts and proc macros, which run inside the build.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
log "building the fuzz targets (instrumented release build in $fuzz_target_dir)"
cargo build --release --locked --quiet --manifest-path fuzz/Cargo.toml --target "$triple" \
  --target-dir "$fuzz_target_dir" --bins
unset RUSTFLAGS

status=0
for target in "${targets[@]}"; do
  corpus="$(dirname "$CARGO_TARGET_DIR")/fuzz-corpus/$target"
  artifacts="$ROOT/test-artifacts/fuzz/$target/"
  mkdir -p "$corpus" "$artifacts"
  log "fuzzing $target for $runs executions"
  started=$(date +%s)
  if FUZZ_SCRATCH="$(mktemp -d)" "$fuzz_target_dir/$triple/release/$target" \
      -runs="$runs" -max_len=16384 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts" "$corpus" "fuzz/seeds/$target" >"$artifacts/log.txt" 2>&1; then
    done_line="$(grep -E '^Done [0-9]+ runs' "$artifacts/log.txt" | tail -1)"
    echo "ok $target: $done_line (corpus $(ls "$corpus" | wc -l) inputs, $(( $(date +%s) - started )) s)"
    echo "# pass 1"
  else
    tail -40 "$artifacts/log.txt" >&2
    echo "not ok $target: a finding, kept in $artifacts"
    echo "# fail 1"
    status=1
  fi
done
exit "$status"
