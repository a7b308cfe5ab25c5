// The first run as a reviewer does it, through WebDriver: "New project from a file…" (the
// app's dialog answers from INCIDENT_ATLAS_DIALOG_SCRIPT), the preview, the model, "Import,
// encode and analyse…" (the dialog answers the project folder), then the painted map.
// Shared by the window test (the development build) and the package test (the installed app).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

/** Opens the preview of the next file the dialog script names. */
export async function openPreview(session) {
  await session.waitFor("return document.querySelector('[data-testid=new-from-file]') !== null;", 60_000);
  await session.click("[data-testid=new-from-file]");
  await session.waitFor("return document.querySelector('[data-testid=first-run-verdict]')?.textContent.length > 0;", 120_000);
}

/** Reads the preview as the page shows it. */
export function readPreview(session) {
  return session.execute(`
    const q = (s) => [...document.querySelectorAll(s)];
    return {
      columns: q('[data-testid=first-run-preview] th').map((t) => t.textContent),
      fields: q('[data-testid=first-run-field]').map((s) => s.value),
      rows: q('[data-testid=first-run-preview] tbody tr').length,
      counts: document.querySelector('[data-testid=first-run-counts]')?.textContent ?? null,
      badRows: q('[data-testid=first-run-bad-rows] li').map((l) => l.textContent),
      problem: document.querySelector('[data-testid=first-run-mapping-problem]')?.textContent ?? null,
      startDisabled: document.querySelector('[data-testid=first-run-start]').disabled,
      models: q('[data-testid=first-run-model] option').map((o) => o.value),
    };`);
}

/** Chooses the model, starts the job and waits for the map; returns its painted time. */
export async function importAndWaitForMap(session, model, ms) {
  await session.waitFor("return document.querySelectorAll('[data-testid=first-run-model] option').length > 0;", 30_000);
  if (model) {
    await session.execute("const s = document.querySelector('[data-testid=first-run-model]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", model);
  }
  assert.equal(await session.execute("return document.querySelector('[data-testid=first-run-start]').disabled;"), false, "the start button is enabled");
  await session.execute("document.querySelector('[data-testid=first-run-start]').scrollIntoView({ block: 'center' });");
  await session.click("[data-testid=first-run-start]");
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const state = await session.execute("return { painted: document.body.dataset.mapPaintedAt || null, message: document.querySelector('[data-testid=first-run-message]')?.textContent || '' };");
    if (state.painted) return Number(state.painted);
    if (state.message) throw new Error(`the first run failed: ${state.message}`);
    await sleep(250);
  }
  throw new Error(`no map within ${ms} ms`);
}

/** The header and the first `n` whole records of the CSV text `csv` (quoted fields may hold
 * newlines, so records are kept whole by counting quotes). */
export function firstRecords(csv, n) {
  const lines = csv.split("\n");
  const out = [lines[0]];
  let records = 0;
  let open = false;
  for (const line of lines.slice(1)) {
    if (records >= n && !open) break;
    out.push(line);
    if ((line.split('"').length - 1) % 2 === 1) open = !open;
    if (!open) records++;
  }
  return out.join("\n") + "\n";
}
