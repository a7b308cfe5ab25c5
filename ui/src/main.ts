// The app shell: header with views and run, the view area, the details panel, keyboard
// shortcuts, and the empty states that walk a first-time user to a cluster map. It is the
// one module that imports every view, so it is where one view's intent (state.ts) becomes
// a call on the view that owns the work; views never import each other.
import "./styles.css";
import { api, errorMessage } from "./api/client";
import type { MapView, ProjectOverview } from "./api/types";
import { button, el } from "./dom";
import { emit, on, once, setMap, state, type ViewName } from "./state";
// Imported first so the map subscribes first: on a new map it starts drawing before the
// triage list and the sidebar reload.
import { clearSelection, focusCluster, focusIncident, mapElement, prepareMap, refreshSize, resetView, setColourBy, toggleLabels } from "./views/map/map";
import { clustersElement, clustersKey, reloadTriage } from "./views/clusters/clusters";
import { renderCluster } from "./views/clusters/detail";
import { evaluateElement, evaluationJob, reloadEvaluation } from "./views/evaluate/evaluate";
import { renderIncident } from "./views/incident/incident";
import { reloadSignals, signalsElement, signalsJob, signalsKey } from "./views/signals/signals";
import { labelElement, labelKey, openSessionById, reloadReview } from "./views/label/label";
import { modelsElement, modelsJob, reloadModels } from "./views/models/models";
import { privacyElement, privacyJob, reloadPrivacy } from "./views/privacy/privacy";
import { jobsElement, onJobFinished, runningJobs, startJobs } from "./views/jobs/jobs";
import { back, closePanel, openInPanel, panelElement, panelOpen } from "./views/panel/panel";
import { focusSearch, sidebarElement } from "./views/search/search";
import { nextStep, renderStart } from "./views/start/start";
import { helpElement } from "./help";

const VIEWS: { id: ViewName; label: string; key: string }[] = [
  { id: "overview", label: "Overview", key: "o" },
  { id: "map", label: "Map", key: "m" },
  { id: "clusters", label: "Clusters", key: "c" },
  { id: "signals", label: "Signals", key: "a" },
  { id: "label", label: "Label", key: "s" },
  { id: "models", label: "Models", key: "t" },
  { id: "evaluate", label: "Evaluation", key: "e" },
  { id: "privacy", label: "Privacy", key: "p" },
  { id: "jobs", label: "Jobs", key: "g" },
];

const header = document.getElementById("top")!;
const app = document.getElementById("app")!;
const nav = el("nav", { class: "tabs", attrs: { "aria-label": "Views" } });
const runSelect = el("select", { attrs: { "aria-label": "Cluster run", "data-testid": "run-select" } });
const projectPath = el("span", { class: "project-path muted" });
const jobBadge = el("span", { class: "job-badge", attrs: { "aria-live": "polite" } });
const helpDialog = helpElement();
const help = helpDialog.element;
const overviewView = el("section", { class: "overview-view", attrs: { "aria-label": "Overview" } });
const mapHost = el("div", { class: "map-host" });
const emptyMap = el("div", { class: "map-empty" });
let view: ViewName = "overview";
let startError: string | null = null;

for (const v of VIEWS) {
  nav.append(button(v.label, () => show(v.id), { attrs: { "data-view": v.id, title: `${v.label} (${v.key})` } }));
}
header.append(el("h1", { text: "Incident Atlas" }), nav, el("label", { class: "run-label" }, "Run ", runSelect), jobBadge, projectPath, button("?", toggleHelp, { class: "help-button", title: "Help, shortcuts and About (?)" }));
mapHost.append(sidebarElement(), mapElement(), emptyMap);
app.append(overviewView, mapHost, clustersElement(), signalsElement(), labelElement(), modelsElement(), evaluateElement(), privacyElement(), jobsElement(), panelElement(), help);

function toggleHelp(): void {
  helpDialog.toggle();
}

function show(next: ViewName): void {
  view = next;
  document.body.dataset.view = next;
  for (const b of nav.querySelectorAll("button")) b.setAttribute("aria-current", b.getAttribute("data-view") === next ? "page" : "false");
  overviewView.hidden = next !== "overview";
  mapHost.hidden = next !== "map";
  clustersElement().hidden = next !== "clusters";
  signalsElement().hidden = next !== "signals";
  jobsElement().hidden = next !== "jobs";
  labelElement().hidden = next !== "label";
  evaluateElement().hidden = next !== "evaluate";
  modelsElement().hidden = next !== "models";
  privacyElement().hidden = next !== "privacy";
  if (next === "models") void reloadModels();
  if (next === "signals") void reloadSignals();
  if (next === "label") void reloadReview();
  if (next === "evaluate") void reloadEvaluation();
  if (next === "privacy") void reloadPrivacy();
  if (next === "map") requestAnimationFrame(refreshSize);
}

const actions = {
  opened: (p: ProjectOverview) => void applyProject(p, p.latest_run),
  goto: (v: string) => show(v as ViewName),
  created: async (run: number | null) => {
    await applyProject(await api.projectOverview(), run);
    show("map");
  },
};

async function applyProject(p: ProjectOverview | null, run: number | null): Promise<void> {
  state.project = p;
  projectPath.textContent = p?.path ?? "";
  renderStart(overviewView, p, actions, startError);
  emit("project");
  const next = p ? nextStep(p, actions) : null;
  emptyMap.replaceChildren(...(next ? [next] : []));
  emptyMap.hidden = !next;
  if (!p || p.latest_run === null) {
    state.run = null;
    setMap(null);
    runSelect.replaceChildren();
    if (!p) show("overview");
    return;
  }
  const runs = await api.listRuns();
  runSelect.replaceChildren(...runs.map((r) => el("option", { text: `${r.id} · ${r.model} · ${r.method} · ${r.clusters} clusters`, attrs: { value: String(r.id) } })));
  const previous = state.run;
  state.run = run ?? p.latest_run;
  runSelect.value = String(state.run);
  // What the panel shows belongs to the run it was opened in.
  if (previous !== state.run) closePanel();
  await loadRun();
}

// The newest run's map, asked for at boot beside the project overview (whose counts take
// seconds at a million reports) rather than after it.
let prefetched: { promise: Promise<MapView>; started: number } | null = null;

// The map's second part (fields, external ids), asked for as soon as the first has
// arrived, so it crosses the IPC while the first is drawn. One that belongs to another
// state of the run (reports assigned between the two requests) means the whole map again.
function loadDetails(map: MapView, retry: boolean): void {
  const fetched = api.mapDetails(map);
  void fetched.then(
    () => {
      if (state.map === map) void emit("map-details");
    },
    (err) => {
      if (state.map !== map) return;
      if (retry) void loadRun(false);
      else {
        emptyMap.replaceChildren(el("p", { class: "error", text: errorMessage(err) }));
        emptyMap.hidden = false;
      }
    },
  );
}

async function loadRun(retry = true): Promise<void> {
  try {
    const early = prefetched;
    prefetched = null;
    let started = early?.started ?? performance.now();
    let map = early ? await early.promise.catch(() => null) : null;
    // The newest run at boot may not be the one to show (a run chosen since, or one that
    // finished in between): then it is asked for by id.
    if (!map || map.run.id !== state.run) {
      started = performance.now();
      map = await api.mapData(state.run);
    }
    // Read by the map benchmark: how long the map's columns took to arrive and parse.
    document.body.dataset.mapLoadMs = (performance.now() - started).toFixed(1);
    setMap(map);
    loadDetails(map, retry);
  } catch (err) {
    emptyMap.replaceChildren(el("p", { class: "error", text: errorMessage(err) }));
    emptyMap.hidden = false;
  }
}

runSelect.addEventListener("change", () => {
  state.run = Number(runSelect.value);
  closePanel();
  void loadRun();
});

on("view", show);
on("show-incident", (id) => openInPanel((into) => renderIncident(into, id)));
on("show-cluster", (cluster) => openInPanel((into) => renderCluster(into, cluster)));
on("focus-incident", focusIncident);
on("focus-cluster", focusCluster);
on("clear-selection", clearSelection);
on("open-session", openSessionById);

onJobFinished(async (job) => {
  evaluationJob(job);
  modelsJob(job);
  signalsJob(job);
  privacyJob(job);
  // New signals change the triage list's signal column and the map's signal colours, and
  // nothing of the project or its runs.
  // The first run's wizard follows its own job and opens the project it made.
  if (job.kind === "first-run") return;
  if (job.kind === "signals") {
    if (job.state === "succeeded") void emit("signals");
    return;
  }
  // New reports go straight into the run on screen (encoded with its model, placed by its
  // fitted neighbours) instead of waiting for a re-analysis.
  const imported = job.kind === "import" && job.state === "succeeded" ? Number((job.result as { counts?: { imported?: number } } | null)?.counts?.imported ?? 0) : 0;
  if (imported > 0 && state.run != null) {
    try {
      await api.startAssign(state.run);
    } catch {
      // No run to assign to, or its model is gone: the import itself stands; the Jobs view
      // shows the failed job when there is one.
    }
  }
  const p = await api.projectOverview();
  const run = job.kind === "analyse" && job.state === "succeeded" ? Number(job.result?.run) : state.run;
  await applyProject(p, run);
});
on("jobs", () => {
  const n = runningJobs();
  jobBadge.textContent = n ? `${n} job${n > 1 ? "s" : ""} running` : "";
});

function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

document.addEventListener("keydown", async (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Escape") {
    if (!help.hidden) helpDialog.hide();
    else if (panelOpen()) closePanel();
    else clearSelection();
    (document.activeElement as HTMLElement | null)?.blur();
    return;
  }
  if (typing(e)) return;
  if (view === "label" && (await labelKey(e))) {
    e.preventDefault();
    return;
  }
  if (e.key === "Backspace" && panelOpen()) {
    if (back()) e.preventDefault();
    return;
  }
  if (e.key === "?") return toggleHelp();
  if (e.key === "/") {
    e.preventDefault();
    show("map");
    focusSearch();
    return;
  }
  const target = VIEWS.find((v) => v.key === e.key);
  if (target) return show(target.id);
  if (view === "signals" && signalsKey(e)) {
    e.preventDefault();
    return;
  }
  if (view === "clusters" && (await clustersKey(e))) {
    e.preventDefault();
    return;
  }
  if (view === "map") {
    const colours = ["cluster", "category", "harm", "care_setting", "month", "status", "signal"] as const;
    const n = Number(e.key);
    if (n >= 1 && n <= colours.length) void setColourBy(colours[n - 1]);
    else if (e.key === "l") toggleLabels();
    else if (e.key === "r") resetView();
  }
});

async function boot(): Promise<void> {
  // Read by the map benchmark, with the page's own start: where the time to first paint goes.
  document.body.dataset.bootAt = String(Date.now());
  show("overview");
  // The map is asked for first: its bytes take longest to arrive, and the jobs and the
  // overview load while they do.
  const early = api.mapData(null);
  // Settled here too, so a project without a run (or none open) is no unhandled rejection.
  early.catch(() => undefined);
  prefetched = { promise: early, started: performance.now() };
  prepareMap();
  await startJobs();
  let overview: ProjectOverview | null = null;
  try {
    overview = await api.projectOverview();
    document.body.dataset.overviewAt = String(Date.now());
  } catch (err) {
    const e = err as { kind?: string };
    startError = e.kind === "no_project" ? null : errorMessage(err);
  }
  await applyProject(overview, overview?.latest_run ?? null);
  if (overview && overview.latest_run !== null) show("map");
  // The triage list waits for the map's first frame (or a few seconds, should the map not
  // draw): at a million reports its counts take seconds of a core the first frame needs.
  if (state.map) await new Promise<void>((done) => {
    once("map-painted", done);
    setTimeout(done, 5000);
  });
  await reloadTriage();
}

void boot();
