// Why the run has as many clusters as it has: the minimum cluster size, chosen by the
// analysis (every size it tried, with what each gave) or set by hand, and the share of
// reports left out of every cluster. Read from the run's recorded parameters.
import type { GranularityChoice, RunRecord } from "../../api/types";
import { el, fmt } from "../../dom";

const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : "–");

export function granularityElement(run: RunRecord): HTMLElement {
  const params = (run.params ?? {}) as Record<string, unknown>;
  const method = (params.method ?? {}) as Record<string, unknown>;
  const choice = params.granularity as GranularityChoice | undefined;
  const noise = `${fmt(run.noise)} reports (${percent(run.noise, run.incidents)}) left in no cluster by the analysis`;
  if (run.method !== "hdbscan") {
    return el("p", { class: "muted", attrs: { "data-testid": "granularity" }, text: `k-means with k = ${String(method.k ?? run.clusters)}, set by hand · ${fmt(run.clusters)} clusters.` });
  }
  if (!choice) {
    return el("p", { class: "muted", attrs: { "data-testid": "granularity" }, text: `Minimum cluster size ${String(method.min_cluster_size ?? "?")}, set by hand · ${fmt(run.clusters)} clusters · ${noise}.` });
  }
  const fitted = Math.max(1, Math.round(run.fitted || run.incidents));
  const table = el("table", { class: "granularity-table" });
  table.append(el("tr", {}, ...["Size", "Clusters", "Not in a cluster", "Largest cluster", "Stability", "Validity"].map((h) => el("th", { text: h }))));
  const chosenSize = Math.round(choice.min_cluster_size * choice.fitted_share);
  for (const c of choice.candidates) {
    const chosen = c.min_cluster_size === chosenSize || (choice.fitted_share >= 1 && c.min_cluster_size === choice.min_cluster_size);
    table.append(
      el(
        "tr",
        { class: chosen ? "chosen" : "", attrs: chosen ? { "aria-current": "true" } : {} },
        el("td", { text: String(c.min_cluster_size) + (chosen ? " ✓" : "") }),
        el("td", { text: fmt(c.clusters) }),
        el("td", { text: percent(c.noise, fitted) }),
        el("td", { text: percent(c.largest, fitted) }),
        el("td", { text: c.clusters > 0 && typeof c.stability === "number" ? c.stability.toFixed(3) : "–" }),
        el("td", { text: c.clusters > 0 ? c.validity.toFixed(3) : "–" }),
      ),
    );
  }
  return el(
    "details",
    { class: "granularity", attrs: { "data-testid": "granularity" } },
    el("summary", { text: `Minimum cluster size ${choice.min_cluster_size}, chosen for this data · ${fmt(run.clusters)} clusters · ${noise}.` }),
    el("p", { class: "muted", text: `Chosen as ${choice.chosen_by}. Stability (0 to 1) is how far clustering random subsamples again groups their reports the same way; validity (DBCV, −1 to 1) is higher when clusters are dense inside and well apart. Sizes are counts of the ${fmt(fitted)} reports the clusters were fitted on. To see another granularity, analyse again with a size from the table.` }),
    table,
    neighbourhood(params, fitted),
  );
}

// The map and the clusters are drawn from each report's neighbourhood; the analysis scales
// it with the data unless it was set by hand (the engine's `neighbours_for`).
function neighbourhood(params: Record<string, unknown>, fitted: number): HTMLElement {
  const n = typeof params.n_neighbors === "number" ? params.n_neighbors : null;
  return el("p", {
    class: "muted",
    attrs: { "data-testid": "neighbourhood" },
    text: n === null ? "" : `Each report's neighbourhood: its ${n} nearest reports of the ${fmt(fitted)} fitted (the analysis takes about one in 500, between 15 and 50, so the view of the data stays as wide as it grows).`,
  });
}
