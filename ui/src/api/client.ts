// The typed client for backend commands. Views call these functions, never `invoke`
// directly, so tests can swap the transport for fixtures.
import { invoke } from "@tauri-apps/api/core";

export interface Count {
  value: string;
  count: number;
}

export interface ProjectStats {
  incidents: number;
  first_date: string | null;
  last_date: string | null;
  rejected_rows: number;
  datasets: { id: number; name: string; imported_at: string }[];
  by_category: Count[];
  by_harm: Count[];
  by_care_setting: Count[];
  by_specialty: Count[];
  by_month: Count[];
}

export interface ProjectOverview {
  path: string;
  stats: ProjectStats;
}

export interface CommandError {
  kind: string;
  message: string;
}

export type Transport = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

let transport: Transport = (command, args) => invoke(command, args);

/** Replaces the transport (fixture-driven browser tests). */
export function setTransport(t: Transport): void {
  transport = t;
}

export function projectOverview(): Promise<ProjectOverview> {
  return transport<ProjectOverview>("project_overview");
}
