#!/usr/bin/env bash
# Runs every test: the architecture checks, the UI type check and build, the Rust workspace
# (engine against real SQLite files and model weights, the CLI binary, the desktop app
# crate; the engine's once more with every project encrypted), a short run of each fuzz target, the web UI in Chromium on a fixture backend, the
# real desktop window under Xvfb through WebDriver, and the offline proof (the pipeline and
# the app in an empty network namespace under strace), and, as root, the .deb installed in
# a clean Debian root and run there with no network (scripts/test-package.sh).
# Ends with one line that adds up every suite: "total: N passed, M failed".
source "$(dirname "$0")/lib/common.sh"
setup_all
ensure_tauri_driver
ensure_public_corpus
ensure_st_venv
ensure_spark_venv
build_ui
cd "$ROOT"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

status=0
# Seconds, so the boundaries fail fast: import cycles, layer and crate directions, the
# command list, thin commands (tests/architecture/).
log "checking the architecture's boundaries"
node --test --test-reporter=tap tests/architecture/ 2>&1 | tee "$log_dir/architecture.tap" || status=1

# The fuzz workspace keeps its own lock file; one that lags the engine's dependencies would
# only fail at the fuzz step, half an hour in.
log "checking that fuzz/Cargo.lock matches the workspace's dependencies"
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null \
  || { echo "fuzz/Cargo.lock is out of date: cargo update -w --manifest-path fuzz/Cargo.toml"; status=1; }

log "building the workspace (the window test drives the app binary, and uses the CLI)"
cargo build --quiet || status=1

log "running the Rust tests"
cargo test --no-fail-fast 2>&1 | tee "$log_dir/cargo.log" || status=1

# The engine's suite once more with every project it makes encrypted (SQLCipher): what works
# on a plain project works on an encrypted one. Left out here for time, not for any other
# reason: the clustering suites (analyse, public_corpus: 15 minutes on this machine, the
# same store underneath). The whole suite encrypted passed by hand (closing note of issue 24).
log "running the engine's tests again with every project encrypted"
encrypted_targets=(--lib)
for f in crates/engine/tests/*.rs; do
  name="$(basename "$f" .rs)"
  case "$name" in analyse|public_corpus) ;; *) encrypted_targets+=(--test "$name") ;; esac
done
INCIDENT_ATLAS_PASSPHRASE="engine suite passphrase" INCIDENT_ATLAS_ENCRYPT_NEW=1 \
  cargo test --no-fail-fast -p incident-atlas-engine "${encrypted_targets[@]}" 2>&1 | tee "$log_dir/cargo-encrypted.log" || status=1

# Coverage-guided fuzzing of the hostile-file readers, briefly (a million executions each
# is `scripts/fuzz.sh`'s default, run by hand): a crash, panic or time-out fails the suite.
log "fuzzing the import, model-folder and benchmark readers (20,000 executions each)"
"$ROOT/scripts/fuzz.sh" 20000 2>&1 | tee "$log_dir/fuzz.tap" || status=1

export ATLAS_BIN_DIR="$CARGO_TARGET_DIR/debug"
# The wheel against the CLI, and the Spark job in local mode against both (pytest).
log "building the Python wheel and running its tests and the Spark job's"
build_wheel dev || status=1
"$INCIDENT_ATLAS_SPARK_PYTHON" -m pytest -q -p no:cacheprovider crates/python/tests spark/tests 2>&1 \
  | tee "$log_dir/pytest.log" || status=1

# Browser and window suites: node's test runner, TAP output ("# pass N" / "# fail N").
log "running the UI tests in Chromium (screenshots in test-artifacts/ui)"
node --test --test-reporter=tap tests/ui/ 2>&1 | tee "$log_dir/ui.tap" || status=1
log "running the desktop window tests under Xvfb (screenshots in test-artifacts/window)"
node --test --test-reporter=tap tests/e2e/ 2>&1 | tee "$log_dir/window.tap" || status=1

# The installable package in a clean Debian root (root only: debootstrap, chroot, mounts).
if [ "$(id -u)" -eq 0 ]; then
  log "building the .deb and testing it installed in a clean Debian root (test-artifacts/package)"
  "$ROOT/scripts/test-package.sh" 2>&1 | tee "$log_dir/package.tap" || status=1
else
  log "skipping the package test: it needs root (debootstrap, chroot)"
fi

sum() { grep -hE "$1" "$log_dir"/* | sed -E "s/$2/\1/" | awk '{s+=$1} END {print s+0}'; }
# pytest's summary: "12 passed, 1 failed in 40.1s" (either part may be missing).
pytest_count() { grep -oE "[0-9]+ $1" "$log_dir/pytest.log" 2>/dev/null | tail -1 | grep -oE '^[0-9]+' || echo 0; }
passed=$(( $(sum '^test result:' '.* ([0-9]+) passed.*') + $(sum '^# pass [0-9]+' '^# pass ([0-9]+).*') + $(pytest_count passed) ))
failed=$(( $(sum '^test result:' '.* ([0-9]+) failed.*') + $(sum '^# fail [0-9]+' '^# fail ([0-9]+).*') + $(pytest_count failed) + $(pytest_count error) ))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a suite failed to build or run at all
fi
echo "total: $passed passed, $failed failed"
exit "$status"
