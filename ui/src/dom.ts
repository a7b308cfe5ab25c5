// The one way views make DOM: text goes in with textContent, never as markup, so report
// text (which may hold anything, including "<script>") is always shown as it was written.

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; title?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return node;
}

export function button(label: string, onClick: () => void, props: { class?: string; title?: string; attrs?: Record<string, string> } = {}): HTMLButtonElement {
  const b = el("button", { ...props, text: label, attrs: { type: "button", ...(props.attrs ?? {}) } });
  b.addEventListener("click", onClick);
  return b;
}

export const fmt = (n: number): string => n.toLocaleString("en-GB");
export const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** Replaces a node's children, skipping the absent ones. */
export function fill(node: Element, ...children: Child[]): void {
  node.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
