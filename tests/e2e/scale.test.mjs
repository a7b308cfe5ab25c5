// The real desktop app on a large project: 200,000 generated reports (ATLAS_SCALE_ROWS
// to change), encoded by TF-IDF/LSA and analysed by fitting a sample and assigning the
// rest, as the CLI does for a national team. The window must open it, paint every point,
// and answer hover on the map through the scatter's spatial index. Times are logged, not
// asserted: `node scripts/bench/map.mjs` measures them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PAINTED_PIXELS, Session, startDriver } from "./webdriver.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ATLAS_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/incident-atlas/target"), "debug");
const artefacts = join(root, "test-artifacts", "window-scale");
const ROWS = Number(process.env.ATLAS_SCALE_ROWS ?? 200_000);
let work;
let project;
let driver;
let session;
let started;

before(async () => {
  mkdirSync(artefacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), "atlas-scale-"));
  project = join(work, "project");
  const atlas = join(bin, "incident-atlas");
  const run = (...args) => execFileSync(atlas, ["--project", project, ...args], { stdio: "pipe" });
  execFileSync(atlas, ["demo-data", "--out", join(work, "reports.csv"), "--rows", String(ROWS)], { stdio: "pipe" });
  execFileSync(atlas, ["init", project], { stdio: "pipe" });
  run("ingest", join(work, "reports.csv"));
  run("encode", "--model", "tfidf-lsa");
  // A small fit keeps the suite's time down; every other report is assigned.
  run("analyse", "--model", "tfidf-lsa", "--fit-sample", "20000");
  driver = await startDriver();
  started = Date.now();
  session = await Session.start(driver.url, join(bin, "incident-atlas-app"), ["--project", project]);
});

after(async () => {
  if (session) {
    writeFileSync(join(artefacts, "last.png"), await session.screenshot().catch(() => Buffer.alloc(0)));
    await session.end();
  }
  await driver?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test(`a ${ROWS.toLocaleString("en-GB")}-report project opens and paints every point`, async () => {
  const painted = Number(await session.waitFor("return document.body.dataset.mapPaintedAt || null;", 180_000));
  const [points, load, draw] = await session.execute(
    "return [document.querySelector('[data-testid=map]').dataset.points, document.body.dataset.mapLoadMs, document.querySelector('[data-testid=map]').dataset.drawMs];",
  );
  console.log(`# first paint ${((painted - started) / 1000).toFixed(2)} s from process start (map over IPC ${Number(load).toFixed(0)} ms, draw ${Number(draw).toFixed(0)} ms)`);
  assert.equal(points, String(ROWS));
  const shown = ROWS.toLocaleString("en-GB");
  assert.match(await session.text("[data-testid=map-status]"), new RegExp(`${shown} of ${shown} reports shown`));
  const pixels = await session.execute(PAINTED_PIXELS);
  assert.ok(pixels > 20_000, `only ${pixels} painted pixels`);
  writeFileSync(join(artefacts, "map.png"), await session.screenshot());
});

test("hovering a point on the large map shows that report", async () => {
  // A point's screen position, from the scatter itself: the densest place is under it.
  const target = await session.execute(`
    const box = document.querySelector('.map-canvas').getBoundingClientRect();
    const c = document.querySelector('.map-canvas canvas');
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    const sx = c.width / box.width, sy = c.height / box.height;
    for (let y = Math.floor(c.height / 2); y < c.height; y += 3)
      for (let x = Math.floor(c.width / 4); x < c.width; x += 3) {
        const i = (y * c.width + x) * 4;
        if (data[i + 3] > 0 && !(data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245)) return [Math.round(box.left + x / sx), Math.round(box.top + y / sy)];
      }
    return null;`);
  assert.ok(target, "no painted point to hover");
  const move = (dx) => ({ type: "pointerMove", duration: 50, origin: "viewport", x: target[0] + dx, y: target[1] });
  await session.actions([{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [move(-2), move(0), move(1), move(0)] }]);
  await session.waitFor("const t = document.querySelector('.map-tooltip.show .tip-head'); return t && t.textContent;", 30_000);
  assert.match(await session.text(".map-tooltip .tip-head"), /^IA-\d+ · \d{4}-\d{2}-\d{2} · /);
});
