// Launches Debian's Chromium through playwright-core with the fixture backend.
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const fixture = fileURLToPath(new URL("./fixture-transport.js", import.meta.url));

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    // No network and no background services: the machine is offline. WebGL comes from
    // SwiftShader, Chromium's software renderer, as on a workstation without a GPU.
    args: [
      "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    ],
  });
}

/** A page of the built UI on the fixture backend with `points` reports. */
export async function openApp(browser, url, points = 2000, viewport = { width: 1366, height: 768 }, init = "") {
  const page = await browser.newPage({ viewport });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.addInitScript(`globalThis.__FIXTURE_POINTS__ = ${points}; globalThis.__alerts = 0; window.alert = () => { globalThis.__alerts++; }; ${init}`);
  await page.addInitScript({ path: fixture });
  await page.goto(url);
  return { page, errors };
}
