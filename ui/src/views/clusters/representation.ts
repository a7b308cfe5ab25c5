// Which model's vectors the run clusters, and why: named by hand, preferred by the
// project's own evaluation, or the representation measured best across the public
// benchmark corpora. Read from the run's recorded parameters.
import type { RepresentationChoice, RunRecord } from "../../api/types";
import { el } from "../../dom";

const HOW: Record<string, string> = {
  asked: "named when the analysis was started",
  evaluation: "preferred by this project's evaluation",
  benchmark: "the benchmark's best",
  only: "the only model with vectors",
};

export function representationElement(run: RunRecord): HTMLElement {
  const params = (run.params ?? {}) as Record<string, unknown>;
  const choice = params.representation as RepresentationChoice | undefined;
  const attrs = { "data-testid": "representation" };
  if (!choice) return el("p", { class: "muted", attrs, text: `Clusters of ${run.model}'s vectors (a run from before the app recorded why).` });
  return el(
    "details",
    { class: "granularity", attrs },
    el("summary", { text: `Clusters of ${run.model}'s vectors, ${HOW[choice.chosen_by] ?? choice.chosen_by}.` }),
    el("p", { class: "muted", text: choice.reason }),
  );
}
