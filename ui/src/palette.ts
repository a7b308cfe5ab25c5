// Colours that mean the same thing in more than one view: a harm level is drawn in one
// colour on the map and in a cluster's harm bar, so a reviewer reads them alike.
export const NOISE = "#c5cbce";
/** Indexed by PD09 harm level: 0 not recorded, 1 no harm .. 5 death; green to dark red. */
export const HARM_COLOURS = [NOISE, "#4c9a2a", "#a8c545", "#f2b33d", "#e0592a", "#8e1b1b"];
