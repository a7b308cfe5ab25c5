// One report in full: fields, the three free-text parts, its cluster, and its ten most
// similar reports under the run's model. All report text is set as text, never markup.
import { api } from "../../api/client";
import { HARM_LABEL } from "../../api/types";
import { button, el, fill } from "../../dom";
import { emit, state } from "../../state";
import { STATUS_LABEL } from "../../api/types";

function field(label: string, value: string | null | undefined): HTMLElement | null {
  if (value === null || value === undefined || value === "") return null;
  return el("div", { class: "field" }, el("dt", { text: label }), el("dd", { text: value }));
}

function textBlock(title: string, text: string | null, testid: string): HTMLElement | null {
  if (!text) return null;
  return el("section", { class: "text-block" }, el("h3", { text: title }), el("p", { class: "report-text", text, attrs: { "data-testid": testid } }));
}

export async function renderIncident(into: HTMLElement, id: string): Promise<void> {
  const d = await api.incidentDetail(id, state.run);
  const harm = d.harm ? `${d.harm} · ${HARM_LABEL[d.harm]}` : "Not recorded";
  const extra = Object.entries(d.extra ?? {}).map(([k, v]) => field(k, typeof v === "string" ? v : JSON.stringify(v)));
  const clusterLine = d.cluster
    ? d.cluster.cluster_id < 0
      ? el("p", { class: "muted", text: "Not in any cluster in this run (noise)." })
      : el(
          "p",
          {},
          button(`Cluster ${d.cluster.cluster_id}`, () => void emit("show-cluster", d.cluster!.cluster_id), { class: "chip", attrs: { "data-testid": "incident-cluster" } }),
          ` ${d.cluster.size} reports · ${d.cluster.keywords.slice(0, 5).join(", ")}`,
          d.cluster.status ? ` · ${STATUS_LABEL[d.cluster.status]}` : "",
        )
    : null;
  const similar = el("ol", { class: "hit-list", attrs: { "data-testid": "similar" } });
  for (const h of d.similar) {
    const item = el(
      "li",
      {},
      el("button", { class: "link", text: h.external_id, attrs: { type: "button" } }),
      el("span", { class: "muted", text: ` ${h.occurred_on} · ${(h.similarity * 100).toFixed(0)}% similar` }),
      el("div", { class: "snippet", text: h.description }),
    );
    item.querySelector("button")!.addEventListener("click", () => void emit("show-incident", h.external_id));
    similar.append(item);
  }
  fill(into,
    el("p", { class: "kicker", text: "Incident" }),
    el("h2", { text: d.external_id, attrs: { "data-testid": "incident-id" } }),
    el(
      "dl",
      { class: "fields" },
      field("Date", d.occurred_on),
      d.reported_on ? field("Reported", d.reported_on) : null,
      field("Degree of harm (PD09)", harm),
      field("Category (IN05)", d.category ?? "Not recorded"),
      field("Care setting", d.care_setting),
      field("Specialty", d.specialty),
      field("Location", d.location),
      ...extra,
      field("Source", `${d.dataset}, line ${d.source_line}`),
    ),
    textBlock("What happened", d.description, "incident-description"),
    textBlock("Apparent causes", d.causes, "incident-causes"),
    textBlock("Actions to prevent recurrence", d.actions, "incident-actions"),
    clusterLine,
    state.map?.ids.has(d.external_id) ? button("Show on map", () => void emit("focus-incident", d.external_id), { class: "secondary" }) : null,
    el("h3", { text: "Most similar reports" }),
    d.similar.length ? similar : el("p", { class: "muted", text: d.similar_unavailable ?? "Open a cluster run to see similar reports." }),
  );
}
