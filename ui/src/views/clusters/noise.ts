// The run's reports in no cluster: how many the analysis left out, how many of those have
// since been given to the cluster their close neighbours agree on, and the two actions
// (give, undo). The engine decides which reports move and logs each move as an edit.
import { api, errorMessage } from "../../api/client";
import type { RunRecord } from "../../api/types";
import { button, el, fmt } from "../../dom";

const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "–");

/** `changed` runs after an edit, to reload what shows the clusters. */
export function noiseElement(run: RunRecord, changed: () => Promise<void>): HTMLElement {
  const left = run.noise;
  const given = run.noise_assigned;
  const now = left - given;
  const msg = el("span", { class: "muted", attrs: { "aria-live": "polite", "data-testid": "noise-message" } });
  const act = async (action: () => Promise<{ moved: number; noise_after: number }>, verb: string) => {
    try {
      const out = await action();
      msg.textContent = out.moved === 0 ? "No report in no cluster has enough close neighbours in one cluster; nothing moved." : `${fmt(out.moved)} reports ${verb}; ${fmt(out.noise_after)} now in no cluster.`;
      if (out.moved > 0) await changed();
    } catch (err) {
      msg.textContent = errorMessage(err);
    }
  };
  const text =
    given > 0
      ? `${fmt(now)} reports (${percent(now, run.incidents)}) in no cluster. The analysis left ${fmt(left)} out; ${fmt(given)} of them have since been given to the cluster their nearest neighbours are in (kept apart: they are still noise to the analysis, and can be moved back).`
      : `${fmt(now)} reports (${percent(now, run.incidents)}) in no cluster: the analysis could not place them with confidence.`;
  const actions: HTMLElement[] = [];
  if (now > 0 && run.method === "hdbscan") {
    actions.push(
      button("Give to nearby clusters", () => void act(() => api.assignNoise(run.id, null), "given to the cluster most of their nearest neighbours are in"), {
        class: "secondary",
        title: "Each report in no cluster joins the cluster at least half of its nearest neighbours are in, when it sits within that cluster's own spread",
        attrs: { "data-testid": "assign-noise" },
      }),
    );
  }
  if (given > 0) {
    actions.push(button("Move them back", () => void act(() => api.unassignNoise(run.id), "moved back to no cluster"), { class: "secondary", attrs: { "data-testid": "unassign-noise" } }));
  }
  return el("div", { class: "noise row", attrs: { "data-testid": "noise" } }, el("span", { text }), ...actions, msg);
}
