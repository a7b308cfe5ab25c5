// The right-hand panel: one cluster or one incident at a time, opened from any view. It
// knows nothing of what it shows: main.ts hands it each view's renderer, so the views that
// open the panel and the views drawn in it need not import each other.
import { el } from "../../dom";

/** Draws one item into a fresh node; a thrown error is shown in the panel instead. */
export type Render = (into: HTMLElement) => Promise<void>;

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

async function show(render: Render): Promise<void> {
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

/** Opens an item in the panel on top of the ones before it (Backspace goes back). */
export async function openInPanel(render: Render): Promise<void> {
  const open = () => show(render);
  history.push(open);
  await open();
}
