// Colour maps for the map's "colour by" choices. Categorical palettes are Tableau 20 (made
// for telling 20 classes apart); harm runs from green to dark red as reviewers read PD09.
import type { MapView, Status } from "../../api/types";
import { HARM_COLOURS, NOISE } from "../../palette";

const TABLEAU20 = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];
export const STATUS_COLOURS: Record<Status | "none", string> = {
  none: NOISE,
  new: "#2f6fb0",
  under_review: "#f2b33d",
  escalated: "#c62828",
  dismissed: "#9aa5ab",
};

export type ColourBy = "cluster" | "category" | "harm" | "care_setting" | "month" | "status" | "signal";

/** A cluster's signal as the map colours it: its kind, or dismissed. */
export type SignalState = "alarm" | "novelty" | "concentration" | "dismissed";
export const SIGNAL_COLOURS: Record<SignalState | "none" | "noise", string> = {
  noise: NOISE,
  none: "#b9c9d6",
  alarm: "#d62728",
  novelty: "#7b3fc4",
  concentration: "#f2a33d",
  dismissed: "#8a9499",
};

export const COLOUR_BY_LABEL: Record<ColourBy, string> = {
  cluster: "Cluster",
  category: "Incident type (IN05)",
  harm: "Degree of harm (PD09)",
  care_setting: "Care setting (RP02)",
  month: "Month",
  status: "Triage status",
  signal: "Signal (alarm, novelty, concentration)",
};

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  return "#" + pa.map((v, i) => Math.round(v + (pb[i] - v) * t).toString(16).padStart(2, "0")).join("");
}

export interface Encoding {
  codes: Float32Array;
  palette: string[];
  legend: { label: string; colour: string }[];
}

/** Integer codes per point (regl-scatterplot's categorical `valueA`) and their colours. */
export function encode(map: MapView, by: ColourBy, statusOf: Map<number, Status>, signalOf: Map<number, SignalState>): Encoding {
  const n = map.x.length;
  const codes = new Float32Array(n);
  switch (by) {
    case "cluster": {
      for (let i = 0; i < n; i++) codes[i] = map.cluster[i] < 0 ? 0 : 1 + (map.cluster[i] % TABLEAU20.length);
      return {
        codes,
        palette: [NOISE, ...TABLEAU20],
        legend: [{ label: "Noise (no cluster)", colour: NOISE }, { label: `${map.clusters.length} clusters, labelled on the map`, colour: TABLEAU20[0] }],
      };
    }
    case "harm": {
      for (let i = 0; i < n; i++) codes[i] = map.harm[i];
      const labels = ["Not recorded", "1 No harm", "2 Low", "3 Moderate", "4 Severe", "5 Death"];
      return { codes, palette: HARM_COLOURS, legend: labels.map((label, i) => ({ label, colour: HARM_COLOURS[i] })) };
    }
    case "category":
    case "care_setting": {
      const names = by === "category" ? map.categories : map.care_settings;
      const source = by === "category" ? map.category : map.care_setting;
      const palette = names.map((name, i) => (name === "(not recorded)" ? NOISE : TABLEAU20[i % TABLEAU20.length]));
      for (let i = 0; i < n; i++) codes[i] = source[i];
      return { codes, palette, legend: names.map((label, i) => ({ label, colour: palette[i] })) };
    }
    case "month": {
      const k = map.months.length;
      const palette = map.months.map((_, i) => mix("#d9ecf2", "#0b3c5d", k > 1 ? i / (k - 1) : 1));
      for (let i = 0; i < n; i++) codes[i] = map.month[i];
      const legend = k ? [{ label: map.months[0], colour: palette[0] }, { label: map.months[k - 1], colour: palette[k - 1] }] : [];
      return { codes, palette, legend };
    }
    case "status": {
      const order: (Status | "none")[] = ["none", "new", "under_review", "escalated", "dismissed"];
      for (let i = 0; i < n; i++) {
        const c = map.cluster[i];
        codes[i] = c < 0 ? 0 : order.indexOf(statusOf.get(c) ?? "new");
      }
      const labels = ["Noise", "New", "Under review", "Escalated", "Dismissed"];
      const palette = order.map((s) => STATUS_COLOURS[s]);
      return { codes, palette, legend: labels.map((label, i) => ({ label, colour: palette[i] })) };
    }
    case "signal": {
      const order: (SignalState | "none" | "noise")[] = ["noise", "none", "alarm", "novelty", "concentration", "dismissed"];
      for (let i = 0; i < n; i++) {
        const c = map.cluster[i];
        codes[i] = c < 0 ? 0 : order.indexOf(signalOf.get(c) ?? "none");
      }
      const labels = ["Noise", "No signal", "Count alarm", "Novel reports", "Concentration", "Signal dismissed"];
      const palette = order.map((s) => SIGNAL_COLOURS[s]);
      return { codes, palette, legend: labels.map((label, i) => ({ label, colour: palette[i] })) };
    }
  }
}
