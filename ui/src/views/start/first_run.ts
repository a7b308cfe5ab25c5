// The first run: a file of reports becomes a project. The file is picked in the native
// dialog; the page shows its first rows under the field each column feeds (detected from
// NRLS/LFPSE codes and names; any column can be changed), how many rows would import and
// every bad row with its reasons, then starts one job that imports, encodes and analyses,
// and ends on the map. The engine decides every mapping and every refusal; this only shows.
import { api, errorMessage } from "../../api/client";
import type { About, ColumnChoice, ImportPreview, JobSnapshot } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";

export interface FirstRunActions {
  /** The job finished with the new project open; show it. */
  done: (run: number | null) => void;
  cancel: () => void;
}

const BASELINE = "tfidf-lsa";

/** Renders the wizard for `preview` into `root`. */
export function renderFirstRun(root: HTMLElement, first: ImportPreview, actions: FirstRunActions): void {
  let preview = first;
  // Only the columns the user changed are sent; the rest stay as the engine detects them.
  const choices = new Map<string, string>();
  const skipBad = el("input", { attrs: { type: "checkbox", "data-testid": "first-run-skip-bad" } });
  const model = el("select", { attrs: { "aria-label": "Model to encode with", "data-testid": "first-run-model" } });
  const table = el("div", { class: "first-run-table", attrs: { "data-testid": "first-run-preview" } });
  const verdict = el("div", { class: "first-run-verdict", attrs: { "aria-live": "polite", "data-testid": "first-run-verdict" } });
  const message = el("p", { class: "error", attrs: { "aria-live": "polite", "data-testid": "first-run-message" } });
  const progress = el("div", { class: "first-run-progress", attrs: { "data-testid": "first-run-progress", hidden: "" } });
  const start = button("Import, encode and analyse…", () => void begin(), { class: "primary", attrs: { "data-testid": "first-run-start" } });
  let busy = false;

  // The installed encoders, the bundled one first and chosen; the baseline last.
  void api
    .about()
    .then((about: About) => {
      const names = about.models.map((m) => m.name).sort((a, b) => Number(b === about.default_model) - Number(a === about.default_model));
      fill(model, ...[...names, BASELINE].map((n) => el("option", { text: n === BASELINE ? `${n} (fast baseline, fitted on these reports)` : n === about.default_model ? `${n} (bundled encoder)` : n, attrs: { value: n } })));
    })
    .catch(() => fill(model, el("option", { text: BASELINE, attrs: { value: BASELINE } })));

  const choiceList = (): ColumnChoice[] => [...choices].map(([column, target]) => ({ column, target }));

  async function remap(column: string, target: string): Promise<void> {
    choices.set(column, target);
    message.textContent = "";
    try {
      preview = await api.previewImport(choiceList());
      draw();
    } catch (err) {
      message.textContent = errorMessage(err);
    }
  }

  function columnSelect(index: number): HTMLSelectElement {
    const c = preview.columns[index];
    const select = el("select", { attrs: { "aria-label": `Field of column ${c.name}`, "data-column": c.name, "data-testid": "first-run-field" } });
    for (const choice of preview.choices) {
      const label = choice.target === c.detected ? `${choice.label} — detected` : choice.label;
      const option = el("option", { text: choice.required ? `${label} (required)` : label, attrs: { value: choice.target } });
      if (choice.target === c.target) option.selected = true;
      select.append(option);
    }
    select.addEventListener("change", () => void remap(c.name, select.value));
    return select;
  }

  function draw(): void {
    const head = el("tr", {}, ...preview.columns.map((c) => el("th", { text: c.name, attrs: { "data-detected": c.detected ?? "" } })));
    const fields = el("tr", { class: "first-run-fields" }, ...preview.columns.map((_, i) => el("td", {}, columnSelect(i))));
    const rows = preview.rows.map((r) => el("tr", {}, ...preview.columns.map((_, i) => el("td", { text: r[i] ?? "" }))));
    fill(table, el("table", {}, el("thead", {}, head, fields), el("tbody", {}, ...rows)));
    const check = preview.check;
    if (preview.mapping_problem) {
      fill(verdict, el("p", { class: "error", text: preview.mapping_problem, attrs: { "data-testid": "first-run-mapping-problem" } }));
    } else if (check) {
      const listed = check.problems.map((r) =>
        el("li", { attrs: { "data-line": String(r.line) } }, `Line ${fmt(r.line)}${r.external_id ? ` (id ${r.external_id})` : ""}: `, r.problems.map((p) => (p.column ? `${p.column}: ${p.reason}` : p.reason)).join("; ")),
      );
      const more = check.bad > check.problems.length ? el("p", { class: "muted", text: `…and ${fmt(check.bad - check.problems.length)} more bad rows (the first ${fmt(check.problems.length)} are listed).` }) : null;
      fill(
        verdict,
        el("p", { attrs: { "data-testid": "first-run-counts" } }, el("strong", { text: check.good === 1 ? "1 row validates" : `${fmt(check.good)} rows validate` }), check.bad ? (check.bad === 1 ? ", 1 is bad:" : `, ${fmt(check.bad)} are bad:`) : ", none is bad."),
        check.bad ? el("ol", { class: "bad-rows", attrs: { "data-testid": "first-run-bad-rows" } }, ...listed) : null,
        more,
        check.bad ? el("label", {}, skipBad, " Set the bad rows aside and import the good ones (they are kept for review)") : null,
      );
    } else {
      fill(verdict);
    }
    update();
  }

  function update(): void {
    const check = preview.check;
    const blocked = busy || !!preview.mapping_problem || !check || check.good === 0 || (check.bad > 0 && !skipBad.checked);
    start.disabled = blocked;
    start.title = preview.mapping_problem ? "Choose the fields first" : check && check.bad > 0 && !skipBad.checked ? "The file has bad rows: fix them, or set them aside" : "";
  }
  skipBad.addEventListener("change", update);

  async function begin(): Promise<void> {
    message.textContent = "";
    let id: number | null;
    try {
      id = await api.startFirstRun(choiceList(), skipBad.checked, model.value || null);
    } catch (err) {
      message.textContent = errorMessage(err);
      return;
    }
    if (id === null) {
      message.textContent = "No folder was chosen; nothing was made.";
      return;
    }
    busy = true;
    update();
    progress.hidden = false;
    progress.textContent = "Starting…";
    const unlisten = await api.onJob((job: JobSnapshot) => {
      if (job.id !== id) return;
      if (job.state === "running") {
        const part = job.total > 0 ? ` ${fmt(job.position)} of ${fmt(job.total)}` : "";
        progress.textContent = `${job.phase || "Working"}…${part}`;
        return;
      }
      unlisten();
      busy = false;
      progress.hidden = true;
      if (job.state === "succeeded") {
        const run = (job.result as { run?: number } | null)?.run;
        actions.done(typeof run === "number" ? run : null);
      } else {
        message.textContent = job.error ?? (job.state === "cancelled" ? "Cancelled." : "The job failed.");
        update();
      }
    });
  }

  root.replaceChildren(
    el(
      "section",
      { class: "first-run card", attrs: { "data-testid": "first-run" } },
      el("h2", { text: `New project from ${preview.file_name}` }),
      el("p", { class: "muted", text: `${preview.format.toUpperCase()}, ${fmt(preview.bytes)} bytes. Each column's field was detected from its name (NRLS/LFPSE codes such as IN07 or PD09 are recognised); change any that is wrong. The first ${fmt(preview.rows.length)} rows are shown.` }),
      table,
      verdict,
      el("div", { class: "row" }, el("label", {}, "Encode with ", model)),
      el("div", { class: "row" }, start, button("Back", actions.cancel, { class: "secondary" })),
      progress,
      message,
    ),
  );
  draw();
}
