// "No network, ever", tested: the demo pipeline (import, both encoders, index, analysis,
// signals, search, a benchmark and its evaluation) and the desktop app run inside an empty
// network namespace (`unshare -rn`: no interface but a loopback that is down), under
// strace. Every socket they open must be a Unix socket, and every connection must go to
// the X display, or to one of the two local services glibc and D-Bus clients look for on
// their own (the name-service cache and the system bus), which never leave the machine.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ATLAS_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/incident-atlas/target"), "debug");
const TRACED = "trace=socket,socketpair,connect,bind,sendto,sendmsg,listen";
// Local services a process may knock on without its owner asking: glibc's name-service
// cache (user and host lookups) and the D-Bus system bus (WebKitGTK). Unix sockets on this
// machine; in the test's namespace they are not even there (ENOENT).
const LOCAL_SERVICES = [/^\/(var\/)?run\/nscd\/socket$/, /^\/(var\/)?run\/dbus\/system_bus_socket$/];
let work;

before(() => {
  work = mkdtempSync(join(tmpdir(), "atlas-offline-"));
  // The first 1,200 demo reports (a record cut short at the end is set aside on import).
  const lines = readFileSync(join(root, "assets/demo/incidents.csv"), "utf8").split("\n").slice(0, 1201);
  writeFileSync(join(work, "reports.csv"), lines.join("\n") + "\n");
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs `command` in an empty network namespace; its output and exit status. */
function offline(command, args, options = {}) {
  const run = spawnSync("unshare", ["-rn", ...[command, ...args]], { encoding: "utf8", cwd: work, timeout: 600_000, ...options });
  return run;
}

/** Every socket call in strace output files `prefix*` that is not allowed, as lines. */
function violations(prefix) {
  const found = [];
  for (const file of readdirSync(work).filter((f) => f.startsWith(prefix))) {
    for (const line of readFileSync(join(work, file), "utf8").split("\n")) {
      const call = line.replace(/^\d+\s+/, "");
      if (/^(socket|socketpair)\(/.test(call) && !/^(socket|socketpair)\(AF_UNIX\b/.test(call)) found.push(`${file}: ${call}`);
      if (/^(connect|sendto|sendmsg|bind)\(/.test(call) && /sa_family=AF_(?!UNIX)/.test(call)) found.push(`${file}: ${call}`);
      const path = call.match(/^connect\(\d+, \{sa_family=AF_UNIX, sun_path=@?"([^"]*)"/);
      if (path && !/\/tmp\/\.X11-unix\/X\d+$/.test(path[1]) && !LOCAL_SERVICES.some((p) => p.test(path[1]))) found.push(`${file}: ${call}`);
    }
  }
  return found;
}

test("the namespace has no network: only a loopback, and it is down", () => {
  const links = offline("ip", ["-o", "link"]);
  assert.equal(links.status, 0, links.stderr);
  const names = links.stdout.trim().split("\n").map((l) => l.split(":")[1].trim());
  assert.deepEqual(names, ["lo"]);
  assert.match(links.stdout, /state DOWN/);
});

test("the demo pipeline runs with no network and opens no socket", () => {
  const atlas = join(bin, "incident-atlas");
  const project = join(work, "project");
  const steps = [
    ["init", project],
    ["--project", project, "--quiet", "ingest", "--skip-bad", join(work, "reports.csv")],
    ["--project", project, "--quiet", "encode", "--model", "tfidf-lsa", "--model", "all-MiniLM-L6-v2"],
    ["--project", project, "--quiet", "index", "--model", "all-MiniLM-L6-v2"],
    ["--project", project, "--quiet", "analyse", "--model", "all-MiniLM-L6-v2"],
    ["--project", project, "signals", "--limit", "3"],
    ["--project", project, "search", "--model", "all-MiniLM-L6-v2", "-k", "3", "orders lost after transfer to another ward"],
    ["--project", project, "benchmark", "derive", "--field", "category", "--name", "offline", "--min-per-label", "5"],
    ["--project", project, "--quiet", "evaluate", "--benchmark", "offline", "--models", "tfidf-lsa,all-MiniLM-L6-v2", "--resamples", "50"],
  ];
  steps.forEach((args, i) => {
    const run = offline("strace", ["-f", "-qq", "-e", TRACED, "-o", `cli-${i}.trace`, atlas, ...args]);
    assert.equal(run.status, 0, `${args.join(" ")}:\n${run.stderr}`);
  });
  assert.equal(readdirSync(join(project, "reports")).length, 1, "the evaluation wrote its report");
  assert.deepEqual(violations("cli-"), []);
});

test("the desktop app opens its window with no network and opens no socket but the display's", () => {
  const display = 90 + Math.floor(Math.random() * 9);
  // Xvfb inside the namespace too; the app under strace; its window looked for by title.
  const script = `
    Xvfb :${display} -nolisten tcp -screen 0 1280x800x24 >/dev/null 2>&1 & xvfb=$!
    for i in $(seq 50); do [ -e /tmp/.X11-unix/X${display} ] && break; sleep 0.2; done
    DISPLAY=:${display} strace -f -qq -e ${TRACED} -o app.trace "$1" --project project >app.log 2>&1 & app=$!
    for i in $(seq 120); do
      xwininfo -display :${display} -root -tree 2>/dev/null | grep -q '"Incident Atlas"' && pgrep -f WebKitWebProcess >/dev/null && break
      sleep 0.5
    done
    sleep 5
    alive=no; kill -0 $app 2>/dev/null && alive=yes
    xwininfo -display :${display} -root -tree | grep '"Incident Atlas"'
    pgrep -fc WebKitWebProcess
    echo "alive=$alive"
    kill $app; wait $app; kill $xvfb`;
  const run = offline("bash", ["-c", script, "app", join(bin, "incident-atlas-app")]);
  assert.match(run.stdout, /"Incident Atlas"/, `no window:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^[1-9]\d*$/m, "no WebKit web process");
  assert.match(run.stdout, /alive=yes/, readFileSync(join(work, "app.log"), "utf8").slice(-2000));
  assert.ok(readFileSync(join(work, "app.trace"), "utf8").includes("X11-unix"), "the trace saw no display connection");
  assert.deepEqual(violations("app.trace"), []);
});

test("the check itself sees a network socket when a process opens one", () => {
  const probe = offline("strace", ["-f", "-qq", "-e", TRACED, "-o", "probe.trace", "python3", "-c", "import socket; socket.socket(socket.AF_INET6).close()"]);
  assert.equal(probe.status, 0, probe.stderr);
  const found = violations("probe.trace");
  assert.ok(found.some((v) => v.includes("AF_INET6")), found.join("\n"));
});
