import "./styles.css";
import { projectOverview, type CommandError } from "./api/client";
import { renderError, renderOverview } from "./views/overview/overview";

const app = document.getElementById("app");
const path = document.getElementById("project-path");

async function start(): Promise<void> {
  if (!app) return;
  try {
    const overview = await projectOverview();
    if (path) path.textContent = overview.path;
    renderOverview(app, overview);
  } catch (err) {
    const e = err as Partial<CommandError>;
    const message =
      e.kind === "no_project"
        ? "No project is open. Start the app with --project DIR, or create one with `incident-atlas init DIR`."
        : (e.message ?? String(err));
    renderError(app, message);
  }
}

void start();
