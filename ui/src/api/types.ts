// Types of what the backend commands return; they mirror the engine's serde output.

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

export interface ModelRecord {
  id: number;
  name: string;
  kind: string;
  dimension: number;
  vectors: number;
}

export interface ProjectOverview {
  path: string;
  reviewer: string;
  stats: ProjectStats;
  models: ModelRecord[];
  latest_run: number | null;
}

export interface RunRecord {
  id: number;
  model: string;
  method: string;
  params: Record<string, unknown>;
  seed: number;
  incidents: number;
  clusters: number;
  noise: number;
  parent_run_id: number | null;
  created_at: string;
}

export interface MapCluster {
  cluster_id: number;
  size: number;
  keywords: string[];
  x: number;
  y: number;
}

export interface MapData {
  run: RunRecord;
  external_id: string[];
  x: number[];
  y: number[];
  cluster: number[];
  category: number[];
  categories: string[];
  harm: number[];
  care_setting: number[];
  care_settings: string[];
  day: number[];
  month: number[];
  months: string[];
  clusters: MapCluster[];
}

export type Status = "new" | "under_review" | "escalated" | "dismissed";
export const STATUSES: Status[] = ["new", "under_review", "escalated", "dismissed"];
export const STATUS_LABEL: Record<Status, string> = {
  new: "New",
  under_review: "Under review",
  escalated: "Escalated",
  dismissed: "Dismissed",
};

export interface Preview {
  external_id: string;
  occurred_on: string;
  category: string | null;
  harm: number | null;
  care_setting: string | null;
  description: string;
}

export interface Decision {
  status: Status;
  note: string;
  updated_by: string;
  updated_at: string;
}

export interface HistoryEntry {
  run_id: number;
  status: Status;
  note: string;
  author: string;
  created_at: string;
}

export interface TriageRow {
  cluster_id: number;
  size: number;
  keywords: string[];
  representatives: Preview[];
  harm: number[];
  severe_share: number;
  recent: number;
  previous: number;
  growth: number;
  priority: number;
  status: Status;
  decision: Decision | null;
  x: number;
  y: number;
  origin: string;
}

export interface Hit {
  external_id: string;
  occurred_on: string;
  category: string | null;
  harm: number | null;
  description: string;
  similarity: number;
}

export interface SearchHit extends Hit {
  care_setting: string | null;
}

export interface IncidentDetail {
  external_id: string;
  occurred_on: string;
  description: string;
  causes: string | null;
  actions: string | null;
  category: string | null;
  harm: number | null;
  care_setting: string | null;
  specialty: string | null;
  location: string | null;
  extra: Record<string, unknown> | null;
  dataset: string;
  source_line: number;
  cluster: { run_id: number; cluster_id: number; keywords: string[]; size: number; status: Status | null } | null;
  similar: Hit[];
  similar_unavailable: string | null;
}

export interface Filter {
  date_from: string | null;
  date_to: string | null;
  harm: number[];
  care_setting: string[];
  category: string[];
}

export type JobState = "running" | "succeeded" | "failed" | "cancelled";

export interface JobSnapshot {
  id: number;
  kind: string;
  title: string;
  state: JobState;
  phase: string;
  position: number;
  total: number;
  started_at: string;
  finished_at: string | null;
  seconds: number;
  log: string[];
  log_dropped: number;
  error: string | null;
  result: Record<string, unknown> | null;
}

export interface EditOutcome {
  edit_id: number;
  new_clusters: number[];
}

export interface CommandError {
  kind: string;
  message: string;
}

export const HARM_LABEL = ["Not recorded", "No harm", "Low", "Moderate", "Severe", "Death"];

export type Role = "reviewer" | "adjudicator" | "analyst";

export interface Reviewer {
  id: number;
  name: string;
  role: Role;
}

export interface LabelDef {
  name: string;
  guideline: string;
}

export interface Schema {
  id: number;
  name: string;
  version: number;
  multi: boolean;
  labels: LabelDef[];
}

export interface Session {
  id: number;
  name: string;
  schema: Schema;
  target: Record<string, unknown>;
  strategy: Record<string, unknown>;
  coders_per_item: number;
  seed: number;
  model: string | null;
  proposed: string[] | null;
  items: number;
  created_by: string;
  created_at: string;
}

export interface ReviewOverview {
  me: Reviewer | null;
  reviewers: Reviewer[];
  sessions: Session[];
  schemas: Schema[];
}

export interface ItemState {
  position: number;
  external_id: string;
  mine: string[] | null;
  coders: number;
}

export interface LabelAck {
  label_id: number;
  external_id: string;
  value: string[];
}

export interface Suggestion {
  label: string;
  confidence: number;
  neighbours: number;
}

export interface Chance {
  observed: number;
  expected: number;
  value: number | null;
}

export interface AgreementReport {
  session: number;
  items: number;
  alpha: Chance | null;
  ac1: Chance | null;
  fleiss: Chance | null;
  pairs: { a: string; b: string; items: number; kappa: Chance }[];
  per_label: { label: string; alpha: Chance; ac1: Chance }[];
  disagreements: { external_id: string; labels: [string, string[]][]; adjudicated: string[] | null }[];
}

export interface SessionSpec {
  name: string;
  schema_id: number;
  target: { kind: "all" } | { kind: "cluster"; run: number; cluster: number } | { kind: "filter"; filter: Filter };
  strategy: { kind: string; run?: number };
  count: number;
  coders_per_item: number;
  seed: number;
  model: string | null;
  proposed?: string[] | null;
}

export interface BenchmarkHeader {
  name: string;
  version: number;
  items: number;
  labels: string[];
  content_sha256: string;
}

export interface BenchmarkSummary {
  id: number;
  name: string;
  version: number;
  source: "reviewers" | "field" | "import";
  derived_from: string | null;
  labels: number;
  items: number;
  content_sha256: string;
  created_by: string;
  created_at: string;
}

export interface EvaluationSummary {
  id: number;
  benchmark: string;
  version: number;
  models: string[];
  best_model: string | null;
  items: number;
  created_at: string;
  created_by: string;
}

export interface EvaluationOverview {
  benchmarks: BenchmarkSummary[];
  evaluations: EvaluationSummary[];
  models: string[];
}

/** A score with its 95% bootstrap interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface RunScores {
  run_id: number;
  method: string;
  clusters: number;
  items: number;
  adjusted_rand: Estimate;
  nmi: Estimate;
  homogeneity: Estimate;
  completeness: Estimate;
  v_measure: Estimate;
  noise_fraction: number;
}

export interface ModelScores {
  model: string;
  kind: string;
  dimension: number;
  queries: number;
  precision_at_k: Estimate;
  map_at_k: Estimate;
  knn_macro_f1: Estimate | null;
  knn_accuracy: Estimate | null;
  logistic_macro_f1: Estimate | null;
  logistic_accuracy: Estimate | null;
  runs: RunScores[];
  notes: string[];
}

export interface SliceScores {
  dimension: string;
  value: string;
  items: number;
  models: { model: string; knn_macro_f1: Estimate | null; map_at_k: Estimate | null }[];
}

export interface PairedTest {
  metric: string;
  better: string;
  other: string;
  difference: Estimate;
  p_value: number;
  resamples: number;
}

export interface EvaluationResults {
  spec: { benchmark: string; k: number; folds: number; resamples: number; seed: number };
  benchmark: { name: string; version: number; source: string; derived_from: string | null; labels: string[]; label_counts: number[]; content_sha256: string };
  items: number;
  items_missing: number;
  items_unencoded: number;
  /** Left out because a compared model was fine-tuned on their labels. */
  items_trained_on?: number;
  models: ModelScores[];
  slices: SliceScores[];
  paired: PairedTest[];
  best_model: string | null;
  provenance: { dataset_sha256: string; incidents: number; software: string };
}

export interface EvaluationDetail {
  id: number;
  created_at: string;
  created_by: string;
  report: string;
  verdict: string | null;
  results: EvaluationResults;
  charts: { name: string; src: string }[];
}

export interface TrainSettings {
  dimension?: number;
  epochs?: number;
  seed?: number;
  base?: string;
  batch_size?: number;
  max_documents?: number;
  benchmark?: string;
  version?: number;
  per_label?: number;
  iterations?: number;
}

export interface TrainedView {
  name: string;
  method: string;
  training: {
    method: string;
    config: { dimension?: number; epochs: number; seed: number; batch_size?: number };
    fields: string;
    /** wordvec reports tokens and vocabulary; simcse reports steps and examples/s. */
    report: {
      documents?: number;
      seconds: number;
      final_loss: number | null;
      vocabulary?: number;
      tokens_per_second?: number;
      steps?: number;
      examples_per_second?: number;
      base?: string;
      /** supervised: the benchmark, its split, and the head's held-out scores. */
      benchmark?: string;
      train_reports?: number;
      held_out_reports?: number;
      held_out?: { macro_f1: number; accuracy: number };
      held_out_base?: { macro_f1: number; accuracy: number };
    };
  };
  loss_chart: string | null;
}

export interface PendingTraining {
  name: string;
  method: string;
  epoch: number;
  document: number;
  config: TrainSettings & { epochs: number; seed: number };
}

export interface ModelsOverview {
  encoded: ModelRecord[];
  available: string[];
  trained: TrainedView[];
  pending: PendingTraining[];
  benchmarks: BenchmarkSummary[];
}
