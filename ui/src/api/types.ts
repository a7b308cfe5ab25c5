// Types of what the backend commands take and return. They are generated from the Rust
// types into ./generated.ts (`cargo test -p incident-atlas-app --test ts_types`, which also
// fails when the two drift apart) and re-exported here, so views import from this file
// only. What is left here is the UI's own: constants, an alias, and the UI's reading of the
// few fields the backend sends as free-form JSON (`JsonValue` in the generated types),
// which no Rust type describes and the drift test therefore cannot check.
import type * as Rust from "./generated";
import type { Status } from "./generated";

export type * from "./generated";

export const STATUSES: Status[] = ["new", "under_review", "escalated", "dismissed"];
export const STATUS_LABEL: Record<Status, string> = {
  new: "New",
  under_review: "Under review",
  escalated: "Escalated",
  dismissed: "Dismissed",
};

export const HARM_LABEL = ["Not recorded", "No harm", "Low", "Moderate", "Severe", "Death"];

/**
 * The `settings` argument of `start_train`: a Rust `TrainRequest` without its method and
 * name, which the command takes as arguments of their own and puts in.
 */
export type TrainSettings = Omit<Rust.TrainRequest, "method" | "name">;

/** A job's result is a JSON object its job kind defines (a run id, counts, an evaluation id). */
export interface JobSnapshot extends Omit<Rust.JobSnapshot, "result"> {
  result: Record<string, unknown> | null;
}

/** A trained model's `training.json`, as the trainers write it. */
export interface TrainingRecord {
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
    /** adaptation: how two spans of each held-out report found each other (mean
     * reciprocal rank), before training and for the weights kept; null when unjudged. */
    held_out_spans?: {
      reports: number; pairs: number; base: number; best: number; best_step: number; stopped_early: boolean;
      /** The base model's run whose clusters the kept weights had to keep, and the share of
       * each report's nearest neighbours in its cluster before training and for them. */
      structure_run: number; structure_base: number; structure_kept: number;
    } | null;
  };
}

export interface TrainedView extends Omit<Rust.TrainedView, "training"> {
  training: TrainingRecord;
}

/** A stopped training's `config`: the settings it resumes with, sent back to `start_train`. */
export interface PendingTraining extends Omit<Rust.PendingTraining, "config"> {
  config: TrainSettings & { epochs: number; seed: number };
}

export interface ModelsOverview extends Omit<Rust.ModelsOverview, "trained" | "pending"> {
  trained: TrainedView[];
  pending: PendingTraining[];
}

/**
 * The map as the window holds it: `map_data` answers with the engine's binary columns
 * (crates/engine/src/explore/map_binary.rs), read in place as typed arrays by `decodeMap`.
 */
/** A map's external ids, point by point (decoded when asked for). */
export interface ExternalIds {
  readonly length: number;
  at(i: number): string;
  /** The point of report `id`, if it is on the map. */
  find(id: string): number | undefined;
  has(id: string): boolean;
}

export interface MapView
  extends Omit<Rust.MapData, "external_id" | "x" | "y" | "cluster" | "category" | "harm" | "care_setting" | "day" | "month"> {
  /** Whether the second part (fields, external ids) has arrived; empty columns until it has. */
  detailsLoaded: boolean;
  /** Names the second part that goes with this first part. */
  detailsKey: string;
  ids: ExternalIds;
  /** The points' kd-tree in KDBush's layout, built by the engine; null when not sent. */
  spatialIndex: ArrayBuffer | null;
  /** Positions scaled into [-0.95, 0.95], as the scatterplot draws them. */
  x: Float32Array;
  y: Float32Array;
  cluster: Int32Array;
  category: Uint16Array;
  harm: Uint8Array;
  care_setting: Uint16Array;
  day: Int32Array;
  month: Uint16Array;
}

/** How an analysis chose HDBSCAN's minimum cluster size (`engine::cluster::Granularity`,
 * sent inside the run's free-form `params` as `granularity`): every size it tried. */
export type GranularityCandidate = { min_cluster_size: number; min_samples: number; validity: number; stability?: number | null; clusters: number; noise: number; largest: number };
export type GranularityChoice = { chosen_by: string; min_cluster_size: number; min_samples: number; fitted_share: number; candidates: GranularityCandidate[] };
