// The cluster map: the run's 2-D layout drawn by regl-scatterplot (WebGL), with cluster
// keyword labels, a hover preview, click to open, lasso to select (hold Shift and drag),
// search results highlighted and the sidebar's filters applied.
import createScatterplot from "regl-scatterplot";
import { api } from "../../api/client";
import type { Preview, Status } from "../../api/types";
import { HARM_LABEL } from "../../api/types";
import { el } from "../../dom";
import { emit, filteredIndexes, filterIsEmpty, mapDetails, on, state } from "../../state";
import { COLOUR_BY_LABEL, encode, type ColourBy, type SignalState } from "./colours";

type Scatterplot = ReturnType<typeof createScatterplot>;

const LABELLED_CLUSTERS = 40;
const DENSE_POINTS = 100_000;
const HUGE_POINTS = 500_000;

let plot: Scatterplot | null = null;
let colourBy: ColourBy = "cluster";
let showLabels = true;
let statusOf = new Map<number, Status>();
let signalOf = new Map<number, SignalState>();
let anchors: { cluster: number; index: number; text: string; size: number }[] = [];
const previewCache = new Map<string, Preview>();
let fromLasso = false;
let mouse = { x: 0, y: 0 };
// The point under the mouse, if any: a preview that arrives after the mouse moved on is not shown.
let hovered: number | null = null;

const root = el("section", { class: "map-view", attrs: { "aria-label": "Cluster map" } });
const canvasBox = el("div", { class: "map-canvas", attrs: { "data-testid": "map" } });
const canvas = el("canvas", { attrs: { "aria-label": "Map of incident reports, one point per report" } });
const labels = el("div", { class: "map-labels", attrs: { "aria-hidden": "true" } });
const tooltip = el("div", { class: "map-tooltip", attrs: { role: "tooltip" } });
const legend = el("div", { class: "legend", attrs: { "data-testid": "legend" } });
const message = el("div", { class: "map-message" });
const colourSelect = el("select", { attrs: { "aria-label": "Colour points by", "data-testid": "colour-by" } });
for (const [value, label] of Object.entries(COLOUR_BY_LABEL)) colourSelect.append(el("option", { text: label, attrs: { value } }));
const status = el("div", { class: "map-status muted", attrs: { "data-testid": "map-status" } });

colourSelect.addEventListener("change", () => setColourBy(colourSelect.value as ColourBy));
canvasBox.append(canvas, labels, tooltip, message);
canvasBox.addEventListener("mousemove", (e) => {
  const r = canvasBox.getBoundingClientRect();
  mouse = { x: e.clientX - r.left, y: e.clientY - r.top };
});
canvasBox.addEventListener("mouseleave", () => tooltip.classList.remove("show"));
root.append(
  el("div", { class: "map-toolbar" }, el("label", { text: "Colour by " }, colourSelect), status),
  canvasBox,
  legend,
);

export function mapElement(): HTMLElement {
  return root;
}

export async function setColourBy(by: ColourBy): Promise<void> {
  colourBy = by;
  colourSelect.value = by;
  if (by === "status" && state.run !== null) {
    const rows = await api.clusterTriage(state.run);
    statusOf = new Map(rows.map((r) => [r.cluster_id, r.status]));
  }
  // The signals as the triage list has them (last computed; the Signals view computes them).
  if (by === "signal" && state.run !== null) {
    const rows = await api.clusterTriage(state.run);
    signalOf = new Map(rows.flatMap((r) => (r.signal ? [[r.cluster_id, r.signal.dismissed ? "dismissed" : r.signal.kind] as [number, SignalState]] : [])));
  }
  await redraw(false);
}

export function toggleLabels(): void {
  showLabels = !showLabels;
  placeLabels();
}

function computeAnchors(): void {
  const m = state.map!;
  const wanted = [...m.clusters].sort((a, b) => b.size - a.size).slice(0, LABELLED_CLUSTERS);
  const best = new Map<number, { d: number; i: number }>();
  const target = new Map(wanted.map((c) => [c.cluster_id, c]));
  for (let i = 0; i < m.x.length; i++) {
    const c = target.get(m.cluster[i]);
    if (!c) continue;
    const d = (m.x[i] - c.x) ** 2 + (m.y[i] - c.y) ** 2;
    const cur = best.get(c.cluster_id);
    if (!cur || d < cur.d) best.set(c.cluster_id, { d, i });
  }
  anchors = wanted
    .filter((c) => best.has(c.cluster_id))
    .map((c) => ({ cluster: c.cluster_id, index: best.get(c.cluster_id)!.i, text: c.keywords.slice(0, 3).join(", "), size: c.size }));
}

// Label nodes are made once per map and moved on every view change (each pan frame), so
// panning only changes transforms instead of rebuilding DOM.
const labelNodes = new Map<number, HTMLElement>();

function buildLabels(): void {
  labelNodes.clear();
  labels.replaceChildren(
    ...anchors.map((a) => {
      const label = el("span", { class: "map-label", text: a.text, attrs: { "data-cluster": String(a.cluster) } });
      label.addEventListener("click", () => void emit("show-cluster", a.cluster));
      labelNodes.set(a.cluster, label);
      return label;
    }),
  );
}

function placeLabels(): void {
  labels.hidden = !plot || !showLabels;
  if (labels.hidden) return;
  const w = canvasBox.clientWidth;
  const h = canvasBox.clientHeight;
  // Largest clusters first; a label that would overlap one already placed is left out
  // (it shows once zoomed in), so the map stays readable.
  const placed: { x0: number; x1: number; y0: number; y1: number }[] = [];
  for (const a of anchors) {
    const label = labelNodes.get(a.cluster);
    if (!label) continue;
    const pos = plot!.getScreenPosition(a.index);
    let visible = !!pos;
    if (pos) {
      const [x, y] = pos;
      const half = Math.min(a.text.length * 3.3 + 4, 112);
      const box = { x0: x - half, x1: x + half, y0: y - 8, y1: y + 8 };
      visible = x >= 0 && y >= 0 && x <= w && y <= h && !placed.some((b) => box.x0 < b.x1 && b.x0 < box.x1 && box.y0 < b.y1 && b.y0 < box.y1);
      if (visible) {
        placed.push(box);
        // Kept inside the map so a label at the edge is not cut off.
        const cx = Math.min(Math.max(x, half), w - half);
        label.style.transform = `translate(${cx.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%)`;
      }
    }
    label.style.display = visible ? "" : "none";
  }
}

function drawLegend(items: { label: string; colour: string }[]): void {
  legend.replaceChildren(
    ...items.slice(0, 24).map((it) => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = it.colour;
      return el("span", { class: "legend-item" }, sw, it.label);
    }),
  );
}

async function hover(index: number): Promise<void> {
  const m = state.map;
  if (!m) return;
  hovered = index;
  await mapDetails();
  if (hovered !== index || state.map !== m) return;
  const id = m.ids.at(index);
  let p = previewCache.get(id);
  if (!p) {
    const [found] = await api.incidentPreviews([id]);
    if (!found) return;
    p = found;
    previewCache.set(id, p);
  }
  const cluster = m.cluster[index];
  tooltip.replaceChildren(
    el("div", { class: "tip-head", text: `${p.external_id} · ${p.occurred_on} · ${HARM_LABEL[p.harm ?? 0]}` }),
    el("div", { class: "tip-meta", text: `${p.category ?? "Category not recorded"} · ${cluster < 0 ? "no cluster" : "cluster " + cluster}` }),
    el("div", { class: "tip-text", text: p.description }),
  );
  const left = Math.min(mouse.x + 14, canvasBox.clientWidth - 340);
  tooltip.style.left = `${Math.max(4, left)}px`;
  tooltip.style.top = `${Math.min(mouse.y + 14, canvasBox.clientHeight - 120)}px`;
  tooltip.classList.add("show");
}

function webglAvailable(): boolean {
  try {
    return !!document.createElement("canvas").getContext("webgl");
  } catch {
    return false;
  }
}

/**
 * Makes the scatterplot (its WebGL context and shaders, a few hundred milliseconds in a
 * software renderer) while the map's data is still on its way, rather than after.
 */
export function prepareMap(): void {
  const p = ensurePlot();
  // One point drawn now compiles the draw programs, which the first real frame would
  // otherwise wait for.
  if (p && !state.map) void redrawWarmUp(p);
}

function redrawWarmUp(p: Scatterplot): Promise<void> {
  // Cleared again unless a map arrived meanwhile, so a project without one shows no dot.
  const next = drawing.then(() => p.draw({ x: [0], y: [0], valueA: [0] }, { zDataType: "categorical" })).then(() => {
    if (!state.map) p.clear();
  });
  drawing = next.catch(() => undefined);
  return next;
}

function ensurePlot(): Scatterplot | null {
  if (plot) return plot;
  if (!webglAvailable()) {
    message.textContent =
      "This computer's graphics do not offer WebGL, so the map cannot be drawn. Clusters, search and incidents still work.";
    return null;
  }
  plot = createScatterplot({
    canvas,
    width: Math.max(canvasBox.clientWidth, 1),
    height: Math.max(canvasBox.clientHeight, 1),
    pointSize: 3,
    pointSizeSelected: 2,
    opacity: 0.75,
    opacityInactiveScale: 0.35,
    backgroundColor: [1, 1, 1, 1],
    lassoColor: [0.07, 0.48, 0.5, 1],
    pointOutlineWidth: 1,
    // A worker would be created from a blob: URL, which the app's CSP forbids.
    spatialIndexUseWorker: false,
    // Squares: at three pixels they read as dots, and without the circle's per-fragment
    // edge test a software renderer draws a million of them a quarter faster.
    renderPointsAsSquares: true,
  });
  plot.subscribe("pointOver", (i: number) => void hover(i));
  plot.subscribe("pointOut", () => {
    hovered = null;
    tooltip.classList.remove("show");
  });
  plot.subscribe("lassoEnd", () => (fromLasso = true));
  plot.subscribe("select", ({ points }: { points: number[] }) => {
    if (fromLasso || points.length > 1) {
      fromLasso = false;
      state.selection = points;
      emit("selection");
    } else if (points.length === 1 && state.map) {
      const m = state.map;
      void mapDetails().then(() => {
        if (state.map === m) void emit("show-incident", m.ids.at(points[0]));
      });
    }
  });
  plot.subscribe("deselect", () => {
    state.selection = [];
    emit("selection");
  });
  plot.subscribe("view", () => placeLabels());
  // The map shares its row with the sidebar and the details panel, so it follows its
  // box, not the window.
  new ResizeObserver(() => {
    const [w, h] = [canvasBox.clientWidth, canvasBox.clientHeight];
    if (plot && w > 0 && h > 0) {
      plot.set({ width: w, height: h });
      placeLabels();
    }
  }).observe(canvasBox);
  return plot;
}

// Draws run one after another: a new map or colouring that arrives while the previous
// draw is still in flight (a finished job reloading the project, say) waits for it
// instead of being dropped by the scatterplot.
let drawing: Promise<void> = Promise.resolve();

function redraw(fresh: boolean): Promise<void> {
  const next = drawing.then(() => redrawNow(fresh));
  drawing = next.catch(() => undefined);
  return next;
}

async function redrawNow(fresh: boolean): Promise<void> {
  const m = state.map;
  if (!m) return;
  const started = performance.now();
  const p = ensurePlot();
  // Colours by a field wait for the fields (the map's second part, shortly behind the first).
  if (colourBy !== "cluster" && colourBy !== "status" && colourBy !== "signal" && !m.detailsLoaded) await mapDetails();
  if (state.map !== m) return;
  const enc = encode(m, colourBy, statusOf, signalOf);
  drawLegend(enc.legend);
  if (!p) return;
  const encoded = performance.now();
  // Past DENSE_POINTS, points overplot at low zoom: opacity follows the local density (and
  // rises as the view zooms in), so dense regions read as density rather than a solid blot.
  const dense = m.x.length > DENSE_POINTS;
  // Past HUGE_POINTS, smaller points: they overplot at any size that shows one, and each
  // frame rasterises less (at a million points a software renderer spends most of a pan
  // frame on fragments).
  p.set({ pointSize: m.x.length > HUGE_POINTS ? 2 : 3 });
  // regl-scatterplot takes "density" here (its README's density-based opacity); its types omit it.
  const opacityBy = (dense ? "density" : null) as unknown as Parameters<Scatterplot["set"]>[0]["opacityBy"];
  p.set({ pointColor: enc.palette, colorBy: "valueA", opacityBy });
  const kept = filteredIndexes();
  // Typed arrays as they are (the engine sends positions already scaled to the drawing
  // square), with the engine's spatial index so the page does not build one.
  const spatialIndex = m.spatialIndex ?? undefined;
  await p.draw({ x: m.x, y: m.y, valueA: enc.codes }, { zDataType: "categorical", preventFilterReset: !fresh, filter: kept ?? undefined, spatialIndex });
  const drawn = performance.now();
  if (fresh) {
    computeAnchors();
    buildLabels();
  }
  placeLabels();
  highlightSearch();
  // Read by the map benchmark: where a draw's time goes (colours, the scatterplot, labels).
  const ms = (a: number, b: number) => (b - a).toFixed(0);
  canvasBox.dataset.drawSteps = `colours ${ms(started, encoded)} ms, scatterplot ${ms(encoded, drawn)} ms, labels ${ms(drawn, performance.now())} ms`;
}

async function loadMap(): Promise<void> {
  labels.replaceChildren();
  labelNodes.clear();
  const m = state.map;
  if (!m) {
    plot?.clear();
    return;
  }
  message.textContent = "";
  const started = performance.now();
  await redraw(true);
  canvasBox.dataset.drawMs = (performance.now() - started).toFixed(1);
  // Read by the end-to-end tests and the benchmark: when the first frame with the points was
  // on screen. The draw settles once the scatterplot has rendered them in an animation
  // frame; the next frame starts only once that one has been produced.
  requestAnimationFrame(() => {
    document.body.dataset.mapPaintedAt = String(Date.now());
    canvasBox.dataset.points = String(m.x.length);
    emit("map-painted");
  });
  updateStatus();
}

function updateStatus(): void {
  const m = state.map;
  if (!m) return;
  const kept = filteredIndexes();
  const shown = kept ? kept.length : m.x.length;
  const hits = state.search?.hits.length ?? 0;
  status.textContent =
    `Run ${m.run.id} · ${m.run.model} · ${m.run.method} · ${shown.toLocaleString("en-GB")} of ${m.x.length.toLocaleString("en-GB")} reports shown` +
    (hits ? ` · ${hits} search results highlighted` : "");
  status.dataset.shown = String(shown);
}

function highlightSearch(): void {
  // Search hits are found on the map by external id, which arrive with the second part.
  if (!plot || !state.map?.detailsLoaded) return;
  const hits = state.search?.hits ?? [];
  const idx = hits.map((h) => state.map!.ids.find(h.external_id)).filter((i): i is number => i !== undefined);
  if (idx.length) plot.select(idx, { preventEvent: true });
  // Only when something is selected: each call renders the whole map again.
  else if (!state.selection.length && plot.get("selectedPoints").length) plot.deselect({ preventEvent: true });
  updateStatus();
}

/** Zooms to and selects one cluster's reports. */
export function focusCluster(cluster: number): void {
  const m = state.map;
  if (!m || !plot) return;
  const idx: number[] = [];
  for (let i = 0; i < m.cluster.length; i++) if (m.cluster[i] === cluster) idx.push(i);
  if (!idx.length) return;
  plot.select(idx, { preventEvent: true });
  plot.zoomToPoints(idx, { padding: 0.4, transition: true });
}

/** Zooms to one report and marks it. */
export async function focusIncident(id: string): Promise<void> {
  await mapDetails();
  const i = state.map?.ids.find(id);
  if (i === undefined || !plot) return;
  plot.select([i], { preventEvent: true });
  plot.zoomToPoints([i], { padding: 30, transition: true });
}

export function resetView(): void {
  plot?.zoomToOrigin({ transition: true });
}

export function clearSelection(): void {
  state.selection = [];
  plot?.deselect({ preventEvent: true });
  emit("selection");
}

export function refreshSize(): void {
  const [w, h] = [canvasBox.clientWidth, canvasBox.clientHeight];
  if (plot && w > 0 && h > 0) plot.set({ width: w, height: h });
  placeLabels();
}

on("map", () => void loadMap());
function applyFilter(): void {
  if (!plot || !state.map) return;
  const kept = filteredIndexes();
  if (kept) void plot.filter(kept, { preventEvent: true });
  else void plot.unfilter({ preventEvent: true });
  updateStatus();
}

on("filter", applyFilter);
on("search", highlightSearch);
// What waited for the fields and ids: a filter set before they came, search hits.
on("map-details", () => {
  if (!filterIsEmpty(state.filter)) applyFilter();
  highlightSearch();
});
on("triage", () => {
  if (colourBy === "status" || colourBy === "signal") void setColourBy(colourBy);
});
