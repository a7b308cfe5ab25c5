// A cluster's harm mix as one stacked bar, shared by the triage list and the cluster panel.
import { HARM_LABEL, type TriageRow } from "../../api/types";
import { el } from "../../dom";
import { HARM_COLOURS } from "../../palette";

export function harmBar(row: TriageRow): HTMLElement {
  const bar = el("div", { class: "harm-bar", title: row.harm.map((n, i) => `${HARM_LABEL[(i + 1) % 6]}: ${n}`).join("\n") });
  const order = [5, 0, 1, 2, 3, 4]; // not recorded first, then no harm .. death
  for (const i of order) {
    if (!row.harm[i]) continue;
    const seg = el("span");
    seg.style.width = `${(100 * row.harm[i]) / row.size}%`;
    seg.style.background = HARM_COLOURS[(i + 1) % 6];
    bar.append(seg);
  }
  return bar;
}
