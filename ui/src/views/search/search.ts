// The sidebar beside the map: semantic search, field filters that narrow both the map and
// the search, and what the lasso selected.
import { api, errorMessage } from "../../api/client";
import { HARM_LABEL } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { emit, emptyFilter, mapDetails, on, setMap, state } from "../../state";

const root = el("aside", { class: "sidebar", attrs: { "aria-label": "Search and filters" } });
const form = el("form", { class: "search-form", attrs: { role: "search" } });
const query = el("input", { attrs: { type: "search", placeholder: "Describe what you are looking for, or an incident id  ( / )", "aria-label": "Search incidents", "data-testid": "search-input" } });
const model = el("select", { attrs: { "aria-label": "Model used for search" } });
const results = el("div", { class: "results", attrs: { "data-testid": "search-results", "aria-live": "polite" } });
const selection = el("div", { class: "selection" });

const dateFrom = el("input", { attrs: { type: "date", "aria-label": "From date", "data-testid": "filter-from" } });
const dateTo = el("input", { attrs: { type: "date", "aria-label": "To date", "data-testid": "filter-to" } });
const harmBoxes = el("div", { class: "checks", attrs: { "data-testid": "filter-harm" } });
const settingBox = el("select", { attrs: { multiple: "", size: "4", "aria-label": "Care settings", "data-testid": "filter-setting" } });
for (let h = 1; h <= 5; h++) {
  const box = el("input", { attrs: { type: "checkbox", value: String(h) } });
  box.addEventListener("change", applyFilters);
  harmBoxes.append(el("label", { title: HARM_LABEL[h] }, box, ` ${h} ${HARM_LABEL[h]}`));
}
dateFrom.addEventListener("change", applyFilters);
dateTo.addEventListener("change", applyFilters);
settingBox.addEventListener("change", applyFilters);

form.append(query, el("div", { class: "row" }, el("label", { text: "Model " }, model), button("Search", () => form.requestSubmit(), { class: "primary" })));
form.addEventListener("submit", (e) => {
  e.preventDefault();
  void runSearch();
});
root.append(
  form,
  el(
    "details",
    { class: "filters", attrs: { open: "" } },
    el("summary", { text: "Filters (map and search)" }),
    el("div", { class: "row" }, el("label", { text: "From " }, dateFrom), el("label", { text: "To " }, dateTo)),
    el("div", { class: "label", text: "Degree of harm" }),
    harmBoxes,
    el("div", { class: "label", text: "Care setting" }),
    settingBox,
    button("Clear filters", clearFilters, { class: "secondary" }),
  ),
  selection,
  results,
);

export function sidebarElement(): HTMLElement {
  return root;
}

export function focusSearch(): void {
  query.focus();
  query.select();
}

function applyFilters(): void {
  state.filter = {
    ...emptyFilter(),
    date_from: dateFrom.value || null,
    date_to: dateTo.value || null,
    harm: [...harmBoxes.querySelectorAll("input:checked")].map((b) => Number((b as HTMLInputElement).value)),
    care_setting: [...settingBox.selectedOptions].map((o) => o.value),
  };
  emit("filter");
}

function clearFilters(): void {
  dateFrom.value = "";
  dateTo.value = "";
  harmBoxes.querySelectorAll("input").forEach((b) => ((b as HTMLInputElement).checked = false));
  [...settingBox.options].forEach((o) => (o.selected = false));
  applyFilters();
}

async function runSearch(): Promise<void> {
  const text = query.value.trim();
  if (!text) {
    state.search = null;
    results.replaceChildren();
    emit("search");
    return;
  }
  // An exact incident id opens that report.
  if (state.map?.ids.has(text) || /^[A-Za-z]{1,6}-\d+$/.test(text)) {
    void emit("show-incident", text);
    return;
  }
  if (!model.value) {
    results.replaceChildren(el("p", { class: "muted", text: "Encode the reports with a model first (Jobs view) to search them." }));
    return;
  }
  results.replaceChildren(el("p", { class: "muted", text: "Searching…" }));
  try {
    const hits = await api.search(model.value, text, state.filter, 50);
    state.search = { text, model: model.value, hits };
    const list = el("ol", { class: "hit-list" });
    for (const h of hits) {
      const b = el("button", { class: "link", text: h.external_id, attrs: { type: "button" } });
      b.addEventListener("click", () => void emit("show-incident", h.external_id));
      list.append(
        el("li", { attrs: { "data-testid": "search-hit" } }, b, el("span", { class: "muted", text: ` ${h.occurred_on} · ${HARM_LABEL[h.harm ?? 0]} · ${(100 * h.similarity).toFixed(0)}%` }), el("div", { class: "snippet", text: h.description })),
      );
    }
    fill(results,
      el("p", { class: "muted", text: hits.length ? `${hits.length} closest reports${state.filter.harm.length || state.filter.care_setting.length || state.filter.date_from || state.filter.date_to ? " within the filters" : ""}, highlighted on the map.` : "Nothing found within the filters." }),
      hits.length ? button("Clear search", () => { query.value = ""; void runSearch(); }, { class: "secondary" }) : null,
      list,
    );
    emit("search");
  } catch (err) {
    results.replaceChildren(el("p", { class: "error", text: errorMessage(err) }));
  }
}

async function renderSelection(): Promise<void> {
  const m = state.map;
  const sel = state.selection;
  if (!m || sel.length === 0) {
    selection.replaceChildren();
    return;
  }
  await mapDetails();
  if (state.map !== m || state.selection !== sel) return;
  const clusters = new Set(sel.map((i) => m.cluster[i]));
  const only = clusters.size === 1 ? [...clusters][0] : null;
  const ids = sel.map((i) => m.ids.at(i));
  const msg = el("p", { class: "muted", attrs: { "aria-live": "polite" } });
  fill(selection,
    el("h3", { text: `${fmt(sel.length)} reports selected` }),
    el("p", { class: "muted", text: `${clusters.size} cluster(s): ${[...clusters].slice(0, 8).map((c) => (c < 0 ? "noise" : c)).join(", ")}` }),
    only !== null && only >= 0 && state.run !== null
      ? button(`Split them out of cluster ${only}`, async () => {
          try {
            const out = await api.splitCluster(state.run!, only, null, ids);
            msg.textContent = `New cluster(s) ${out.new_clusters.join(", ")}.`;
            setMap(await api.mapData(state.run!));
          } catch (err) {
            msg.textContent = errorMessage(err);
          }
        }, { class: "secondary" })
      : null,
    button("Clear selection", () => void emit("clear-selection"), { class: "secondary" }),
    msg,
  );
}

function fillChoices(): void {
  const m = state.map;
  settingBox.replaceChildren(...(m?.care_settings ?? []).filter((s) => s !== "(not recorded)").map((s) => el("option", { text: s, attrs: { value: s } })));
  const encoded = (state.project?.models ?? []).filter((x) => x.vectors > 0).map((x) => x.name);
  model.replaceChildren(...encoded.map((n) => el("option", { text: n, attrs: { value: n } })));
  if (m && encoded.includes(m.run.model)) model.value = m.run.model;
}

on("project", fillChoices);
on("map", fillChoices);
on("selection", renderSelection);
