// The Signals view: the run's alarms (each with its chart of observed, expected and bound,
// the detectors that judged it, and the reports of its latest alarm week), its groups of
// novel reports and its concentrations, with a click through to the cluster and a
// dismissal recorded on the audit chain; and the largest clusters over time. It shows the
// signals as last stored and starts the job that computes them when they are missing or
// older than the run's reports (engine::signals owns every default).
import { api, errorMessage } from "../../api/client";
import type { ConcentrationView, JobSnapshot, NovelGroupView, Preview, SeriesAlarms, SignalsView } from "../../api/types";
import { HARM_LABEL } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { emit, on, state } from "../../state";
import { moveCursor } from "../../list";
import { seriesChart, shortDate, topicsChart } from "./chart";

type Item = { kind: "alarm"; alarm: SeriesAlarms } | { kind: "novelty"; group: NovelGroupView } | { kind: "concentration"; c: ConcentrationView };

let view: SignalsView | null = null;
let cursor = 0;
/** The signals job running for a run, and the run whose last job failed (not restarted by itself). */
let pending: { run: number; job: number } | null = null;
let failed: { run: number; error: string } | null = null;

const root = el("section", { class: "signals-view", attrs: { "aria-label": "Signals" } });
const side = el("aside", { class: "signals-side", attrs: { "data-testid": "signals-list" } });
const main = el("div", { class: "signals-main", attrs: { "data-testid": "signal-detail" } });
root.append(side, main);

export function signalsElement(): HTMLElement {
  return root;
}

function items(): Item[] {
  if (!view) return [];
  return [
    ...view.alarms.map((alarm) => ({ kind: "alarm" as const, alarm })),
    ...view.novel_groups.map((group) => ({ kind: "novelty" as const, group })),
    ...view.concentrations.map((c) => ({ kind: "concentration" as const, c })),
  ];
}

/** The cluster an item opens: an alarm's, a concentration's, or the one whose signal a
 *  novel group is (else the cluster holding most of the group). */
function itemCluster(it: Item): number | null | undefined {
  if (it.kind === "alarm") return it.alarm.cluster;
  if (it.kind === "concentration") return it.c.cluster;
  return it.group.signal_cluster ?? it.group.group.clusters.find(([c]) => c >= 0)?.[0];
}

function keywords(cluster: number | null | undefined): string {
  if (cluster == null || !view) return "";
  const found = view.keywords.find(([c]) => c === cluster);
  return found ? found[1].slice(0, 5).join(", ") : "";
}

function clusterName(cluster: number): string {
  const kw = keywords(cluster);
  return kw ? `${cluster}: ${kw}` : `cluster ${cluster}`;
}

/** Loads the run's stored signals, and starts computing them when they are missing or out of date. */
export async function reloadSignals(): Promise<void> {
  if (state.run === null) {
    view = null;
    fill(side, el("p", { class: "muted", text: state.project ? "Analyse the reports first: signals are found in a run's clusters." : "Open a project first." }));
    main.replaceChildren();
    return;
  }
  const run = state.run;
  try {
    view = await api.signalsView(run);
  } catch (err) {
    fill(side, el("p", { class: "error", text: errorMessage(err) }));
    return;
  }
  if (state.run !== run) return;
  if (!view.current && !pending && failed?.run !== run) await compute(run);
  render();
}

async function compute(run: number): Promise<void> {
  failed = null;
  try {
    pending = { run, job: await api.startSignals(run) };
  } catch (err) {
    failed = { run, error: errorMessage(err) };
  }
}

/** Called for every finished job: a signals job's result is shown, and new reports make the stored signals old. */
export function signalsJob(job: JobSnapshot): void {
  if (job.kind !== "signals" || pending?.job !== job.id) return;
  const run = pending.run;
  pending = null;
  if (job.state === "failed") failed = { run, error: job.error ?? "the signals job failed" };
  if (!root.hidden) void reloadSignals();
}

function status(): HTMLElement {
  const v = view!;
  const parts: (string | HTMLElement)[] = [];
  if (v.computed_at) {
    const [from, to] = v.monitored ?? ["", ""];
    const by = v.by === "reported" ? "the date they were reported" : "the date the incidents occurred";
    parts.push(`Run ${v.run_id}: weeks ${from ? shortDate(from) : "–"} to ${to ? shortDate(to) : "–"} monitored, reports counted by ${by}; reports up to ${v.last_date ?? "–"}. Computed ${v.computed_at}.`);
  } else parts.push(`Run ${v.run_id}: signals not computed yet.`);
  if (pending?.run === v.run_id) parts.push(el("span", { class: "pending", text: " Computing signals from the run's reports now (Jobs)…", attrs: { "data-testid": "signals-pending" } }));
  else if (v.computed_at && !v.current) parts.push(el("span", { class: "stale", text: " The run's reports have changed since." }));
  if (failed?.run === v.run_id) parts.push(el("span", { class: "error", text: ` Computing failed: ${failed.error}` }));
  return el(
    "div",
    { class: "signals-status", attrs: { "data-testid": "signals-status" } },
    el("p", { class: "small" }, ...parts),
    pending ? null : button("Recompute", () => void compute(v.run_id).then(render), { class: "secondary", attrs: { "data-testid": "signals-recompute" } }),
  );
}

function itemButton(it: Item, i: number): HTMLElement {
  let title: string;
  let sub: string;
  let chip: HTMLElement;
  const chipOf = (kind: string, dismissed: boolean, extra = "") => el("span", { class: `signal-chip ${kind}${dismissed ? " dismissed" : ""}`, text: dismissed ? `${kind} (dismissed)` : kind + extra });
  if (it.kind === "alarm") {
    title = it.alarm.title;
    sub = `${shortDate(it.alarm.latest_week)} · ${it.alarm.alarm_weeks.length} alarm week${it.alarm.alarm_weeks.length > 1 ? "s" : ""}${it.alarm.recent ? "" : " · earlier"}`;
    chip = chipOf("alarm", it.alarm.dismissed);
  } else if (it.kind === "novelty") {
    title = `${it.group.group.incident_ids.length} novel reports`;
    sub = `${shortDate(it.group.group.first_date)} – ${shortDate(it.group.group.last_date)}`;
    chip = chipOf("novelty", it.group.dismissed);
  } else {
    title = `cluster ${it.c.cluster} in ${it.c.field.replace("_", " ")} ${it.c.value}`;
    sub = `${it.c.observed} reports, ${it.c.expected.toFixed(1)} expected`;
    chip = chipOf("concentration", it.c.dismissed);
  }
  const b = el(
    "button",
    { class: "signal-item" + (i === cursor ? " current" : ""), attrs: { type: "button", "data-testid": "signal-item", "data-kind": it.kind, "data-index": String(i) } },
    el("span", { class: "signal-title", text: title }),
    chip,
    el("span", { class: "muted small", text: sub }),
  );
  b.addEventListener("click", () => {
    cursor = i;
    render();
  });
  return b;
}

function render(): void {
  if (!view) return;
  const all = items();
  cursor = Math.min(cursor, Math.max(all.length - 1, 0));
  const section = (heading: string, kind: Item["kind"], empty: string) => {
    const mine = all.map((it, i) => [it, i] as const).filter(([it]) => it.kind === kind);
    return [el("h3", { text: `${heading} (${mine.length})` }), mine.length ? el("div", { class: "signal-items" }, ...mine.map(([it, i]) => itemButton(it, i))) : el("p", { class: "muted small", text: empty })];
  };
  fill(
    side,
    status(),
    ...section("Alarms", "alarm", view.computed_at ? "No series rose beyond its bound in the monitored weeks." : ""),
    ...section("Novel reports", "novelty", view.novelty ?? ""),
    view.novel_groups.length && view.novelty ? el("p", { class: "muted small", text: view.novelty }) : null,
    ...section("Concentrations", "concentration", "No cluster is over-represented in a place in the monitored weeks."),
    el("p", { class: "muted small", text: "↑/↓ j/k move · Enter open the cluster" }),
  );
  const current = all[cursor];
  fill(
    main,
    current ? detail(current) : el("p", { class: "muted", text: view.computed_at ? "Nothing signals in this run's monitored weeks." : "" }),
    view.topics.clusters.length ? el("h3", { text: "Topics over time: the largest clusters, reports per month" }) : null,
    view.topics.clusters.length ? topicsChart(view.topics, clusterName, (c) => void emit("show-cluster", c)) : null,
  );
}

function reportList(reports: Preview[]): HTMLElement {
  const list = el("ol", { class: "hit-list", attrs: { "data-testid": "signal-reports" } });
  for (const p of reports) {
    const b = el("button", { class: "link", text: p.external_id, attrs: { type: "button" } });
    b.addEventListener("click", () => void emit("show-incident", p.external_id));
    list.append(el("li", {}, b, el("span", { class: "muted", text: ` ${p.occurred_on} · ${HARM_LABEL[p.harm ?? 0]}${p.care_setting ? " · " + p.care_setting : ""}` }), el("div", { class: "snippet", text: p.description })));
  }
  return list;
}

function clusterButtons(cluster: number | null | undefined): HTMLElement | null {
  if (cluster == null || cluster < 0) return null;
  return el(
    "div",
    { class: "row" },
    button(`Open cluster ${cluster}`, () => void emit("show-cluster", cluster), { attrs: { "data-testid": "open-signal-cluster" } }),
    state.map ? button("Show on map", () => { void emit("view", "map"); void emit("focus-cluster", cluster); }, { class: "secondary" }) : null,
  );
}

/** The note and button that dismiss the cluster's current signal of `kind`. */
function dismissForm(cluster: number, kind: "alarm" | "novelty" | "concentration"): HTMLElement {
  const note = el("textarea", { attrs: { rows: "2", placeholder: "Why it needs no review (seen, explained, expected)", "aria-label": "Dismissal note", "data-testid": "dismiss-note" } });
  const msg = el("span", { class: "small", attrs: { "aria-live": "polite" } });
  const run = view!.run_id;
  const go = button("Dismiss signal", async () => {
    try {
      const d = await api.dismissSignal(run, cluster, kind, note.value);
      msg.textContent = `Dismissed by ${d.author} through the week of ${shortDate(d.through_week)}.`;
      await reloadSignals();
      void emit("signals");
    } catch (err) {
      msg.className = "small error";
      msg.textContent = errorMessage(err);
    }
  }, { class: "secondary", attrs: { "data-testid": "dismiss-signal" } });
  return el("div", { class: "dismiss" }, el("p", { class: "muted small", text: "A dismissed signal stays dismissed until a later week signals again; the dismissal is recorded on the audit chain." }), note, el("div", {}, go, " ", msg));
}

function detail(it: Item): HTMLElement {
  if (it.kind === "alarm") {
    const a = it.alarm;
    return el(
      "div",
      { class: "signal-detail", attrs: { "data-series": a.title } },
      el("p", { class: "kicker", text: `Alarm · ${a.recent ? "recent" : "earlier in the monitored weeks"}${a.dismissed ? " · dismissed" : ""}` }),
      el("h2", { text: a.title, attrs: { "data-testid": "signal-title" } }),
      a.cluster != null ? el("p", { class: "keywords", text: keywords(a.cluster) }) : null,
      el("p", { text: a.reason, attrs: { "data-testid": "signal-reason" } }),
      a.max_score != null
        ? el("p", { class: "muted small", text: `Highest score ${a.max_score.toFixed(2)} in the monitored weeks (above 1 is beyond the bound); alarm weeks: ${a.alarm_weeks.map(shortDate).join(", ")}.`, attrs: { "data-testid": "signal-score" } })
        : null,
      seriesChart(a.weeks, a.title),
      el("details", {}, el("summary", { text: "How each week was judged" }), el("ul", { class: "small" }, ...a.detectors.map((d) => el("li", { text: d })))),
      clusterButtons(a.cluster),
      a.dismissable && a.cluster != null ? dismissForm(a.cluster, "alarm") : null,
      el("h3", { text: `Reports in the week of ${shortDate(a.latest_week)}` }),
      reportList(a.reports),
    );
  }
  if (it.kind === "novelty") {
    const g = it.group;
    const where = g.group.clusters.map(([c, n]) => (c < 0 ? `${n} in no cluster` : `${n} in cluster ${c}`)).join(", ");
    return el(
      "div",
      { class: "signal-detail" },
      el("p", { class: "kicker", text: `Novel reports${g.dismissed ? " · dismissed" : ""}` }),
      el("h2", { text: `${g.group.incident_ids.length} reports unlike any before`, attrs: { "data-testid": "signal-title" } }),
      el("p", { text: g.group.reason, attrs: { "data-testid": "signal-reason" } }),
      el("p", { class: "muted small", text: `Per recent week: ${g.group.weekly.join(" · ")}. Where they are: ${where}.` }),
      clusterButtons(itemCluster(it)),
      g.dismissable && g.signal_cluster != null ? dismissForm(g.signal_cluster, "novelty") : null,
      el("h3", { text: "The report nearest the others" }),
      reportList(g.group.representative ? [g.group.representative] : []),
    );
  }
  const c = it.c;
  return el(
    "div",
    { class: "signal-detail" },
    el("p", { class: "kicker", text: `Concentration${c.dismissed ? " · dismissed" : ""}` }),
    el("h2", { text: `Cluster ${c.cluster} in ${c.field.replace("_", " ")} ${c.value}`, attrs: { "data-testid": "signal-title" } }),
    el("p", { class: "keywords", text: keywords(c.cluster) }),
    el("p", { text: c.reason, attrs: { "data-testid": "signal-reason" } }),
    el("p", { class: "muted small", text: `Observed ${fmt(c.observed)}, expected ${c.expected.toFixed(2)}; information component's lower 95% bound ${c.ic025.toFixed(2)}.` }),
    clusterButtons(c.cluster),
    c.dismissable ? dismissForm(c.cluster, "concentration") : null,
  );
}

/** Keys while the Signals view is on show; true when the key was used. */
export function signalsKey(e: KeyboardEvent): boolean {
  const all = items();
  if (!all.length) return false;
  const moved = moveCursor(e.key, cursor, all.length);
  if (moved !== null) {
    cursor = moved;
    render();
    return true;
  }
  if (e.key !== "Enter") return false;
  const cluster = itemCluster(all[cursor]);
  if (cluster != null && cluster >= 0) void emit("show-cluster", cluster);
  return true;
}

// A new map is a new run or a changed one: its signals are others.
on("map", () => {
  cursor = 0;
  if (!root.hidden) void reloadSignals();
});
