import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The app runs offline inside a webview; nothing is loaded from elsewhere.
    assetsInlineLimit: 0,
  },
});
