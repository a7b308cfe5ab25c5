// The installed package, inside a clean Debian root (scripts/test-package.sh made it,
// installed the .deb with apt, and runs this in an empty network namespace): the packaged
// CLI runs the demo pipeline with the bundled encoder, found by name with no configuration;
// the packaged app, started inside the root as an ordinary account under Xvfb, makes a
// project from the demo file through its first-run screens (the native file and folder
// dialogs answered by INCIDENT_ATLAS_DIALOG_SCRIPT, which WebDriver cannot reach) and
// paints its map; and it opens the CLI's project cold. WebDriver (tauri-driver and WebKitWebDriver) runs
// outside the root; the app it drives, and every library the app loads, are the root's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PAINTED_PIXELS, Session, startDriver } from "../e2e/webdriver.mjs";
import { firstRecords, importAndWaitForMap, openPreview, readPreview } from "../e2e/first_run_steps.mjs";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const ROOT = process.env.PACKAGE_ROOT;
const artefacts = join(repo, "test-artifacts", "package");
const HOME = "/home/reviewer";
const PROJECT = `${HOME}/reports`;
// The CLI's pipeline runs on a slice of the demo (CI's small size); the app's first run
// imports the whole demo file, as a reviewer trying the package would.
const REPORTS = 2000;
const DEMO_REPORTS = 20000;
let driver;
let session;
let work;

/** Runs a command in the root as the reviewer, with a clean environment. */
function inRoot(args, opts = {}) {
  return execFileSync("chroot", ["--userspec=reviewer:reviewer", ROOT, "/usr/bin/env", "-i", `HOME=${HOME}`, "PATH=/usr/bin:/bin", "LANG=C.UTF-8", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 900_000, ...opts });
}
const atlas = (...args) => inRoot(["incident-atlas", "--project", PROJECT, ...args]);

before(() => {
  assert.ok(ROOT, "PACKAGE_ROOT names the clean root the package is installed in");
  mkdirSync(artefacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "atlas-package-"));
});

after(async () => {
  if (session) writeFileSync(join(artefacts, "last.png"), await session.screenshot().catch(() => Buffer.alloc(0)));
  await session?.end();
  await driver?.stop();
});

test("the namespace has no network but its loopback", () => {
  const links = execFileSync("ip", ["-o", "link"], { encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(links.map((l) => l.split(":")[1].trim()), ["lo"]);
});

test("the packaged CLI reports the package's version and finds the bundled encoder by name", () => {
  const pkg = execFileSync("chroot", [ROOT, "dpkg-query", "-W", "-f=${Version}", "incident-atlas"], { encoding: "utf8" });
  assert.equal(inRoot(["incident-atlas", "--version"]).trim(), `incident-atlas ${pkg}`);
  const models = JSON.parse(inRoot(["incident-atlas", "--json", "--project", PROJECT, "models", "list"]));
  const bundled = models.installed.find((m) => m.name === "all-MiniLM-L6-v2");
  assert.equal(bundled?.folder, "/usr/share/incident-atlas/models/all-MiniLM-L6-v2", JSON.stringify(models));
});

test("the packaged CLI runs the demo pipeline in the root with the bundled encoder", () => {
  writeFileSync(join(ROOT, HOME, "slice.csv"), firstRecords(readFileSync(join(ROOT, HOME, "incidents.csv"), "utf8"), REPORTS));
  execFileSync("chroot", [ROOT, "chown", "reviewer:reviewer", `${HOME}/slice.csv`]);
  inRoot(["incident-atlas", "init", PROJECT]);
  atlas("ingest", `${HOME}/slice.csv`);
  const timings = {};
  for (const [step, args] of [
    ["encode", ["encode", "--model", "all-MiniLM-L6-v2"]],
    ["analyse", ["analyse", "--model", "all-MiniLM-L6-v2"]],
  ]) {
    const started = Date.now();
    atlas(...args);
    timings[step] = (Date.now() - started) / 1000;
  }
  const status = JSON.parse(atlas("--json", "stats"));
  assert.equal(status.incidents, REPORTS, JSON.stringify(status).slice(0, 400));
  const found = JSON.parse(atlas("--json", "search", "patient fell out of bed", "--model", "all-MiniLM-L6-v2", "-k", "5"));
  assert.equal((found.results ?? found).length, 5);
  writeFileSync(join(artefacts, "cli-timings.json"), JSON.stringify({ reports: REPORTS, seconds: timings }, null, 2));
});

/** A launcher WebKitWebDriver starts in place of the app: it enters the root as the
 * reviewer, keeping only the display, WebDriver's own variables and the dialog script. */
function launcher(name, dialogScript) {
  const path = join(work, `${name}.sh`);
  const startedFile = join(work, `${name}.started`);
  writeFileSync(path, `#!/bin/sh
date +%s%3N > ${startedFile}
exec chroot --userspec=reviewer:reviewer ${ROOT} /usr/bin/env -i HOME=${HOME} PATH=/usr/bin:/bin LANG=C.UTF-8 DISPLAY="$DISPLAY" INCIDENT_ATLAS_DIALOG_SCRIPT=${dialogScript} $(env | grep -E '^(WEBKIT|TAURI)_[A-Z_]*=[^ ]*$') /usr/bin/incident-atlas-app "$@"
`);
  chmodSync(path, 0o755);
  return { path, started: () => Number(readFileSync(startedFile, "utf8")) };
}

/** Drops the page cache (root only), so the next start reads the app from disk. */
function dropCaches() {
  try {
    execFileSync("sh", ["-c", "sync && echo 3 > /proc/sys/vm/drop_caches"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const timings = {};

test("the installed app's first run makes a project from the demo file with the bundled encoder and paints its map", async (t) => {
  t.after(async () => {
    if (session) writeFileSync(join(artefacts, "first-run-last.png"), await session.screenshot().catch(() => Buffer.alloc(0)));
    await session?.end();
    session = null;
  });
  // The dialogs answer with paths inside the root: the file, then the new project's folder.
  const dialogs = `${HOME}/dialogs.txt`;
  writeFileSync(join(ROOT, dialogs), `${HOME}/incidents.csv\n${HOME}/first-run\n`);
  execFileSync("chroot", [ROOT, "chown", "reviewer:reviewer", dialogs]);
  driver = await startDriver();
  const cold = dropCaches();
  const app = launcher("first-run", dialogs);
  session = await Session.start(driver.url, app.path, []);
  await session.waitFor("return document.querySelector('[data-testid=new-from-file]') !== null;", 120_000);
  const firstPaint = await session.execute("const p = performance.getEntriesByType('paint')[0]; return p ? performance.timeOrigin + p.startTime : Number(document.body.dataset.bootAt);");
  timings.cold_start_to_first_paint_ms = Math.round(firstPaint - app.started());
  timings.page_cache_dropped = cold;
  await openPreview(session);
  const p = await readPreview(session);
  assert.equal(p.problem, null);
  assert.match(p.counts, new RegExp(`${DEMO_REPORTS.toLocaleString("en-GB")} rows validate, none is bad`));
  assert.equal(p.models[0], "all-MiniLM-L6-v2", "the bundled encoder is found and offered first");
  writeFileSync(join(artefacts, "first-run-preview.png"), await session.screenshot());
  const started = Date.now();
  await importAndWaitForMap(session, null, 600_000);
  timings.first_run_job_s = (Date.now() - started) / 1000;
  timings.first_run_reports = DEMO_REPORTS;
  assert.equal(await session.execute("return document.querySelector('[data-testid=map]').dataset.points;"), String(DEMO_REPORTS));
  assert.ok((await session.execute(PAINTED_PIXELS)) > 3000);
  writeFileSync(join(artefacts, "first-run-map.png"), await session.screenshot());
});

test("the installed app opens an existing project cold and paints its map", async () => {
  const cold = dropCaches();
  const app = launcher("reopen", "/dev/null");
  session = await Session.start(driver.url, app.path, ["--project", PROJECT]);
  const painted = Number(await session.waitFor("return document.body.dataset.mapPaintedAt || null;", 120_000));
  timings.cold_start_to_map_painted_ms = painted - app.started();
  timings.page_cache_dropped_before_reopen = cold;
  assert.equal(await session.execute("return document.querySelector('[data-testid=map]').dataset.points;"), String(REPORTS));
  assert.ok((await session.execute(PAINTED_PIXELS)) > 3000);
  writeFileSync(join(artefacts, "map.png"), await session.screenshot());
  writeFileSync(join(artefacts, "app-timings.json"), JSON.stringify(timings, null, 2));
  console.log(`# app timings: ${JSON.stringify(timings)}`);
});
