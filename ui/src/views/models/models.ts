// Models: the representations the project holds, models trained on its own reports (with
// their loss curves and throughput, side by side), trainings that can resume, and forms to
// train word vectors, adapt a transformer (DeCLUTR-style spans, SimCSE, masked language
// model) or fine-tune it on a benchmark's labels
// (SetFit), each as a job. A trained model is encoded like any other, then compared in the
// Evaluation view.
import { api, errorMessage } from "../../api/client";
import type { JobSnapshot, ModelsOverview, TrainedView, TrainSettings } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { state } from "../../state";

let overview: ModelsOverview | null = null;
const root = el("section", { class: "models-view", attrs: { "aria-label": "Models" } });
const msg = el("p", { class: "small", attrs: { "aria-live": "polite" } });

export function modelsElement(): HTMLElement {
  return root;
}

async function start(what: () => Promise<number>, label: string): Promise<void> {
  msg.className = "small";
  try {
    await what();
    msg.textContent = `${label} started (progress in Jobs).`;
  } catch (err) {
    msg.className = "small error";
    msg.textContent = errorMessage(err);
  }
}

// The forms are built once, so a reload of the tables (a job finishing) never wipes what
// the user is typing.
let trainForm: HTMLElement | null = null;
let adaptForm: HTMLElement | null = null;
let tuneForm: HTMLElement | null = null;
const adaptBase = el("select", { attrs: { "aria-label": "Encoder to adapt" } });
const tuneBase = el("select", { attrs: { "aria-label": "Encoder to fine-tune" } });
const tuneBenchmark = el("select", { attrs: { "aria-label": "Benchmark to learn from", "data-testid": "tune-benchmark" } });

function fillSelect(select: HTMLSelectElement, values: string[], labels: string[] = values): void {
  const keep = select.value;
  select.replaceChildren(...values.map((v, i) => el("option", { text: labels[i], attrs: { value: v } })));
  if (values.includes(keep)) select.value = keep;
}

function fillChoices(): void {
  const names = (overview?.available ?? []).filter((m) => m !== "tfidf-lsa" && !overview?.trained.some((t) => t.name === m && t.method === "wordvec"));
  fillSelect(adaptBase, names);
  fillSelect(tuneBase, names);
  // The latest version of each benchmark set.
  const latest = new Map<string, { name: string; version: number; labels: number; items: number }>();
  for (const b of overview?.benchmarks ?? []) if ((latest.get(b.name)?.version ?? 0) < b.version) latest.set(b.name, b);
  const sets = [...latest.values()];
  fillSelect(tuneBenchmark, sets.map((b) => b.name), sets.map((b) => `${b.name} v${b.version} (${fmt(b.items)} reports, ${b.labels} labels)`));
}

/**
 * Shows the engine's default for each setting in its field while the field is still empty:
 * the engine owns every default and limit, the form only shows them (and the engine fills
 * in any field left empty).
 */
function showDefaults(method: string, fields: Partial<Record<keyof TrainSettings, HTMLInputElement>>): void {
  api.trainDefaults(method).then(
    (defaults) => {
      for (const [key, input] of Object.entries(fields)) {
        const value = defaults[key as keyof TrainSettings];
        if (input && input.value === "" && value !== null && value !== undefined) input.value = String(value);
      }
    },
    (err) => {
      msg.className = "small error";
      msg.textContent = errorMessage(err);
    },
  );
}

/** A number field's value, or nothing (the engine's default) when it is empty. */
const num = (input: HTMLInputElement): number | undefined => (input.value.trim() === "" ? undefined : Number(input.value));

function trainCard(): HTMLElement {
  const name = el("input", { attrs: { value: "wordvec", "aria-label": "Model name", "data-testid": "train-name" } });
  const dimension = el("input", { attrs: { type: "number", "aria-label": "Dimensions" } });
  const epochs = el("input", { attrs: { type: "number", "aria-label": "Epochs" } });
  const seed = el("input", { attrs: { type: "number", min: "0", "aria-label": "Seed" } });
  showDefaults("wordvec", { dimension, epochs, seed });
  return el(
    "div",
    { class: "card" },
    el("h3", { text: "Train word vectors" }),
    el("p", { class: "muted small", text: "Skip-gram word vectors with character n-grams, learnt from this project's reports on the CPU, averaged with SIF weights. Minutes on a laptop; checkpoints as it goes, so a stopped training resumes." }),
    el("div", { class: "row" }, el("label", {}, "name ", name), el("label", {}, "dimensions ", dimension), el("label", {}, "epochs ", epochs), el("label", {}, "seed ", seed)),
    button("Train", () => void start(() => api.startTrain("wordvec", name.value.trim(), { dimension: num(dimension), epochs: num(epochs), seed: num(seed) }), `Training ${name.value.trim()}`), { class: "primary", attrs: { "data-testid": "start-train" } }),
  );
}

function adaptCard(): HTMLElement {
  const name = el("input", { attrs: { value: "minilm-adapted", "aria-label": "Adapted model name", "data-testid": "adapt-name" } });
  const base = adaptBase;
  const batch = el("input", { attrs: { type: "number", "aria-label": "Batch size" } });
  showDefaults("declutr", { batch_size: batch });
  const cap = el("input", { attrs: { type: "number", min: "0", value: "2000", "aria-label": "Reports to train on at most", "data-testid": "adapt-cap" } });
  const keepLast = el("input", { attrs: { type: "checkbox", "aria-label": "Keep the last weights, unjudged", "data-testid": "adapt-keep-last" } });
  const method = el(
    "select",
    { attrs: { "aria-label": "Adaptation objective", "data-testid": "adapt-method" } },
    el("option", { text: "DeCLUTR-style spans (contrastive)", attrs: { value: "declutr" } }),
    el("option", { text: "SimCSE (contrastive)", attrs: { value: "simcse" } }),
    el("option", { text: "masked language model", attrs: { value: "mlm" } }),
  );
  return el(
    "div",
    { class: "card" },
    el("h3", { text: "Adapt a transformer to this project" }),
    el("p", { class: "muted small", text: "Unsupervised training on the project's own reports. DeCLUTR-style spans: two parts of one report (a sentence of what happened, one of its causes or actions) must find each other among the batch, so the encoder learns what the parts of an incident share. SimCSE: each report, seen twice through dropout, must find itself among the batch. Masked language model: the encoder learns to fill in hidden words of the reports (continued pre-training). Slow on a CPU (a few reports a second); cap the reports to fit your time, or run it on a GPU build." }),
    el("p", { class: "muted small", text: "Adaptation can make clusters worse, so a tenth of the reports is held out: training stops when two parts of each held-out report stop finding each other better, the best weights are kept, and nothing is saved if no step beat the base model. It is also held to the base model's clusters (analyse with the base model first): weights that mix them up are never kept. It needs at least 300 reports; below that, keep the base model." }),
    el("div", { class: "row" }, el("label", {}, "name ", name), el("label", {}, "objective ", method), el("label", {}, "base ", base), el("label", {}, "batch ", batch), el("label", {}, "reports ", cap), el("label", {}, keepLast, " keep the last weights, unjudged")),
    button("Adapt", () => void start(() => api.startTrain(method.value, name.value.trim(), { base: base.value, batch_size: num(batch), max_documents: num(cap), ...(keepLast.checked ? { keep_last: true } : {}) }), `Adapting ${base.value}`), { class: "primary", attrs: { "data-testid": "start-adapt" } }),
  );
}

function tuneCard(): HTMLElement {
  const name = el("input", { attrs: { value: "minilm-setfit", "aria-label": "Fine-tuned model name", "data-testid": "tune-name" } });
  const perLabel = el("input", { attrs: { type: "number", "aria-label": "Training reports per label", "data-testid": "tune-per-label" } });
  const iterations = el("input", { attrs: { type: "number", "aria-label": "Pair rounds" } });
  showDefaults("supervised", { per_label: perLabel, iterations });
  return el(
    "div",
    { class: "card" },
    el("h3", { text: "Fine-tune on a benchmark's labels (SetFit)" }),
    el("p", { class: "muted small", text: "A few labelled reports per label train the encoder on pairs (same label together, different labels apart), then a classification head. The rest of the benchmark is held out: the head is scored on it beside the untuned model, and evaluations leave the training reports out." }),
    el("div", { class: "row" }, el("label", {}, "name ", name), el("label", {}, "base ", tuneBase), el("label", {}, "benchmark ", tuneBenchmark), el("label", {}, "per label ", perLabel), el("label", {}, "rounds ", iterations)),
    button(
      "Fine-tune",
      () => void start(() => api.startTrain("supervised", name.value.trim(), { base: tuneBase.value, benchmark: tuneBenchmark.value, per_label: num(perLabel), iterations: num(iterations) }), `Fine-tuning ${tuneBase.value}`),
      { class: "primary", attrs: { "data-testid": "start-tune" } },
    ),
  );
}

/** A supervised model's held-out score: its head, and the same head on the base model. An
 * adapted model's: its held-out span pairs' score, kept weights against the base model. */
function heldOut(t: TrainedView): string {
  const r = t.training.report;
  const s = r.held_out_spans;
  if (s) {
    const stopped = s.stopped_early ? ", stopped early" : "";
    return `span MRR ${s.best.toFixed(3)} (base ${s.base.toFixed(3)}; step ${fmt(s.best_step)}${stopped}; ${fmt(s.pairs)} held-out pairs); neighbours in run ${s.structure_run}'s clusters ${s.structure_kept.toFixed(3)} (base ${s.structure_base.toFixed(3)})`;
  }
  if (!r.held_out || !r.held_out_base) return "–";
  return `${r.held_out.macro_f1.toFixed(3)} (base ${r.held_out_base.macro_f1.toFixed(3)}; ${fmt(r.held_out_reports ?? 0)} held out)`;
}

// What the model's vectors read of each report: whole, or without the boilerplate the
// project learned (recorded in the vectors' provenance by the engine).
function textRead(provenance: unknown): string {
  const b = (provenance as { boilerplate?: { phrases?: number; fitted_reports?: number } } | null)?.boilerplate;
  if (!b || typeof b.phrases !== "number") return "whole reports";
  return `without boilerplate: ${fmt(b.phrases)} recurring phrases that say nothing of the incident, learned from ${fmt(b.fitted_reports ?? 0)} reports`;
}

function trainedRow(t: TrainedView, encoded: boolean): HTMLElement {
  const r = t.training.report;
  return el(
    "tr",
    { attrs: { "data-trained": t.name } },
    el("th", { text: t.name }),
    el("td", { text: t.method }),
    el("td", { class: "num", text: t.training.config.dimension ? String(t.training.config.dimension) : "–" }),
    el("td", { class: "num", text: `${t.training.config.epochs}` }),
    el("td", { class: "num", text: fmt(r.documents ?? r.train_reports ?? 0) }),
    el("td", { class: "num", text: `${r.seconds.toFixed(1)} s` }),
    el("td", { class: "num", text: r.tokens_per_second !== undefined ? `${fmt(Math.round(r.tokens_per_second))} tokens/s` : `${(r.examples_per_second ?? 0).toFixed(1)} ${t.method === "supervised" ? "pairs" : "reports"}/s` }),
    el("td", { class: "num", text: r.final_loss === null ? "–" : r.final_loss.toFixed(4) }),
    el("td", { class: "num", attrs: { "data-testid": `held-out-${t.name}` }, text: heldOut(t) }),
    el("td", {}, t.loss_chart ? el("img", { class: "loss-thumb", attrs: { src: t.loss_chart, alt: `${t.name} loss curve` } }) : "–"),
    el("td", {}, encoded ? el("span", { class: "muted small", text: "encoded" }) : button("Encode", () => void start(() => api.startEncode(t.name), `Encoding with ${t.name}`), { class: "secondary", attrs: { "data-testid": `encode-${t.name}` } })),
  );
}

export async function reloadModels(): Promise<void> {
  if (!state.project) {
    fill(root, el("p", { class: "muted", text: "Open a project first." }));
    return;
  }
  try {
    overview = await api.modelsOverview();
  } catch (err) {
    fill(root, el("p", { class: "error", text: errorMessage(err) }));
    return;
  }
  const o = overview;
  fillChoices();
  const encodedNames = new Set(o.encoded.filter((m) => m.vectors > 0).map((m) => m.name));
  const head = ["model", "method", "dims", "epochs", "reports", "time", "speed", "final loss", "held-out head F1", "loss curve", ""];
  // Moving the forms back into the view takes focus from a field being typed in (a job
  // can finish mid-word); give it back, caret and all.
  const active = document.activeElement;
  const caret = active instanceof HTMLInputElement && root.contains(active) ? [active.selectionStart, active.selectionEnd] : null;
  fill(
    root,
    el("h2", { text: "Models" }),
    el(
      "table",
      { class: "scores", attrs: { "data-testid": "encoded-models" } },
      el("thead", {}, el("tr", {}, ...["representation", "kind", "dims", "reports encoded", "text read"].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...o.encoded.map((m) => el("tr", {}, el("th", { text: m.name }), el("td", { text: m.kind }), el("td", { class: "num", text: String(m.dimension) }), el("td", { class: "num", text: fmt(m.vectors) }), el("td", { class: "small", text: textRead(m.provenance) })))),
    ),
    el("h2", { text: "Trained on this project" }),
    o.trained.length
      ? el("table", { class: "scores", attrs: { "data-testid": "trained-models" } }, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))), el("tbody", {}, ...o.trained.map((t) => trainedRow(t, encodedNames.has(t.name)))))
      : el("p", { class: "muted", text: "No model trained here yet." }),
    o.pending.length
      ? el(
          "div",
          { class: "card", attrs: { "data-testid": "pending-trainings" } },
          el("h3", { text: "Stopped trainings" }),
          ...o.pending.map((p) => el("div", { class: "row" }, el("span", { text: `${p.name}: stopped in epoch ${p.epoch + 1} at report ${fmt(p.document)}` }), button("Resume", () => void start(() => api.startTrain(p.method, p.name, p.config), `Resuming ${p.name}`), { class: "secondary" }))),
        )
      : null,
    (trainForm ??= trainCard()),
    (adaptForm ??= adaptCard()),
    (tuneForm ??= tuneCard()),
    msg,
  );
  if (active instanceof HTMLElement && root.contains(active) && document.activeElement !== active) {
    active.focus();
    if (caret && active instanceof HTMLInputElement && active.type === "text") active.setSelectionRange(caret[0], caret[1]);
  }
}

/** Called for every finished job: training and encoding change what this view shows. */
export function modelsJob(job: JobSnapshot): void {
  if (job.kind === "train" || job.kind === "encode") void reloadModels();
}
