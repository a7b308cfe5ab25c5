// Generated from the Rust types by `cargo test -p incident-atlas-app --test ts_types`;
// do not edit; set ATLAS_WRITE_TS=1 to rewrite.

export type About = {
  version: string,
  /**
   * The encoder the first run and `encode` use when none is named.
   */
  default_model: string,
  /**
   * Every encoder folder the open project (or, without one, the user and system) can use.
   */
  models: Array<AboutModel>,
  licence: string,
  model_licence: string,
  /**
   * Where the package keeps the copyright file and the third-party notices.
   */
  notices: string,
};

export type AboutModel = {
  name: string,
  folder: string,
};

export type AgreementReport = {
  session: number,
  /**
   * Reports coded by two or more reviewers.
   */
  items: number,
  /**
   * Nominal statistics over the whole label set (single-label schemas only).
   */
  alpha: Chance | null,
  ac1: Chance | null,
  /**
   * Only when every such report has the same number of coders.
   */
  fleiss: Chance | null,
  pairs: Array<PairKappa>,
  per_label: Array<LabelAgreement>,
  disagreements: Array<Disagreement>,
};

/**
 * The chain's verification and every record that disagrees with it.
 */
export type AuditReport = {
  chain: Verification,
  /**
   * One line per disagreement, naming the row or entry (at most `MAX_LISTED`).
   */
  mismatches: Array<string>,
  mismatch_count: number,
};

export type BenchmarkHeader = {
  format: string,
  name: string,
  version: number,
  /**
   * reviewers, field or import.
   */
  source: string,
  /**
   * For a field-derived set: the field its labels come from.
   */
  derived_from?: string | null,
  labels: Array<string>,
  multi: boolean,
  content_sha256: string,
  items: number,
};

export type BenchmarkRef = {
  id: number,
  name: string,
  version: number,
  source: string,
  derived_from: string | null,
  content_sha256: string,
  multi: boolean,
  labels: Array<string>,
  /**
   * Reports per label among those evaluated.
   */
  label_counts: Array<number>,
};

/**
 * A stored benchmark set in a list.
 */
export type BenchmarkSummary = {
  id: number,
  name: string,
  version: number,
  source: string,
  derived_from: string | null,
  labels: number,
  items: number,
  content_sha256: string,
  created_by: string,
  created_at: string,
};

export type Chance = {
  /**
   * Observed agreement.
   */
  observed: number,
  /**
   * Agreement expected by chance.
   */
  expected: number,
  /**
   * (observed - expected) / (1 - expected); `None` when expected agreement is 1 (every
   * rating in one category: agreement is undefined, not perfect).
   */
  value: number | null,
};

export type ChartImage = {
  name: string,
  /**
   * The SVG as a data URI, shown in an <img> so it can never run as markup.
   */
  src: string,
};

export type ClusterRef = {
  run_id: number,
  /**
   * -1 when the report is noise in this run.
   */
  cluster_id: number,
  keywords: Array<string>,
  size: number,
  status: Status | null,
};

export type ClusterRow = {
  cluster_id: number,
  size: number,
  keywords: Array<string>,
  /**
   * External ids of the reports closest to the centroid, closest first.
   */
  representatives: Array<string>,
  x: number,
  y: number,
  origin: string,
};

/**
 * A cluster's signal, as the triage list shows it.
 */
export type ClusterSignal = {
  kind: SignalKind,
  reason: string,
  /**
   * The week it is about: a cluster's latest recent alarm week (of any of its series),
   * the novel group's latest, the monitored end for a concentration.
   */
  week: string,
  /**
   * What it adds to the priority factor: an alarm's score (capped at `MAX_STRENGTH`), 1
   * for novelty, 0 for a concentration (places a cluster is usually in are no news).
   */
  strength: number,
  /**
   * A reviewer dismissed it and the series has not moved since.
   */
  dismissed: boolean,
};

/**
 * One column's field as the user chose it in the preview.
 */
export type ColumnChoice = {
  column: string,
  target: string,
};

export type Combination = {
  /**
   * One value per quasi-identifier, in `QuasiIdentifiers::columns` order ("" when empty).
   */
  values: Array<string>,
  reports: number,
};

/**
 * An error the UI can show: a message, plus a kind it can branch on.
 */
export type CommandError = {
  kind: string,
  message: string,
};

export type ConcentrationView = {
  cluster: number,
  field: string,
  value: string,
  observed: number,
  expected: number,
  ic025: number,
  reason: string,
  dismissed: boolean,
  dismissable: boolean,
};

export type Count = {
  value: string,
  count: number,
};

export type Dataset = {
  id: number,
  name: string,
  source_path: string,
  source_sha256: string,
  format: string,
  imported_at: string,
  counts: DatasetCounts,
};

/**
 * Row counts of one import.
 */
export type DatasetCounts = {
  /**
   * Data rows read from the file (header excluded).
   */
  read: number,
  /**
   * New incidents written.
   */
  imported: number,
  /**
   * Rows whose id was already in the store with the same content.
   */
  duplicate: number,
  /**
   * Rows set aside as invalid (only with `skip_bad`; otherwise the import is rejected).
   */
  rejected: number,
  /**
   * Rows imported with invalid UTF-8 bytes replaced by U+FFFD.
   */
  lossy: number,
};

/**
 * Which date puts a report in a week.
 */
export type DateBasis = "occurred" | "reported";

/**
 * A cluster's recorded decision.
 */
export type Decision = {
  status: Status,
  note: string,
  updated_by: string,
  updated_at: string,
};

export type Disagreement = {
  external_id: string,
  labels: Array<[string, Array<string>]>,
  adjudicated: Array<string> | null,
};

/**
 * A recorded dismissal.
 */
export type Dismissal = {
  cluster_id: number,
  kind: SignalKind,
  through_week: string,
  note: string,
  author: string,
  created_at: string,
};

export type EditOutcome = {
  edit_id: number,
  new_clusters: Array<number>,
  clusters: Array<ClusterRow>,
};

/**
 * A score with its 95% percentile bootstrap interval.
 */
export type Estimate = {
  value: number,
  low: number,
  high: number,
};

export type EvaluationDetail = {
  id: number,
  created_at: string,
  created_by: string,
  report: string,
  /**
   * Which model to prefer, honest about differences within chance.
   */
  verdict: string | null,
  results: EvaluationResults,
  charts: Array<ChartImage>,
};

export type EvaluationOverview = {
  benchmarks: Array<BenchmarkSummary>,
  evaluations: Array<EvaluationSummary>,
  /**
   * Encoded models, the ones an evaluation can compare.
   */
  models: Array<string>,
};

export type EvaluationResults = {
  spec: EvaluationSpec,
  benchmark: BenchmarkRef,
  /**
   * Benchmark reports scored: in the project and encoded by every model compared.
   */
  items: number,
  /**
   * Benchmark reports not in this project.
   */
  items_missing: number,
  /**
   * Benchmark reports some compared model has no vector for.
   */
  items_unencoded: number,
  /**
   * Benchmark reports some compared model was fine-tuned on with their labels
   * (supervised training): left out for every model so no score is inflated.
   */
  items_trained_on: number,
  models: Array<ModelScores>,
  slices: Array<SliceScores>,
  paired: Array<PairedTest>,
  best_model: string | null,
  provenance: Provenance,
};

/**
 * What an evaluation was asked to do. Stored with it, and part of the report's provenance.
 */
export type EvaluationSpec = {
  benchmark: string,
  /**
   * The benchmark's latest version when None.
   */
  version: number | null,
  /**
   * Every model with vectors when empty.
   */
  models: Array<string>,
  /**
   * Neighbours for retrieval scores and for the kNN vote.
   */
  k: number,
  folds: number,
  /**
   * Bootstrap resamples behind every interval and the paired test.
   */
  resamples: number,
  seed: number,
  /**
   * Retrieval is scored on at most this many query reports (a seeded sample).
   */
  max_queries: number,
  /**
   * L2 penalty of the logistic regression (scikit-learn's 1/C).
   */
  logistic_alpha: number,
  /**
   * Slices (care setting, harm grade) with fewer reports are not scored on their own.
   */
  min_slice: number,
};

/**
 * A stored evaluation in a list: what it compared and what came out on top.
 */
export type EvaluationSummary = {
  id: number,
  benchmark: string,
  version: number,
  models: Array<string>,
  best_model: string | null,
  items: number,
  created_at: string,
  created_by: string,
};

export type FieldCount = {
  field: string,
  kinds: Array<KindCount>,
};

/**
 * What an import of the file would find.
 */
export type FileCheck = {
  good: number,
  bad: number,
  /**
   * The first bad rows (up to `IngestOptions::max_reported`) with their problems.
   */
  problems: Array<RowProblems>,
};

/**
 * Field filters; an empty list or `None` leaves that field unfiltered.
 */
export type Filter = {
  /**
   * Inclusive ISO dates (`YYYY-MM-DD`).
   */
  date_from: string | null,
  date_to: string | null,
  /**
   * NRLS PD09 levels 1..5.
   */
  harm: Array<number>,
  care_setting: Array<string>,
  category: Array<string>,
};

export type Fingerprint = {
  reports: number,
  reports_with_identifier: number,
  per_kind: Array<KindCount>,
  per_field: Array<FieldCount>,
  quasi_identifiers: QuasiIdentifiers,
  models: Array<ModelVocabulary>,
};

/**
 * One entry of a cluster's triage history, oldest first.
 */
export type HistoryEntry = {
  run_id: number,
  status: Status,
  note: string,
  author: string,
  created_at: string,
};

export type Hit = {
  external_id: string,
  occurred_on: string,
  category: string | null,
  harm: number | null,
  description: string,
  /**
   * Cosine similarity, 1 for the same direction.
   */
  similarity: number,
};

export type HospitalNumberPattern = {
  name: string,
  pattern: string,
};

export type ImportPreview = {
  /**
   * The file's name (not its folder).
   */
  file_name: string,
  format: string,
  bytes: number,
  columns: Array<PreviewColumn>,
  /**
   * The first rows' cells, in column order (a missing cell is empty).
   */
  rows: Array<Array<string>>,
  choices: Array<TargetChoice>,
  /**
   * Why the mapping cannot be used, naming the columns: two columns feeding one field, a
   * required field with no column, a chosen column the file lacks. `None`: usable.
   */
  mapping_problem: string | null,
  /**
   * Every row read as an import would (only when the mapping is usable).
   */
  check: FileCheck | null,
};

export type IncidentDetail = {
  external_id: string,
  occurred_on: string,
  /**
   * When the report was made, where its source says.
   */
  reported_on: string | null,
  description: string,
  causes: string | null,
  actions: string | null,
  category: string | null,
  harm: number | null,
  care_setting: string | null,
  specialty: string | null,
  location: string | null,
  /**
   * Source columns that map to no field, as imported.
   */
  extra: JsonValue,
  dataset: string,
  source_line: number,
  cluster: ClusterRef | null,
  similar: Array<Hit>,
  /**
   * Why `similar` is empty when it is (no index yet, report not encoded).
   */
  similar_unavailable: string | null,
  /**
   * The personal data found in the three texts (built-in rules and the project's
   * patterns), so the page can highlight it or show the text masked.
   */
  personal: PersonalData,
};

export type ItemState = {
  position: number,
  external_id: string,
  /**
   * The asking reviewer's label in force, if any (never another reviewer's: coding is blind).
   */
  mine: Array<string> | null,
  /**
   * How many reviewers have labelled it.
   */
  coders: number,
};

export type JobSnapshot = {
  id: number,
  kind: string,
  title: string,
  state: JobState,
  phase: string,
  position: number,
  total: number,
  started_at: string,
  finished_at: string | null,
  seconds: number,
  log: Array<string>,
  log_dropped: number,
  error: string | null,
  /**
   * What the job produced, for the UI to act on (a run id, counts).
   */
  result: JsonValue | null,
};

export type JobState = "running" | "succeeded" | "failed" | "cancelled";

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * What a span holds.
 */
export type Kind = "nhs_number" | "hospital_number" | "ni_number" | "postcode" | "address" | "phone" | "email" | "date_of_birth" | "date" | "age" | "person";

export type KindCount = {
  kind: Kind,
  /**
   * Spans found.
   */
  spans: number,
  /**
   * Reports with at least one.
   */
  reports: number,
};

export type LabelAck = {
  label_id: number,
  external_id: string,
  value: Array<string>,
};

export type LabelAgreement = {
  label: string,
  alpha: Chance,
  ac1: Chance,
};

export type LabelDef = {
  name: string,
  guideline: string,
};

export type MapCluster = {
  cluster_id: number,
  size: number,
  keywords: Array<string>,
  /**
   * Where the label goes: the cluster's median map position (scaled as the points).
   */
  x: number,
  y: number,
};

export type MapData = {
  run: RunRecord,
  external_id: Array<string>,
  /**
   * Map positions scaled into [-0.95, 0.95].
   */
  x: Array<number>,
  y: Array<number>,
  /**
   * Cluster after edits; -1 for noise.
   */
  cluster: Array<number>,
  /**
   * Index into `categories`; the last entry is "(not recorded)".
   */
  category: Array<number>,
  categories: Array<string>,
  /**
   * NRLS PD09 1..5; 0 when not recorded.
   */
  harm: Array<number>,
  care_setting: Array<number>,
  care_settings: Array<string>,
  /**
   * Days since 1970-01-01, for date-range filters.
   */
  day: Array<number>,
  /**
   * Index into `months` (`YYYY-MM`, ascending).
   */
  month: Array<number>,
  months: Array<string>,
  clusters: Array<MapCluster>,
};

export type Method = "auto" | "farrington" | "noufaily" | "cusum";

export type ModelRecord = {
  id: number,
  name: string,
  kind: string,
  text_fields: string,
  dimension: number,
  provenance: JsonValue,
  created_at: string,
  vectors: number,
};

export type ModelScores = {
  model: string,
  kind: string,
  dimension: number,
  model_provenance: JsonValue,
  index_sha256: string,
  queries: number,
  precision_at_k: Estimate,
  map_at_k: Estimate,
  /**
   * Classification scores are for single-label benchmarks only.
   */
  knn_macro_f1: Estimate | null,
  knn_accuracy: Estimate | null,
  logistic_macro_f1: Estimate | null,
  logistic_accuracy: Estimate | null,
  /**
   * kNN predictions: rows are true labels, columns predicted, in benchmark label order.
   */
  confusion: Array<Array<number>>,
  runs: Array<RunScores>,
  /**
   * Sizes of the clusters of the model's latest run over the whole project.
   */
  cluster_sizes: Array<number>,
  /**
   * Anything scored only in part, said plainly.
   */
  notes: Array<string>,
};

export type ModelVocabulary = {
  model: string,
  /**
   * Words in the vocabulary, or None when it was not built from the reports (a transformer
   * keeps its base model's vocabulary).
   */
  words: number | null,
  name_like: number,
  /**
   * The most frequent name-like words, up to `LISTED`.
   */
  examples: Array<string>,
};

export type ModelsOverview = {
  /**
   * Representations with vectors in the project.
   */
  encoded: Array<ModelRecord>,
  /**
   * Encoder folders that `encode` can read (project models first).
   */
  available: Array<string>,
  trained: Array<TrainedView>,
  pending: Array<PendingTraining>,
  /**
   * Benchmark sets a supervised fine-tuning can learn from.
   */
  benchmarks: Array<BenchmarkSummary>,
};

export type NoiseOutcome = {
  /**
   * The edit logged; None when no report was moved (nothing is logged then).
   */
  edit: EditOutcome | null,
  /**
   * Reports moved by this call.
   */
  moved: number,
  /**
   * Reports in no cluster before and after this call.
   */
  noise_before: number,
  noise_after: number,
};

/**
 * A candidate new cluster.
 */
export type NovelGroup = {
  incident_ids: Array<number>,
  first_date: string,
  last_date: string,
  /**
   * Reports per recent week (the recent weeks in order).
   */
  weekly: Array<number>,
  /**
   * The run's clusters its reports are in (noise as −1), largest share first.
   */
  clusters: Array<[number, number]>,
  /**
   * The report nearest the most others of the group.
   */
  representative: Preview | null,
  reason: string,
};

export type NovelGroupView = {
  group: NovelGroup,
  /**
   * The cluster most of the group is in, when that cluster's signal is this novelty.
   */
  signal_cluster: number | null,
  dismissed: boolean,
  dismissable: boolean,
};

export type PairKappa = {
  a: string,
  b: string,
  items: number,
  kappa: Chance,
};

/**
 * Paired bootstrap comparison of the two best models on one metric.
 */
export type PairedTest = {
  metric: string,
  better: string,
  other: string,
  /**
   * better minus other, with its 95% interval over the shared resamples.
   */
  difference: Estimate,
  p_value: number,
  resamples: number,
};

/**
 * A training that stopped before the end (cancelled or killed) and can resume.
 */
export type PendingTraining = {
  name: string,
  method: string,
  epoch: number,
  document: number,
  /**
   * The configuration it must resume with.
   */
  config: JsonValue,
};

/**
 * Where personal data is in each text, in UTF-16 code units (how a web page indexes a
 * string), with its kind.
 */
export type PersonalData = {
  description: Array<ShownSpan>,
  causes: Array<ShownSpan>,
  actions: Array<ShownSpan>,
};

/**
 * A report in a list: enough to recognise it and decide whether to open it.
 */
export type Preview = {
  external_id: string,
  occurred_on: string,
  category: string | null,
  harm: number | null,
  care_setting: string | null,
  /**
   * The start of the description, cut at a word boundary when long.
   */
  description: string,
};

export type PreviewColumn = {
  /**
   * The column's name in the file (cut when long).
   */
  name: string,
  /**
   * Where its values go: a field's name (`id`, `date`, `description`...), `extra` or
   * `ignore` — the names `--map COLUMN=TARGET` and `IngestOptions::overrides` take.
   */
  target: string,
  /**
   * The field its name alone says, if any (NRLS/LFPSE code or a known name).
   */
  detected: string | null,
  /**
   * Whether the user chose its target.
   */
  chosen: boolean,
};

/**
 * One thing wrong with one row.
 */
export type Problem = {
  /**
   * The source column, where the problem belongs to one.
   */
  column: string | null,
  reason: string,
};

export type ProjectOverview = {
  path: string,
  reviewer: string,
  stats: ProjectStats,
  models: Array<ModelRecord>,
  latest_run: number | null,
  /**
   * For an encrypted project: what is encrypted and what is not, in words.
   */
  encryption: string | null,
};

export type ProjectStats = {
  incidents: number,
  first_date: string | null,
  last_date: string | null,
  datasets: Array<Dataset>,
  rejected_rows: number,
  /**
   * Counts by field, largest first; a missing value counts as "(not recorded)".
   */
  by_category: Array<Count>,
  /**
   * By PD09 degree of harm, 1 to 5, in that order.
   */
  by_harm: Array<Count>,
  by_care_setting: Array<Count>,
  by_specialty: Array<Count>,
  /**
   * By calendar month (`YYYY-MM`), in date order.
   */
  by_month: Array<Count>,
};

export type Provenance = {
  /**
   * SHA-256 over every report's content hash, in id order.
   */
  dataset_sha256: string,
  incidents: number,
  software: string,
  schema_version: number,
};

export type QuasiIdentifiers = {
  columns: Array<string>,
  /**
   * Reports alone in their combination (k = 1), in one of 2 to 4 (k < 5), in one of 5 to 10.
   */
  unique: number,
  below_5: number,
  below_11: number,
  /**
   * The smallest k any report has (0 with no reports).
   */
  smallest_k: number,
  combinations: number,
  /**
   * The rarest combinations, fewest reports first.
   */
  rarest: Array<Combination>,
};

export type RecentProject = {
  path: string,
  /**
   * The folder's name.
   */
  name: string,
  opened_at: string,
  /**
   * Whether it still holds a project (a moved or deleted one stays listed, marked).
   */
  available: boolean,
};

/**
 * Why a run clusters the model it does: recorded in the run and shown with it.
 */
export type RepresentationChoice = {
  /**
   * "asked" (named by whoever started the analysis), "evaluation" (the project's own
   * evaluation prefers it), "benchmark" (measured best across the public benchmark
   * corpora) or "only" (the one model with vectors).
   */
  chosen_by: string,
  /**
   * What decided it, in a sentence or two for the reviewer.
   */
  reason: string,
  /**
   * The evaluation that decided it or that prefers another model.
   */
  evaluation_id: number | null,
};

export type ReviewOverview = {
  me: Reviewer | null,
  reviewers: Array<Reviewer>,
  sessions: Array<Session>,
  schemas: Array<Schema>,
};

export type Reviewer = {
  id: number,
  name: string,
  role: Role,
};

export type Role = "reviewer" | "adjudicator" | "analyst";

/**
 * Everything wrong with one row.
 */
export type RowProblems = {
  /**
   * 1-based line in the file where the row starts.
   */
  line: number,
  external_id: string | null,
  problems: Array<Problem>,
};

export type RunRecord = {
  id: number,
  model: string,
  method: string,
  params: JsonValue,
  seed: number,
  dataset_sha256: string,
  index_sha256: string,
  incidents: number,
  /**
   * Reports UMAP and HDBSCAN were fitted on; the others were assigned by a vote of
   * their nearest fitted reports.
   */
  fitted: number,
  clusters: number,
  /**
   * Reports the algorithm left as noise.
   */
  noise: number,
  /**
   * Of those, the ones an 'assign_noise' edit gave to a nearby cluster, standing now.
   */
  noise_assigned: number,
  parent_run_id: number | null,
  timings: Timings,
  created_at: string,
};

export type RunScores = {
  run_id: number,
  method: string,
  created_at: string,
  clusters: number,
  /**
   * Benchmark reports the run placed (noise included).
   */
  items: number,
  /**
   * Noise counts as a cluster of its own in these scores.
   */
  adjusted_rand: Estimate,
  nmi: Estimate,
  homogeneity: Estimate,
  completeness: Estimate,
  v_measure: Estimate,
  noise_fraction: number,
};

export type Schema = {
  id: number,
  name: string,
  version: number,
  multi: boolean,
  labels: Array<LabelDef>,
};

export type SearchHit = {
  care_setting: string | null,
  external_id: string,
  occurred_on: string,
  category: string | null,
  harm: number | null,
  description: string,
  /**
   * Cosine similarity, 1 for the same direction.
   */
  similarity: number,
};

/**
 * One series with its alarms.
 */
export type SeriesAlarms = {
  series: SeriesKey,
  /**
   * "cluster 12", "category Medication", "cluster 12 in care setting Acute".
   */
  title: string,
  cluster: number | null,
  /**
   * The latest alarm's reason in words, and its week.
   */
  reason: string,
  latest_week: string,
  alarm_weeks: Array<string>,
  max_score: number | null,
  /**
   * The latest alarm is within `RECENT_ALARM_WEEKS` of the last monitored week: the
   * alarms triage counts.
   */
  recent: boolean,
  /**
   * A reviewer dismissed the cluster's alarm through the latest alarm week.
   */
  dismissed: boolean,
  /**
   * The cluster's current signal is this alarm and can be dismissed.
   */
  dismissable: boolean,
  /**
   * The chart: every monitored week.
   */
  weeks: Array<WeekSignal>,
  /**
   * The detectors that judged the weeks, with their parameters, in words.
   */
  detectors: Array<string>,
  reports: Array<Preview>,
};

/**
 * What a series counts.
 */
export type SeriesKey = { "kind": "cluster", cluster: number, } | { "kind": "category", category: string, } | { "kind": "stratum", cluster: number, field: string, value: string, };

export type Session = {
  id: number,
  name: string,
  schema: Schema,
  target: JsonValue,
  strategy: JsonValue,
  coders_per_item: number,
  seed: number,
  model: string | null,
  proposed: Array<string> | null,
  items: number,
  created_by: string,
  created_at: string,
};

export type SessionSpec = {
  name: string,
  schema_id: number,
  target: Target,
  strategy: Strategy,
  count: number,
  coders_per_item: number,
  /**
   * The sampling seed; the project's default when a front end leaves it out.
   */
  seed?: number,
  /**
   * Needed by diversity and uncertainty sampling, and for suggestions.
   */
  model: string | null,
  /**
   * A label proposed for every report (a cluster label), for each to be confirmed or
   * rejected by the reviewer.
   */
  proposed?: Array<string> | null,
};

export type ShownSpan = {
  start: number,
  end: number,
  kind: Kind,
  /**
   * What the masked text shows: `[PERSON]`.
   */
  token: string,
};

export type SignalKind = "alarm" | "novelty" | "concentration";

export type SignalsView = {
  run_id: number,
  /**
   * When the shown signals were computed; None when they never were for this run.
   */
  computed_at: string | null,
  /**
   * The shown signals came from the run's reports as they are now (no import, assignment
   * or edit since); when false they are shown until the new ones are computed.
   */
  current: boolean,
  /**
   * The date the reports were counted by.
   */
  by: DateBasis,
  /**
   * The monitored weeks (Mondays) and the last report's date.
   */
  monitored: [string, string] | null,
  last_date: string | null,
  /**
   * Series with an alarm in the monitored weeks: recent ones first, then by score.
   */
  alarms: Array<SeriesAlarms>,
  novel_groups: Array<NovelGroupView>,
  /**
   * Novelty in words: how many recent reports were novel against which threshold, or
   * why it could not be computed.
   */
  novelty: string | null,
  concentrations: Array<ConcentrationView>,
  topics: Topics,
  /**
   * Keywords of every cluster the view names.
   */
  keywords: Array<[number, Array<string>]>,
  /**
   * Each cluster's signal as the triage list shows it (for the map's colours).
   */
  cluster_signals: Array<[number, ClusterSignal]>,
};

export type SliceModel = {
  model: string,
  knn_macro_f1: Estimate | null,
  map_at_k: Estimate | null,
};

/**
 * The same scores within one group of reports: a model that fails one care setting or
 * harm grade shows here even when its overall score is good.
 */
export type SliceScores = {
  /**
   * care_setting or harm.
   */
  dimension: string,
  value: string,
  items: number,
  models: Array<SliceModel>,
};

/**
 * Where a cluster stands in review.
 */
export type Status = "new" | "under_review" | "escalated" | "dismissed";

export type Strategy = { "kind": "random" } | { "kind": "stratified_by_cluster", run: number, } | { "kind": "diversity" } | { "kind": "uncertainty" } | { "kind": "nhs_review_preset" };

export type Suggestion = {
  label: string,
  /**
   * Share of the neighbours' similarity-weighted vote.
   */
  confidence: number,
  /**
   * How many labelled reports voted.
   */
  neighbours: number,
};

export type Target = { "kind": "all" } | { "kind": "cluster", run: number, cluster: number, } | { "kind": "filter", filter: Filter, };

/**
 * A target a column can be given, for the preview's choices.
 */
export type TargetChoice = {
  target: string,
  label: string,
  required: boolean,
};

/**
 * Seconds per stage, and the peak resident memory after each (where the OS reports it).
 */
export type Timings = {
  stages: Array<[string, number]>,
  total: number,
};

export type TopicSeries = {
  cluster: number,
  total: number,
  /**
   * One count per month of `Topics::months`.
   */
  counts: Array<number>,
};

/**
 * Monthly counts of the largest clusters, on one axis of months.
 */
export type Topics = {
  /**
   * YYYY-MM, each week counted in the month its Thursday falls in (`counts::monthly`).
   */
  months: Array<string>,
  /**
   * Largest first.
   */
  clusters: Array<TopicSeries>,
};

/**
 * What a front end gathered; `None` (or a blank string) takes the method's default.
 */
export type TrainRequest = {
  /**
   * wordvec, declutr, simcse, mlm or supervised.
   */
  method: string,
  /**
   * The new model's folder name under the project's `models/`.
   */
  name: string,
  /**
   * Adaptation and supervised: the encoder to start from.
   */
  base?: string | null,
  /**
   * wordvec: vector dimension.
   */
  dimension?: number | null,
  epochs?: number | null,
  seed?: number | null,
  /**
   * Adaptation: texts per step; supervised: pairs per step.
   */
  batch_size?: number | null,
  /**
   * Adaptation and supervised: texts are cut to this many tokens while training.
   */
  max_tokens?: number | null,
  learning_rate?: number | null,
  /**
   * Adaptation: train on at most this many reports (a seeded sample); 0 means all.
   */
  max_documents?: number | null,
  /**
   * Supervised: the benchmark set whose labels to learn, and its version (latest if
   * none).
   */
  benchmark?: string | null,
  version?: number | null,
  /**
   * Supervised: training reports per label, and pair rounds.
   */
  per_label?: number | null,
  iterations?: number | null,
  /**
   * Reports (wordvec) or steps (the others) between checkpoints.
   */
  checkpoint_every?: number | null,
  /**
   * Adaptation: train on every report for every step and keep the last weights, instead
   * of holding reports out, stopping when they say training no longer helps, and
   * keeping the best weights (refusing when none beat the base model).
   */
  keep_last?: boolean | null,
  /**
   * `description` or `all` (description, causes, actions).
   */
  text?: string | null,
};

export type TrainedView = {
  name: string,
  method: string,
  training: JsonValue,
  /**
   * The loss curve SVG as a data URI (shown in an <img>, never as markup).
   */
  loss_chart: string | null,
};

export type TriageRow = {
  cluster_id: number,
  size: number,
  keywords: Array<string>,
  representatives: Array<Preview>,
  /**
   * Reports per NRLS PD09 level 1..5, then reports with no harm recorded.
   */
  harm: [number, number, number, number, number, number],
  /**
   * Share of reports with harm recorded that are moderate or worse (PD09 >= 3).
   */
  severe_share: number,
  /**
   * Reports in the latest window of the run's data, and in the window before it.
   */
  recent: number,
  previous: number,
  growth: number,
  /**
   * The cluster's signal (a recent count alarm, novel reports, a concentration), if any.
   */
  signal: ClusterSignal | null,
  priority: number,
  status: Status,
  decision: Decision | null,
  /**
   * Position of the cluster's label on the map.
   */
  x: number,
  y: number,
  origin: string,
};

export type Verification = {
  entries: number,
  /**
   * The first entry that breaks the chain, and why; `None` when the chain is intact.
   */
  broken_at: [number, string] | null,
  /**
   * Entries whose keyed MAC was checked with a key on this machine.
   */
  sealed: number,
  /**
   * Entries sealed by a key this machine does not have (made on another machine): their
   * hashes were checked, their MACs could not be.
   */
  unchecked_seals: number,
  /**
   * Entries from before keying (no MAC).
   */
  unsealed: number,
};

/**
 * One monitored week.
 */
export type WeekSignal = {
  /**
   * The week's first day, YYYY-MM-DD.
   */
  week_start: string,
  observed: number,
  /**
   * The count the detector expected; None where it could not say (too little history,
   * a model that did not converge, or too few recent reports to judge).
   */
  expected: number | null,
  upper: number | null,
  /**
   * Above 1: beyond the bound (Farrington's (y − fit)/(U − fit); CUSUM's sum over h).
   */
  score: number | null,
  alarm: boolean,
  /**
   * The detector that judged the week; None where none could.
   */
  method: Method | null,
};
