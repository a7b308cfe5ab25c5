// The Signals view's charts, drawn as SVG elements (attributes only: the app's CSP allows
// no inline styles): one series' monitored weeks — observed counts as bars, the detector's
// expected count and upper bound as lines, alarm weeks marked — and the largest clusters'
// monthly reports as lines ("topics over time").
import type { Topics, WeekSignal } from "../../api/types";

const NS = "http://www.w3.org/2000/svg";
export const TOPIC_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round number at or above `x` (1, 2 or 5 times a power of ten) for the axis top. */
function niceCeil(x: number): number {
  if (x <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** "3 Nov 25" from YYYY-MM-DD. */
export function shortDate(iso: string): string {
  const d = new Date(iso + "T00:00:00Z");
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" });
}

const W = 640;
const H = 220;
const PAD = { left: 40, right: 12, top: 12, bottom: 34 };

function frame(label: string, testid: string, yMax: number): { root: SVGSVGElement; y: (v: number) => number } {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": label, "data-testid": testid, class: "signal-chart" });
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / yMax);
  for (const t of [0, yMax / 2, yMax]) {
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), stroke: "#e3e8ea" }));
    root.append(svg("text", { x: PAD.left - 4, y: y(t) + 4, "text-anchor": "end", "font-size": 10, fill: "#5b6b72" }, Number.isInteger(t) ? String(t) : t.toFixed(1)));
  }
  return { root, y };
}

/** A path through the points that have a value, broken where one has none. */
function brokenPath(points: (readonly [number, number] | null)[]): string {
  let d = "";
  let open = false;
  for (const p of points) {
    if (!p) {
      open = false;
      continue;
    }
    d += `${open ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    open = true;
  }
  return d;
}

/** One series over its monitored weeks. */
export function seriesChart(weeks: WeekSignal[], title: string): SVGSVGElement {
  const top = niceCeil(Math.max(1, ...weeks.map((w) => Math.max(w.observed, w.upper ?? 0, w.expected ?? 0))) * 1.05);
  const { root, y } = frame(`Weekly reports of ${title}: observed, expected and upper bound`, "signal-chart", top);
  const n = Math.max(weeks.length, 1);
  const step = (W - PAD.left - PAD.right) / n;
  const cx = (i: number) => PAD.left + step * (i + 0.5);
  weeks.forEach((w, i) => {
    const bar = svg("rect", {
      x: (PAD.left + step * i + step * 0.15).toFixed(1),
      y: y(w.observed).toFixed(1),
      width: (step * 0.7).toFixed(1),
      height: Math.max(0, y(0) - y(w.observed)).toFixed(1),
      fill: w.alarm ? "#d64a3a" : "#9ab7c7",
      class: w.alarm ? "bar alarm" : "bar",
      "data-week": w.week_start,
    });
    bar.append(svg("title", {}, `Week of ${shortDate(w.week_start)}: ${w.observed} reports` + (w.expected != null ? `, expected ${w.expected.toFixed(1)}` : "") + (w.upper != null ? `, upper bound ${w.upper.toFixed(1)}` : "") + (w.method ? ` (${w.method})` : "")));
    root.append(bar);
  });
  root.append(svg("path", { d: brokenPath(weeks.map((w, i) => (w.expected != null ? ([cx(i), y(w.expected)] as const) : null))), fill: "none", stroke: "#2f6fb0", "stroke-width": 2, "stroke-dasharray": "5 3", class: "expected" }));
  root.append(svg("path", { d: brokenPath(weeks.map((w, i) => (w.upper != null ? ([cx(i), y(w.upper)] as const) : null))), fill: "none", stroke: "#7d1a12", "stroke-width": 1.5, class: "upper" }));
  weeks.forEach((w, i) => {
    if (w.alarm) root.append(svg("circle", { cx: cx(i).toFixed(1), cy: (y(w.observed) - 7).toFixed(1), r: 4, fill: "#7d1a12", class: "alarm-mark", "data-week": w.week_start }));
  });
  if (weeks.length) {
    const label = (i: number, anchor: string) => root.append(svg("text", { x: cx(i), y: H - PAD.bottom + 14, "text-anchor": anchor, "font-size": 10, fill: "#5b6b72" }, shortDate(weeks[i].week_start)));
    label(0, "start");
    label(weeks.length - 1, "end");
  }
  const legend = [
    ["#9ab7c7", "observed"],
    ["#d64a3a", "alarm week"],
    ["#2f6fb0", "expected"],
    ["#7d1a12", "upper bound"],
  ];
  legend.forEach(([colour, text], i) => {
    const x = PAD.left + i * 120;
    root.append(svg("rect", { x, y: H - 12, width: 10, height: 10, fill: colour }), svg("text", { x: x + 14, y: H - 3, "font-size": 10, fill: "#333" }, text));
  });
  return root;
}

/** The largest clusters' reports per month; `name` labels a cluster in the legend. */
export function topicsChart(topics: Topics, name: (cluster: number) => string, onPick: (cluster: number) => void): SVGSVGElement {
  const top = niceCeil(Math.max(1, ...topics.clusters.flatMap((c) => c.counts)) * 1.05);
  const { root, y } = frame("Reports per month of the largest clusters", "topics-chart", top);
  const m = Math.max(topics.months.length - 1, 1);
  const x = (i: number) => PAD.left + ((W - PAD.left - PAD.right - 150) * i) / m;
  topics.clusters.forEach((c, k) => {
    const colour = TOPIC_COLOURS[k % TOPIC_COLOURS.length];
    const line = svg("path", { d: brokenPath(c.counts.map((v, i) => [x(i), y(v)] as const)), fill: "none", stroke: colour, "stroke-width": 2, class: "topic", "data-cluster": c.cluster });
    line.append(svg("title", {}, name(c.cluster)));
    root.append(line);
    const entry = svg("text", { x: W - PAD.right - 145, y: PAD.top + 12 + k * 15, "font-size": 10, fill: colour, class: "topic-legend", "data-cluster": c.cluster, cursor: "pointer" }, name(c.cluster).slice(0, 30));
    entry.addEventListener("click", () => onPick(Number(c.cluster)));
    root.append(entry);
  });
  if (topics.months.length) {
    const label = (i: number, anchor: string) => root.append(svg("text", { x: x(i), y: H - PAD.bottom + 14, "text-anchor": anchor, "font-size": 10, fill: "#5b6b72" }, topics.months[i]));
    label(0, "start");
    label(topics.months.length - 1, "end");
  }
  return root;
}
