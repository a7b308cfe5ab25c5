// One cluster for triage: keywords, size, harm mix, growth, representative reports, the
// reviewer's status and note (with history), and the engine's merge and split. It reads
// the triage list from clusters.ts; the list never imports it back (main.ts puts it in the
// panel), so the arrow points one way.
import { api, errorMessage } from "../../api/client";
import { HARM_LABEL, STATUSES, STATUS_LABEL } from "../../api/types";
import { button, el, fill, fmt, pct } from "../../dom";
import { emit, setMap, state } from "../../state";
import { marked, reloadTriage, rows } from "./clusters";
import { harmBar } from "./harm-bar";

export async function renderCluster(into: HTMLElement, cluster: number): Promise<void> {
  if (state.run === null) throw new Error("No cluster run is open.");
  const run = state.run;
  const list = rows().length ? rows() : await reloadTriage();
  const row = list.find((r) => r.cluster_id === cluster);
  if (!row) throw new Error(`Cluster ${cluster} is not in run ${run} (it may have been merged or split).`);
  const history = await api.clusterHistory(run, cluster);

  const statusSelect = el("select", { attrs: { "aria-label": "Status", "data-testid": "status-select" } });
  for (const s of STATUSES) statusSelect.append(el("option", { text: STATUS_LABEL[s], attrs: { value: s } }));
  statusSelect.value = row.status;
  const note = el("textarea", { attrs: { rows: "3", placeholder: "Reviewer note (why this status, who was told)", "aria-label": "Reviewer note", "data-testid": "status-note" } });
  note.value = row.decision?.note ?? "";
  const saved = el("span", { class: "muted", attrs: { "aria-live": "polite" } });
  const save = button("Save decision", async () => {
    try {
      await api.setClusterStatus(run, cluster, statusSelect.value, note.value);
      saved.textContent = "Saved.";
      await reloadTriage();
      emit("triage");
      await renderCluster(into, cluster);
    } catch (err) {
      saved.textContent = errorMessage(err);
    }
  }, { attrs: { "data-testid": "save-status" } });

  const parts = el("input", { attrs: { type: "number", min: "2", max: "10", value: "2", "aria-label": "Parts" } });
  const editMsg = el("p", { class: "muted", attrs: { "aria-live": "polite" } });
  const edit = async (action: () => Promise<{ new_clusters: number[] }>) => {
    try {
      const out = await action();
      editMsg.textContent = `Done: new cluster(s) ${out.new_clusters.join(", ")}.`;
      await reloadTriage();
      setMap(await api.mapData(run));
      emit("triage");
    } catch (err) {
      editMsg.textContent = errorMessage(err);
    }
  };
  const others = marked().filter((c) => c !== cluster);
  // Label the whole cluster: proposed on every report, each confirmed or rejected.
  const review = await api.reviewOverview().catch(() => null);
  const schemaPick = el("select", { attrs: { "aria-label": "Label for the whole cluster", "data-testid": "cluster-label" } });
  for (const sc of review?.schemas ?? []) for (const l of sc.labels) schemaPick.append(el("option", { text: `${sc.name}: ${l.name}`, attrs: { value: `${sc.id}\u0000${l.name}` } }));
  const labelMsg = el("p", { class: "muted", attrs: { "aria-live": "polite" } });
  const labelWhole = review?.schemas.length
    ? el(
        "div",
        { class: "row" },
        schemaPick,
        button("Label cluster…", async () => {
          const [sid, label] = schemaPick.value.split("\u0000");
          try {
            const s = await api.labelCluster(run, cluster, Number(sid), label, state.map?.run.model ?? null);
            void emit("view", "label");
            await emit("open-session", s.id);
          } catch (err) {
            labelMsg.textContent = errorMessage(err);
          }
        }, { class: "secondary", attrs: { "data-testid": "label-cluster" } }),
      )
    : el("p", { class: "muted", text: "Create a label set in the Label view to label whole clusters." });
  const reps = el("ol", { class: "hit-list", attrs: { "data-testid": "representatives" } });
  for (const p of row.representatives) {
    const b = el("button", { class: "link", text: p.external_id, attrs: { type: "button" } });
    b.addEventListener("click", () => void emit("show-incident", p.external_id));
    reps.append(el("li", {}, b, el("span", { class: "muted", text: ` ${p.occurred_on} · ${HARM_LABEL[p.harm ?? 0]}` }), el("div", { class: "snippet", text: p.description })));
  }
  const growth = row.previous === 0 && row.recent > 0 ? "new in the latest 90 days" : row.growth >= 0 ? `+${pct(row.growth)}` : pct(row.growth);
  fill(into,
    el("p", { class: "kicker", text: `Cluster · run ${run}` }),
    el("h2", { text: `Cluster ${cluster}`, attrs: { "data-testid": "cluster-title" } }),
    el("p", { class: "keywords", text: row.keywords.join(" · "), attrs: { "data-testid": "cluster-keywords" } }),
    el(
      "dl",
      { class: "fields" },
      el("div", { class: "field" }, el("dt", { text: "Reports" }), el("dd", { text: fmt(row.size) })),
      el("div", { class: "field" }, el("dt", { text: "Moderate harm or worse" }), el("dd", { text: pct(row.severe_share) })),
      el("div", { class: "field" }, el("dt", { text: "Latest 90 days vs 90 before" }), el("dd", { text: `${row.recent} vs ${row.previous} (${growth})` })),
      el("div", { class: "field" }, el("dt", { text: "Priority" }), el("dd", { text: row.priority.toFixed(1) })),
      row.signal
        ? el("div", { class: "field" }, el("dt", { text: `Signal: ${row.signal.kind}${row.signal.dismissed ? " (dismissed)" : ""}` }), el("dd", { text: row.signal.reason, attrs: { "data-testid": "cluster-signal" } }))
        : null,
    ),
    harmBar(row),
    state.map ? button("Show on map", () => { void emit("view", "map"); void emit("focus-cluster", cluster); }, { class: "secondary" }) : null,
    el("h3", { text: "Triage" }),
    el("div", { class: "triage-form" }, statusSelect, note, el("div", {}, save, " ", saved)),
    history.length
      ? el("details", {}, el("summary", { text: `History (${history.length})` }), el("ul", { class: "history" }, ...history.map((h) => el("li", { text: `${h.created_at} · ${h.author} · ${STATUS_LABEL[h.status]}${h.note ? ": " + h.note : ""}` }))))
      : null,
    el("h3", { text: "Label the whole cluster" }),
    el("p", { class: "muted small", text: "Proposes the label on every report; you confirm (y) or reject each in the Label view." }),
    labelWhole,
    labelMsg,
    el("h3", { text: "Representative reports" }),
    reps,
    el("h3", { text: "Edit the clustering" }),
    el(
      "div",
      { class: "edit-row" },
      el("label", { text: "Split into " }, parts, " parts "),
      button("Split", () => void edit(() => api.splitCluster(run, cluster, Number(parts.value), null)), { class: "secondary" }),
    ),
    others.length
      ? button(`Merge with marked cluster(s) ${others.join(", ")}`, () => void edit(() => api.mergeClusters(run, [cluster, ...others])), { class: "secondary" })
      : el("p", { class: "muted", text: "To merge, mark clusters in the list (x) and open one of them." }),
    editMsg,
  );
}
