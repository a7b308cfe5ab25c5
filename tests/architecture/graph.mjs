// Dependency graphs of the project's own code, read from the sources: Rust files and modules
// of each crate, TypeScript files of the UI, and the workspace crates (cargo metadata).
// architecture.test.mjs asserts the directions ARCHITECTURE.md promises; `node
// tests/architecture/graph.mjs` prints the graphs and every cycle found.
//
// Rust: an edge goes from a file to the file that *defines* the item it names. `super::X`
// where the parent only re-exports X from a sibling is an edge to that sibling, not to the
// parent; so a mod.rs that holds declarations and re-exports is not part of a cycle, while
// a mod.rs whose children use a type it defines, and which calls those children, is. Code
// after `#[cfg(test)]` is left out: unit tests may reach anything in their crate.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { join, relative, dirname, sep, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Every file under `dir` whose name ends with one of `exts`, in a stable order. */
export function walk(dir, exts) {
  const endings = [exts].flat();
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, endings));
    else if (endings.some((e) => p.endsWith(e))) out.push(p);
  }
  return out;
}

/** Rust source with comments, string and char literals blanked, cut at `#[cfg(test)]`. */
export function stripRust(src) {
  let out = "";
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === "/" && d === "/") {
      while (i < n && src[i] !== "\n") i++;
    } else if (c === "/" && d === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (src[i] === "/" && src[i + 1] === "*") { depth++; i += 2; }
        else if (src[i] === "*" && src[i + 1] === "/") { depth--; i += 2; }
        else i++;
      }
      out += " ";
    } else if ((c === "r" || c === "b") && /^(?:b?r)(#*)"/.test(src.slice(i, i + 40)) && !/\w/.test(src[i - 1] ?? "")) {
      const m = /^(?:b?r)(#*)"/.exec(src.slice(i, i + 40));
      const close = '"' + m[1];
      const end = src.indexOf(close, i + m[0].length);
      i = end < 0 ? n : end + close.length;
      out += '""';
    } else if (c === '"') {
      i++;
      while (i < n && src[i] !== '"') i += src[i] === "\\" ? 2 : 1;
      i++;
      out += '""';
    } else if (c === "'") {
      // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): only the first is skipped.
      if (d === "\\") {
        const end = src.indexOf("'", i + 2);
        i = end < 0 ? n : end + 1;
        out += "' '";
      } else if (src[i + 2] === "'") {
        i += 3;
        out += "' '";
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  const cut = out.indexOf("#[cfg(test)]");
  return cut < 0 ? out : out.slice(0, cut);
}

/** `a::{b, c::{d as e}}` -> ["a::b", "a::c::d"]; `a::b as c` -> ["a::b"]. */
export function expandUseTree(tree) {
  tree = tree.replace(/\s+/g, " ").trim();
  const brace = tree.indexOf("{");
  if (brace < 0) return [tree.replace(/\s+as\s+\w+$/, "").replace(/\s/g, "")];
  const prefix = tree.slice(0, brace).replace(/::\s*$/, "").replace(/\s/g, "");
  const inner = tree.slice(brace + 1, tree.lastIndexOf("}"));
  const parts = [];
  let depth = 0;
  let cur = "";
  for (const ch of inner) {
    if (ch === "{") depth++;
    if (ch === "}") depth--;
    if (ch === "," && depth === 0) { parts.push(cur); cur = ""; } else cur += ch;
  }
  parts.push(cur);
  const out = [];
  for (const part of parts) {
    if (!part.trim()) continue;
    for (const e of expandUseTree(part)) {
      if (e === "self") out.push(prefix);
      else out.push(prefix ? `${prefix}::${e}` : e);
    }
  }
  return out;
}

const ITEM = /^\s*(?:pub(?:\([^)]*\))?\s+)?(?:(?:unsafe|async|const|extern(?:\s+"")?)\s+)*(?:struct|enum|fn|const|static|type|trait|union)\s+(\w+)|^\s*macro_rules!\s*(\w+)/gm;
const USE = /\buse\s+([^;]*);/g;
const PATH = /(?<![\w:])([a-z_][a-z0-9_]*)((?:::[A-Za-z_]\w*)+)/g;

/** The module path of a file under `src`: src/a/mod.rs and src/a.rs are both ["a"]. */
function modulePath(srcDir, file) {
  const parts = relative(srcDir, file).slice(0, -3).split(sep);
  const last = parts[parts.length - 1];
  if (["mod", "lib", "main"].includes(last)) parts.pop();
  return parts.join("::");
}

/**
 * The file graph of one crate: nodes are module paths ("" for the crate root), edges go
 * from a file to the file defining what it names. Returns { nodes, edges: Map<from,
 * Map<to, Set<name>>> }.
 */
export function rustGraph(srcDir) {
  const files = walk(srcDir, ".rs");
  const mods = new Map(files.map((f) => [modulePath(srcDir, f), f]));
  const src = new Map([...mods].map(([m, f]) => [m, stripRust(readFileSync(f, "utf8"))]));
  const items = new Map();
  const imports = new Map(); // module -> name -> absolute path segments
  const refs = new Map();
  const split = (m) => (m === "" ? [] : m.split("::"));
  const absolute = (mod, path) => {
    const segs = path.split("::");
    if (segs[0] === "crate") return segs.slice(1);
    if (segs[0] === "super" || segs[0] === "self") {
      const base = split(mod);
      while (segs.length && (segs[0] === "super" || segs[0] === "self")) {
        if (segs.shift() === "super") base.pop();
      }
      return [...base, ...segs];
    }
    const child = mod === "" ? segs[0] : `${mod}::${segs[0]}`;
    if (mods.has(child)) return [...split(mod), ...segs];
    return null; // another crate, std, or a local name
  };
  for (const [mod, text] of src) {
    items.set(mod, new Set([...text.matchAll(ITEM)].map((m) => m[1] ?? m[2])));
    const names = new Map();
    const found = [];
    for (const m of text.matchAll(USE)) {
      for (const path of expandUseTree(m[1])) {
        const abs = absolute(mod, path);
        if (!abs) continue;
        found.push(abs);
        const name = path.split("::").pop();
        if (name !== "*" && name !== "self") names.set(name, abs);
      }
    }
    for (const m of text.matchAll(PATH)) {
      const abs = absolute(mod, m[1] + m[2]);
      if (abs) found.push(abs);
    }
    imports.set(mod, names);
    refs.set(mod, found);
  }
  // Longest module prefix of a path, then through imports to the defining file.
  const resolvePath = (segs, depth = 0) => {
    for (let k = segs.length; k >= 0; k--) {
      const mod = segs.slice(0, k).join("::");
      if (!mods.has(mod)) continue;
      const name = segs[k];
      if (name && depth < 16 && !items.get(mod).has(name) && imports.get(mod).has(name)) {
        return resolvePath([...imports.get(mod).get(name), ...segs.slice(k + 1)], depth + 1);
      }
      return [mod, name ?? ""];
    }
    return null;
  };
  const edges = new Map([...mods.keys()].map((m) => [m, new Map()]));
  for (const [mod, found] of refs) {
    for (const abs of found) {
      const hit = resolvePath(abs);
      if (!hit || hit[0] === mod) continue;
      const [to, name] = hit;
      if (!edges.get(mod).has(to)) edges.get(mod).set(to, new Set());
      if (name) edges.get(mod).get(to).add(name);
    }
  }
  return { nodes: [...mods.keys()].sort(), edges, files: mods };
}

/** Strongly connected components with more than one node (Tarjan), each sorted. */
export function cycles(nodes, edges) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) found.push(comp.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return found;
}

/**
 * The same graph seen one directory at a time: inside module `dir`, each child module
 * (with everything under it) is one node. A cycle here is a cycle between modules even
 * when no two files form one (a/x -> b/y, b/z -> a/w).
 */
export function moduleLevels(graph) {
  const dirs = new Set([""]);
  for (const m of graph.nodes) {
    const segs = m === "" ? [] : m.split("::");
    for (let k = 0; k < segs.length; k++) dirs.add(segs.slice(0, k).join("::"));
  }
  const levels = [];
  for (const dir of [...dirs].sort()) {
    const prefix = dir === "" ? [] : dir.split("::");
    const childOf = (m) => {
      const segs = m === "" ? [] : m.split("::");
      if (segs.length <= prefix.length) return null;
      for (let k = 0; k < prefix.length; k++) if (segs[k] !== prefix[k]) return null;
      return segs[prefix.length];
    };
    const edges = new Map();
    for (const [from, tos] of graph.edges) {
      const a = childOf(from);
      if (a === null) continue;
      for (const [to, names] of tos) {
        const b = childOf(to);
        if (b === null || b === a) continue;
        if (!edges.has(a)) edges.set(a, new Map());
        const set = edges.get(a).get(b) ?? new Set();
        for (const n of names) set.add(`${from} -> ${to}::${n}`);
        edges.get(a).set(b, set);
      }
    }
    levels.push({ dir, nodes: [...edges.keys()].sort(), edges });
  }
  return levels;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** Relative imports between the UI's TypeScript files (types included). */
export function tsGraph(srcDir) {
  const files = walk(srcDir, ".ts");
  const rel = (f) => relative(srcDir, f).split(sep).join("/");
  const edges = new Map(files.map((f) => [rel(f), new Map()]));
  for (const f of files) {
    const text = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith(".")) continue;
      const base = join(dirname(f), spec);
      const target = [base, `${base}.ts`, join(base, "index.ts")].find((p) => existsSync(p) && statSync(p).isFile());
      if (!target || !target.endsWith(".ts")) continue;
      edges.get(rel(f)).set(rel(target), new Set([spec]));
    }
  }
  return { nodes: [...edges.keys()].sort(), edges };
}

/** Imports from one view folder into another (views/<a>/... -> views/<b>/...). */
export function crossViewImports(graph) {
  const viewOf = (f) => (f.startsWith("views/") ? f.split("/")[1] : null);
  const bad = [];
  for (const [from, tos] of graph.edges) {
    const a = viewOf(from);
    if (a === null) continue;
    for (const to of tos.keys()) {
      const b = viewOf(to);
      if (b !== null && b !== a) bad.push(`${from} -> ${to}`);
      if (b === null && to.includes("/") && !to.startsWith("api/")) bad.push(`${from} -> ${to}`);
    }
  }
  return bad;
}

/** Workspace crates and their normal (non-dev, non-build) dependencies, by package name. */
export function crateDependencies(root = ROOT) {
  const out = execFileSync("cargo", ["metadata", "--no-deps", "--format-version", "1", "--offline"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const meta = JSON.parse(out);
  const crates = new Map();
  for (const pkg of meta.packages) {
    const deps = pkg.dependencies.filter((d) => d.kind === null).map((d) => d.name);
    crates.set(pkg.name, { deps: deps.sort(), dir: relative(root, dirname(pkg.manifest_path)) });
  }
  return crates;
}

export const RUST_CRATES = ["crates/ml", "crates/synth", "crates/engine", "crates/cli", "src-tauri", "crates/python"];

function show(title, graph) {
  const found = cycles(graph.nodes, graph.edges);
  const edgeCount = [...graph.edges.values()].reduce((s, m) => s + m.size, 0);
  console.log(`${title}: ${graph.nodes.length} files, ${edgeCount} edges, ${found.length} file cycles`);
  for (const c of found) {
    console.log(`  cycle: ${c.join(", ")}`);
    for (const a of c) for (const [b, names] of graph.edges.get(a)) {
      if (c.includes(b)) console.log(`    ${a || "(root)"} -> ${b || "(root)"}: ${[...names].join(", ")}`);
    }
  }
  if (graph.files) {
    for (const level of moduleLevels(graph)) {
      for (const c of cycles(level.nodes, level.edges)) {
        console.log(`  module cycle in ${level.dir || "(crate root)"}: ${c.join(", ")}`);
        for (const a of c) for (const [b, why] of level.edges.get(a) ?? []) {
          if (c.includes(b)) console.log(`    ${a} -> ${b}: ${[...why].slice(0, 4).join("; ")}`);
        }
      }
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const dir of RUST_CRATES) {
    if (existsSync(join(ROOT, dir, "src"))) show(dir, rustGraph(join(ROOT, dir, "src")));
  }
  const ui = tsGraph(join(ROOT, "ui/src"));
  show("ui/src", ui);
  for (const bad of crossViewImports(ui)) console.log(`  view imports another view: ${bad}`);
  for (const [name, { deps }] of crateDependencies()) console.log(`crate ${name}: ${deps.join(", ")}`);
}
