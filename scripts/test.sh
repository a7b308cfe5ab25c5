#!/usr/bin/env bash
# Runs every test: the UI type check and build, then the Rust workspace (engine against
# real SQLite files, the CLI binary, and the desktop app crate).
source "$(dirname "$0")/lib/common.sh"
setup_all
build_ui
log "running the Rust tests"
cd "$ROOT"
cargo test --workspace --no-fail-fast
