// Long work: start an import, encoding, vectors import or analysis, and watch every job of this session
// with its progress bar and log. Jobs run in the engine; the UI only listens.
import { api, errorMessage } from "../../api/client";
import type { JobSnapshot } from "../../api/types";
import { button, el, fmt } from "../../dom";
import { emit, on, state } from "../../state";

const jobs = new Map<number, JobSnapshot>();
const root = el("section", { class: "jobs-view", attrs: { "aria-label": "Jobs" } });
const list = el("div", { class: "job-list", attrs: { "data-testid": "jobs" } });
const startMsg = el("p", { class: "muted", attrs: { "aria-live": "polite" } });
const skipBad = el("input", { attrs: { type: "checkbox" } });
const encodeModel = el("select", { attrs: { "aria-label": "Model to encode with" } });
const analyseModel = el("select", { attrs: { "aria-label": "Model to analyse" } });
const vectorsModel = el("select", { attrs: { "aria-label": "Model the Spark vectors were made with" } });
const method = el("select", { attrs: { "aria-label": "Clustering method" } });
method.append(el("option", { text: "HDBSCAN (finds the number of clusters, leaves noise)", attrs: { value: "hdbscan" } }), el("option", { text: "k-means", attrs: { value: "kmeans" } }));
const k = el("input", { attrs: { type: "number", min: "2", max: "500", value: "20", "aria-label": "k for k-means" } });

let finished: (job: JobSnapshot) => void = () => {};

export function onJobFinished(fn: (job: JobSnapshot) => void): void {
  finished = fn;
}

async function start(what: () => Promise<number | null>): Promise<void> {
  startMsg.textContent = "";
  try {
    const id = await what();
    if (id === null) startMsg.textContent = "Cancelled.";
  } catch (err) {
    startMsg.textContent = errorMessage(err);
  }
}

root.append(
  el("h2", { text: "Start" }),
  el(
    "div",
    { class: "job-start" },
    el("div", { class: "card" }, el("h3", { text: "Import reports" }), el("p", { class: "muted", text: "CSV or JSONL; columns are recognised from NRLS/LFPSE names. A file with bad rows is refused whole unless bad rows are set aside (they are kept for review)." }), el("label", {}, skipBad, " Set bad rows aside"), el("div", {}, button("Choose file and import…", () => void start(() => api.startImport(skipBad.checked)), { class: "primary" }))),
    el("div", { class: "card" }, el("h3", { text: "Encode" }), el("p", { class: "muted", text: "Turn report text into vectors. Resumes where it stopped." }), encodeModel, el("div", {}, button("Encode", () => void start(() => api.startEncode(encodeModel.value)), { class: "primary" }))),
    el("div", { class: "card" }, el("h3", { text: "Import vectors from Spark" }), el("p", { class: "muted", text: "The Parquet folder the Spark job wrote, for reports already in this project, then the index it built (--index-out), if any. Refused whole if the weights differ from this model's, a report is unknown, or the index does not hold exactly these vectors." }), vectorsModel, el("div", {}, button("Choose folder and import…", () => void start(() => api.startVectorsImport(vectorsModel.value)), { class: "primary" }), " ", button("Import its index…", () => void start(() => api.startIndexImport(vectorsModel.value))))),
    el("div", { class: "card" }, el("h3", { text: "Analyse" }), el("p", { class: "muted", text: "Index, lay out the map and cluster one model's vectors as a new run." }), analyseModel, method, el("label", { text: " k " }, k), el("div", {}, button("Analyse", () => void start(() => api.startAnalyse(analyseModel.value || null, method.value, Number(k.value))), { class: "primary" }))),
  ),
  startMsg,
  el("h2", { text: "Jobs this session" }),
  list,
);

export function jobsElement(): HTMLElement {
  return root;
}

function render(): void {
  const all = [...jobs.values()].sort((a, b) => b.id - a.id);
  if (!all.length) {
    list.replaceChildren(el("p", { class: "muted", text: "No jobs yet. Imports, encodings and analyses you start appear here with their progress." }));
    return;
  }
  list.replaceChildren(
    ...all.map((j) => {
      const bar = el("progress", { attrs: { max: String(j.total || 1), "aria-label": `${j.title} progress` } });
      if (j.total) bar.value = j.position;
      else if (j.state !== "running") bar.value = 1;
      else bar.removeAttribute("value"); // indeterminate until the job knows its total
      return el(
        "div",
        { class: `job card ${j.state}`, attrs: { "data-testid": "job", "data-state": j.state } },
        el("div", { class: "job-head" }, el("strong", { text: j.title }), el("span", { class: `job-state ${j.state}`, text: j.state }), j.state === "running" ? button("Cancel", () => void api.cancelJob(j.id), { class: "secondary" }) : null),
        bar,
        el("div", { class: "muted small", text: `${j.phase}${j.total ? ` · ${fmt(j.position)} / ${fmt(j.total)}` : ""} · ${j.seconds.toFixed(1)} s` }),
        j.error ? el("p", { class: "error", text: j.error }) : null,
        el("details", {}, el("summary", { text: "Log" }), el("pre", { class: "log", text: (j.log_dropped ? `(${j.log_dropped} earlier lines dropped)\n` : "") + j.log.join("\n") })),
      );
    }),
  );
}

function fillModels(): void {
  const models = state.project?.models ?? [];
  const names = new Set(["tfidf-lsa", "all-MiniLM-L6-v2", ...models.map((m) => m.name.replace(/:all$/, ""))]);
  encodeModel.replaceChildren(...[...names].map((n) => el("option", { text: n, attrs: { value: n } })));
  vectorsModel.replaceChildren(...[...names].map((n) => el("option", { text: n, attrs: { value: n } })));
  analyseModel.replaceChildren(el("option", { text: "The preferred model (chosen by the project's evaluation, else the benchmark's best)", attrs: { value: "" } }), ...models.filter((m) => m.vectors > 0).map((m) => el("option", { text: `${m.name} (${fmt(m.vectors)} vectors)`, attrs: { value: m.name } })));
}

export async function startJobs(): Promise<void> {
  await api.onJob((job) => {
    const before = jobs.get(job.id);
    jobs.set(job.id, job);
    render();
    if (before?.state === "running" && job.state !== "running") finished(job);
    emit("jobs");
  });
  for (const j of await api.listJobs()) jobs.set(j.id, j);
  render();
}

export const runningJobs = (): number => [...jobs.values()].filter((j) => j.state === "running").length;

on("project", fillModels);
