#!/bin/bash
# The index built on Spark (local[2], --index-out) and adopted on the desktop
# (`vectors import-index`), beside the desktop building the same index itself (`index`),
# at two sizes. Run from the repository root after ./scripts/test.sh (the CLI, the model,
# the Spark venv and the wheel are then in place):
#     spark/bench_index.sh [ROWS ...]        (default: 5000 20000)
set -euo pipefail
A="${ATLAS:-${CARGO_TARGET_DIR:-$HOME/.cache/incident-atlas/target}/debug/incident-atlas}"
M="${MODEL:-$HOME/.local/share/incident-atlas/models/all-MiniLM-L6-v2}"
# shellcheck disable=SC1091
source "${INCIDENT_ATLAS_SPARK_VENV:-$HOME/.cache/incident-atlas/spark-venv}/bin/activate"
export PYSPARK_PYTHON="$(command -v python)" PYSPARK_DRIVER_PYTHON="$(command -v python)" SPARK_LOCAL_IP=127.0.0.1
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for n in "${@:-5000 20000}"; do
  for N in $n; do
    R="$scratch/$N"; mkdir -p "$R"
    "$A" demo-data --rows "$N" --seed 5 --out "$R/r.csv" >/dev/null
    "$A" init "$R/p" >/dev/null; "$A" --project "$R/p" ingest "$R/r.csv" -q >/dev/null
    python spark/encode_reports.py --master 'local[2]' --input "$R/r.csv" --model "$M" --output "$R/v.parquet" \
      --index-out "$R/index" 2>/dev/null | tail -1 | python -c 'import json,sys; r=json.load(sys.stdin); print(f"{r[\"reports\"]} reports: Spark index stage {r[\"index_seconds\"]} s ({r[\"index_shards\"]} shard(s))")'
    "$A" --project "$R/p" vectors import "$R/v.parquet" --model all-MiniLM-L6-v2 -q >/dev/null
    cp -r "$R/p" "$R/q"
    "$A" --project "$R/p" --json vectors import-index "$R/index" --model all-MiniLM-L6-v2 \
      | python -c 'import json,sys; r=json.load(sys.stdin); print(f"  vectors import-index: {r[\"rows\"]} rows checked and adopted in {r[\"seconds\"]:.2f} s")'
    "$A" --project "$R/q" --json index --model all-MiniLM-L6-v2 \
      | python -c 'import json,sys; r=json.load(sys.stdin); print(f"  desktop index build: {r[\"size\"]} rows in {r[\"seconds\"]:.2f} s")'
  done
done
