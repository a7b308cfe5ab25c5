#!/usr/bin/env node
// Map benchmark: time to the first map paint and frame times while panning, with 100,000
// points by default.
//   1. In Chromium (SwiftShader WebGL): our map on the fixture backend, beside the peer,
//      the map BERTopic draws for `visualize_documents` (Plotly's WebGL scattergl), on
//      the same points, panned by the same mouse drag.
//   2. In the real desktop window (WebKitGTK under Xvfb, driven through tauri-driver) on an
//      analysed project (default: the 100,000-report project `incident-atlas bench analyse`
//      keeps), from process start to first paint, and frame times while panning.
// Usage: node scripts/bench/map.mjs [--points N] [--repeat R] [--project DIR] [--no-window] [--no-browser]
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveUi } from "../../tests/ui/serve.mjs";
import { launch, openApp } from "../../tests/ui/browser.mjs";
import { Session, startDriver } from "../../tests/e2e/webdriver.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const points = Number(arg("--points", "100000"));
const project = arg("--project", join(process.env.HOME, ".cache/incident-atlas/bench/analyse-project-100000"));
const bin = process.env.ATLAS_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/incident-atlas/target"), "debug");

const RECORD_FRAMES = `
  window.__frames = [];
  let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t; if (!window.__stopFrames) requestAnimationFrame(tick); };
  window.__stopFrames = false;
  requestAnimationFrame(tick);`;

function stats(frames) {
  const f = frames.slice(1).sort((a, b) => a - b);
  const q = (p) => f[Math.min(f.length - 1, Math.floor(p * f.length))];
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  return { frames: f.length, mean_ms: mean, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: f[f.length - 1], fps: 1000 / mean };
}

const show = (label, s) =>
  console.log(
    `  ${label.padEnd(34)} ${s.frames.toString().padStart(4)} frames  mean ${s.mean_ms.toFixed(1).padStart(6)} ms  p50 ${s.p50_ms.toFixed(1).padStart(6)}  p95 ${s.p95_ms.toFixed(1).padStart(6)}  max ${s.max_ms.toFixed(1).padStart(6)}  (${s.fps.toFixed(1)} fps)`,
  );

async function drag(page, box) {
  const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let i = 1; i <= 90; i++) {
    const a = (i / 90) * 2 * Math.PI;
    await page.mouse.move(cx + 150 * Math.sin(a), cy + 80 * Math.sin(2 * a));
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
}

async function measureOurs(browser, url) {
  const { page } = await openApp(browser, url, points);
  await page.waitForFunction(() => document.body.dataset.mapPaintedAt, null, { timeout: 120_000 });
  const paint = await page.evaluate(() => ({
    paint: Number(document.body.dataset.mapPaintedAt) - performance.timeOrigin,
    load: Number(document.body.dataset.mapLoadMs),
    draw: Number(document.querySelector("[data-testid=map]").dataset.drawMs),
  }));
  await page.waitForTimeout(500);
  await page.evaluate(RECORD_FRAMES);
  await drag(page, await page.locator(".map-canvas").boundingBox());
  const frames = stats(await page.evaluate(() => ((window.__stopFrames = true), window.__frames)));
  await page.close();
  return { ...paint, frames };
}

async function peerServer() {
  const plotly = await readFile(join(root, "node_modules/plotly.js-dist-min/plotly.min.js"));
  const fixture = await readFile(join(root, "tests/ui/fixture-transport.js"));
  const html = `<!doctype html><html><body style="margin:0"><div id="plot" style="width:1366px;height:768px"></div>
    <script>globalThis.__FIXTURE_POINTS__ = ${points};</script><script src="/fixture.js"></script><script src="/plotly.js"></script>
    <script>
      const m = globalThis.__FIXTURE__.map;
      Plotly.newPlot("plot", [{ type: "scattergl", mode: "markers", x: m.x, y: m.y, hoverinfo: "text",
        marker: { size: 3, color: m.cluster, colorscale: "Turbo", opacity: 0.75 } }],
        { dragmode: "pan", margin: { l: 0, r: 0, t: 0, b: 0 }, xaxis: { visible: false }, yaxis: { visible: false } },
        { responsive: false }).then(() => requestAnimationFrame(() => requestAnimationFrame(() => (document.body.dataset.painted = String(Date.now())))));
    </script></body></html>`;
  const server = createServer((req, res) => {
    const body = req.url === "/plotly.js" ? plotly : req.url === "/fixture.js" ? fixture : html;
    res.writeHead(200, { "content-type": req.url.endsWith(".js") ? "text/javascript" : "text/html" }).end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

// The peer: Plotly scattergl, as BERTopic's visualize_documents draws its map.
async function measurePeer(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.painted, null, { timeout: 120_000 });
  const paint = await page.evaluate(() => Number(document.body.dataset.painted) - performance.timeOrigin);
  await page.waitForTimeout(500);
  await page.evaluate(RECORD_FRAMES);
  await drag(page, { x: 0, y: 0, width: 1366, height: 768 });
  const frames = stats(await page.evaluate(() => ((window.__stopFrames = true), window.__frames)));
  await page.close();
  return { paint, frames };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function browserBench() {
  const server = await serveUi();
  const peer = await peerServer();
  const browser = await launch();
  const repeat = Number(arg("--repeat", "3"));
  console.log(`Chromium ${browser.version()} (SwiftShader WebGL), ${points.toLocaleString("en-GB")} points, viewport 1366x768, ${repeat} alternating runs each`);
  const ours = [];
  const theirs = [];
  for (let r = 0; r < repeat; r++) {
    ours.push(await measureOurs(browser, server.url));
    theirs.push(await measurePeer(browser, peer.url));
    const [o, t] = [ours[r], theirs[r]];
    console.log(`  run ${r + 1}: first paint ours ${o.paint.toFixed(0)} ms (columns ${o.load.toFixed(0)}, draw ${o.draw.toFixed(0)}) vs Plotly ${t.paint.toFixed(0)} ms; pan frame mean ours ${o.frames.mean_ms.toFixed(1)} ms (p95 ${o.frames.p95_ms.toFixed(1)}) vs Plotly ${t.frames.mean_ms.toFixed(1)} ms (p95 ${t.frames.p95_ms.toFixed(1)})`);
  }
  await browser.close();
  await server.close();
  peer.close();
  const [op, tp] = [median(ours.map((o) => o.paint)), median(theirs.map((t) => t.paint))];
  const [of, tf] = [median(ours.map((o) => o.frames.mean_ms)), median(theirs.map((t) => t.frames.mean_ms))];
  const [o95, t95] = [median(ours.map((o) => o.frames.p95_ms)), median(theirs.map((t) => t.frames.p95_ms))];
  console.log(`  median first paint      ours ${op.toFixed(0)} ms   Plotly scattergl ${tp.toFixed(0)} ms   ratio ${(op / tp).toFixed(2)}`);
  console.log(`  median pan frame mean   ours ${of.toFixed(1)} ms (${(1000 / of).toFixed(1)} fps)   Plotly ${tf.toFixed(1)} ms (${(1000 / tf).toFixed(1)} fps)   ratio ${(of / tf).toFixed(2)}`);
  console.log(`  median pan frame p95    ours ${o95.toFixed(1)} ms   Plotly ${t95.toFixed(1)} ms   ratio ${(o95 / t95).toFixed(2)}`);
}

async function windowBench() {
  if (!existsSync(join(project, "atlas.sqlite"))) {
    console.log(`\nDesktop window: skipped, no analysed project at ${project} (make one with \`incident-atlas bench analyse --rows 100000\`, or pass --project DIR)`);
    return;
  }
  console.log(`\nDesktop window (WebKitGTK under Xvfb, software GL), project ${project}`);
  const driver = await startDriver();
  const started = Date.now();
  const session = await Session.start(driver.url, join(bin, "incident-atlas-app"), ["--project", project]);
  try {
    const painted = Number(await session.waitFor("return document.body.dataset.mapPaintedAt || null;", 300_000));
    const info = await session.execute("const m = document.querySelector('[data-testid=map]').dataset; return [m.points, document.body.dataset.mapLoadMs, m.drawMs, m.drawSteps];");
    console.log(`  from process start to first map paint: ${((painted - started) / 1000).toFixed(2)} s with ${Number(info[0]).toLocaleString("en-GB")} points (map columns over IPC ${Number(info[1]).toFixed(0)} ms, draw ${Number(info[2]).toFixed(0)} ms: ${info[3]}, then the first frame)`);
    const [page, boot, overview] = await session.execute("return [performance.timeOrigin, Number(document.body.dataset.bootAt), Number(document.body.dataset.overviewAt)];");
    const s = (from, to) => ((to - from) / 1000).toFixed(2);
    console.log(`    process start to page start ${s(started, page)} s, to the UI's boot ${s(started, boot)} s, project overview answered ${s(started, overview)} s, map painted ${s(started, painted)} s`);
    await new Promise((r) => setTimeout(r, 1000));
    const box = await session.execute("const r = document.querySelector('.map-canvas').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];");
    await session.execute(RECORD_FRAMES);
    const moves = [];
    for (let i = 1; i <= 90; i++) {
      const a = (i / 90) * 2 * Math.PI;
      moves.push({ type: "pointerMove", duration: 16, origin: "viewport", x: Math.round(box[0] + 150 * Math.sin(a)), y: Math.round(box[1] + 80 * Math.sin(2 * a)) });
    }
    await session.actions([{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [{ type: "pointerMove", duration: 0, origin: "viewport", x: Math.round(box[0]), y: Math.round(box[1]) }, { type: "pointerDown", button: 0 }, ...moves, { type: "pointerUp", button: 0 }] }]);
    const frames = await session.execute("window.__stopFrames = true; return window.__frames;");
    show("panning, desktop window", stats(frames));
  } finally {
    await session.end();
    await driver.stop();
  }
}

if (!process.argv.includes("--no-browser")) await browserBench();
if (!process.argv.includes("--no-window")) await windowBench();
