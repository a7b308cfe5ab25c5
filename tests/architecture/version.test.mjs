// One version number: the workspace's (Cargo.toml, which `incident-atlas --version`, the
// app's About and the Tauri bundle take), package.json's, and the latest release in
// CHANGELOG.md (which scripts/package.sh writes into the Debian changelog) agree.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./graph.mjs";

const read = (p) => readFileSync(join(ROOT, p), "utf8");

function workspaceVersion() {
  const section = read("Cargo.toml").split("[workspace.package]")[1].split("\n[")[0];
  return section.match(/^version\s*=\s*"([^"]+)"/m)[1];
}

test("the workspace, package.json and the changelog's latest release have one version", () => {
  const version = workspaceVersion();
  assert.match(version, /^\d+\.\d+\.\d+$/);
  assert.equal(JSON.parse(read("package.json")).version, version, "package.json");
  const latest = read("CHANGELOG.md").match(/^## (\S+)\s+[—-]+\s+(\d{4}-\d{2}-\d{2})\s*$/m);
  assert.ok(latest, "CHANGELOG.md has a release heading '## VERSION — YYYY-MM-DD'");
  assert.equal(latest[1], version, "CHANGELOG.md's latest release");
});

test("no crate or the Tauri config sets a version of its own", () => {
  // Each crate takes the workspace's (version.workspace = true); tauri.conf.json has none,
  // so Tauri falls back to the app crate's.
  assert.equal(JSON.parse(read("src-tauri/tauri.conf.json")).version, undefined);
  for (const manifest of ["crates/engine", "crates/ml", "crates/synth", "crates/cli", "crates/python", "src-tauri"]) {
    const pkg = read(`${manifest}/Cargo.toml`).split("[package]")[1].split("\n[")[0];
    assert.match(pkg, /^version\.workspace\s*=\s*true/m, manifest);
  }
});
