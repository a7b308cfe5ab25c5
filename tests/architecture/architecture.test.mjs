// The dependency directions ARCHITECTURE.md promises, checked on the sources: no import
// cycle between files or modules in any crate or in the UI, the engine's modules in layers
// that only point down, UI views that talk through state instead of importing each other,
// workspace crates that depend only downwards, and front ends that hold no SQL.
// `node tests/architecture/graph.mjs` prints the graphs behind these checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ROOT,
  RUST_CRATES,
  rustGraph,
  tsGraph,
  cycles,
  moduleLevels,
  crossViewImports,
  crateDependencies,
  stripRust,
  expandUseTree,
  walk,
} from "./graph.mjs";

/** `path:line: text` of every line matching `pattern` in the files under `dirs` ending in
 * one of `exts`; `read` gives a file's text (Rust with comments and strings blanked, say). */
function linesMatching(dirs, exts, pattern, read = (p) => readFileSync(p, "utf8")) {
  const found = [];
  for (const file of dirs.flatMap((d) => walk(join(ROOT, d), exts))) {
    read(file).split("\n").forEach((line, i) => {
      if (pattern.test(line)) found.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

// The engine's top-level modules, lowest first. A module may use modules of lower layers
// only; one that needs something from its own layer or above has found a fact that belongs
// lower down (as the audit chain moved into `store` and `Filter` into `fields`).
const ENGINE_LAYERS = [
  ["allocator", "clock", "digest", "fields", "leftovers", "panics", "privacy"],
  ["store", "jobs"],
  ["encode", "ingest", "recent", "review", "stats"],
  ["index", "fingerprint"],
  ["cluster"],
  ["exchange", "signals"],
  ["triage"],
  ["explore", "evaluate", "audit"],
  ["train", "representation", "first_run", "about"],
  ["bench"],
];

// Workspace crates and the workspace crates each may depend on (normal dependencies).
const CRATE_RULES = {
  "incident-atlas-ml": { may: [], never: ["rusqlite", "tauri", "clap", "indicatif", "usearch"] },
  "incident-atlas-engine": { may: ["incident-atlas-ml"], never: ["tauri", "clap", "indicatif"] },
  // The demo generator: the engine's field vocabulary and ml's seeded generator.
  "incident-atlas-synth": { may: ["incident-atlas-engine", "incident-atlas-ml"], never: ["tauri", "clap", "rusqlite"] },
  "incident-atlas-cli": { may: ["incident-atlas-engine", "incident-atlas-synth"], never: ["tauri", "rusqlite"] },
  "incident-atlas-app": { may: ["incident-atlas-engine"], never: ["clap", "indicatif", "rusqlite"] },
  "incident-atlas-python": { may: ["incident-atlas-engine"], never: ["tauri", "clap", "indicatif", "rusqlite"] },
};

function describeCycles(graph) {
  const out = [];
  for (const c of cycles(graph.nodes, graph.edges)) {
    const lines = [];
    for (const a of c) for (const [b, names] of graph.edges.get(a) ?? []) {
      if (c.includes(b)) lines.push(`${a || "(root)"} -> ${b || "(root)"} (${[...names].join(", ")})`);
    }
    out.push(`cycle ${c.join(", ")}:\n  ${lines.join("\n  ")}`);
  }
  return out;
}

function moduleCycles(graph) {
  const out = [];
  for (const level of moduleLevels(graph)) {
    for (const c of cycles(level.nodes, level.edges)) out.push(`${level.dir || "(crate root)"}: ${c.join(", ")}`);
  }
  return out;
}

for (const dir of RUST_CRATES) {
  if (!existsSync(join(ROOT, dir, "src"))) continue;
  test(`${dir}: no import cycle between files or modules`, () => {
    const graph = rustGraph(join(ROOT, dir, "src"));
    assert.ok(graph.nodes.length > 0, `no Rust files found under ${dir}/src`);
    assert.deepEqual(describeCycles(graph), []);
    assert.deepEqual(moduleCycles(graph), []);
  });
}

test("engine modules only use modules of lower layers", () => {
  const graph = rustGraph(join(ROOT, "crates/engine/src"));
  const top = moduleLevels(graph).find((l) => l.dir === "");
  const layerOf = new Map(ENGINE_LAYERS.flatMap((names, i) => names.map((n) => [n, i])));
  const modules = readFileSync(join(ROOT, "crates/engine/src/lib.rs"), "utf8")
    .split("\n")
    .map((l) => /^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+);/.exec(l)?.[1])
    .filter(Boolean);
  assert.deepEqual(modules.filter((m) => !layerOf.has(m)), [], "every engine module has a layer in ENGINE_LAYERS");
  const upward = [];
  for (const [from, tos] of top.edges) {
    for (const [to, why] of tos) {
      if (layerOf.get(to) >= layerOf.get(from)) upward.push(`${from} -> ${to}: ${[...why].slice(0, 3).join("; ")}`);
    }
  }
  assert.deepEqual(upward, []);
});

test("ui: no import cycle, and views talk through state instead of importing each other", () => {
  const graph = tsGraph(join(ROOT, "ui/src"));
  assert.ok(graph.nodes.length > 10);
  assert.deepEqual(describeCycles(graph), []);
  assert.deepEqual(crossViewImports(graph), []);
});

test("workspace crates depend only downwards: front ends -> engine -> ml", () => {
  const crates = crateDependencies();
  const workspace = new Set(crates.keys());
  for (const [name, rule] of Object.entries(CRATE_RULES)) {
    assert.ok(crates.has(name), `crate ${name} is in the workspace`);
    const deps = crates.get(name).deps;
    const inner = deps.filter((d) => workspace.has(d));
    assert.deepEqual(inner.filter((d) => !rule.may.includes(d)), [], `${name} depends only on ${rule.may.join(", ") || "no workspace crate"}`);
    assert.deepEqual(deps.filter((d) => rule.never.includes(d)), [], `${name} never depends on ${rule.never.join(", ")}`);
  }
  // A crate not listed above (a new one) must be given its place deliberately.
  const unruled = [...workspace].filter((n) => !(n in CRATE_RULES));
  assert.deepEqual(unruled, []);
});

test("front ends hold no SQL: the engine owns every query", () => {
  const SQL = /"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA)\b/i;
  assert.deepEqual(linesMatching(["src-tauri/src", "crates/cli/src"], [".rs"], SQL), []);
});

// The checks above would pass on a checker that finds nothing; these show it finds what it
// should, on small trees written for the purpose.
test("the checker finds a file cycle through re-exports, and none where a parent only re-exports", () => {
  const root = mkdtempSync(join(tmpdir(), "arch-"));
  try {
    const src = join(root, "src");
    mkdirSync(join(src, "a"), { recursive: true });
    writeFileSync(join(src, "lib.rs"), "mod a;\nmod b;\n");
    // a/mod.rs defines Thing and calls its child; the child uses Thing: a cycle.
    writeFileSync(join(src, "a/mod.rs"), "mod child;\npub struct Thing;\npub fn go() { child::run(); }\n");
    writeFileSync(join(src, "a/child.rs"), "use super::Thing;\npub fn run() {}\n");
    // b only uses a's re-export of nothing; c is clean.
    writeFileSync(join(src, "b.rs"), "// use crate::a::Thing; in a comment is not an import\nconst S: &str = \"crate::a::Thing\";\n");
    let graph = rustGraph(src);
    assert.deepEqual(cycles(graph.nodes, graph.edges), [["a", "a::child"]]);
    assert.equal(graph.edges.get("b").size, 0, "comments and strings are not imports");

    // Move Thing into its own file and re-export it: no cycle any more.
    writeFileSync(join(src, "a/mod.rs"), "mod child;\nmod thing;\npub use thing::Thing;\npub fn go() { child::run(); }\n");
    writeFileSync(join(src, "a/thing.rs"), "pub struct Thing;\n");
    graph = rustGraph(src);
    assert.deepEqual(cycles(graph.nodes, graph.edges), []);
    assert.ok(graph.edges.get("a::child").has("a::thing"), "the child's edge goes to the defining file");

    // Two top-level modules using each other through different files: a module cycle.
    writeFileSync(join(src, "b.rs"), "pub fn f() { crate::a::go(); }\npub struct B;\n");
    writeFileSync(join(src, "a/thing.rs"), "pub struct Thing(crate::b::B);\n");
    graph = rustGraph(src);
    const top = moduleLevels(graph).find((l) => l.dir === "");
    assert.deepEqual(cycles(top.nodes, top.edges), [["a", "b"]]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the checker reads use trees, strings and comments as Rust does", () => {
  assert.deepEqual(expandUseTree("super::{a, b::{C, D as E}, self}"), ["super::a", "super::b::C", "super::b::D", "super"]);
  const text = stripRust('let s = "use crate::x;"; // crate::y\n/* crate::z /* nested */ */ let c = \'"\'; let r = r#"crate::w"#; crate::v::f();');
  assert.ok(!/crate::[xyzw]/.test(text), text);
  assert.ok(text.includes("crate::v::f"));
  assert.equal(stripRust("fn a() {}\n#[cfg(test)]\nmod tests { use crate::q; }").includes("crate::q"), false);
});

test("the checker finds a UI cycle and a view importing another view", () => {
  const root = mkdtempSync(join(tmpdir(), "arch-ui-"));
  try {
    mkdirSync(join(root, "views/a"), { recursive: true });
    mkdirSync(join(root, "views/b"), { recursive: true });
    writeFileSync(join(root, "state.ts"), "export const s = 1;\n");
    writeFileSync(join(root, "views/a/a.ts"), 'import { b } from "../b/b";\nimport { s } from "../../state";\nexport const a = 1;\n');
    writeFileSync(join(root, "views/b/b.ts"), 'import type { a } from "../a/a";\nexport const b = 2;\n');
    const graph = tsGraph(root);
    assert.deepEqual(cycles(graph.nodes, graph.edges), [["views/a/a.ts", "views/b/b.ts"]]);
    assert.deepEqual(crossViewImports(graph).sort(), ["views/a/a.ts -> views/b/b.ts", "views/b/b.ts -> views/a/a.ts"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// Commands are registered once (main.rs's generate_handler!, which build.rs reads too);
// the capability file must grant exactly those, the UI's client may call only those and
// must reach every one, and the browser tests' fixture may fake only those.
test("the command list agrees across the shell, its capability, the UI client and the fixture", () => {
  const main = readFileSync(join(ROOT, "src-tauri/src/main.rs"), "utf8");
  const handler = /generate_handler!\[([\s\S]*?)\]/.exec(main)[1];
  const registered = handler.split(",").map((s) => s.trim().split("::").pop()).filter(Boolean).sort();
  assert.ok(registered.length > 30);
  const capability = JSON.parse(readFileSync(join(ROOT, "src-tauri/capabilities/default.json"), "utf8"));
  const granted = capability.permissions.filter((p) => p.startsWith("allow-")).map((p) => p.slice(6).replaceAll("-", "_")).sort();
  assert.deepEqual(granted, registered, "capabilities/default.json grants exactly the registered commands");
  const client = readFileSync(join(ROOT, "ui/src/api/client.ts"), "utf8");
  const called = [...new Set([...client.matchAll(/call(?:<[^>]*(?:<[^>]*>[^>]*)*>)?\(\s*"(\w+)"/g)].map((m) => m[1]))].sort();
  assert.deepEqual(called, registered, "ui/src/api/client.ts calls every registered command and no other");
  const fixture = readFileSync(join(ROOT, "tests/ui/fixture-transport.js"), "utf8");
  const faked = [...fixture.matchAll(/^\s{4}(\w+): \(/gm)].map((m) => m[1]);
  assert.ok(faked.length > 20, `fixture handlers found: ${faked.length}`);
  assert.deepEqual(faked.filter((f) => !registered.includes(f)), [], "the fixture fakes only registered commands");
});

// A Tauri command adapts: argument mapping and error conversion, in a few lines.
test("no Tauri command body is over 15 lines", () => {
  const long = [];
  const dir = join(ROOT, "src-tauri/src/commands");
  for (const name of readdirSync(dir)) {
    const lines = readFileSync(join(dir, name), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].trim().startsWith("#[tauri::command")) continue;
      let open = i;
      while (!lines[open].trimEnd().endsWith("{")) open++;
      let close = open + 1;
      while (lines[close] !== "}") close++;
      const fnName = /fn (\w+)/.exec(lines.slice(i, open + 1).join(" "))[1];
      if (close - open - 1 > 15) long.push(`${name}: ${fnName} (${close - open - 1} lines)`);
      i = close;
    }
  }
  assert.deepEqual(long, []);
});

// The default seed is one constant (ml::rng::DEFAULT_SEED, re-exported as
// engine::DEFAULT_SEED); the UI takes it from the engine's defaults.
test("the default seed 42 is written once", () => {
  const read = (p) => (p.endsWith(".rs") ? stripRust(readFileSync(p, "utf8")) : readFileSync(p, "utf8"));
  const found = linesMatching(["crates", "src-tauri/src", "ui/src", "scripts"], [".rs", ".ts", ".py", ".mjs", ".sh"], /seed[^\n]*\b42\b|\b42\b[^\n]*seed|"42"/i, read);
  assert.deepEqual(found.filter((f) => !f.includes("pub const DEFAULT_SEED: u64 = 42;")), []);
  assert.equal(found.length, 1, "the constant itself is found");
});
