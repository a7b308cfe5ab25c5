// The first run in the real app (the development build, WebKitGTK under Xvfb): started with
// no project, it refuses a file with bad rows (every bad row listed, nothing made), then
// makes a project from 1,500 demo reports in one job (import, encode with the baseline, which
// is quick to fit, analyse) and ends on the painted map; the project is remembered among the
// recent ones. The package test runs the same steps on the installed app with the bundled
// encoder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PAINTED_PIXELS, Session, startDriver } from "./webdriver.mjs";
import { firstRecords, importAndWaitForMap, openPreview, readPreview } from "./first_run_steps.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ATLAS_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/incident-atlas/target"), "debug");
const artefacts = join(root, "test-artifacts", "window");
const REPORTS = 1500;
let work;
let driver;
let session;
let project;

before(async () => {
  mkdirSync(artefacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "atlas-first-run-"));
  writeFileSync(join(work, "good.csv"), firstRecords(readFileSync(join(root, "assets/demo/incidents.csv"), "utf8"), REPORTS));
  writeFileSync(join(work, "bad.csv"), "RP01 Report id,IN01 Incident date,IN07 Description\nB1,2024-01-01,A patient fell\nB2,2024-13-45,Wrong dose given\nB3,2024-01-03,\nB4,2024-01-04,Pump alarm ignored\n");
  project = join(work, "my project");
  // Each dialog takes the next line: the bad file, the good file, the new project's folder.
  writeFileSync(join(work, "dialogs.txt"), [join(work, "bad.csv"), join(work, "good.csv"), project, ""].join("\n"));
  process.env.INCIDENT_ATLAS_DIALOG_SCRIPT = join(work, "dialogs.txt");
  process.env.XDG_CONFIG_HOME = join(work, "config");
  driver = await startDriver();
  session = await Session.start(driver.url, join(bin, "incident-atlas-app"), []);
});

after(async () => {
  if (session) {
    writeFileSync(join(artefacts, "first-run-last.png"), await session.screenshot().catch(() => Buffer.alloc(0)));
    await session.end();
  }
  await driver?.stop();
  delete process.env.XDG_CONFIG_HOME;
  if (work) rmSync(work, { recursive: true, force: true });
});

test("a file with bad rows is refused in the preview: every bad row listed, nothing made", async () => {
  await openPreview(session);
  const p = await readPreview(session);
  assert.deepEqual(p.fields, ["id", "date", "description"]);
  assert.match(p.counts, /2 rows validate, 2 are bad/);
  assert.equal(p.badRows.length, 2);
  assert.match(p.badRows[0], /Line 3 \(id B2\)/);
  assert.match(p.badRows[1], /Line 4 \(id B3\)/);
  assert.equal(p.startDisabled, true);
  writeFileSync(join(artefacts, "first-run-bad.png"), await session.screenshot());
  await session.click("[data-testid=first-run] button.secondary");
});

test("a good file becomes an analysed project in one job, ending on the painted map", async () => {
  await openPreview(session);
  const p = await readPreview(session);
  assert.equal(p.problem, null);
  assert.match(p.counts, new RegExp(`${REPORTS.toLocaleString("en-GB")} rows validate, none is bad`));
  assert.ok(p.fields.includes("description") && p.fields.includes("date") && p.fields.includes("harm"), p.fields.join());
  assert.ok(p.models.includes("tfidf-lsa"), p.models.join());
  writeFileSync(join(artefacts, "first-run-preview.png"), await session.screenshot());
  await importAndWaitForMap(session, "tfidf-lsa", 300_000);
  assert.equal(await session.execute("return document.querySelector('[data-testid=map]').dataset.points;"), String(REPORTS));
  assert.ok((await session.execute(PAINTED_PIXELS)) > 3000);
  assert.ok(existsSync(join(project, "atlas.sqlite")));
  writeFileSync(join(artefacts, "first-run-map.png"), await session.screenshot());
  const recent = JSON.parse(readFileSync(join(work, "config", "incident-atlas", "recent-projects.json"), "utf8"));
  assert.equal(recent[0].name, "my project");
});
