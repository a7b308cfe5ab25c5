#!/usr/bin/env bash
# Labelling throughput through the real binary, for comparing builds (issue 22's "no more
# than 5% slower"): LABELS labels streamed to `review label --stdin` on a fresh project of
# the first 2,000 demo reports; each label is acknowledged ("ok") only once committed with a
# full fsync and its (sealed) audit entry. Every binary given is run REPS times, alternating,
# and its median printed with labels per second.
#   scripts/bench/labelling.sh BIN [BIN...]      (LABELS=400 REPS=5 by default)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
labels="${LABELS:-400}"
reps="${REPS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -n 2001 "$root/assets/demo/incidents.csv" > "$work/reports.csv"

once() { # BIN -> seconds for the labels
  local bin="$1" p="$work/p-$RANDOM$RANDOM"
  "$bin" init "$p" >/dev/null
  "$bin" --project "$p" --quiet ingest --skip-bad "$work/reports.csv" >/dev/null
  "$bin" --project "$p" review reviewer add ana >/dev/null
  "$bin" --project "$p" review schema check --label agree --label disagree >/dev/null
  "$bin" --project "$p" review session --name bench --schema check --count "$labels" >/dev/null
  "$bin" --project "$p" --json review finals 1 \
    | python3 -c 'import json,sys; [print(f["external_id"] + ("\tagree" if i % 3 else "\tdisagree")) for i, f in enumerate(json.load(sys.stdin))]' \
    > "$work/labels.tsv"
  local start end
  start=$(date +%s.%N)
  "$bin" --project "$p" review label 1 --reviewer ana --stdin < "$work/labels.tsv" > "$work/acks.txt"
  end=$(date +%s.%N)
  [ "$(grep -c '^ok' "$work/acks.txt")" -eq "$labels" ] || { echo "error: $bin acknowledged $(grep -c '^ok' "$work/acks.txt") of $labels labels" >&2; exit 1; }
  rm -rf "$p"
  python3 -c "print(round($end - $start, 4))"
}

declare -A times
for r in $(seq "$reps"); do
  for bin in "$@"; do
    times[$bin]+="$(once "$bin") "
  done
done
for bin in "$@"; do
  median=$(printf '%s\n' ${times[$bin]} | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
  printf '%s: %d labels, median %.3f s over %d runs (%.1f labels/s); runs: %s\n' "$bin" "$labels" "$median" "$reps" "$(python3 -c "print($labels / $median)")" "${times[$bin]}"
done
