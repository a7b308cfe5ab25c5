// The start page: what is in the open project. Text is always set with textContent.
import type { Count, ProjectOverview } from "../../api/client";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function countTable(title: string, counts: Count[], total: number): HTMLElement {
  const section = el("section", undefined, "card");
  section.append(el("h2", title));
  const table = el("table");
  for (const c of counts) {
    const row = el("tr");
    const share = total > 0 ? ((100 * c.count) / total).toFixed(1) + "%" : "";
    row.append(el("td", c.value), el("td", c.count.toLocaleString("en-GB"), "num"), el("td", share, "num muted"));
    table.append(row);
  }
  section.append(table);
  return section;
}

export function renderOverview(root: HTMLElement, overview: ProjectOverview): void {
  const s = overview.stats;
  root.replaceChildren();
  if (s.incidents === 0) {
    root.append(
      el("p", "This project has no incidents yet. Import a CSV or JSONL file with `incident-atlas ingest FILE`.", "empty"),
    );
    return;
  }
  const summary = el("section", undefined, "card summary");
  summary.append(
    el("div", `${s.incidents.toLocaleString("en-GB")} incidents`, "big"),
    el("div", `${s.first_date} to ${s.last_date}`, "muted"),
    el("div", `${s.datasets.length} import(s)`, "muted"),
  );
  root.append(
    summary,
    countTable("Degree of harm (PD09)", s.by_harm, s.incidents),
    countTable("Category (IN05)", s.by_category, s.incidents),
    countTable("Care setting (RP02)", s.by_care_setting, s.incidents),
  );
}

export function renderError(root: HTMLElement, message: string): void {
  root.replaceChildren(el("p", message, "error"));
}
