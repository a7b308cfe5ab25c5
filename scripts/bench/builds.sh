#!/usr/bin/env bash
# Encode and analyse speed of builds against each other (issue 23: the release build the
# package ships against the development build), through the real binaries: for each size
# in SIZES (reports from the demo data), a fresh project per binary, then `encode` and
# `analyse` with MODEL timed. Binaries alternate per size, so both see the same machine.
# Prints seconds and reports per second per step, and each binary's time over the first's.
#   scripts/bench/builds.sh BIN [BIN...]     (SIZES="2000 5000" MODEL=all-MiniLM-L6-v2)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sizes="${SIZES:-2000 5000}"
model="${MODEL:-all-MiniLM-L6-v2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

slice() { # N -> a CSV of the first N whole demo records
  python3 - "$root/assets/demo/incidents.csv" "$1" "$work/reports-$1.csv" <<'PY'
import csv, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(src, newline="") as f, open(out, "w", newline="") as g:
    r, w = csv.reader(f), csv.writer(g)
    w.writerow(next(r))
    for i, row in enumerate(r):
        if i >= n:
            break
        w.writerow(row)
PY
}

timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); python3 -c "print(round($e - $s, 2))"; }

printf '%-8s %-7s %-60s %9s %11s %9s\n' reports step binary seconds reports/s ratio
for n in $sizes; do
  slice "$n"
  declare -A first=()
  for bin in "$@"; do
    p="$work/p-$n-$RANDOM"
    "$bin" init "$p" >/dev/null
    "$bin" --project "$p" --quiet ingest "$work/reports-$n.csv" >/dev/null
    for step in encode analyse; do
      t=$(timed "$bin" --project "$p" --quiet "$step" --model "$model")
      [ -n "${first[$step]:-}" ] || first[$step]="$t"
      printf '%-8s %-7s %-60s %9s %11s %9s\n' "$n" "$step" "$bin" "$t" \
        "$(python3 -c "print(round($n / $t, 1))")" "$(python3 -c "print(round($t / ${first[$step]}, 3))")"
    done
    rm -rf "$p"
  done
  unset first
done
