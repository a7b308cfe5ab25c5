// Serves the built UI (ui/dist) on 127.0.0.1 with the app's own Content-Security-Policy,
// taken from src-tauri/tauri.conf.json, so the browser tests run under the same rules.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dist = join(root, "ui", "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png" };

async function csp() {
  const conf = JSON.parse(await readFile(join(root, "src-tauri", "tauri.conf.json"), "utf8"));
  return Object.entries(conf.app.security.csp).map(([k, v]) => `${k} ${v}`).join("; ");
}

/** `withoutEval`: the app's policy less 'unsafe-eval', to show what needs it. */
export async function serveUi({ withoutEval = false } = {}) {
  const policy = withoutEval ? (await csp()).replace(" 'unsafe-eval'", "") : await csp();
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^([/\\])+/, "");
    const file = join(dist, path === "" ? "index.html" : path);
    if (!file.startsWith(dist)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "content-security-policy": policy });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}
