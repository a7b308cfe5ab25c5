// The right-hand panel: one cluster or one incident at a time, opened from any view.
import { el } from "../dom";
import { renderIncident } from "./incident/incident";
import { renderCluster } from "./clusters/detail";

const panel = el("aside", { class: "panel", attrs: { "aria-label": "Details", "data-testid": "panel" } });
const body = el("div", { class: "panel-body" });
const close = el("button", { class: "panel-close", text: "×", title: "Close (Esc)", attrs: { type: "button", "aria-label": "Close details" } });
close.addEventListener("click", () => closePanel());
panel.append(close, body);

let history: (() => Promise<void>)[] = [];

export function panelElement(): HTMLElement {
  return panel;
}

export function closePanel(): void {
  panel.classList.remove("open");
  body.replaceChildren();
  history = [];
  document.dispatchEvent(new Event("atlas:panel"));
}

export function panelOpen(): boolean {
  return panel.classList.contains("open");
}

async function show(render: (into: HTMLElement) => Promise<void>): Promise<void> {
  panel.classList.add("open");
  body.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
  document.dispatchEvent(new Event("atlas:panel"));
  const next = el("div");
  try {
    await render(next);
    body.replaceChildren(next);
  } catch (err) {
    body.replaceChildren(el("p", { class: "error", text: String((err as { message?: string }).message ?? err) }));
  }
  body.scrollTop = 0;
}

export function back(): boolean {
  if (history.length < 2) return false;
  history.pop();
  void history[history.length - 1]();
  return true;
}

export async function showIncident(id: string): Promise<void> {
  const open = () => show((into) => renderIncident(into, id));
  history.push(open);
  await open();
}

export async function showCluster(cluster: number): Promise<void> {
  const open = () => show((into) => renderCluster(into, cluster));
  history.push(open);
  await open();
}
