// Evaluation: benchmark sets (reviewer-made or derived from a report field), evaluations
// started as jobs, and one evaluation's models × metrics with intervals, slices, the paired
// test of the two best models, its charts and "Export report…".
import { api, errorMessage } from "../../api/client";
import type { Estimate, EvaluationDetail, EvaluationOverview, JobSnapshot } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { state } from "../../state";

let overview: EvaluationOverview | null = null;
let openId: number | null = null;

const root = el("section", { class: "evaluate-view", attrs: { "aria-label": "Evaluation" } });
const side = el("aside", { class: "evaluate-side" });
const main = el("div", { class: "evaluate-main", attrs: { "data-testid": "evaluation" } });
root.append(side, main);

export function evaluateElement(): HTMLElement {
  return root;
}

const FIELDS: [string, string][] = [
  ["category", "Incident category (IN05)"],
  ["harm_severe", "Harm: severe or death vs the rest (PD09 4-5)"],
  ["harm", "Degree of harm, five grades (PD09)"],
  ["care_setting", "Care setting (RP02)"],
];

export async function reloadEvaluation(): Promise<void> {
  if (!state.project) {
    fill(side, el("p", { class: "muted", text: "Open a project first." }));
    main.replaceChildren();
    return;
  }
  try {
    overview = await api.evaluationOverview();
  } catch (err) {
    fill(side, el("p", { class: "error", text: errorMessage(err) }));
    return;
  }
  renderSide();
  if (openId === null && overview.evaluations.length) openId = overview.evaluations[0].id;
  await renderMain();
}

function deriveCard(): HTMLElement {
  const field = el("select", { attrs: { "aria-label": "Field", "data-testid": "derive-field" } });
  for (const [v, t] of FIELDS) field.append(el("option", { text: t, attrs: { value: v } }));
  const name = el("input", { attrs: { placeholder: "Name (default field-…)", "aria-label": "Benchmark name" } });
  const limit = el("input", { attrs: { type: "number", min: "0", value: "5000", "aria-label": "At most this many reports" } });
  const msg = el("p", { class: "small", attrs: { "aria-live": "polite" } });
  const derive = async () => {
    msg.className = "small";
    msg.textContent = "Deriving…";
    try {
      const h = await api.deriveBenchmark(field.value, name.value.trim() || null, Number(limit.value) || null);
      msg.textContent = `${h.name} v${h.version}: ${fmt(h.items)} reports, ${h.labels.length} labels.`;
      await reloadEvaluation();
    } catch (err) {
      msg.className = "small error";
      msg.textContent = errorMessage(err);
    }
  };
  return el(
    "div",
    { class: "card" },
    el("h3", { text: "Benchmark from a field" }),
    el("p", { class: "muted small", text: "The reports' own fields as labels: no reviewer needed. Sampled by label up to the limit (0: all)." }),
    field,
    el("div", { class: "row" }, name, el("label", { class: "small" }, "limit ", limit)),
    button("Derive benchmark", () => void derive(), { class: "primary", attrs: { "data-testid": "derive" } }),
    msg,
  );
}

function evaluateCard(): HTMLElement {
  const o = overview!;
  const bench = el("select", { attrs: { "aria-label": "Benchmark", "data-testid": "evaluate-benchmark" } });
  for (const b of o.benchmarks) {
    const source = b.source === "field" ? `field ${b.derived_from ?? ""}` : b.source;
    bench.append(el("option", { text: `${b.name} v${b.version} · ${fmt(b.items)} reports · ${source}`, attrs: { value: `${b.name}\u0000${b.version}` } }));
  }
  const boxes = o.models.map((m) => {
    const box = el("input", { attrs: { type: "checkbox", value: m, "aria-label": m } });
    box.checked = true;
    return { m, box };
  });
  const msg = el("p", { class: "small", attrs: { "aria-live": "polite" } });
  const start = async () => {
    const [name, version] = bench.value.split("\u0000");
    const models = boxes.filter((b) => b.box.checked).map((b) => b.m);
    if (!name) return;
    msg.className = "small";
    try {
      await api.startEvaluate(name, Number(version), models);
      msg.textContent = "Evaluating… (progress in Jobs)";
    } catch (err) {
      msg.className = "small error";
      msg.textContent = errorMessage(err);
    }
  };
  if (!o.benchmarks.length) {
    return el("div", { class: "card" }, el("h3", { text: "Evaluate" }), el("p", { class: "muted", text: "No benchmark set yet: derive one from a field above, or freeze a labelling session in Label." }));
  }
  return el(
    "div",
    { class: "card" },
    el("h3", { text: "Evaluate" }),
    bench,
    el("div", { class: "checks" }, ...boxes.map(({ m, box }) => el("label", {}, box, ` ${m}`))),
    button("Evaluate models", () => void start(), { class: "primary", attrs: { "data-testid": "start-evaluate" } }),
    msg,
  );
}

function renderSide(): void {
  const o = overview!;
  const list = el(
    "ul",
    { class: "evaluation-list", attrs: { "data-testid": "evaluations" } },
    ...o.evaluations.map((e) => {
      const item = el("li", {}, button(`#${e.id} ${e.benchmark} v${e.version}`, () => void open(e.id), { class: e.id === openId ? "link current" : "link" }), el("div", { class: "muted small", text: `best: ${e.best_model ?? "–"} · ${e.models.length} models · ${e.created_at.slice(0, 16).replace("T", " ")}` }));
      return item;
    }),
  );
  fill(side, deriveCard(), evaluateCard(), el("div", { class: "card" }, el("h3", { text: "Evaluations" }), o.evaluations.length ? list : el("p", { class: "muted", text: "None yet." })));
}

async function open(id: number): Promise<void> {
  openId = id;
  renderSide();
  await renderMain();
}

const est = (e: Estimate | null | undefined): HTMLElement =>
  e ? el("td", { class: "num", title: `95% interval ${e.low.toFixed(3)} – ${e.high.toFixed(3)}` }, e.value.toFixed(3), el("span", { class: "ci", text: ` [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]` })) : el("td", { class: "num muted", text: "–" });

function scoresTable(d: EvaluationDetail): HTMLElement {
  const r = d.results;
  const k = r.spec.k;
  const head = ["model", `precision@${k}`, `MAP@${k}`, "kNN macro-F1", "kNN accuracy", "logistic macro-F1", "logistic accuracy", "clusters V-measure", "clusters ARI"];
  return el(
    "table",
    { class: "scores", attrs: { "data-testid": "scores" } },
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
    el(
      "tbody",
      {},
      ...r.models.map((m) => {
        const best = m.runs.reduce<(typeof m.runs)[number] | null>((a, b) => (!a || b.v_measure.value > a.v_measure.value ? b : a), null);
        return el("tr", { class: m.model === r.best_model ? "best" : "", attrs: { "data-model": m.model } }, el("th", { text: m.model }), est(m.precision_at_k), est(m.map_at_k), est(m.knn_macro_f1), est(m.knn_accuracy), est(m.logistic_macro_f1), est(m.logistic_accuracy), est(best?.v_measure), est(best?.adjusted_rand));
      }),
    ),
  );
}

function slicesTable(d: EvaluationDetail): HTMLElement | null {
  const r = d.results;
  if (!r.slices.length) return null;
  return el(
    "table",
    { class: "scores slices" },
    el("thead", {}, el("tr", {}, el("th", { text: "slice" }), el("th", { text: "reports" }), ...r.models.map((m) => el("th", { text: `${m.model} kNN F1` })))),
    el("tbody", {}, ...r.slices.map((s) => el("tr", {}, el("th", { text: `${s.dimension.replace("_", " ")}: ${s.value}` }), el("td", { class: "num", text: fmt(s.items) }), ...s.models.map((m) => est(m.knn_macro_f1 ?? m.map_at_k))))),
  );
}

async function renderMain(): Promise<void> {
  if (openId === null) {
    fill(main, el("div", { class: "empty-state" }, el("p", { text: "Score every representation against a benchmark set: derive one from a report field, then Evaluate." })));
    return;
  }
  let d: EvaluationDetail;
  try {
    d = await api.evaluationDetail(openId);
  } catch (err) {
    fill(main, el("p", { class: "error", text: errorMessage(err) }));
    return;
  }
  const r = d.results;
  const exportMsg = el("span", { class: "small", attrs: { "aria-live": "polite" } });
  const exportReport = async () => {
    try {
      const path = await api.exportReport(d.id);
      exportMsg.textContent = path ? `Saved to ${path}` : "Cancelled.";
    } catch (err) {
      exportMsg.textContent = errorMessage(err);
    }
  };
  fill(
    main,
    el("div", { class: "row" }, el("h2", { text: `Evaluation #${d.id}: ${r.benchmark.name} v${r.benchmark.version}` }), button("Export report…", () => void exportReport(), { class: "primary", attrs: { "data-testid": "export-report" } }), exportMsg),
    el("p", { class: "muted", text: `${fmt(r.items)} reports, ${r.benchmark.labels.length} labels (${r.benchmark.source}${r.benchmark.derived_from ? `: ${r.benchmark.derived_from}` : ""}); ${r.items_missing} not in the project, ${r.items_unencoded} not encoded by every model${r.items_trained_on ? `, ${r.items_trained_on} left out because a model was trained on their labels` : ""}. ${r.spec.folds}-fold cross-validation, ${fmt(r.spec.resamples)} bootstrap resamples, seed ${r.spec.seed}. Made ${d.created_at.slice(0, 16).replace("T", " ")} by ${d.created_by}.` }),
    d.verdict ? el("p", { attrs: { "data-testid": "best-model" } }, el("strong", { text: d.verdict })) : null,
    r.paired.length ? el("p", { class: "muted small" }, ...r.paired.map((t) => `${t.metric}: ${t.better} − ${t.other} = ${t.difference.value >= 0 ? "+" : ""}${t.difference.value.toFixed(3)} [${t.difference.low.toFixed(3)}, ${t.difference.high.toFixed(3)}], p = ${t.p_value.toFixed(3)}. `)) : null,
    scoresTable(d),
    ...r.models.flatMap((m) => m.notes.map((n) => el("p", { class: "muted small", text: `${m.model}: ${n}` }))),
    slicesTable(d),
    el("div", { class: "charts" }, ...d.charts.map((c) => el("figure", {}, el("img", { attrs: { src: c.src, alt: `${c.name} chart`, "data-chart": c.name } })))),
    el("p", { class: "muted small", text: `Report: ${d.report} · dataset ${r.provenance.dataset_sha256.slice(0, 12)}… · ${r.provenance.software}` }),
  );
}

/** Called for every job snapshot: a finished evaluation opens. */
export function evaluationJob(job: JobSnapshot): void {
  if (job.kind !== "evaluate" || job.state !== "succeeded") return;
  const id = Number(job.result?.evaluation);
  if (Number.isFinite(id)) openId = id;
  void reloadEvaluation();
}
