// The triage list: the run's clusters ranked by priority (size, harm mix, and the
// cluster's signal — a count alarm, novel reports, a concentration; see engine::triage), sortable, keyboard-driven (↑/↓ or j/k to move, Enter to open,
// x to mark for merging, 1-4 to set the status of the highlighted cluster).
import { api, errorMessage } from "../../api/client";
import { STATUS_LABEL, STATUSES, type TriageRow } from "../../api/types";
import { el, fmt, pct } from "../../dom";
import { emit, on, setMap, state } from "../../state";
import { granularityElement } from "./granularity";
import { noiseElement } from "./noise";
import { representationElement } from "./representation";
import { harmBar } from "./harm-bar";
import { moveCursor } from "../../list";

type SortKey = "priority" | "signal" | "size" | "severe_share" | "growth";
const SORT_LABEL: Record<SortKey, string> = { priority: "Priority", signal: "Signal", size: "Size", severe_share: "Harm", growth: "Growth" };
const SIGNAL_RANK: Record<string, number> = { alarm: 3, novelty: 2, concentration: 1 };

/** How strongly a row signals, for sorting: alarms over novelty over concentrations, a
 *  dismissed signal below every standing one, then by strength. */
function signalRank(r: TriageRow): number {
  if (!r.signal) return 0;
  const base = SIGNAL_RANK[r.signal.kind] ?? 0;
  return (r.signal.dismissed ? 0.5 : base * 10) + Math.min(r.signal.strength, 4) / 10;
}

function signalCell(r: TriageRow): HTMLElement {
  if (!r.signal) return el("td", { class: "muted", text: "–" });
  const s = r.signal;
  return el(
    "td",
    { attrs: { "data-testid": "signal-cell" } },
    el("span", {
      class: `signal-chip ${s.kind}${s.dismissed ? " dismissed" : ""}`,
      text: s.dismissed ? `${s.kind} (dismissed)` : s.kind,
      attrs: { title: s.reason },
    }),
  );
}

let list: TriageRow[] = [];
let sortKey: SortKey = "priority";
let cursor = 0;
const markedSet = new Set<number>();

const root = el("section", { class: "clusters-view", attrs: { "aria-label": "Clusters" } });
const table = el("table", { class: "triage", attrs: { "data-testid": "triage" } });
const info = el("p", { class: "muted" });
const granularity = el("div");
const noise = el("div");
root.append(info, granularity, noise, table);

export const rows = (): TriageRow[] => list;
export const marked = (): number[] => [...markedSet];

export function clustersElement(): HTMLElement {
  return root;
}

export async function reloadTriage(): Promise<TriageRow[]> {
  granularity.replaceChildren();
  noise.replaceChildren();
  if (state.run === null) {
    list = [];
  } else {
    const run = state.run;
    const [rows, runs] = await Promise.all([api.clusterTriage(run), api.listRuns()]);
    list = rows;
    const record = runs.find((r) => r.id === run);
    if (record) {
      granularity.replaceChildren(representationElement(record), granularityElement(record));
      noise.replaceChildren(
        noiseElement(record, async () => {
          await reloadTriage();
          setMap(await api.mapData(run));
          emit("triage");
        }),
      );
    }
  }
  render();
  return list;
}

function sorted(): TriageRow[] {
  const out = [...list];
  if (sortKey === "signal") out.sort((a, b) => signalRank(b) - signalRank(a) || b.priority - a.priority || a.cluster_id - b.cluster_id);
  else if (sortKey !== "priority") out.sort((a, b) => (b[sortKey] as number) - (a[sortKey] as number) || a.cluster_id - b.cluster_id);
  return out;
}

function render(): void {
  const shown = sorted();
  info.textContent = state.run === null ? "" : `${list.length} clusters in run ${state.run}. ↑/↓ move · Enter open · x mark for merge · 1–4 set status.`;
  const head = el("tr");
  head.append(el("th", { text: "" }), el("th", { text: "Cluster" }), el("th", { text: "Status" }));
  for (const key of Object.keys(SORT_LABEL) as SortKey[]) {
    const th = el("th", { class: "sortable" + (key === sortKey ? " sorted" : ""), text: SORT_LABEL[key], attrs: { tabindex: "0", role: "button", "aria-sort": key === sortKey ? "descending" : "none" } });
    th.addEventListener("click", () => {
      sortKey = key;
      render();
    });
    head.append(th);
  }
  head.append(el("th", { text: "Keywords" }));
  const body = shown.map((r, i) => {
    const tr = el("tr", { class: (i === cursor ? "cursor " : "") + `status-${r.status}`, attrs: { "data-cluster": String(r.cluster_id), "data-testid": "triage-row" } });
    const mark = el("input", { attrs: { type: "checkbox", "aria-label": `Mark cluster ${r.cluster_id} for merging` } });
    mark.checked = markedSet.has(r.cluster_id);
    mark.addEventListener("click", (e) => {
      e.stopPropagation();
      toggleMark(r.cluster_id);
    });
    const growth = r.previous === 0 && r.recent > 0 ? "new" : (r.growth >= 0 ? "+" : "") + pct(r.growth);
    tr.append(
      el("td", {}, mark),
      el("td", { class: "num", text: String(r.cluster_id) }),
      el("td", {}, el("span", { class: `status-chip ${r.status}`, text: STATUS_LABEL[r.status] })),
      el("td", { class: "num", text: r.priority.toFixed(1) }),
      signalCell(r),
      el("td", { class: "num", text: fmt(r.size) }),
      el("td", {}, harmBar(r), el("span", { class: "muted small", text: pct(r.severe_share) })),
      el("td", { class: "num", text: growth }),
      el("td", { class: "kw", text: r.keywords.slice(0, 6).join(", ") }),
    );
    tr.addEventListener("click", () => {
      cursor = i;
      render();
      void emit("show-cluster", r.cluster_id);
    });
    return tr;
  });
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
  table.querySelector("tr.cursor")?.scrollIntoView({ block: "nearest" });
}

function toggleMark(id: number): void {
  if (markedSet.has(id)) markedSet.delete(id);
  else markedSet.add(id);
  render();
}

/** Keys while the clusters view has focus; true when the key was used. */
export async function clustersKey(e: KeyboardEvent): Promise<boolean> {
  const shown = sorted();
  if (!shown.length) return false;
  const current = shown[Math.min(cursor, shown.length - 1)];
  const moved = moveCursor(e.key, cursor, shown.length);
  if (moved !== null) {
    cursor = moved;
    render();
    return true;
  }
  switch (e.key) {
    case "Enter":
      void emit("show-cluster", current.cluster_id);
      return true;
    case "x":
      toggleMark(current.cluster_id);
      return true;
    case "1":
    case "2":
    case "3":
    case "4": {
      const status = STATUSES[Number(e.key) - 1];
      try {
        await api.setClusterStatus(state.run!, current.cluster_id, status, current.decision?.note ?? "");
        await reloadTriage();
        emit("triage");
      } catch (err) {
        info.textContent = errorMessage(err);
      }
      return true;
    }
  }
  return false;
}

// New or dismissed signals change the list's signal column and its order.
on("signals", async () => {
  await reloadTriage();
  void emit("triage");
});

on("map", () => {
  markedSet.clear();
  cursor = 0;
  void reloadTriage();
});
