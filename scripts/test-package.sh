#!/usr/bin/env bash
# The installable package, tested the way IT would deploy it (as root; test.sh runs it):
#  1. builds the .deb (scripts/package.sh) and runs lintian on it: any error fails;
#  2. makes a clean Debian root (debootstrap minbase of the host's release, from the Debian
#     registry; the bare root is cached as a tarball and unpacked afresh every run), and
#     installs the package there with apt, its dependencies resolved from the registry;
#  3. checks the root holds no Rust, Node.js or compiler;
#  4. inside an empty network namespace (unshare -n: a loopback and nothing else), runs
#     tests/package/installed.test.mjs: the packaged CLI runs the demo pipeline in the root,
#     and the packaged app, started in the root under Xvfb and driven through WebDriver,
#     opens a project and paints its map (screenshot in test-artifacts/package/).
# Prints "# pass N" / "# fail N" lines the test summary counts.
#   scripts/test-package.sh [DEB]
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "error: the package test installs into a chroot and needs root" >&2; exit 1; }
artefacts="$ROOT/test-artifacts/package"
rm -rf "$artefacts"; mkdir -p "$artefacts"
for p in debootstrap lintian; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; }
done

deb="${1:-}"
if [ -z "$deb" ]; then
  log "building the package"
  deb="$("$ROOT/scripts/package.sh" | tail -1)"
fi
ensure_tauri_driver
log "package: $deb, $(stat -c %s "$deb") bytes"

status=0
log "lintian"
# --no-tag-display-limit: every instance, so the note can list them.
lintian --no-tag-display-limit --info "$deb" > "$artefacts/lintian.txt" 2>&1 || true
cat "$artefacts/lintian.txt"
if grep -q '^E: ' "$artefacts/lintian.txt"; then
  echo "not ok lintian: errors above"; echo "# fail 1"; status=1
else
  echo "ok lintian: no errors ($(grep -c '^W: ' "$artefacts/lintian.txt" || true) warnings)"; echo "# pass 1"
fi

# The bare root, made once per release and day of the registry (so a cached root does not
# age past its security updates), then unpacked afresh for every run.
codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
cache="$HOME/.cache/incident-atlas/debroot"
base="$cache/$codename-minbase-$(date +%Y%m%d).tar"
mirror="${INCIDENT_ATLAS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if [ ! -f "$base" ]; then
  log "debootstrap --variant=minbase $codename (cached as $base)"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/make.XXXXXX")"
  debootstrap --variant=minbase "$codename" "$tmp/root" "$mirror" > "$tmp/log" 2>&1 \
    || { tail -20 "$tmp/log"; rm -rf "$tmp"; exit 1; }
  cat > "$tmp/root/etc/apt/sources.list" <<SOURCES
deb $mirror $codename main
deb $mirror $codename-updates main
deb ${mirror%/debian}/debian-security $codename-security main
SOURCES
  tar -C "$tmp/root" -cf "$base.part" . && mv "$base.part" "$base"
  rm -rf "$tmp"
  find "$cache" -name "$codename-minbase-*.tar" ! -name "$(basename "$base")" -delete
fi

root="$(mktemp -d /var/tmp/atlas-root.XXXXXX)"
mounted=()
cleanup() {
  local i
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
bind() { mkdir -p "$root$2"; mount "${@:3}" "$1" "$root$2"; mounted+=("$root$2"); }
bind proc /proc -t proc
bind sysfs /sys -t sysfs
bind /dev /dev --rbind
# Slave propagation: unmounting the root's /dev must not reach the host's.
mount --make-rslave "$root/dev"
mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix
bind /tmp/.X11-unix /tmp/.X11-unix --bind
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/incident-atlas.deb"

log "installing the package into the clean root with apt"
started=$(date +%s)
if chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/incident-atlas.deb' \
    > "$artefacts/apt.log" 2>&1; then
  echo "ok apt installs the package and its dependencies into a clean $codename root ($(( $(date +%s) - started )) s)"
  echo "# pass 1"
else
  tail -30 "$artefacts/apt.log"; echo "not ok apt install"; echo "# fail 1"; exit 1
fi
chroot "$root" dpkg-query -W -f='${Package} ${Version} Installed-Size: ${Installed-Size} KiB\n' incident-atlas | tee "$artefacts/installed.txt"
chroot "$root" dpkg-query -W -f='${binary:Package}\n' > "$artefacts/root-packages.txt"

# No build tools in the root: the package must not need them, and the test must not lean on
# any. (The WebDriver side, tauri-driver and WebKitWebDriver, runs outside the root.)
found=""
for tool in cargo rustc node npm gcc cc c++ make; do
  chroot "$root" sh -c "command -v $tool" >/dev/null 2>&1 && found="$found $tool"
done
if [ -z "$found" ]; then
  echo "ok the root holds no Rust, Node.js or compiler"; echo "# pass 1"
else
  echo "not ok the root holds:$found"; echo "# fail 1"; status=1
fi
rm -f "$root/etc/resolv.conf"

# A reviewer's account in the root: the app and the CLI run as it, not as root.
chroot "$root" useradd --create-home --shell /bin/sh reviewer
cp "$ROOT/assets/demo/incidents.csv" "$root/home/reviewer/incidents.csv"
chroot "$root" chown reviewer:reviewer /home/reviewer/incidents.csv

log "the installed package in an empty network namespace"
PACKAGE_ROOT="$root" unshare -n -- sh -c 'ip link set lo up && exec node --test --test-reporter=tap tests/package/' \
  2>&1 | tee "$artefacts/installed.tap" || status=1
exit "$status"
