// The built-in help: a short guide to each view, the keyboard shortcuts, how to read the
// signals and the evaluation, and About (version, models, licences, from the engine).
import { api, errorMessage } from "./api/client";
import { button, el, fill } from "./dom";

const GUIDE: [string, string][] = [
  ["Overview (o)", "What the project holds: reports, dates, imports, models, and the next step when something is missing. Without a project: start a new one from a file of reports, or open one."],
  ["Map (m)", "Every report of the chosen cluster run as a point; similar reports lie close together and clusters carry their keywords. Colour by cluster, type, harm, setting, month, status or signal. Search and filters are in the sidebar."],
  ["Clusters (c)", "The triage list: each cluster ranked by size, harm and signal, with its keywords, harm mix and representative reports. Give it a status and a note; merge or split clusters that are wrong."],
  ["Signals (a)", "Clusters and categories whose weekly counts rose beyond what their own history predicts, reports unlike any before, and clusters concentrated in one place or setting."],
  ["Label (s)", "Labelling sessions: reviewers label reports by keyboard, double coding measures agreement, an adjudicator settles disagreements, and the labels become versioned benchmark sets."],
  ["Models (t)", "Train models on the project's own reports (word vectors, adaptation of the transformer, fine-tuning on a benchmark's labels) and see their training curves."],
  ["Evaluation (e)", "Score every model on a benchmark set with confidence intervals, to choose the one the map and search use."],
  ["Privacy (p)", "Whether the project file is encrypted, your organisation's hospital-number patterns, and the privacy fingerprint: the personal data found in the reports per kind and field, how many reports their structured fields alone single out, and the name-like words trained models carry."],
  ["Jobs (g)", "Import more reports, encode, analyse, import Spark output; every long job with its progress and log."],
];

const SHORTCUTS: [string, string][] = [
  ["o m c a s t e p g", "Overview, map, clusters, signals (alarms), labelling sessions, models (training), evaluation, privacy, jobs"],
  ["?", "This help"],
  ["/", "Search"],
  ["Esc", "Close the details panel, clear the selection"],
  ["Backspace", "Back to the previous item in the panel"],
  ["1–7 (map)", "Colour by cluster, type, harm, setting, month, status, signal"],
  ["l (map)", "Show or hide cluster labels"],
  ["r (map)", "Reset the view"],
  ["Shift + drag (map)", "Lasso: select reports"],
  ["↑ ↓ j k, Enter (clusters)", "Move through clusters, open one"],
  ["x (clusters)", "Mark a cluster for merging"],
  ["1–4 (clusters)", "Set status: new, under review, escalated, dismissed"],
  ["↑ ↓ j k, Enter (signals)", "Move through alarms, novel reports and concentrations, open the cluster"],
  ["1–9 (labelling)", "Pick a label (saved at once; multi-label: toggle)"],
  ["Enter / Backspace (labelling)", "Next report / previous report"],
  ["u (labelling)", "Undo your last label"],
];

const READING: [string, string][] = [
  ["A count alarm", "A week whose count is above the upper bound the detector expected from the same weeks of earlier years (Farrington) or from the recent level (CUSUM). The chart shows the counts as bars, the expected count dashed and the bound as a line; alarm weeks are red. An alarm says the count is unusual, not why: read the alarm week's reports before acting, and dismiss a signal with a note when it is explained."],
  ["Novelty", "Recent reports whose nearest earlier reports are far away: something not reported before."],
  ["Concentration", "A cluster whose reports come from one place or setting much more than the whole project's do."],
  ["Evaluation scores", "Each model is scored on a benchmark set of reviewer labels; the interval is a 95% bootstrap interval. Two models whose intervals overlap may not differ: the paired test says whether they do. Prefer the model that wins on the slices that matter to you, not only overall."],
];

function definitions(items: [string, string][], term: (t: string) => HTMLElement = (t) => el("strong", { text: t })): HTMLElement {
  return el("dl", {}, ...items.flatMap(([k, d]) => [el("dt", {}, term(k)), el("dd", { text: d })]));
}

/** The help dialog, hidden; `toggle` shows or hides it. */
export function helpElement(): { element: HTMLElement; toggle: () => void; hide: () => void } {
  const element = el("div", { class: "help", attrs: { role: "dialog", "aria-label": "Help", hidden: "" } });
  const body = el("div", { class: "help-body" });
  const about = el("div", { attrs: { "data-testid": "about" } });
  const tabs: [string, () => Node[]][] = [
    ["Guide", () => [el("h2", { text: "What each view is for" }), definitions(GUIDE), el("h2", { text: "Reading the signals and the evaluation" }), definitions(READING)]],
    ["Keyboard shortcuts", () => [el("h2", { text: "Keyboard shortcuts" }), definitions(SHORTCUTS, (k) => el("kbd", { text: k }))]],
    ["About", () => [about]],
  ];
  const tabBar = el("div", { class: "row help-tabs", attrs: { role: "tablist" } });
  const open = (i: number) => {
    for (const [j, b] of [...tabBar.children].entries()) b.setAttribute("aria-selected", String(i === j));
    body.replaceChildren(...tabs[i][1]());
    if (tabs[i][0] === "About") void loadAbout(about);
  };
  tabs.forEach(([name], i) => tabBar.append(button(name, () => open(i), { attrs: { role: "tab", "data-tab": name } })));
  element.append(tabBar, body, button("Close", () => (element.hidden = true), { class: "secondary" }));
  open(1);
  return {
    element,
    toggle: () => {
      element.hidden = !element.hidden;
    },
    hide: () => {
      element.hidden = true;
    },
  };
}

async function loadAbout(into: HTMLElement): Promise<void> {
  try {
    const a = await api.about();
    fill(
      into,
      el("h2", { text: `Incident Atlas ${a.version}` }),
      el("p", { text: "Offline review of patient-safety incident reports. It makes no network calls." }),
      definitions([
        ["Version", a.version],
        ["Default encoder", a.default_model],
        ["Licence", a.licence],
        ["Model licence", a.model_licence],
        ["Notices", `Copyright, third-party licences and the changelog: ${a.notices}`],
      ]),
      el("h3", { text: "Models it can use" }),
      el("ul", { attrs: { "data-testid": "about-models" } }, ...a.models.map((m) => el("li", {}, el("strong", { text: m.name }), ` ${m.folder}`))),
    );
  } catch (err) {
    fill(into, el("p", { class: "error", text: errorMessage(err) }));
  }
}
