// The overview: what is in the project, and the next step when something is missing.
import { api, errorMessage } from "../../api/client";
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

/** Buttons to open or create a project through the native folder dialog. */
export function projectButtons(actions: StartActions, message: HTMLElement): HTMLElement {
  const pick = async (create: boolean) => {
    try {
      const opened = await api.openProject(create);
      if (opened) actions.opened(opened);
    } catch (err) {
      message.textContent = errorMessage(err);
    }
  };
  return el("div", { class: "row" }, button("Open project…", () => void pick(false), { class: "secondary" }), button("New empty project…", () => void pick(true), { class: "secondary" }));
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
          const open = button(r.name, async () => {
            try {
              actions.opened(await api.openRecent(i));
            } catch (err) {
              message.textContent = errorMessage(err);
            }
          });
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
