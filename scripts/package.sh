#!/usr/bin/env bash
# Builds the installable Debian package: the desktop app and the `incident-atlas` CLI in the
# release profile, the app with Tauri's production settings (`tauri build`: assets served by
# the custom protocol, no dev server, devtools off), the default encoder under
# /usr/share/incident-atlas/models (found by name with no configuration), a desktop entry
# and icon, the Debian changelog, the copyright file and the third-party notices.
#   scripts/package.sh            # prints the .deb's path on its last line
# The package lands in $CARGO_TARGET_DIR/release/bundle/deb/ and is copied to
# dist/incident-atlas_<version>_<arch>.deb.
source "$(dirname "$0")/lib/common.sh"
setup_all
build_ui
cd "$ROOT"

log "building the CLI (release profile)"
cargo build --release --locked --quiet -p incident-atlas-cli

log "building the app (tauri build, release profile, production settings)"
npx --no-install tauri build --ci --no-bundle -- --locked
app_bin="$CARGO_TARGET_DIR/release/incident-atlas-app"
cli_bin="$CARGO_TARGET_DIR/release/incident-atlas"

# The shared libraries the two programs link, as Debian package dependencies with minimum
# versions (dpkg-shlibdeps, as a Debian package build would have them).
shlib_dir="$(mktemp -d)"
mkdir -p "$shlib_dir/debian"
printf 'Source: incident-atlas\n\nPackage: incident-atlas\nArchitecture: any\n' > "$shlib_dir/debian/control"
depends="$(cd "$shlib_dir" && dpkg-shlibdeps -O "$app_bin" "$cli_bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
rm -rf "$shlib_dir"
[ -n "$depends" ] || { echo "error: dpkg-shlibdeps found no dependencies for the binaries" >&2; exit 1; }
log "dependencies: $depends"

stage="$CARGO_TARGET_DIR/package-stage"
rm -rf "$stage"
version="$(python3 "$ROOT/scripts/lib/package_files.py" "$ROOT" "$stage" "$cli_bin" "$DEFAULT_MODEL_DIR" "$depends")"

log "bundling the Debian package (tauri bundle)"
bundle_dir="$CARGO_TARGET_DIR/release/bundle/deb"
rm -rf "$bundle_dir"
npx --no-install tauri bundle --ci --bundles deb --config "$stage/tauri.package.json"

arch="$(dpkg --print-architecture)"
built=("$bundle_dir"/*.deb)
[ -f "${built[0]}" ] || { echo "error: tauri build made no .deb in $bundle_dir" >&2; exit 1; }
mkdir -p "$ROOT/dist"
out="$ROOT/dist/incident-atlas_${version}_${arch}.deb"
cp "${built[0]}" "$out"
log "package: $out ($(du -h "$out" | cut -f1))"
echo "$out"
