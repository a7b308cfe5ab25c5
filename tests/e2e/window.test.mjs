// The real desktop app: the Tauri binary in a WebKitGTK window under Xvfb, driven through
// WebDriver (tauri-driver + WebKitWebDriver). It opens a project made from the first 3,000
// demo reports, one whose text is markup, and a burst of infusion-pump reports in the last
// two weeks (a problem the Signals view must flag), encoded by the TF-IDF/LSA baseline and
// clustered by the CLI, exactly as a user would have it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PAINTED_PIXELS, Session, startDriver } from "./webdriver.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = process.env.ATLAS_BIN_DIR ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, ".cache/incident-atlas/target"), "debug");
const artefacts = join(root, "test-artifacts", "window");
const XSS = '<img src=x onerror=alert(1)><script>window.__xss = 1</script>';
// Reports in the project: the demo's first 3,000, the markup one and the burst.
const BURST = 40;
const FIRST = 3000 + 1 + BURST;
const NEXT = 500;
const count = (n) => n.toLocaleString("en-GB");
let work;
let project;
let driver;
let session;
// The app's file dialogs answer from this file (one line a dialog, empty: cancelled), as a
// person would pick; the page never hands the app a path (src-tauri/src/dialogs.rs).
let dialogs;

function makeProject() {
  work = mkdtempSync(join(tmpdir(), "atlas-window-"));
  project = join(work, "project");
  const lines = readFileSync(join(root, "assets/demo/incidents.csv"), "utf8").split("\n");
  // Quoted fields may hold newlines: keep whole records by counting quotes.
  const out = [lines[0]];
  // The 500 reports after the first 3,000: next month's import, assigned into the run.
  const next = [lines[0]];
  let records = 0;
  let open = false;
  for (const line of lines.slice(1)) {
    if (records >= 3500 && !open) break;
    (records < 3000 ? out : next).push(line);
    if ((line.split('"').length - 1) % 2 === 1) open = !open;
    if (!open) records++;
  }
  writeFileSync(join(work, "next.csv"), next.join("\n") + "\n");
  const header = lines[0].split(",");
  const row = header.map((h) => (h.startsWith("RP01") ? "XSS-1" : h.startsWith("IN01") ? "2024-03-01" : h.startsWith("IN07") ? `"${XSS.replaceAll('"', '""')}"` : h.startsWith("PD09") ? "2" : ""));
  out.push(row.join(","));
  // The burst: one new device fault, reported 40 times over the last two weeks of the data
  // (which ends on 10 April 2024), each report in its reporter's own words.
  const drugs = ["heparin", "insulin", "morphine", "noradrenaline", "vancomycin"];
  for (let i = 0; i < BURST; i++) {
    const day = new Date(Date.UTC(2024, 2, 28) + (i % 14) * 86400000).toISOString().slice(0, 10);
    const text = `Volumetric infusion pump VP-9 displayed drug library error E42 when the ${drugs[i % drugs.length]} infusion was started; infusion delayed ${10 + (i % 7) * 5} minutes while the pump was swapped and the library reloaded.`;
    const cells = { RP01: `BURST-${i + 1}`, IN01: day, IN05: "Medical device / equipment", PD09: String(1 + (i % 3)), RP02: "Acute / general hospital", IN07: `"${text}"` };
    out.push(header.map((h) => cells[h.slice(0, 4)] ?? "").join(","));
  }
  writeFileSync(join(work, "demo.csv"), out.join("\n") + "\n");
  const atlas = join(bin, "incident-atlas");
  const run = (...args) => execFileSync(atlas, ["--project", project, ...args], { stdio: "pipe" });
  execFileSync(atlas, ["init", project], { stdio: "pipe" });
  run("ingest", join(work, "demo.csv"));
  run("encode", "--model", "tfidf-lsa");
  run("analyse", "--model", "tfidf-lsa");
  run("review", "schema", "incident type", "--label", "medication=Doses, drugs, prescribing", "--label", "falls=Any fall or near-fall", "--label", "other=Anything else");
  run("review", "session", "--name", "window pilot", "--schema", "incident type", "--count", "20", "--model", "tfidf-lsa");
}

before(async () => {
  mkdirSync(artefacts, { recursive: true });
  makeProject();
  dialogs = join(work, "dialogs.txt");
  writeFileSync(dialogs, "");
  process.env.INCIDENT_ATLAS_DIALOG_SCRIPT = dialogs;
  driver = await startDriver();
  session = await Session.start(driver.url, join(bin, "incident-atlas-app"), ["--project", project]);
  await session.execute("window.__alerts = 0; window.alert = () => { window.__alerts++; };");
});

after(async () => {
  if (session) {
    writeFileSync(join(artefacts, "last.png"), await session.screenshot().catch(() => Buffer.alloc(0)));
    await session.end();
  }
  await driver?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the app opens the project on its map with every report drawn", async () => {
  await session.waitFor("return document.body.dataset.mapPaintedAt || null;", 60_000);
  assert.equal(await session.execute("return document.querySelector('[data-testid=map]').dataset.points;"), String(FIRST));
  const pixels = await session.execute(PAINTED_PIXELS);
  assert.ok(pixels > 3000, `only ${pixels} painted pixels`);
  assert.match(await session.text("[data-testid=map-status]"), new RegExp(`${count(FIRST)} of ${count(FIRST)} reports shown`));
  assert.ok(await session.execute("return [...document.querySelectorAll('.map-label')].filter((l) => l.style.display !== 'none').length;") >= 3);
  writeFileSync(join(artefacts, "map.png"), await session.screenshot());
});

test("a cluster opens from the triage list, and a report from it shows its text", async () => {
  await session.click("button[data-view=clusters]");
  await session.waitFor("return document.querySelectorAll('[data-testid=triage-row]').length > 0;");
  const cluster = await session.execute("return document.querySelector('[data-testid=triage-row]').dataset.cluster;");
  await session.click("[data-testid=triage-row] td:nth-child(2)");
  await session.waitFor("return document.querySelector('[data-testid=cluster-title]')?.textContent === 'Cluster ' + arguments[0];", 15_000, cluster);
  assert.ok((await session.text("[data-testid=cluster-keywords]")).length > 3);
  const rep = await session.execute("return document.querySelector('[data-testid=representatives] button').textContent;");
  await session.click("[data-testid=representatives] button");
  await session.waitFor("return document.querySelector('[data-testid=incident-id]')?.textContent === arguments[0];", 15_000, rep);
  const text = await session.text("[data-testid=incident-description]");
  assert.ok(text && text.length > 20, text);
  await session.waitFor("return document.querySelectorAll('[data-testid=similar] li').length === 10;");
  writeFileSync(join(artefacts, "incident.png"), await session.screenshot());
});

test("a triage decision is saved to the project file", async () => {
  await session.click("button[data-view=clusters]");
  await session.click("[data-testid=triage-row] td:nth-child(2)");
  await session.waitFor("return !!document.querySelector('[data-testid=status-select]');");
  await session.execute("const s = document.querySelector('[data-testid=status-select]'); s.value = 'escalated'; s.dispatchEvent(new Event('change'));");
  await session.type("[data-testid=status-note]", "checked in the real window");
  await session.click("[data-testid=save-status]");
  await session.waitFor("return !!document.querySelector('[data-testid=triage-row] .status-chip.escalated');");
  // The app may still hold the write lock a moment after the window shows a job's result:
  // the sqlite3 shell waits for it (.timeout) instead of failing at once.
  const stored = execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), "SELECT status || '|' || note FROM cluster_triage"], { encoding: "utf8" }).trim();
  assert.equal(stored, "escalated|checked in the real window");
});

test("report text that looks like markup is shown literally and runs nothing", async () => {
  await session.click("button[data-view=map]");
  await session.type("[data-testid=search-input]", "XSS-1\uE007");
  await session.waitFor("return document.querySelector('[data-testid=incident-id]')?.textContent === 'XSS-1';");
  assert.equal(await session.text("[data-testid=incident-description]"), XSS);
  assert.equal(await session.execute("return document.querySelectorAll('.panel img, .panel script').length;"), 0);
  assert.deepEqual(await session.execute("return [window.__alerts, window.__xss ?? 0];"), [0, 0]);
  writeFileSync(join(artefacts, "xss-literal.png"), await session.screenshot());
});

test("the Signals view flags the burst with its chart, opens its cluster and reports, and a dismissal lands in the project and its audit chain", async () => {
  await session.click("button[data-view=signals]");
  // Opened for the first time, the view computes the run's signals as a job.
  await session.waitFor("return document.querySelectorAll('[data-testid=signal-item]').length > 0 || null;", 120_000);
  const view = await session.executeAsync("const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke('signals_view', { run: 1 }).then(done, (e) => done({ error: JSON.stringify(e) }));");
  assert.equal(view.error, undefined, view.error);
  assert.equal(view.current, true);
  // The burst's alarm: the series whose alarm-week reports are the burst's.
  const index = view.alarms.findIndex((a) => a.cluster !== null && a.recent && a.reports.some((r) => r.external_id.startsWith("BURST-")));
  assert.ok(index >= 0, JSON.stringify(view.alarms.map((a) => [a.title, a.reason])));
  const alarm = view.alarms[index];
  await session.click(`[data-testid=signal-item][data-index="${index}"]`);
  await session.waitFor("return document.querySelector('[data-testid=signal-title]')?.textContent === arguments[0] || null;", 15_000, alarm.title);
  assert.equal(await session.text("[data-testid=signal-reason]"), alarm.reason);
  // Its chart: a bar per monitored week, the alarm weeks marked, the bound drawn.
  const chart = await session.execute(`const c = document.querySelector('[data-testid=signal-detail] [data-testid=signal-chart]');
    return { bars: c.querySelectorAll('rect.bar').length, marks: [...c.querySelectorAll('.alarm-mark')].map((m) => m.dataset.week), upper: c.querySelector('path.upper').getAttribute('d').length, width: c.getBoundingClientRect().width };`);
  assert.equal(chart.bars, alarm.weeks.length);
  assert.deepEqual(chart.marks, alarm.alarm_weeks);
  assert.ok(chart.upper > 10 && chart.width > 300, JSON.stringify(chart));
  writeFileSync(join(artefacts, "signals.png"), await session.screenshot());
  // Click through to the cluster, and to a report of the alarm week.
  await session.click("[data-testid=open-signal-cluster]");
  await session.waitFor("return document.querySelector('[data-testid=cluster-title]')?.textContent === 'Cluster ' + arguments[0] || null;", 15_000, alarm.cluster);
  const report = await session.execute("return document.querySelector('[data-testid=signal-reports] button').textContent;");
  await session.click("[data-testid=signal-reports] button");
  await session.waitFor("return document.querySelector('[data-testid=incident-id]')?.textContent === arguments[0] || null;", 15_000, report);
  // The dismissal: in the project file, on the audit chain, and shown.
  await session.type("[data-testid=dismiss-note]", "pump library fix deployed; MHRA informed");
  await session.click("[data-testid=dismiss-signal]");
  await session.waitFor("return [...document.querySelectorAll('[data-testid=signal-item] .signal-chip')].some((c) => c.textContent === 'alarm (dismissed)') || null;", 30_000);
  const sql = (q) => execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), q], { encoding: "utf8" }).trim();
  assert.equal(sql("SELECT cluster_id || '|' || kind || '|' || through_week || '|' || note FROM signal_dismissals"), `${alarm.cluster}|alarm|${alarm.latest_week}|pump library fix deployed; MHRA informed`);
  const entry = JSON.parse(sql("SELECT detail FROM audit_log WHERE action = 'signal_dismiss'"));
  assert.equal(entry.cluster, alarm.cluster);
  assert.equal(entry.note, "pump library fix deployed; MHRA informed");
  assert.match(execFileSync(join(bin, "incident-atlas"), ["--project", project, "audit", "verify"], { encoding: "utf8" }), /intact/);
  // The triage list shows it dismissed.
  await session.click("button[data-view=clusters]");
  await session.waitFor("return document.querySelector(`tr[data-cluster='${arguments[0]}'] [data-testid=signal-cell] .signal-chip`)?.textContent === 'alarm (dismissed)' || null;", 15_000, alarm.cluster);
});

test("an analysis started from the Jobs view runs as a job with progress and opens its run", async () => {
  await session.click("button[data-view=jobs]");
  await session.execute(`
    const pick = (label, value) => { const s = document.querySelector('select[aria-label="' + label + '"]'); s.value = value; s.dispatchEvent(new Event('change')); };
    pick('Model to analyse', 'tfidf-lsa');
    pick('Clustering method', 'kmeans');
    const k = document.querySelector('input[aria-label="k for k-means"]'); k.value = '8';`);
  await session.execute("[...document.querySelectorAll('.jobs-view button')].find((b) => b.textContent === 'Analyse').click();");
  await session.waitFor("return !!document.querySelector('[data-testid=job]');", 15_000);
  const state = await session.waitFor("const j = document.querySelector('[data-testid=job]'); return j && j.dataset.state !== 'running' ? j.dataset.state : null;", 120_000);
  assert.equal(state, "succeeded", await session.text("[data-testid=job]"));
  const log = await session.execute("return document.querySelector('[data-testid=job] pre.log').textContent;");
  for (const stage of ["index", "neighbours", "layout", "clustering", "keywords"]) assert.ok(log.includes(stage), `log lacks ${stage}: ${log}`);
  // The finished analysis becomes the run on show.
  await session.waitFor("return document.querySelector('[data-testid=run-select]').options.length === 2;");
  await session.click("button[data-view=map]");
  await session.waitFor("return /Run 2 · tfidf-lsa · kmeans/.test(document.querySelector('[data-testid=map-status]').textContent);", 30_000);
  writeFileSync(join(artefacts, "after-analyse.png"), await session.screenshot());
});

test("an import is assigned into the run on show and appears on the map without a new analysis", async () => {
  await session.click("button[data-view=map]");
  const status = () => session.text("[data-testid=map-status]");
  const runs = await session.execute("return document.querySelector('[data-testid=run-select]').options.length;");
  assert.match(await status(), new RegExp(`${count(FIRST)} of ${count(FIRST)} reports shown`));
  // As the Jobs view's import button does; the person picks next.csv in the dialog.
  writeFileSync(dialogs, join(work, "next.csv") + "\n");
  await session.execute("window.__TAURI_INTERNALS__.invoke('start_import', { skipBad: false }); return true;");
  const all = count(FIRST + NEXT);
  await session.waitFor("return new RegExp(arguments[0] + ' of ' + arguments[0] + ' reports shown').test(document.querySelector('[data-testid=map-status]').textContent);", 120_000, all);
  assert.equal(await session.execute("return document.querySelector('[data-testid=map]').dataset.points;"), String(FIRST + NEXT));
  assert.equal(await session.execute("return document.querySelector('[data-testid=run-select]').options.length;"), runs, "a new run was made");
  await session.click("button[data-view=jobs]");
  const assign = await session.execute("return [...document.querySelectorAll('[data-testid=job]')].filter((j) => /Assign new reports/.test(j.textContent)).map((j) => j.dataset.state);");
  assert.deepEqual(assign, ["succeeded"]);
  // A screenshot is for people to look at, not a check: a slow one does not fail the test.
  const shot = await session.screenshot().catch(() => null);
  if (shot) writeFileSync(join(artefacts, "after-assign.png"), shot);
});

test("an evaluation run from the Evaluation view scores the model, draws its charts and writes the report", async () => {
  await session.click("button[data-view=evaluate]");
  await session.waitFor("return !!document.querySelector('[data-testid=derive]');");
  await session.click("[data-testid=derive]");
  await session.waitFor("return document.querySelectorAll('[data-testid=evaluate-benchmark] option').length === 1;", 30_000);
  await session.click("[data-testid=start-evaluate]");
  await session.waitFor("return !!document.querySelector('[data-testid=scores] tbody tr[data-model=tfidf-lsa]');", 240_000);
  const row = await session.execute("return [...document.querySelectorAll('[data-testid=scores] tbody tr[data-model=tfidf-lsa] td')].map((td) => td.textContent);");
  // kNN macro-F1 with its interval, a real number well above chance on 15 categories.
  const f1 = Number(row[2].split(" ")[0]);
  assert.ok(f1 > 0.5 && f1 <= 1, `kNN macro-F1 cell: ${row[2]}`);
  assert.match(row[2], /^[01]\.\d{3} \[[01]\.\d{3}, [01]\.\d{3}\]$/);
  // The plotters charts, SVG in <img>, decode in the webview under the app's CSP.
  const charts = await session.waitFor("const imgs = [...document.querySelectorAll('.charts img')]; return imgs.length >= 3 && imgs.every((i) => i.complete && i.naturalWidth > 0) ? imgs.map((i) => i.dataset.chart) : null;", 30_000);
  assert.ok(charts.includes("metrics") && charts.includes("confusion"), String(charts));
  const report = readFileSync(join(project, "reports", "evaluation-1", "report.html"), "utf8");
  assert.match(report, /Model evaluation on benchmark/);
  const stored = execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), "SELECT count(*) FROM evaluations"], { encoding: "utf8" }).trim();
  assert.equal(stored, "1");
  writeFileSync(join(artefacts, "evaluation.png"), await session.screenshot());
});

test("word vectors trained from the Models view become a representation the project encodes", async () => {
  await session.click("button[data-view=models]");
  await session.waitFor("return !!document.querySelector('[data-testid=start-train]');");
  await session.setValues({ "[data-testid=train-name]": "wv-window", "input[aria-label=Dimensions]": "32", "input[aria-label=Epochs]": "2" });
  await session.click("[data-testid=start-train]");
  await session.waitFor("return !!document.querySelector('[data-testid=encode-wv-window]');", 120_000);
  const loss = await session.waitFor("const i = document.querySelector('tr[data-trained=wv-window] img.loss-thumb'); return i && i.complete && i.naturalWidth > 0 ? i.naturalWidth : null;", 15_000);
  assert.ok(loss > 0);
  await session.click("[data-testid=encode-wv-window]");
  await session.waitFor("return [...document.querySelectorAll('[data-testid=encoded-models] th')].some((th) => th.textContent === 'wv-window');", 120_000);
  const trained = JSON.parse(readFileSync(join(project, "models", "wv-window", "training.json"), "utf8"));
  assert.equal(trained.config.dimension, 32);
  assert.equal(trained.config.epochs, 2);
  const vectors = execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), "SELECT count(*) FROM vectors v JOIN models m ON m.id = v.model_id WHERE m.name = 'wv-window'"], { encoding: "utf8" }).trim();
  // The first reports and the 500 imported and assigned since.
  assert.equal(vectors, String(FIRST + NEXT));
  // A screenshot is for people to look at, not a check: a slow one does not fail the test.
  const shot = await session.screenshot().catch(() => null);
  if (shot) writeFileSync(join(artefacts, "models.png"), shot);
});

test("a SetFit fine-tuning started from the Models view scores its head on held-out reports and records its training split", async () => {
  // The Evaluation test above derived the category benchmark; the Models view is open.
  await session.waitFor("return document.querySelectorAll('[data-testid=tune-benchmark] option').length >= 1;", 30_000);
  await session.setValues({ "[data-testid=tune-name]": "sf-window", "[data-testid=tune-per-label]": "2", 'input[aria-label="Pair rounds"]': "1" });
  await session.click("[data-testid=start-tune]");
  const cell = await session.waitFor("const c = document.querySelector('[data-testid=held-out-sf-window]'); return c && c.textContent !== '–' ? c.textContent : null;", 400_000);
  assert.match(cell, /^[01]\.\d{3} \(base [01]\.\d{3}; [\d,]+ held out\)$/);
  const folder = join(project, "models", "sf-window");
  const training = JSON.parse(readFileSync(join(folder, "training.json"), "utf8"));
  assert.equal(training.method, "supervised");
  assert.equal(training.per_label, 2);
  assert.equal(training.trained_on.external_ids.length, training.report.train_reports);
  assert.ok(training.report.held_out_reports > 2000, String(training.report.held_out_reports));
  assert.ok(existsSync(join(folder, "head.safetensors")) && existsSync(join(folder, "head.json")));
});

test("the Privacy view keeps a hospital-number pattern in the project and takes the fingerprint the CLI takes", async () => {
  await session.click("button[data-view=privacy]");
  await session.waitFor("return !!document.querySelector('[data-testid=pattern-add]');");
  await session.setValues({ "[data-testid=pattern-name]": "rx1", "[data-testid=pattern-regex]": "RX1 ?\\d{7}" });
  await session.click("[data-testid=pattern-add]");
  await session.waitFor("return !!document.querySelector('[data-testid=pattern-list]');");
  const atlas = join(bin, "incident-atlas");
  const cli = (...args) => execFileSync(atlas, ["--project", project, "--json", ...args], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(cli("privacy", "rules", "list")), [{ name: "rx1", pattern: "RX1 ?\\d{7}" }]);
  const audited = execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), "SELECT count(*) FROM audit_log WHERE action = 'privacy_rule_add'"], { encoding: "utf8" }).trim();
  assert.equal(audited, "1");

  // The demo has no personal data but its ages over 89: 25 reports that name a patient, an
  // NHS number, a relative's phone and a hospital number in the organisation's format.
  const personal = ["RP01_report_id,IN01_incident_date,IN05_incident_category,IN07_description_of_what_happened"];
  const people = ["Mary Okafor", "John Kowalczyk", "Siobhan Murphy", "Priya Patel", "David Evans"];
  for (let i = 0; i < 25; i++) {
    personal.push(`PII-${i + 1},2024-04-0${1 + (i % 9)},Patient accident,"Patient ${people[i % 5]} (NHS 943 476 5919, RX1 ${String(1000000 + i)}) fell in the bathroom; her daughter was phoned on 07700 900${String(100 + i)}."`);
  }
  writeFileSync(join(work, "personal.csv"), personal.join("\n") + "\n");
  execFileSync(atlas, ["--project", project, "--quiet", "ingest", join(work, "personal.csv")], { stdio: "pipe" });

  await session.click("[data-testid=fingerprint-take]");
  const summary = await session.waitFor("return document.querySelector('[data-testid=fingerprint-summary]')?.textContent ?? null;", 120_000);
  const fp = JSON.parse(cli("privacy", "fingerprint"));
  assert.match(summary, new RegExp(`${count(fp.reports)} reports, ${count(fp.reports_with_identifier)} \\(`));
  const found = (kind) => fp.per_kind.find((k) => k.kind === kind)?.reports ?? 0;
  for (const kind of ["person", "nhs_number", "hospital_number", "phone"]) assert.ok(found(kind) >= 25, `${kind}: ${found(kind)} reports`);
  const rows = await session.execute("return [...document.querySelectorAll('[data-testid=fingerprint-kinds] tr[data-kind]')].map((tr) => [tr.dataset.kind, tr.children[1].textContent]);");
  assert.deepEqual(rows, fp.per_kind.map((k) => [k.kind, count(k.spans)]));
  assert.match(await session.text("[data-testid=fingerprint-quasi]"), new RegExp(`${count(fp.quasi_identifiers.unique)} reports`));
  assert.match(await session.text("[data-testid=fingerprint-models]"), /wv-window/);
  const shot = await session.screenshot().catch(() => null);
  if (shot) writeFileSync(join(artefacts, "privacy.png"), shot);
});

const press = (key) => session.actions([{ type: "key", id: "keyboard", actions: [{ type: "keyDown", value: key }, { type: "keyUp", value: key }] }]);

/** Calls a command from the page as an injected script could; its result, or { error }. */
async function invoke(command, args) {
  return session.executeAsync(
    "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: JSON.stringify(e) }));",
    command,
    args,
  );
}

test("a script in the page cannot name a file, a folder or a model folder, nor navigate away", async () => {
  const jobs = (await invoke("list_jobs", {})).length;
  writeFileSync(dialogs, "\n\n\n\n"); // the person cancels every dialog that opens
  // Paths in the arguments are not parameters of any command: the dialog decides, and was cancelled.
  assert.equal(await invoke("start_import", { path: "/etc/passwd", skipBad: true }), null);
  assert.equal(await invoke("start_vectors_import", { path: "/etc", model: "tfidf-lsa" }), null);
  const evil = join(work, "made-by-the-page");
  assert.equal(await invoke("open_project", { path: evil, create: true }), null);
  assert.ok(!existsSync(evil), "a folder was made where the page said");
  // The old folder command is gone, and models are names from the installed list.
  assert.ok((await invoke("choose_folder", {})).error, "choose_folder still answers");
  const encode = await invoke("start_encode", { model: join(root, "assets") });
  assert.match(encode.error ?? "", /no installed model named/);
  const train = await invoke("start_train", { method: "simcse", name: "evil", settings: { base: "/tmp", method: "simcse", name: "evil" } });
  assert.match(train.error ?? "", /no installed model named/, JSON.stringify(train));
  assert.equal((await invoke("list_jobs", {})).length, jobs, "a job started");
  // Navigation away from the app's pages is refused: the window stays on the app.
  const home = await session.execute("return location.href;");
  await session.execute("location.href = 'https://example.org/'; return true;");
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await session.execute("return location.href;"), home);
  assert.ok(await session.execute("return !!document.querySelector('button[data-view=map]');"));
});

// Last: it kills the app.
test("labels acknowledged in the window survive a SIGKILL of the app", async () => {
  await session.click("button[data-view=label]");
  await session.waitFor("return !!document.querySelector('[data-testid=reviewer-name]');");
  await session.type("[data-testid=reviewer-name]", "window.reviewer");
  await session.click("[data-testid=reviewer-use]");
  await session.waitFor("return !!document.querySelector('[data-testid=label-item-id]');", 20_000);
  // A CLI import of the whole demo runs while the labels are saved: it holds the project
  // file's write lock for seconds, and no label the window acknowledged may be lost.
  const cli = spawn(join(bin, "incident-atlas"), ["--project", project, "--quiet", "ingest", join(root, "assets/demo/incidents.csv")], { stdio: "ignore" });
  const imported = new Promise((resolve) => cli.on("exit", resolve));
  const acked = [];
  for (const key of ["1", "2", "3"]) {
    const before = await session.text("[data-testid=label-item-id]");
    await press(key);
    await session.waitFor("return (document.querySelector('[data-testid=label-status]')?.textContent ?? '').includes('✓');", 15_000);
    acked.push(before);
    await press("\uE007"); // Enter: next report
    await session.waitFor("return document.querySelector('[data-testid=label-item-id]')?.textContent !== arguments[0];", 15_000, before);
  }
  assert.equal(await imported, 0, "the CLI import failed");
  // SIGKILL the app process itself, with no chance to flush anything.
  execFileSync("pkill", ["-KILL", "-f", `incident-atlas-app --project ${project}`]);
  const stored = execFileSync("sqlite3", ["-cmd", ".timeout 10000", join(project, "atlas.sqlite"), "SELECT i.external_id || '=' || l.value FROM labels l JOIN incidents i ON i.id = l.incident_id WHERE l.kind = 'label' ORDER BY l.id"], { encoding: "utf8" }).trim().split("\n");
  assert.deepEqual(stored, [`${acked[0]}=["medication"]`, `${acked[1]}=["falls"]`, `${acked[2]}=["other"]`]);
  const verify = execFileSync(join(bin, "incident-atlas"), ["--project", project, "audit", "verify"], { encoding: "utf8" });
  assert.match(verify, /intact/);
  session = null;
});
