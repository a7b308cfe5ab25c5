// Privacy: whether the project file is encrypted and what is not, the organisation's own
// hospital-number patterns (kept in the project, each change on the audit chain), and the
// privacy fingerprint, taken as a job: the personal data the rules find per kind and field,
// how identifiable reports are from their structured fields (k-anonymity), and the words in
// trained models' vocabularies that look like names. What an analyst reads before a model or
// an export leaves the project.
import { api, errorMessage } from "../../api/client";
import type { Fingerprint, HospitalNumberPattern, JobSnapshot, KindCount } from "../../api/types";
import { button, el, fill, fmt } from "../../dom";
import { on, state } from "../../state";

const root = el("section", { class: "privacy-view", attrs: { "aria-label": "Privacy" } });
const encryptionCard = el("div", { class: "card", attrs: { "data-testid": "privacy-encryption" } });
const patternsCard = el("div", { class: "card", attrs: { "data-testid": "privacy-patterns" } });
const fingerprintCard = el("div", { class: "card", attrs: { "data-testid": "privacy-fingerprint" } });
const patternsMsg = el("p", { class: "small", attrs: { "aria-live": "polite" } });
const patternName = el("input", { attrs: { "aria-label": "Pattern name", placeholder: "e.g. rx1", "data-testid": "pattern-name" } });
const patternRegex = el("input", { attrs: { "aria-label": "Pattern (regular expression)", placeholder: "e.g. RX1 ?\\d{7}", "data-testid": "pattern-regex", class: "pattern-regex" } });

/** The fingerprint shown: the last one taken this session, with when it finished. */
let taken: { fingerprint: Fingerprint; at: Date } | null = null;
let pending: number | null = null;
let failed: string | null = null;
let patterns: HospitalNumberPattern[] = [];
/** The project the fingerprint and patterns belong to. */
let projectPath: string | null = null;

// Another project opened: what was shown belongs to the last one.
on("project", () => {
  const path = state.project?.path ?? null;
  if (path === projectPath) return;
  projectPath = path;
  taken = null;
  pending = null;
  failed = null;
  patterns = [];
  if (!root.hidden) void reloadPrivacy();
});

root.append(el("h2", { text: "Privacy" }), encryptionCard, patternsCard, fingerprintCard);

export function privacyElement(): HTMLElement {
  return root;
}

const kindName = (k: string): string => k.replace(/_/g, " ").replace(/^(nhs|ni) /, (a) => a.toUpperCase());
const share = (n: number, of: number): string => (of === 0 ? "0%" : `${((100 * n) / of).toFixed(1)}%`);

/** Reloads what the view shows; called whenever the view is opened or the project changes. */
export async function reloadPrivacy(): Promise<void> {
  if (!state.project) {
    fill(encryptionCard, el("p", { class: "muted", text: "Open a project first." }));
    patternsCard.hidden = true;
    fingerprintCard.hidden = true;
    return;
  }
  patternsCard.hidden = false;
  fingerprintCard.hidden = false;
  renderEncryption();
  renderFingerprint();
  try {
    patterns = await api.privacyPatterns();
    renderPatterns();
  } catch (err) {
    fill(patternsCard, el("h3", { text: "Hospital-number patterns" }), el("p", { class: "error", text: errorMessage(err) }));
  }
}

function renderEncryption(): void {
  const note = state.project?.encryption;
  fill(
    encryptionCard,
    el("h3", { text: "Encryption" }),
    note
      ? el("p", { text: note, attrs: { "data-testid": "privacy-encrypted" } })
      : el("p", {
          text: "This project is not encrypted: its database is a plain SQLite file that anyone who can read the folder can read. Start new projects encrypted (Overview, or incident-atlas init --encrypt), or encrypt this one with incident-atlas encrypt while the app is closed.",
          attrs: { "data-testid": "privacy-plain" },
        }),
  );
}

async function changePatterns(what: () => Promise<unknown>, done: string): Promise<void> {
  patternsMsg.className = "small";
  try {
    await what();
    patterns = await api.privacyPatterns();
    patternsMsg.textContent = done;
    renderPatterns();
  } catch (err) {
    patternsMsg.className = "small error";
    patternsMsg.textContent = errorMessage(err);
  }
}

function renderPatterns(): void {
  const add = () => {
    const name = patternName.value.trim();
    void changePatterns(async () => {
      await api.addPrivacyPattern(name, patternRegex.value);
      patternName.value = "";
      patternRegex.value = "";
    }, `Pattern ${name} added; every masked export and the fingerprint use it from now on.`);
  };
  fill(
    patternsCard,
    el("h3", { text: "Hospital-number patterns" }),
    el("p", { class: "muted small", text: "Your organisation's own hospital (MRN) number formats, as regular expressions. They are found and masked beside the built-in rules (NHS and NI numbers, postcodes, phones, emails, dates, ages over 89, addresses, names) in every export, the report panel and the fingerprint. Adding or removing one is recorded on the audit chain." }),
    patterns.length
      ? el(
          "table",
          { attrs: { "data-testid": "pattern-list" } },
          el("tr", {}, el("th", { text: "Name" }), el("th", { text: "Pattern" }), el("th")),
          ...patterns.map((p) =>
            el(
              "tr",
              {},
              el("td", { text: p.name }),
              el("td", {}, el("code", { text: p.pattern })),
              el("td", {}, button("Remove", () => void changePatterns(() => api.removePrivacyPattern(p.name), `Pattern ${p.name} removed.`), { class: "secondary", attrs: { "data-testid": "pattern-remove" } })),
            ),
          ),
        )
      : el("p", { class: "muted", text: "No patterns of your own: the built-in rules alone find hospital numbers, by their label (\"MRN\", \"hospital no.\")." }),
    el("div", { class: "row" }, el("label", {}, "name ", patternName), el("label", {}, "pattern ", patternRegex), button("Add", add, { class: "primary", attrs: { "data-testid": "pattern-add" } })),
    patternsMsg,
  );
}

async function take(): Promise<void> {
  failed = null;
  try {
    pending = await api.startFingerprint();
  } catch (err) {
    failed = errorMessage(err);
  }
  renderFingerprint();
}

/** Called for every finished job: the fingerprint job this view started is shown. */
export function privacyJob(job: JobSnapshot): void {
  if (job.kind !== "fingerprint" || job.id !== pending) return;
  pending = null;
  if (job.state === "succeeded" && job.result) taken = { fingerprint: job.result as unknown as Fingerprint, at: new Date() };
  else if (job.state === "failed") failed = job.error ?? "the fingerprint job failed";
  renderFingerprint();
}

function kindTable(fp: Fingerprint): HTMLElement {
  const inField = (field: string, k: KindCount) => fp.per_field.find((f) => f.field === field)?.kinds.find((c) => c.kind === k.kind)?.spans ?? 0;
  const fields = fp.per_field.map((f) => f.field);
  return el(
    "table",
    { attrs: { "data-testid": "fingerprint-kinds" } },
    el("tr", {}, el("th", { text: "Kind" }), el("th", { text: "Found" }), el("th", { text: "Reports" }), ...fields.map((f) => el("th", { text: `in ${f}` }))),
    ...fp.per_kind.map((k) =>
      el("tr", { attrs: { "data-kind": k.kind } }, el("td", { text: kindName(k.kind) }), el("td", { text: fmt(k.spans) }), el("td", { text: `${fmt(k.reports)} (${share(k.reports, fp.reports)})` }), ...fields.map((f) => el("td", { text: fmt(inField(f, k)) }))),
    ),
  );
}

function quasiBlock(fp: Fingerprint): HTMLElement {
  const q = fp.quasi_identifiers;
  return el(
    "div",
    { attrs: { "data-testid": "fingerprint-quasi" } },
    el("h4", { text: "Identifiable from the structured fields" }),
    el("p", {
      class: "small",
      text: `Over ${q.columns.join(", ")}: ${fmt(q.combinations)} combinations. ${fmt(q.unique)} reports (${share(q.unique, fp.reports)}) are alone in theirs (k = 1), ${fmt(q.below_5)} share theirs with 1 to 3 others, ${fmt(q.below_11)} with 4 to 9. Smallest k: ${fmt(q.smallest_k)}. A report alone in its combination can be told apart by anyone who knows those facts, even with its text masked.`,
    }),
    q.rarest.length
      ? el(
          "table",
          { attrs: { "data-testid": "fingerprint-rarest" } },
          el("tr", {}, el("th", { text: "k" }), ...q.columns.map((c) => el("th", { text: c }))),
          ...q.rarest.map((c) => el("tr", {}, el("td", { text: fmt(c.reports) }), ...c.values.map((v) => el("td", { text: v || "–" })))),
        )
      : null,
  );
}

function modelsBlock(fp: Fingerprint): HTMLElement {
  return el(
    "div",
    { attrs: { "data-testid": "fingerprint-models" } },
    el("h4", { text: "Trained models' vocabularies" }),
    fp.models.length
      ? el(
          "table",
          {},
          el("tr", {}, el("th", { text: "Model" }), el("th", { text: "Words" }), el("th", { text: "Name-like" }), el("th", { text: "Most frequent name-like words" })),
          ...fp.models.map((m) =>
            m.words === null
              ? el("tr", {}, el("td", { text: m.model }), el("td", { text: "–", attrs: { colspan: "3" } }), el("td", { class: "muted", text: "vocabulary kept from its base model, not built from the reports" }))
              : el("tr", {}, el("td", { text: m.model }), el("td", { text: fmt(m.words) }), el("td", { text: fmt(m.name_like) }), el("td", { text: m.examples.join(", ") || "–" })),
          ),
        )
      : el("p", { class: "muted small", text: "No models trained in this project: nothing learnt from the reports' words would leave with a model." }),
  );
}

function renderFingerprint(): void {
  const head = [
    el("h3", { text: "Privacy fingerprint" }),
    el("p", { class: "muted small", text: "Reads every report with the detection rules and the patterns above, and the vocabulary of every model trained here. It writes nothing, and can be cancelled in Jobs." }),
  ];
  const status = pending !== null
    ? el("p", { class: "pending", text: "Taking the fingerprint (progress in Jobs)…", attrs: { "data-testid": "fingerprint-pending" } })
    : button(taken ? "Take it again" : "Take the fingerprint", () => void take(), { class: "primary", attrs: { "data-testid": "fingerprint-take" } });
  const error = failed ? el("p", { class: "error", text: failed }) : null;
  if (!taken) {
    fill(fingerprintCard, ...head, status, error);
    return;
  }
  const fp = taken.fingerprint;
  fill(
    fingerprintCard,
    ...head,
    status,
    error,
    el("p", {
      attrs: { "data-testid": "fingerprint-summary" },
      text: `Taken at ${taken.at.toLocaleTimeString("en-GB")}: ${fmt(fp.reports)} reports, ${fmt(fp.reports_with_identifier)} (${share(fp.reports_with_identifier, fp.reports)}) with personal data the rules find.`,
    }),
    fp.per_kind.length ? kindTable(fp) : el("p", { class: "muted", text: "No personal data found in any report." }),
    quasiBlock(fp),
    modelsBlock(fp),
  );
}
