// The overview: what is in the project, and the next step when something is missing.
import { api, errorKind, errorMessage } from "../../api/client";
import type { Count, ProjectOverview, RecentProject } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { renderFirstRun } from "./first_run";

export interface StartActions {
  opened: (overview: ProjectOverview) => void;
  goto: (view: string) => void;
  /** A first run made a project and opened it; `run` is its first cluster run. */
  created: (run: number | null) => void;
}

function countTable(title: string, counts: Count[], total: number): HTMLElement {
  return el(
    "section",
    { class: "card" },
    el("h2", { text: title }),
    el("table", {}, ...counts.map((c) => el("tr", {}, el("td", { text: c.value }), el("td", { class: "num", text: fmt(c.count) }), el("td", { class: "num muted", text: total ? `${((100 * c.count) / total).toFixed(1)}%` : "" })))),
  );
}

/** A passphrase field and its button, in `message`'s place: `use` gets what was typed. */
function askPassphrase(message: HTMLElement, prompt: string, label: string, use: (passphrase: string) => Promise<void>): void {
  const input = el("input", { attrs: { type: "password", autocomplete: "off", "aria-label": "Passphrase", "data-testid": "passphrase" } });
  const status = el("span", { class: "error", attrs: { "aria-live": "polite" } });
  const submit = async () => {
    status.textContent = "";
    try {
      await use(input.value);
    } catch (err) {
      status.textContent = ` ${errorMessage(err)}`;
      input.select();
    }
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") void submit();
  });
  fill(message, el("span", { text: `${prompt} ` }), input, button(label, () => void submit(), { class: "primary" }), status);
  input.focus();
}

/** Opens a project, asking for its passphrase when it is encrypted. */
export async function openWith(open: () => Promise<ProjectOverview | null>, actions: StartActions, message: HTMLElement): Promise<void> {
  message.textContent = "";
  try {
    const opened = await open();
    if (opened) actions.opened(opened);
  } catch (err) {
    if (errorKind(err) !== "needs_passphrase") {
      message.textContent = errorMessage(err);
      return;
    }
    askPassphrase(message, "This project is encrypted. Passphrase:", "Unlock", async (p) => actions.opened(await api.unlockProject(p)));
  }
}

/** Buttons to open or create a project through the native folder dialog. */
export function projectButtons(actions: StartActions, message: HTMLElement): HTMLElement {
  const encrypted = () =>
    askPassphrase(message, "A passphrase for the new encrypted project (8 characters or more; it cannot be recovered):", "Choose folder…", async (p) => {
      const made = await api.createEncryptedProject(p);
      if (made) actions.opened(made);
    });
  return el(
    "div",
    { class: "row" },
    button("Open project…", () => void openWith(() => api.openProject(false), actions, message), { class: "secondary" }),
    button("New empty project…", () => void openWith(() => api.openProject(true), actions, message), { class: "secondary" }),
    button("New encrypted project…", encrypted, { class: "secondary" }),
  );
}

/** The next step for a project that is not ready for review, or null when it is. */
export function nextStep(p: ProjectOverview, actions: StartActions): HTMLElement | null {
  const step = (text: string, label: string) =>
    el("div", { class: "empty-state", attrs: { "data-testid": "empty-state" } }, el("p", { text }), button(label, () => actions.goto("jobs"), { class: "primary" }));
  if (p.stats.incidents === 0) return step("This project has no incident reports yet. Import a CSV or JSONL export to begin.", "Import reports…");
  if (!p.models.some((m) => m.vectors > 0)) return step(`${fmt(p.stats.incidents)} reports are imported. Next, encode them with a model so they can be compared.`, "Encode…");
  if (p.latest_run === null) return step("The reports are encoded. Next, analyse them to build the cluster map.", "Analyse…");
  return null;
}

/** The recent projects, each opened by its place in the list (the page names no path). */
function recentList(actions: StartActions, message: HTMLElement): HTMLElement {
  const list = el("ul", { class: "recent", attrs: { "data-testid": "recent-projects" } });
  void api
    .recentProjects()
    .then((recent: RecentProject[]) => {
      fill(
        list,
        ...recent.map((r, i) => {
          const open = button(r.name, () => void openWith(() => api.openRecent(i), actions, message));
          open.disabled = !r.available;
          return el("li", {}, open, el("span", { class: "muted", text: ` ${r.path}${r.available ? "" : " (not found)"}` }));
        }),
      );
      block.hidden = recent.length === 0;
    })
    .catch(() => (block.hidden = true));
  const block = el("div", { attrs: { hidden: "" } }, el("h3", { text: "Recent projects" }), list);
  return block;
}

/** The first-run start: a file of reports to a project, or an existing project. */
function welcome(root: HTMLElement, actions: StartActions, error: string | null): void {
  const message = el("p", { class: "error", attrs: { "aria-live": "polite" } });
  const fromFile = async () => {
    message.textContent = "";
    try {
      const preview = await api.chooseImportFile();
      if (preview) renderFirstRun(root, preview, { done: actions.created, cancel: () => welcome(root, actions, null) });
    } catch (err) {
      message.textContent = errorMessage(err);
    }
  };
  root.replaceChildren(
    el(
      "div",
      { class: "empty-state", attrs: { "data-testid": "empty-state" } },
      el("h2", { text: "Welcome to Incident Atlas" }),
      el("p", { text: error ?? "Start from an export of incident reports (CSV or JSONL, NRLS or LFPSE columns): Incident Atlas checks it, imports it into a new project folder, encodes it and groups similar reports on a map. Or open a project you already have." }),
      el("div", { class: "row" }, button("New project from a file…", () => void fromFile(), { class: "primary", attrs: { "data-testid": "new-from-file" } })),
      projectButtons(actions, message),
      message,
      recentList(actions, message),
    ),
  );
}

export function renderStart(root: HTMLElement, p: ProjectOverview | null, actions: StartActions, error: string | null): void {
  const message = el("p", { class: "error", attrs: { "aria-live": "polite" } });
  if (!p) {
    welcome(root, actions, error);
    return;
  }
  const s = p.stats;
  const next = nextStep(p, actions);
  root.replaceChildren(
    el(
      "div",
      { class: "overview-grid" },
      el(
        "section",
        { class: "card summary" },
        el("div", { class: "big", text: `${fmt(s.incidents)} incidents` }),
        el("div", { class: "muted", text: s.first_date ? `${s.first_date} to ${s.last_date}` : "" }),
        el("div", { class: "muted", text: `${s.datasets.length} import(s) · ${p.models.length} model(s) · reviewer ${p.reviewer}` }),
        p.encryption ? el("p", { class: "muted", text: `🔒 ${p.encryption}`, attrs: { "data-testid": "encryption" } }) : null,
        next,
        projectButtons(actions, message),
        message,
      ),
      countTable("Degree of harm (PD09)", s.by_harm, s.incidents),
      countTable("Category (IN05)", s.by_category, s.incidents),
      countTable("Care setting (RP02)", s.by_care_setting, s.incidents),
    ),
  );
}
