// The typed client for backend commands. Views call these functions, never `invoke`
// directly, so the browser tests can swap the transport for fixtures: a test page sets
// `globalThis.__INCIDENT_ATLAS_TRANSPORT__` before the app loads; inside the app nothing
// sets it (the CSP allows no other script), and the Tauri IPC is used.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { decodeDetails, decodeMap } from "./map_binary";
import type {
  AgreementReport,
  BenchmarkHeader,
  EvaluationDetail,
  EvaluationOverview,
  HospitalNumberPattern,
  ModelsOverview,
  TrainSettings,
  ItemState,
  LabelAck,
  LabelDef,
  Reviewer,
  ReviewOverview,
  Schema,
  Session,
  SessionSpec,
  Suggestion,
  Decision,
  EditOutcome,
  NoiseOutcome,
  Filter,
  HistoryEntry,
  IncidentDetail,
  JobSnapshot,
  MapView,
  Preview,
  ProjectOverview,
  RunRecord,
  SearchHit,
  SignalsView,
  Dismissal,
  TriageRow,
  AuditReport,
  About,
  ColumnChoice,
  ImportPreview,
  RecentProject,
} from "./types";

export interface Transport {
  invoke<T>(command: string, args?: Record<string, unknown>): Promise<T>;
  listen<T>(event: string, handler: (payload: T) => void): Promise<() => void>;
}

const tauriTransport: Transport = {
  invoke: (command, args) => invoke(command, args),
  listen: async (event, handler) => listen(event, (e) => handler(e.payload as never)),
};

declare global {
  // eslint-disable-next-line no-var
  var __INCIDENT_ATLAS_TRANSPORT__: Transport | undefined;
}

const transport = (): Transport => globalThis.__INCIDENT_ATLAS_TRANSPORT__ ?? tauriTransport;
const call = <T>(command: string, args?: Record<string, unknown>): Promise<T> => transport().invoke<T>(command, args);

export const api = {
  projectOverview: () => call<ProjectOverview>("project_overview"),
  /** Asks for the folder in the native dialog (paths never come from the page); null when cancelled. */
  openProject: (create: boolean) => call<ProjectOverview | null>("open_project", { create }),
  /** The first run: the file picked in the native dialog, previewed; null when cancelled. */
  chooseImportFile: () => call<ImportPreview | null>("choose_import_file"),
  previewImport: (choices: ColumnChoice[]) => call<ImportPreview>("preview_import", { choices }),
  /** Asks for the new project's folder; the job id, or null when cancelled. `model` null: the bundled encoder. */
  startFirstRun: (choices: ColumnChoice[], skipBad: boolean, model: string | null) =>
    call<number | null>("start_first_run", { choices, skipBad, model }),
  /** Unlocks the encrypted project chosen last (a call that failed with "needs_passphrase"). */
  unlockProject: (passphrase: string) => call<ProjectOverview>("unlock_project", { passphrase }),
  /** Asks for a folder and makes an encrypted project there; null when cancelled. */
  createEncryptedProject: (passphrase: string) => call<ProjectOverview | null>("create_encrypted_project", { passphrase }),
  recentProjects: () => call<RecentProject[]>("recent_projects"),
  openRecent: (index: number) => call<ProjectOverview>("open_recent", { index }),
  about: () => call<About>("about"),
  mapData: async (run: number | null): Promise<MapView> => decodeMap(await call<ArrayBuffer>("map_data", { run })),
  /** Fills the map's fields and ids from the second part of its run's map. */
  mapDetails: async (map: MapView): Promise<void> => decodeDetails(map, await call<ArrayBuffer>("map_details", { run: map.run.id })),
  listRuns: () => call<RunRecord[]>("list_runs"),
  clusterTriage: (run: number) => call<TriageRow[]>("cluster_triage", { run }),
  setClusterStatus: (run: number, cluster: number, status: string, note: string) =>
    call<Decision>("set_cluster_status", { run, cluster, status, note }),
  clusterHistory: (run: number, cluster: number) => call<HistoryEntry[]>("cluster_history", { run, cluster }),
  mergeClusters: (run: number, clusters: number[]) => call<EditOutcome>("merge_clusters", { run, clusters }),
  assignNoise: (run: number, agreement: number | null) => call<NoiseOutcome>("assign_noise", { run, agreement }),
  unassignNoise: (run: number) => call<NoiseOutcome>("unassign_noise", { run }),
  splitCluster: (run: number, cluster: number, parts: number | null, incidents: string[] | null) =>
    call<EditOutcome>("split_cluster", { run, cluster, parts, incidents }),
  signalsView: (run: number) => call<SignalsView>("signals_view", { run }),
  startSignals: (run: number) => call<number>("start_signals", { run }),
  dismissSignal: (run: number, cluster: number, kind: string, note: string) =>
    call<Dismissal>("dismiss_signal", { run, cluster, kind, note }),
  incidentDetail: (id: string, run: number | null) => call<IncidentDetail>("incident_detail", { id, run }),
  incidentPreviews: (ids: string[]) => call<Preview[]>("incident_previews", { ids }),
  search: (model: string, text: string, filter: Filter, k: number) =>
    call<SearchHit[]>("search_incidents", { model, text, filter, k }),
  listJobs: () => call<JobSnapshot[]>("list_jobs"),
  cancelJob: (id: number) => call<boolean>("cancel_job", { id }),
  startImport: (skipBad: boolean) => call<number | null>("start_import", { skipBad }),
  startEncode: (model: string) => call<number>("start_encode", { model }),
  startVectorsImport: (model: string) => call<number | null>("start_vectors_import", { model }),
  startIndexImport: (model: string) => call<number | null>("start_index_import", { model }),
  /** `model` null: the engine chooses (the project's evaluation, else the benchmark's best). */
  startAnalyse: (model: string | null, method: string, k: number | null) =>
    call<number>("start_analyse", { model, method, k, minClusterSize: null }),
  startAssign: (run: number | null) => call<number>("start_assign", { run }),
  reviewOverview: () => call<ReviewOverview>("review_overview"),
  chooseReviewer: (name: string, role: string) => call<Reviewer>("choose_reviewer", { name, role }),
  saveSchema: (name: string, multi: boolean, labels: LabelDef[]) => call<Schema>("save_schema", { name, multi, labels }),
  createSession: (spec: SessionSpec) => call<Session>("create_session", { spec }),
  sessionItems: (session: number) => call<ItemState[]>("session_items", { session }),
  recordLabel: (session: number, id: string, labels: string[], note: string) =>
    call<LabelAck>("record_label", { session, id, labels, note }),
  undoLabel: (session: number) => call<string | null>("undo_label", { session }),
  labelSuggestion: (session: number, id: string) => call<Suggestion | null>("label_suggestion", { session, id }),
  sessionAgreement: (session: number) => call<AgreementReport>("session_agreement", { session }),
  adjudicate: (session: number, id: string, labels: string[], note: string) =>
    call<LabelAck>("adjudicate", { session, id, labels, note }),
  freezeBenchmark: (session: number, name: string) => call<BenchmarkHeader>("freeze_benchmark", { session, name }),
  exportBenchmark: (name: string, version: number, text: string) => call<string | null>("export_benchmark", { name, version, text }),
  auditVerify: () => call<AuditReport>("audit_verify"),
  labelCluster: (run: number, cluster: number, schema: number, label: string, model: string | null) =>
    call<Session>("label_cluster", { run, cluster, schema, label, model }),
  evaluationOverview: () => call<EvaluationOverview>("evaluation_overview"),
  deriveBenchmark: (field: string, name: string | null, limit: number | null) =>
    call<BenchmarkHeader>("derive_benchmark", { field, name, limit }),
  startEvaluate: (benchmark: string, version: number | null, models: string[]) =>
    call<number>("start_evaluate", { benchmark, version, models }),
  evaluationDetail: (id: number) => call<EvaluationDetail>("evaluation_detail", { id }),
  exportReport: (id: number) => call<string | null>("export_report", { id }),
  modelsOverview: () => call<ModelsOverview>("models_overview"),
  startTrain: (method: string, name: string, settings: TrainSettings) => call<number>("start_train", { method, name, settings }),
  trainDefaults: (method: string) => call<TrainSettings>("train_defaults", { method }),
  privacyPatterns: () => call<HospitalNumberPattern[]>("privacy_patterns"),
  addPrivacyPattern: (name: string, pattern: string) => call<null>("add_privacy_pattern", { name, pattern }),
  removePrivacyPattern: (name: string) => call<null>("remove_privacy_pattern", { name }),
  startFingerprint: () => call<number>("start_fingerprint"),
  onJob: (handler: (job: JobSnapshot) => void) => transport().listen<JobSnapshot>("job", handler),
};

/** The kind of a failed call's error ("needs_passphrase", "busy"...), or null. */
export function errorKind(err: unknown): string | null {
  if (err && typeof err === "object" && "kind" in err) return String((err as { kind: unknown }).kind);
  return null;
}

/** The message of a failed call, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (typeof err === "string") return err;
  if (err && typeof err === "object" && "message" in err) return String((err as { message: unknown }).message);
  return String(err);
}
