// One report in full: fields, the three free-text parts, its cluster, and its ten most
// similar reports under the run's model. All report text is set as text, never markup.
import { api } from "../../api/client";
import { HARM_LABEL } from "../../api/types";
import type { ShownSpan } from "../../api/types";
import { button, el, fill } from "../../dom";
import { emit, state } from "../../state";
import { STATUS_LABEL } from "../../api/types";

function field(label: string, value: string | null | undefined): HTMLElement | null {
  if (value === null || value === undefined || value === "") return null;
  return el("div", { class: "field" }, el("dt", { text: label }), el("dd", { text: value }));
}

/** Whether report text is shown with its personal data masked; kept while the app runs. */
let masked = false;

/** The text with each span of personal data marked (its kind in the tooltip), or replaced
 *  by its token when masked. Text nodes only: never markup. */
function withPersonalData(text: string, spans: ShownSpan[]): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    out.push(document.createTextNode(text.slice(at, s.start)));
    const kind = s.kind.replace(/_/g, " ");
    out.push(el("mark", { class: masked ? "pii masked" : "pii", text: masked ? s.token : text.slice(s.start, s.end), title: `Personal data: ${kind}` }));
    at = s.end;
  }
  out.push(document.createTextNode(text.slice(at)));
  return out;
}

function textBlock(title: string, text: string | null, spans: ShownSpan[] | undefined, testid: string): HTMLElement | null {
  if (!text) return null;
  return el("section", { class: "text-block" }, el("h3", { text: title }), el("p", { class: "report-text", attrs: { "data-testid": testid } }, ...withPersonalData(text, spans ?? [])));
}

/** How much personal data the report holds, and the switch between marked and masked. */
function personalLine(into: HTMLElement, id: string, found: number): HTMLElement | null {
  if (found === 0) return null;
  return el(
    "p",
    { class: "muted", attrs: { "data-testid": "personal-data" } },
    `${found} piece${found === 1 ? "" : "s"} of personal data found (highlighted). `,
    button(masked ? "Show as written" : "Mask personal data", () => {
      masked = !masked;
      void renderIncident(into, id);
    }, { class: "secondary", attrs: { "data-testid": "mask-toggle" } }),
  );
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
    personalLine(into, id, d.personal?.description.length + d.personal?.causes.length + d.personal?.actions.length || 0),
    textBlock("What happened", d.description, d.personal?.description, "incident-description"),
    textBlock("Apparent causes", d.causes, d.personal?.causes, "incident-causes"),
    textBlock("Actions to prevent recurrence", d.actions, d.personal?.actions, "incident-actions"),
    clusterLine,
    state.map?.ids.has(d.external_id) ? button("Show on map", () => void emit("focus-incident", d.external_id), { class: "secondary" }) : null,
    el("h3", { text: "Most similar reports" }),
    d.similar.length ? similar : el("p", { class: "muted", text: d.similar_unavailable ?? "Open a cluster run to see similar reports." }),
  );
}
