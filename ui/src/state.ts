// What the views share: the open project, the run on show, its map, the filters and the
// current search. Views subscribe to named changes instead of calling each other, and ask
// for another view's work (open a report in the panel, zoom the map) by emitting an
// intent that main.ts, the only module that knows every view, hands to the view that owns it.
import type { Filter, MapView, ProjectOverview, SearchHit } from "./api/types";

/** The app's views, one tab each in the header. */
export type ViewName = "overview" | "map" | "clusters" | "signals" | "label" | "models" | "evaluate" | "privacy" | "jobs";

/** What each topic carries: a change of shared state carries nothing (read `state`); an intent carries what to act on. */
export interface Topics {
  project: void;
  map: void;
  /** The map's first frame with its points is on screen. */
  "map-painted": void;
  /** The map's fields and external ids (its second part) have arrived. */
  "map-details": void;
  filter: void;
  search: void;
  selection: void;
  triage: void;
  /** The run's signals changed: computed anew, or one dismissed. */
  signals: void;
  jobs: void;
  /** Intent: switch to this view. */
  view: ViewName;
  /** Intent: open this report (external id) in the details panel. */
  "show-incident": string;
  /** Intent: open this cluster of the current run in the details panel. */
  "show-cluster": number;
  /** Intent: zoom the map to this report (external id) and mark it. */
  "focus-incident": string;
  /** Intent: zoom the map to this cluster and select its reports. */
  "focus-cluster": number;
  /** Intent: drop the lasso selection on the map. */
  "clear-selection": void;
  /** Intent: open this labelling session, reloading the list first (it may have just been made). */
  "open-session": number;
}

export type Topic = keyof Topics;
type Listener<T extends Topic> = (payload: Topics[T]) => void | Promise<void>;

export interface AppState {
  project: ProjectOverview | null;
  run: number | null;
  map: MapView | null;
  /** Point index of each external id on the map. */
  filter: Filter;
  search: { text: string; model: string; hits: SearchHit[] } | null;
  /** Points picked with the lasso. */
  selection: number[];
}

export const state: AppState = {
  project: null,
  run: null,
  map: null,
  filter: emptyFilter(),
  search: null,
  selection: [],
};

export function emptyFilter(): Filter {
  return { date_from: null, date_to: null, harm: [], care_setting: [], category: [] };
}

export function filterIsEmpty(f: Filter): boolean {
  return !f.date_from && !f.date_to && f.harm.length === 0 && f.care_setting.length === 0 && f.category.length === 0;
}

const listeners = new Map<Topic, Set<Listener<Topic>>>();

export function on<T extends Topic>(topic: T, fn: Listener<T>): void {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic)!.add(fn as Listener<Topic>);
}

/** Like `on`, for the next time only. */
export function once<T extends Topic>(topic: T, fn: Listener<T>): void {
  const wrapped: Listener<T> = (payload) => {
    listeners.get(topic)?.delete(wrapped as Listener<Topic>);
    return fn(payload);
  };
  on(topic, wrapped);
}

/**
 * Calls the topic's listeners at once, in the order they subscribed. The promise settles
 * when the async ones have finished, so an emitter that needs an intent's outcome (to show
 * its error, say) can await it; the rest ignore it.
 */
export function emit<T extends Topic>(topic: T, ...payload: Topics[T] extends void ? [] : [Topics[T]]): Promise<void> {
  const done = [...(listeners.get(topic) ?? [])].map((fn) => fn(payload[0] as Topics[T]));
  return Promise.all(done).then(() => undefined);
}

/** Settles once the current map's fields and external ids are in (at once when they are). */
export function mapDetails(): Promise<void> {
  if (!state.map || state.map.detailsLoaded) return Promise.resolve();
  return new Promise((done) => once("map-details", done));
}

export function setMap(map: MapView | null): void {
  state.map = map;
  state.selection = [];
  emit("map");
}

const EPOCH = Date.UTC(1970, 0, 1);
export const dayOf = (iso: string): number => Math.round((Date.parse(iso + "T00:00:00Z") - EPOCH) / 86_400_000);

/** Indexes of the map points the filter keeps (all of them when it is empty). */
export function filteredIndexes(): number[] | null {
  const m = state.map;
  const f = state.filter;
  // Until the fields arrive the map shows every report; their arrival applies the filter.
  if (!m || filterIsEmpty(f) || !m.detailsLoaded) return null;
  const from = f.date_from ? dayOf(f.date_from) : -Infinity;
  const to = f.date_to ? dayOf(f.date_to) : Infinity;
  const harm = new Set(f.harm);
  const settings = new Set(f.care_setting.map((s) => m.care_settings.indexOf(s)));
  const cats = new Set(f.category.map((s) => m.categories.indexOf(s)));
  const out: number[] = [];
  for (let i = 0; i < m.x.length; i++) {
    if (m.day[i] < from || m.day[i] > to) continue;
    if (harm.size && !harm.has(m.harm[i])) continue;
    if (settings.size && !settings.has(m.care_setting[i])) continue;
    if (cats.size && !cats.has(m.category[i])) continue;
    out.push(i);
  }
  return out;
}
