// A small W3C WebDriver client over fetch, and the plumbing to drive the real Tauri
// binary: Xvfb for a display, tauri-driver (which starts WebKitWebDriver) on a local port.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import net from "node:net";

const freePort = () =>
  new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });

async function waitForPort(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on port ${port} within ${ms} ms`);
}

/** Xvfb on the first free display from :90, and tauri-driver on a free port. */
export async function startDriver() {
  let display = 90;
  while (await import("node:fs").then((fs) => fs.existsSync(`/tmp/.X11-unix/X${display}`))) display++;
  const xvfb = spawn("Xvfb", [`:${display}`, "-screen", "0", "1366x768x24", "-nolisten", "tcp"], { stdio: "ignore" });
  await sleep(500);
  const port = await freePort();
  const nativePort = await freePort();
  const env = { ...process.env, DISPLAY: `:${display}`, WEBKIT_DISABLE_COMPOSITING_MODE: process.env.WEBKIT_DISABLE_COMPOSITING_MODE ?? "" };
  const driver = spawn(process.env.TAURI_DRIVER || "tauri-driver", ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  driver.stdout.on("data", (d) => (log += d));
  driver.stderr.on("data", (d) => (log += d));
  await waitForPort(port, 20_000);
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    stop: async () => {
      driver.kill("SIGTERM");
      xvfb.kill("SIGTERM");
      await sleep(300);
    },
  };
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async start(driverUrl, application, args) {
    // tauri-driver listens before the native WebKitWebDriver behind it does; on a loaded
    // machine the first request can reach it in between and have its connection dropped
    // ("fetch failed"). Retry that, for a while; a refused session is not retried.
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await fetch(`${driverUrl}/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application, args } } } }),
        });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(500);
      }
    }
    const body = await res.json();
    if (!res.ok || !body.value?.sessionId) throw new Error(`no session: ${JSON.stringify(body)}`);
    return new Session(driverUrl, body.value.sessionId);
  }

  async cmd(method, path, body) {
    // A hung driver must fail the test, not stall the suite.
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    }).catch((e) => {
      throw new Error(`${method} ${path}: ${e.cause?.message ?? e.message}`);
    });
    const out = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(out.value)}`);
    return out.value;
  }

  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs a script that calls its last argument with the result (for promises). */
  executeAsync(script, ...args) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async waitFor(script, ms = 30_000, ...args) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
      last = await this.execute(script, ...args);
      if (last) return last;
      await sleep(100);
    }
    throw new Error(`timed out after ${ms} ms waiting for: ${script}`);
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return Object.values(v)[0];
  }

  async click(css) {
    const id = await this.find(css);
    await this.cmd("POST", `/element/${id}/click`, {});
  }

  async type(css, text) {
    const id = await this.find(css);
    await this.cmd("POST", `/element/${id}/value`, { text });
  }

  /** Sets each field's value as typing would, then tells the page (an `input` event):
   *  `{ css: value, ... }`. Values travel as arguments, never inside the script. */
  async setValues(values) {
    await this.execute(
      "for (const [css, v] of Object.entries(arguments[0])) { const i = document.querySelector(css); i.value = v; i.dispatchEvent(new Event('input')); }",
      values,
    );
  }

  async text(css) {
    return this.execute("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);
  }

  async screenshot() {
    // WebKit takes the screenshot after the page's next rendering update, which a still page
    // (a form, no map) never has: the request would wait forever. A 1-pixel, nearly
    // transparent mark that changes each frame for two seconds gives it one.
    await this.execute(`
      const mark = document.getElementById("__screenshot_mark") ?? document.body.appendChild(document.createElement("div"));
      mark.id = "__screenshot_mark";
      Object.assign(mark.style, { position: "fixed", left: "0", top: "0", width: "1px", height: "1px", background: "white", pointerEvents: "none" });
      let frame = 0;
      const step = () => { mark.style.opacity = frame % 2 ? "0.02" : "0.01"; if (++frame < 120) requestAnimationFrame(step); };
      requestAnimationFrame(step);`);
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  actions(actions) {
    return this.cmd("POST", "/actions", { actions });
  }

  async end() {
    await this.cmd("DELETE", "").catch(() => {});
  }
}

/** Non-background pixels of the map canvas (a 2-D canvas regl-scatterplot copies into). */
export const PAINTED_PIXELS = `
  const c = document.querySelector(".map-canvas canvas");
  const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && !(data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245)) n++;
  return n;`;
