#!/usr/bin/env bash
# Runs every test: the UI type check and build, then the Rust workspace (engine against
# real SQLite files, the CLI binary, and the desktop app crate). Ends with one line that
# adds up every suite: "total: N passed, M failed".
source "$(dirname "$0")/lib/common.sh"
setup_all
build_ui
cd "$ROOT"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

status=0
log "running the Rust tests"
cargo test --workspace --no-fail-fast 2>&1 | tee "$log_dir/cargo.log" || status=1

passed=$(grep -E '^test result:' "$log_dir"/*.log | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$log_dir"/*.log | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a suite failed to build or run at all
fi
echo "total: $passed passed, $failed failed"
exit "$status"
