// Labelling sessions, keyboard first: number keys pick labels (each label is saved and
// acknowledged before the screen says so), Enter goes to the next report, Backspace back,
// U undoes. Guidelines stay on screen. Beside it: who is labelling, session set-up, and the
// session's agreement with adjudication and benchmark freezing.
import { api, errorMessage } from "../../api/client";
import type { IncidentDetail, ItemState, ReviewOverview, Schema, Session, Strategy } from "../../api/types";
import { HARM_LABEL } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { filterIsEmpty, state } from "../../state";

let overview: ReviewOverview | null = null;
let session: Session | null = null;
let items: ItemState[] = [];
let cursor = 0;
let pending = new Set<string>();
let detail: IncidentDetail | null = null;

const root = el("section", { class: "label-view", attrs: { "aria-label": "Labelling" } });
const side = el("aside", { class: "label-side" });
const main = el("div", { class: "labeller", attrs: { "data-testid": "labeller" } });
root.append(side, main);

export function labelElement(): HTMLElement {
  return root;
}

const sessionLabels = (): string[] => session?.schema.labels.map((l) => l.name) ?? [];

export async function reloadReview(): Promise<void> {
  if (!state.project) return;
  overview = await api.reviewOverview();
  if (session) session = overview.sessions.find((s) => s.id === session!.id) ?? null;
  // Coming back to labelling resumes the newest session, so a reviewer can start at once.
  if (!session && overview.me && overview.sessions.length) {
    await openSession(overview.sessions[0].id);
    return;
  }
  renderSide();
  await renderMain();
}

function reviewerCard(): HTMLElement {
  const name = el("input", { attrs: { placeholder: "Your name", "aria-label": "Reviewer name", "data-testid": "reviewer-name" } });
  const role = el("select", { attrs: { "aria-label": "Role" } });
  for (const r of ["reviewer", "adjudicator", "analyst"]) role.append(el("option", { text: r, attrs: { value: r } }));
  const msg = el("p", { class: "error" });
  const use = async () => {
    try {
      await api.chooseReviewer(name.value, role.value);
      await reloadReview();
    } catch (err) {
      msg.textContent = errorMessage(err);
    }
  };
  name.addEventListener("keydown", (e) => {
    if (e.key === "Enter") void use();
  });
  const me = overview?.me;
  const known = el("div", { class: "row" }, ...(overview?.reviewers ?? []).map((r) => button(r.name, () => void api.chooseReviewer(r.name, r.role).then(reloadReview), { class: r.name === me?.name ? "chip current" : "chip" })));
  return el(
    "section",
    { class: "card" },
    el("h3", { text: me ? `You are ${me.name} (${me.role})` : "Who is labelling?" }),
    (overview?.reviewers.length ?? 0) > 0 ? known : null,
    el("div", { class: "row" }, name, role, button(me ? "Switch" : "Start", () => void use(), { class: "primary", attrs: { "data-testid": "reviewer-use" } })),
    msg,
  );
}

function schemaForm(): HTMLElement {
  const name = el("input", { attrs: { placeholder: "Label set name", "aria-label": "Label set name", "data-testid": "schema-name" } });
  const multi = el("input", { attrs: { type: "checkbox" } });
  const text = el("textarea", { attrs: { rows: "5", placeholder: "One label per line: name = guideline", "aria-label": "Labels", "data-testid": "schema-labels" } });
  const msg = el("p", { class: "muted" });
  return el(
    "details",
    { class: "card" },
    el("summary", { text: "New label set" }),
    name,
    text,
    el("label", {}, multi, " Several labels per report"),
    el("div", {}, button("Save label set", async () => {
      const labels = text.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
        const [n, ...g] = l.split("=");
        return { name: n.trim(), guideline: g.join("=").trim() };
      });
      try {
        const s = await api.saveSchema(name.value, multi.checked, labels);
        msg.textContent = `Saved ${s.name} version ${s.version}.`;
        await reloadReview();
      } catch (err) {
        msg.textContent = errorMessage(err);
      }
    }, { class: "secondary", attrs: { "data-testid": "schema-save" } })),
    msg,
  );
}

function sessionForm(): HTMLElement {
  const name = el("input", { attrs: { placeholder: "Session name", "aria-label": "Session name", "data-testid": "session-name" } });
  const schema = el("select", { attrs: { "aria-label": "Label set", "data-testid": "session-schema" } });
  for (const s of overview?.schemas ?? []) schema.append(el("option", { text: `${s.name} v${s.version}`, attrs: { value: String(s.id) } }));
  const strategy = el("select", { attrs: { "aria-label": "Sampling", "data-testid": "session-strategy" } });
  for (const [v, t] of [
    ["random", "Random"],
    ["stratified_by_cluster", "Stratified by cluster (current run)"],
    ["diversity", "Diversity (farthest point)"],
    ["uncertainty", "Uncertainty (after some labels)"],
    ["nhs_review_preset", "NHS review preset (all severe, 100 moderate, 100 low)"],
  ]) strategy.append(el("option", { text: t, attrs: { value: v } }));
  const target = el("select", { attrs: { "aria-label": "Sample from", "data-testid": "session-target" } });
  target.append(el("option", { text: "The whole project", attrs: { value: "all" } }));
  if (!filterIsEmpty(state.filter)) target.append(el("option", { text: "Reports within the map's filters", attrs: { value: "filter" } }));
  for (const c of (state.map?.clusters ?? []).slice(0, 200)) {
    target.append(el("option", { text: `Cluster ${c.cluster_id}: ${c.keywords.slice(0, 3).join(", ")} (${c.size})`, attrs: { value: `cluster:${c.cluster_id}` } }));
  }
  const count = el("input", { attrs: { type: "number", min: "1", value: "50", "aria-label": "Reports" } });
  const coders = el("input", { attrs: { type: "number", min: "1", max: "5", value: "1", "aria-label": "Reviewers per report" } });
  const model = el("select", { attrs: { "aria-label": "Model" } });
  for (const m of (state.project?.models ?? []).filter((m) => m.vectors > 0)) model.append(el("option", { text: m.name, attrs: { value: m.name } }));
  if (state.map) model.value = state.map.run.model;
  const msg = el("p", { class: "muted" });
  return el(
    "details",
    { class: "card", attrs: (overview?.sessions.length ?? 0) === 0 ? { open: "" } : {} },
    el("summary", { text: "New session" }),
    name,
    el("label", { text: "Label set " }, schema),
    el("label", { text: "Sample from " }, target),
    el("label", { text: "Sampling " }, strategy),
    el("div", { class: "row" }, el("label", { text: "Reports " }, count), el("label", { text: "Reviewers each " }, coders)),
    el("label", { text: "Model " }, model),
    el("div", {}, button("Create session", async () => {
      try {
        // The select offers exactly the Rust Strategy kinds.
        const kind = strategy.value as Strategy["kind"];
        const s = await api.createSession({
          name: name.value,
          schema_id: Number(schema.value),
          target: target.value === "filter"
            ? { kind: "filter", filter: state.filter }
            : target.value.startsWith("cluster:")
              ? { kind: "cluster", run: state.run ?? 0, cluster: Number(target.value.slice(8)) }
              : { kind: "all" },
          strategy: kind === "stratified_by_cluster" ? { kind, run: state.run ?? 0 } : { kind },
          count: Number(count.value),
          coders_per_item: Number(coders.value),
          model: model.value || null,
          proposed: null,
        });
        await reloadReview();
        await openSession(s.id);
      } catch (err) {
        msg.textContent = errorMessage(err);
      }
    }, { class: "primary", attrs: { "data-testid": "session-create" } })),
    msg,
  );
}

function renderSide(): void {
  const list = el("div", { class: "session-list", attrs: { "data-testid": "sessions" } });
  for (const s of overview?.sessions ?? []) {
    list.append(button(`${s.name} · ${s.items} reports · ${s.schema.name}${s.coders_per_item > 1 ? ` · ${s.coders_per_item}× coded` : ""}`, () => void openSession(s.id), { class: s.id === session?.id ? "session current" : "session" }));
  }
  fill(side, reviewerCard(), overview?.me ? el("section", { class: "card" }, el("h3", { text: "Sessions" }), list) : null, overview?.me ? sessionForm() : null, overview?.me ? schemaForm() : null);
}

/** Opens a session (after reloading the list, for one just created elsewhere). */
export async function openSessionById(id: number): Promise<void> {
  overview = await api.reviewOverview();
  await openSession(id);
}

async function openSession(id: number): Promise<void> {
  session = overview?.sessions.find((s) => s.id === id) ?? null;
  if (!session) return;
  items = await api.sessionItems(id);
  const next = items.findIndex((i) => i.mine === null && i.coders < session!.coders_per_item);
  cursor = next >= 0 ? next : 0;
  renderSide();
  await showItem();
}

async function showItem(): Promise<void> {
  pending = new Set(items[cursor]?.mine ?? []);
  detail = items[cursor] ? await api.incidentDetail(items[cursor].external_id, null) : null;
  await renderMain();
}

const status = el("p", { class: "label-status", attrs: { "aria-live": "polite", "data-testid": "label-status" } });

async function renderMain(): Promise<void> {
  if (!overview?.me) {
    fill(main, el("div", { class: "empty-state" }, el("p", { text: "Say who you are on the left; every label is signed with your name." })));
    return;
  }
  if (!session) {
    fill(main, el("div", { class: "empty-state", attrs: { "data-testid": "empty-state" } }, el("p", { text: overview.schemas.length ? "Open a session on the left, or create one." : "Create a label set, then a session, on the left." })));
    return;
  }
  const mine = items.filter((i) => i.mine !== null).length;
  const item = items[cursor];
  const bar = el("progress", { attrs: { max: String(items.length), "aria-label": "Progress" } });
  bar.value = mine;
  const labels = el("div", { class: "label-buttons", attrs: { "data-testid": "label-buttons" } });
  session.schema.labels.forEach((l, i) => {
    const chosen = pending.has(l.name);
    const b = el("button", { class: chosen ? "label-choice chosen" : "label-choice", attrs: { type: "button", "data-label": l.name, "aria-pressed": String(chosen) } }, el("kbd", { text: String(i + 1) }), " ", el("strong", { text: l.name }), el("span", { class: "guideline", text: l.guideline }));
    b.addEventListener("click", () => void pick(i));
    labels.append(b);
  });
  const suggestion = el("p", { class: "suggestion muted", attrs: { "data-testid": "suggestion" } });
  const proposed = session.proposed?.length
    ? el("p", { class: "proposed", attrs: { "data-testid": "proposed" } }, `This cluster was labelled “${session.proposed.join(", ")}”. Press `, el("kbd", { text: "y" }), " to confirm it for this report, or a number to reject it with another label.")
    : null;
  if (item && session.model) {
    void api.labelSuggestion(session.id, item.external_id).then((s) => {
      if (s) suggestion.textContent = `The ${s.neighbours} nearest labelled reports suggest “${s.label}” (${Math.round(100 * s.confidence)}% of their vote). Your call.`;
    }).catch(() => {});
  }
  const d = detail;
  fill(
    main,
    el("div", { class: "label-head" }, el("h2", { text: session.name }), el("span", { class: "muted", text: `${session.schema.name} v${session.schema.version} · report ${cursor + 1} of ${items.length} · ${mine} labelled by you` })),
    bar,
    d
      ? el(
          "article",
          { class: "label-item card" },
          el("h3", { text: d.external_id, attrs: { "data-testid": "label-item-id" } }),
          el("p", { class: "muted", text: `${d.occurred_on} · ${d.harm ? HARM_LABEL[d.harm] : "harm not recorded"} · ${d.category ?? "category not recorded"} · ${d.care_setting ?? ""}` }),
          el("p", { class: "report-text", text: d.description, attrs: { "data-testid": "label-item-text" } }),
          d.causes ? el("p", { class: "report-text muted", text: `Causes: ${d.causes}` }) : null,
          d.actions ? el("p", { class: "report-text muted", text: `Actions: ${d.actions}` }) : null,
        )
      : el("p", { text: "This session has no reports." }),
    labels,
    proposed,
    suggestion,
    status,
    el("p", { class: "muted small", text: `1–${Math.min(9, session.schema.labels.length)} ${session.schema.multi ? "toggle labels, Enter saves and goes on" : "label (saved at once)"} · Enter next · Backspace back · U undo` }),
    agreementPanel(),
  );
}

async function refreshItems(): Promise<void> {
  if (session) items = await api.sessionItems(session.id);
}

async function save(labels: string[]): Promise<boolean> {
  if (!session || !items[cursor]) return false;
  const id = items[cursor].external_id;
  status.textContent = "Saving…";
  try {
    const ack = await api.recordLabel(session.id, id, labels, "");
    // Only now, after the backend committed it, does the screen say it is saved.
    status.textContent = `Saved ${ack.external_id}: ${ack.value.join(", ")} ✓`;
    status.dataset.ack = String(ack.label_id);
    await refreshItems();
    return true;
  } catch (err) {
    status.textContent = errorMessage(err);
    return false;
  }
}

async function pick(i: number): Promise<void> {
  const name = sessionLabels()[i];
  if (!session || !name) return;
  if (session.schema.multi) {
    if (pending.has(name)) pending.delete(name);
    else pending.add(name);
    await renderMain();
    return;
  }
  pending = new Set([name]);
  if (await save([name])) await renderMain();
}

async function move(step: number): Promise<void> {
  if (!session) return;
  if (step > 0) {
    const next = items.findIndex((it, j) => j > cursor && it.mine === null && it.coders < session!.coders_per_item);
    cursor = next >= 0 ? next : Math.min(cursor + 1, items.length - 1);
  } else {
    cursor = Math.max(cursor - 1, 0);
  }
  status.textContent = "";
  await showItem();
}

/** Keys of the labelling view; true when used. */
export async function labelKey(e: KeyboardEvent): Promise<boolean> {
  if (!session) return false;
  if (/^[1-9]$/.test(e.key)) {
    await pick(Number(e.key) - 1);
    return true;
  }
  if ((e.key === "y" || e.key === "Y") && session.proposed?.length) {
    pending = new Set(session.proposed);
    if (await save([...session.proposed])) await renderMain();
    return true;
  }
  if (e.key === "Enter") {
    if (session.schema.multi && pending.size && [...pending].sort().join() !== [...(items[cursor]?.mine ?? [])].sort().join()) {
      if (!(await save([...pending]))) return true;
    }
    await move(1);
    return true;
  }
  if (e.key === "Backspace") {
    await move(-1);
    return true;
  }
  if (e.key === "u" || e.key === "U") {
    try {
      const undone = await api.undoLabel(session.id);
      await refreshItems();
      if (undone) {
        cursor = Math.max(0, items.findIndex((i) => i.external_id === undone));
        await showItem();
        status.textContent = `Undid your label on ${undone}.`;
      } else {
        status.textContent = "Nothing to undo.";
      }
    } catch (err) {
      status.textContent = errorMessage(err);
    }
    return true;
  }
  return false;
}

function stat(c: { value: number | null } | null): string {
  return c && c.value !== null ? c.value.toFixed(3) : "n/a";
}

function agreementPanel(): HTMLElement {
  const body = el("div", { attrs: { "data-testid": "agreement" } });
  const box = el("details", { class: "card agreement" }, el("summary", { text: "Agreement, adjudication and benchmark" }), body);
  box.addEventListener("toggle", () => {
    if (box.open) void renderAgreement(body);
  });
  return box;
}

async function renderAgreement(body: HTMLElement): Promise<void> {
  if (!session) return;
  const s = session;
  const r = await api.sessionAgreement(s.id);
  const canAdjudicate = overview?.me && overview.me.role !== "reviewer";
  const rows = r.disagreements.map((d) => {
    const choice = el("select", { attrs: { "aria-label": `Adjudicate ${d.external_id}` } });
    for (const l of s.schema.labels) choice.append(el("option", { text: l.name, attrs: { value: l.name } }));
    const cell = d.adjudicated
      ? el("td", { text: `→ ${d.adjudicated.join(", ")}` })
      : canAdjudicate
        ? el("td", {}, choice, button("Resolve", async () => {
            try {
              await api.adjudicate(s.id, d.external_id, [choice.value], "");
              await renderAgreement(body);
            } catch (err) {
              cell.append(el("span", { class: "error", text: ` ${errorMessage(err)}` }));
            }
          }, { class: "secondary" }))
        : el("td", { class: "muted", text: "awaiting an adjudicator" });
    return el("tr", {}, el("td", { text: d.external_id }), el("td", { text: d.labels.map(([who, v]) => `${who}: ${v.join("+")}`).join("; ") }), cell);
  });
  const benchName = el("input", { attrs: { placeholder: "Benchmark name", "aria-label": "Benchmark name" } });
  const benchMsg = el("p", { class: "muted" });
  fill(
    body,
    el("p", { text: `${fmt(r.items)} reports coded by two or more reviewers. Krippendorff's α ${stat(r.alpha)} · Gwet's AC1 ${stat(r.ac1)} · Fleiss' κ ${stat(r.fleiss)}` }),
    ...r.pairs.map((p) => el("p", { class: "muted", text: `Cohen's κ ${p.a} vs ${p.b}: ${stat(p.kappa)} on ${p.items} reports` })),
    el("table", {}, el("tr", {}, el("th", { text: "Label" }), el("th", { text: "α" }), el("th", { text: "AC1" })), ...r.per_label.map((l) => el("tr", {}, el("td", { text: l.label }), el("td", { text: stat(l.alpha) }), el("td", { text: stat(l.ac1) })))),
    el("h4", { text: `${r.disagreements.length} disagreement(s)` }),
    el("table", {}, ...rows),
    el("div", { class: "row" }, benchName, button("Freeze as benchmark", async () => {
      try {
        const b = await api.freezeBenchmark(s.id, benchName.value);
        benchMsg.textContent = `Frozen: ${b.name} v${b.version}, ${b.items} reports, sha256 ${b.content_sha256.slice(0, 12)}…`;
        benchMsg.append(" ", exportControls(b.name, b.version));
      } catch (err) {
        benchMsg.textContent = errorMessage(err);
      }
    }, { class: "secondary" })),
    benchMsg,
  );
}

/// How an export carries report text: masked by default; full text only once the reviewer
/// ticks that they need it (the engine records the choice on the audit trail either way).
function exportControls(name: string, version: number): HTMLElement {
  const mode = el("select", { attrs: { "aria-label": "Report text in the export" } },
    el("option", { attrs: { value: "masked" }, text: "Text masked ([PERSON], [NHS_NUMBER]…)" }),
    el("option", { attrs: { value: "pseudonymised" }, text: "Text pseudonymised ([PERSON_1]…)" }),
    el("option", { attrs: { value: "none" }, text: "No text (ids and labels)" }),
    el("option", { attrs: { value: "full" }, text: "Full text as reported" }),
  );
  const sure = el("input", { attrs: { type: "checkbox", "aria-label": "I need the full text; record this on the audit trail" } });
  const confirm = el("label", { class: "muted" }, sure, " I need the full text (recorded on the audit trail)");
  confirm.hidden = true;
  const result = el("span", { class: "muted" });
  const go = button("Export…", async () => {
    try {
      const path = await api.exportBenchmark(name, version, mode.value);
      result.textContent = path ? ` Exported to ${path}` : "";
    } catch (err) {
      result.textContent = ` ${errorMessage(err)}`;
    }
  }, { class: "secondary" });
  const update = () => {
    confirm.hidden = mode.value !== "full";
    go.disabled = mode.value === "full" && !sure.checked;
  };
  mode.addEventListener("change", update);
  sure.addEventListener("change", update);
  return el("span", { class: "row" }, mode, confirm, go, result);
}

