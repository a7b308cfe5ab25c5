// A stand-in backend for browser tests and the map benchmark: answers the app's commands
// from a generated in-memory project, so the built UI runs in Chromium without Tauri.
// Loaded as an init script; reads globalThis.__FIXTURE_POINTS__ (default 2,000).
(() => {
  const N = globalThis.__FIXTURE_POINTS__ || 2000;
const CALLED = "Called Siobhan on 07700 900123.";
const XSS = '<img src=x onerror=alert(1)><script>window.__xss = 1</script>';
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const themes = [
    ["insulin", "missed", "dose"], ["fall", "bed", "night"], ["pressure", "ulcer", "heel"], ["wrong", "patient", "wristband"],
    ["discharge", "letter", "gp"], ["sepsis", "delay", "antibiotics"], ["epma", "transfer", "orders"], ["oxygen", "cylinder", "empty"],
    ["pump", "infusion", "alarm"], ["referral", "lost", "clinic"], ["staffing", "shift", "short"], ["allergy", "penicillin", "given"],
  ];
  const K = 30;
  const categories = ["Access, admission, transfer, discharge", "Clinical assessment", "Medication", "Patient accident", "Treatment, procedure"];
  const settings = ["Acute / general hospital", "Ambulance service", "Community nursing", "Mental health service"];
  const centres = Array.from({ length: K }, () => [gauss() * 8, gauss() * 8]);
  const map = { external_id: [], x: [], y: [], cluster: [], category: [], harm: [], care_setting: [], day: [], month: [] };
  const day0 = 19723; // 2024-01-01
  for (let i = 0; i < N; i++) {
    const noise = rand() < 0.05;
    const c = noise ? -1 : Math.floor(rand() * K);
    const [cx, cy] = noise ? [gauss() * 10, gauss() * 10] : centres[c];
    map.external_id.push(i === 0 ? "XSS-1" : `FX-${String(i).padStart(6, "0")}`);
    map.x.push(cx + gauss() * 0.6);
    map.y.push(cy + gauss() * 0.6);
    map.cluster.push(c);
    map.category.push(Math.floor(rand() * categories.length));
    const r = rand();
    map.harm.push(r < 0.6 ? 1 : r < 0.85 ? 2 : r < 0.95 ? 3 : r < 0.99 ? 4 : 5);
    map.care_setting.push(Math.floor(rand() * settings.length));
    const day = day0 + Math.floor(rand() * 730);
    map.day.push(day);
    const d = new Date(day * 86400000);
    map.month.push((d.getUTCFullYear() - 2024) * 12 + d.getUTCMonth());
  }
  // Positions scaled into [-0.95, 0.95] with one scale for both axes, as the engine sends them.
  {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < N; i++) [x0, x1, y0, y1] = [Math.min(x0, map.x[i]), Math.max(x1, map.x[i]), Math.min(y0, map.y[i]), Math.max(y1, map.y[i])];
    const half = Math.max(x1 - x0, y1 - y0, 1e-9) / 2;
    map.x = map.x.map((v) => Math.fround((0.95 * (v - (x0 + x1) / 2)) / half));
    map.y = map.y.map((v) => Math.fround((0.95 * (v - (y0 + y1) / 2)) / half));
  }
  const months = Array.from({ length: 24 }, (_, i) => `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`);
  const description = (i) => {
    if (i === 0) return XSS;
    const c = map.cluster[i];
    const t = themes[(c < 0 ? i : c) % themes.length];
    return `Report ${i}: ${t[0]} ${t[1]} on the ward; ${t[2]} noted by the nurse in charge. Escalated to the team.`;
  };
  const status = new Map();
  const history = new Map();
  let clusters = [];
  // The binary map last sent; an edit to the clusters makes it stale.
  let encodedMap = null;
  const rebuildClusters = () => {
    encodedMap = null;
    const by = new Map();
    for (let i = 0; i < N; i++) {
      const c = map.cluster[i];
      if (c < 0) continue;
      if (!by.has(c)) by.set(c, []);
      by.get(c).push(i);
    }
    clusters = [...by.entries()].map(([id, members]) => {
      const t = themes[id % themes.length];
      const harm = [0, 0, 0, 0, 0, 0];
      for (const i of members) harm[map.harm[i] - 1]++;
      const sx = members.reduce((s, i) => s + map.x[i], 0) / members.length;
      const sy = members.reduce((s, i) => s + map.y[i], 0) / members.length;
      return { id, members, keywords: [...t, `${t[0]} ${t[1]}`], harm, x: sx, y: sy };
    });
  };
  rebuildClusters();
  const preview = (i) => ({
    external_id: map.external_id[i],
    occurred_on: new Date(map.day[i] * 86400000).toISOString().slice(0, 10),
    category: categories[map.category[i]],
    harm: map.harm[i],
    care_setting: settings[map.care_setting[i]],
    description: description(i),
  });
  const indexOf = new Map(map.external_id.map((id, i) => [id, i]));
  // The analysis chose its minimum cluster size: the sizes it tried, as the engine records them.
  const candidates = [[15, 0.41, 0.69, 74, 0.097, 0.064], [30, 0.53, 0.78, 38, 0.079, 0.071], [45, 0.55, 0.93, K, 0.0, 0.104], [70, 0.47, 0.91, 26, 0.102, 0.104], [220, 0.06, 0.99, 3, 0.254, 0.522]]
    .map(([size, validity, stability, clusters, noise, largest]) => ({ min_cluster_size: size, min_samples: 10, validity, stability, clusters, noise: Math.round(noise * N), largest: Math.round(largest * N) }));
  const params = {
    method: { method: "hdbscan", min_cluster_size: 45, min_samples: 10, reduce_to: 5 },
    n_neighbors: 15,
    representation: { chosen_by: "evaluation", reason: "The project's evaluation 2 (benchmark category v1): Preferred: all-MiniLM-L6-v2, ahead of tfidf-lsa on kNN macro-F1 by +0.041 (95% interval +0.012 to +0.070; paired bootstrap p = 0.004).", evaluation_id: 2 },
    granularity: { chosen_by: "the most stable of HDBSCAN's labellings at 5 sizes (refitted on 4 random 80% subsamples), none holding over half the reports in one cluster", min_cluster_size: 45, min_samples: 10, fitted_share: 1, candidates },
  };
  const baseNoise = map.cluster.filter((c) => c < 0).length;
  const run = { id: 1, model: "all-MiniLM-L6-v2", method: "hdbscan", params, seed: 42, incidents: N, fitted: N, clusters: K, noise: baseNoise, noise_assigned: 0, parent_run_id: null, created_at: "2026-11-23T10:00:00Z" };
  // Noise given to the cluster of its nearest clustered point on the map when that point is
  // close, as the engine's assign_noise gives it by neighbours; remembered for the undo.
  let assignedNoise = [];
  const triage = () =>
    clusters
      .map((c) => {
        const graded = c.harm.slice(0, 5).reduce((a, b) => a + b, 0);
        const severe = c.harm[2] + c.harm[3] + c.harm[4];
        const share = graded ? severe / graded : 0;
        const recent = c.members.filter((i) => map.day[i] >= day0 + 640).length;
        const previous = c.members.filter((i) => map.day[i] >= day0 + 550 && map.day[i] < day0 + 640).length;
        const growth = (recent - previous) / Math.max(previous, 1);
        const decision = status.get(c.id) || null;
        return {
          cluster_id: c.id, size: c.members.length, keywords: c.keywords, representatives: c.members.slice(0, 5).map(preview),
          harm: c.harm, severe_share: share, recent, previous, growth, signal: clusterSignal(c.id),
          priority: Math.log(1 + c.members.length) * (1 + 4 * share),
          status: decision ? decision.status : "new", decision, x: c.x, y: c.y, origin: "run",
        };
      })
      .sort((a, b) => b.priority - a.priority);
  const passes = (i, f) => {
    const date = preview(i).occurred_on;
    if (f.date_from && date < f.date_from) return false;
    if (f.date_to && date > f.date_to) return false;
    if (f.harm.length && !f.harm.includes(map.harm[i])) return false;
    if (f.care_setting.length && !f.care_setting.includes(settings[map.care_setting[i]])) return false;
    return true;
  };
  // The points' kd-tree in KDBush's layout (format 1, Float32Array coordinates, 16 rows a
  // leaf), as the engine builds it (crates/engine/src/cluster/map/spatial.rs): each node of
  // more than 16 rows has its middle row in place on the node's axis, axes taking turns.
  const spatialIndex = (xs, ys) => {
    const n = xs.length;
    const wide = n >= 65536;
    const idBytes = n * (wide ? 4 : 2);
    const coordsAt = 8 + idBytes + ((8 - (idBytes % 8)) % 8);
    const buf = new ArrayBuffer(coordsAt + 8 * n);
    const view = new DataView(buf);
    view.setUint8(0, 0xdb);
    view.setUint8(1, 0x17);
    view.setUint16(2, 16, true);
    view.setUint32(4, n, true);
    const ids = wide ? new Uint32Array(buf, 8, n) : new Uint16Array(buf, 8, n);
    const coords = new Float32Array(buf, coordsAt, 2 * n);
    for (let i = 0; i < n; i++) [ids[i], coords[2 * i], coords[2 * i + 1]] = [i, xs[i], ys[i]];
    const swap = (a, b) => {
      [ids[a], ids[b]] = [ids[b], ids[a]];
      [coords[2 * a], coords[2 * b]] = [coords[2 * b], coords[2 * a]];
      [coords[2 * a + 1], coords[2 * b + 1]] = [coords[2 * b + 1], coords[2 * a + 1]];
    };
    // Quickselect: rows left..k-1 at most row k's coordinate, rows k+1..right at least.
    const select = (k, left, right, axis) => {
      while (right > left) {
        swap((left + right) >> 1, right);
        const pivot = coords[2 * right + axis];
        let store = left;
        for (let i = left; i < right; i++) if (coords[2 * i + axis] < pivot) swap(i, store++);
        swap(store, right);
        if (store === k) return;
        if (store < k) left = store + 1;
        else right = store - 1;
      }
    };
    const sort = (left, right, axis) => {
      if (right - left <= 16) return;
      const m = (left + right) >> 1;
      select(m, left, right, axis);
      sort(left, m - 1, 1 - axis);
      sort(m + 1, right, 1 - axis);
    };
    sort(0, n - 1, 0);
    return new Uint8Array(buf);
  };
  // The map as the app's `map_data` sends it: the engine's binary columns (layout in
  // crates/engine/src/cluster/map/binary.rs), so the UI's decoder is what these tests run.
  const encodeMap = (m) => {
    const utf8 = new TextEncoder();
    const n = m.x.length;
    const up = (v, to) => Math.ceil(v / to) * to;
    // The second part: "IADET\x02\0\0", a 32-byte key, then the fields and the ids.
    const ids = m.external_id.map((id) => utf8.encode(id));
    const idBytes = ids.reduce((t, b) => t + b.length, 0);
    const harmAt = up(40 + 14 * n, 4);
    const idsAt = up(harmAt + n, 4);
    const details = new ArrayBuffer(idsAt + idBytes);
    const d = new Uint8Array(details);
    d.set(utf8.encode("IADET\x02\0\0"), 0);
    new Int32Array(details, 40, n).set(m.day);
    const ends = new Uint32Array(details, 40 + 4 * n, n);
    let end = 0;
    ids.forEach((b, i) => {
      d.set(b, idsAt + end);
      ends[i] = end += b.length;
    });
    new Uint16Array(details, 40 + 8 * n, n).set(m.category);
    new Uint16Array(details, 40 + 10 * n, n).set(m.care_setting);
    new Uint16Array(details, 40 + 12 * n, n).set(m.month);
    d.set(m.harm, harmAt);
    // The engine's key is the SHA-256 of the columns; the window compares keys rather than
    // recomputing them, so a cheap 32-byte digest of the same bytes stands in for it here.
    const key = new Uint8Array(32);
    for (let i = 40; i < d.length; i++) key[i & 31] = (key[i & 31] * 31 + d[i] + (i >> 5)) & 0xff;
    d.set(key, 8);
    const hex = [...key].map((b) => b.toString(16).padStart(2, "0")).join("");
    // The first part: header, positions, clusters and the spatial index.
    const spatial = spatialIndex(m.x, m.y);
    const header = utf8.encode(JSON.stringify({ run: m.run, categories: m.categories, care_settings: m.care_settings, months: m.months, clusters: m.clusters, points: n, ascii_ids: m.external_id.every((id) => /^[\x00-\x7f]*$/.test(id)), spatial_index_bytes: spatial.length, details_key: hex }));
    const start = up(12 + header.length, 8);
    const spatialAt = up(start + 12 * n, 8);
    const points = new ArrayBuffer(up(spatialAt + spatial.length, 8));
    const p = new Uint8Array(points);
    p.set(utf8.encode("IAMAP\x02\0\0"), 0);
    new DataView(points).setUint32(8, header.length, true);
    p.set(header, 12);
    new Float32Array(points, start, n).set(m.x);
    new Float32Array(points, start + 4 * n, n).set(m.y);
    new Int32Array(points, start + 8 * n, n).set(m.cluster);
    p.set(spatial, spatialAt);
    return { points, details };
  };
  const encoded = () => (encodedMap ??= encodeMap({ run, ...map, categories: [...categories, "(not recorded)"], care_settings: [...settings, "(not recorded)"], months, clusters: clusters.map((c) => ({ cluster_id: c.id, size: c.members.length, keywords: c.keywords, x: c.x, y: c.y })) }));
  const listeners = new Map();
  const emit = (event, payload) => (listeners.get(event) || []).forEach((h) => h(payload));
  const jobs = [];
  let nextJob = 1;
  let nextCluster = K;
  // Signals: none until start_signals has run (a job, as in the app); then an alarm on the
  // e-prescribing cluster (6) and on it in one care setting, a group of novel reports, and a
  // concentration. Dismissals are kept with the audit entries they would append.
  const signals = { computed: false, dismissed: new Map(), audit: [] };
  const weekStarts = Array.from({ length: 26 }, (_, i) => new Date(Date.UTC(2025, 5, 23) + i * 7 * 86400000).toISOString().slice(0, 10));
  const seriesWeeks = (base, spike) => weekStarts.map((w, i) => {
    const late = i >= 24;
    const observed = late ? spike[i - 24] : base + (i % 3);
    const expected = i < 4 ? null : base + 1;
    const upper = expected === null ? null : expected + 4.5;
    return { week_start: w, observed, expected, upper, score: upper === null ? null : (observed - expected) / (upper - expected), alarm: late, method: i < 4 ? null : i < 12 ? "cusum" : "noufaily" };
  });
  const clusterSignal = (cluster) => {
    if (!signals.computed) return null;
    const d = (kind) => (signals.dismissed.get(`${cluster}|${kind}`) ?? "") >= weekStarts[25];
    if (cluster === 6) return { kind: "alarm", reason: "19 reports in the week of 15 Dec 2025, expected 4.0, upper bound 8.5 (cluster 6, noufaily)", week: weekStarts[25], strength: 3.4, dismissed: d("alarm") };
    if (cluster === 9) return { kind: "concentration", reason: "7 of cluster 9's 12 recent reports are in care setting Ambulance service, 1.9 expected (IC025 0.62)", week: weekStarts[25], strength: 0, dismissed: d("concentration") };
    return null;
  };
  const signalsView = (run) => {
    const empty = { run_id: run, computed_at: null, current: false, by: "occurred", monitored: null, last_date: null, alarms: [], novel_groups: [], novelty: null, concentrations: [], topics: { months: [], clusters: [] }, keywords: [], cluster_signals: [] };
    if (!signals.computed) return empty;
    const c6 = clusters.find((c) => c.id === 6);
    const reports = c6.members.slice(0, 8).map(preview);
    const alarmOf = (series, title, weeks, cluster) => ({
      series, title, cluster, reason: `${weeks[25].observed} reports in the week of 15 Dec 2025, expected 4.0, upper bound 8.5 (${title}, noufaily)`,
      latest_week: weekStarts[25], alarm_weeks: [weekStarts[24], weekStarts[25]], max_score: 3.4, recent: true,
      dismissed: clusterSignal(6).dismissed, dismissable: !clusterSignal(6).dismissed, weeks,
      detectors: ["cusum: in-control mean 3.00 from 8 week(s), k 0.5, h 4, dispersion 1.00, reset after an alarm (2025-07-28 to 2025-09-15)", "noufaily: 1 year(s) back, window ±3 weeks (2025-09-22 to 2025-12-15)"],
      reports,
    });
    const dismissedConc = clusterSignal(9).dismissed;
    return {
      run_id: run, computed_at: "2026-12-06T10:00:00Z", current: true, by: "reported", monitored: [weekStarts[0], weekStarts[25]], last_date: "2025-12-21",
      alarms: [
        alarmOf({ kind: "cluster", cluster: 6 }, "cluster 6", seriesWeeks(3, [14, 19]), 6),
        alarmOf({ kind: "stratum", cluster: 6, field: "care_setting", value: settings[0] }, `cluster 6 in care setting ${settings[0]}`, seriesWeeks(1, [9, 12]), 6),
      ],
      novel_groups: [{ group: { incident_ids: [11, 12, 13], first_date: "2025-12-09", last_date: "2025-12-18", weekly: [0, 0, 0, 0, 0, 0, 1, 2], clusters: [[6, 2], [-1, 1]], representative: preview(c6.members[0]), reason: "3 reports since 9 Dec 2025 unlike any earlier report" }, signal_cluster: null, dismissed: false, dismissable: false }],
      novelty: "3 of 412 reports since 2025-10-27 are further from every earlier report than 0.412 (cosine distance), in 1 group(s)",
      concentrations: [{ cluster: 9, field: "care_setting", value: settings[1], observed: 7, expected: 1.9, ic025: 0.62, reason: clusterSignal(9).reason, dismissed: dismissedConc, dismissable: !dismissedConc }],
      topics: { months: months.slice(12), clusters: clusters.slice(0, 8).map((c) => ({ cluster: c.id, total: c.members.length, counts: months.slice(12).map((_, m) => c.members.filter((i) => map.month[i] === 12 + m).length) })) },
      keywords: clusters.map((c) => [c.id, c.keywords]),
      cluster_signals: clusters.flatMap((c) => (clusterSignal(c.id) ? [[c.id, clusterSignal(c.id)]] : [])),
    };
  };

  // The first run: without a project (globalThis.__FIXTURE_NO_PROJECT__), the project's
  // commands answer "no project" until a first run made one. The file the dialog "picks"
  // is one of three canned previews (globalThis.__FIXTURE_IMPORT__: "good", "bad" or
  // "ambiguous"), shaped as engine::ingest::preview_file gives them; the engine's own tests
  // check the previews themselves, these check what the page makes of them.
  let projectOpen = !globalThis.__FIXTURE_NO_PROJECT__;
  const firstRun = { previews: [], started: [] };
  const CHOICES = [["id", "Report id (RP01)", false], ["date", "Incident date (IN01)", true], ["description", "What happened (IN07)", true], ["causes", "Causes (IN11)", false], ["actions", "Actions taken (IN10)", false], ["category", "Incident category (IN05)", false], ["harm", "Degree of harm (PD09)", false], ["care_setting", "Care setting (RP02)", false], ["specialty", "Specialty (PD05)", false], ["location", "Location (IN03)", false], ["reported", "Date reported", false], ["extra", "Keep as an extra column", false], ["ignore", "Leave out", false]].map(([target, label, required]) => ({ target, label, required }));
  const importPreview = (choices) => {
    const scenario = globalThis.__FIXTURE_IMPORT__ || "good";
    const chosen = new Map(choices.map((c) => [c.column, c.target]));
    const col = (name, detected, fallback = detected ?? "extra") => ({ name, target: chosen.get(name) ?? fallback, detected, chosen: chosen.has(name) });
    const base = { file_name: `${scenario}.csv`, format: "csv", bytes: 4096, choices: CHOICES };
    if (scenario === "ambiguous") {
      const columns = [col("RP01 Report id", "id"), col("IN01 Incident date", "date"), col("IN07 Description", "description"), col("Incident description", "description", "extra")];
      const rows = [["A1", "2024-01-01", "Fell from bed", "Patient fell from bed at night"], ["A2", "2024-01-02", "Wrong dose", "Insulin given twice"]];
      // As the engine: a column wants its chosen field, else its detected one; the second
      // column wanting a field is set aside (extra) and the conflict named.
      const described = columns.filter((c) => (chosen.get(c.name) ?? c.detected) === "description");
      const problem = described.length > 1
        ? `columns "${described[0].name}" and "${described[1].name}" both look like the description field: choose which one it is, and set the other to another field, extra or leave out`
        : described.length === 0 ? `no column is set to the required field 'description'; the columns are ${columns.map((c) => `"${c.name}"`).join(", ")}: choose the one that holds it` : null;
      return { ...base, columns, rows, mapping_problem: problem, check: problem ? null : { good: 2, bad: 0, problems: [] } };
    }
    const columns = [col("RP01 Report id", "id"), col("IN01 Incident date", "date"), col("IN07 Description", "description"), col("PD09 Degree of harm", "harm"), col("Ward", null)];
    const rows = Array.from({ length: 8 }, (_, i) => [`R${i + 1}`, `2024-02-0${(i % 9) + 1}`, `Report ${i + 1} text`, String((i % 5) + 1), `Ward ${i}`]);
    if (scenario === "bad") {
      const problems = [12, 22, 32, 42, 57].map((line, i) => ({ line, external_id: `R${line - 1}`, problems: [{ column: i % 2 ? "IN07 Description" : "IN01 Incident date", reason: i % 2 ? "is empty; the description is required" : "'2024-13-45' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)" }] }));
      return { ...base, columns, rows, mapping_problem: null, check: { good: 45, bad: problems.length, problems } };
    }
    return { ...base, columns, rows, mapping_problem: null, check: { good: 50, bad: 0, problems: [] } };
  };

  const handlers = {
    choose_import_file: () => {
      const p = importPreview([]);
      firstRun.previews.push([]);
      return p;
    },
    preview_import: ({ choices }) => {
      firstRun.previews.push(choices);
      return importPreview(choices);
    },
    start_first_run: ({ choices, skipBad, model }) => {
      firstRun.started.push({ choices, skipBad, model });
      const id = nextJob++;
      const job = { id, kind: "first-run", title: "New project from good.csv", state: "running", phase: "importing", position: 0, total: 50, started_at: "", finished_at: null, seconds: 0, log: [], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      const phases = [["importing", 50], ["encoding", 50], ["clustering", 0]];
      phases.forEach(([phase, total], i) => setTimeout(() => emit("job", { ...job, phase, position: total, total }), 30 * (i + 1)));
      setTimeout(() => {
        projectOpen = true;
        Object.assign(job, { state: "succeeded", result: { run: 1, clusters: K, encoded: N } });
        emit("job", { ...job });
      }, 150);
      return id;
    },
    recent_projects: () => [
      { path: "/home/reviewer/falls-2025", name: "falls-2025", opened_at: "2026-12-01T09:00:00Z", available: true },
      { path: "/media/usb/old-project", name: "old-project", opened_at: "2026-11-01T09:00:00Z", available: false },
    ],
    open_recent: ({ index }) => {
      if (index !== 0) throw { kind: "invalid", message: "that project is no longer in the list, or no longer there" };
      projectOpen = true;
      return handlers.project_overview();
    },
    about: () => ({ version: "0.1.0", default_model: "all-MiniLM-L6-v2", models: [{ name: "all-MiniLM-L6-v2", folder: "/usr/share/incident-atlas/models/all-MiniLM-L6-v2" }], licence: "MIT", model_licence: "all-MiniLM-L6-v2: Apache License 2.0", notices: "/usr/share/doc/incident-atlas/" }),
    project_overview: () => ({
      path: "/fixture/project",
      reviewer: "fixture.reviewer",
      stats: { incidents: N, first_date: "2024-01-01", last_date: "2025-12-31", rejected_rows: 0, datasets: [{ id: 1, name: "fixture.csv", imported_at: "2026-11-23T09:00:00Z" }], by_category: categories.map((value) => ({ value, count: Math.round(N / 5) })), by_harm: [], by_care_setting: [], by_specialty: [], by_month: [] },
      models: [{ id: 1, name: "all-MiniLM-L6-v2", kind: "transformer", dimension: 384, vectors: N }],
      latest_run: 1,
      encryption: null,
    }),
    list_runs: () => [run],
    // Encoded once until an edit changes the map, as the engine keeps each run's map file:
    // a million-point fixture would otherwise spend seconds here that the app does not.
    // A test may damage either part (globalThis.__DAMAGE_MAP__, __DAMAGE_DETAILS__: buffer
    // -> buffer) to see the window refuse it.
    map_data: () => (globalThis.__DAMAGE_MAP__ ?? ((b) => b))(encoded().points),
    map_details: () => (globalThis.__DAMAGE_DETAILS__ ?? ((b) => b))(encoded().details),
    cluster_triage: () => triage(),
    signals_view: ({ run }) => signalsView(run),
    start_signals: ({ run }) => {
      const id = nextJob++;
      const job = { id, kind: "signals", title: `Signals of run ${run}`, state: "running", phase: "", position: 0, total: 0, started_at: "", finished_at: null, seconds: 0, log: [], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      setTimeout(() => emit("job", { ...job }), 20);
      setTimeout(() => {
        signals.computed = true;
        Object.assign(job, { state: "succeeded", result: { run, alarms: 4 } });
        emit("job", { ...job });
      }, 150);
      return id;
    },
    dismiss_signal: ({ run, cluster, kind, note }) => {
      const current = clusterSignal(cluster);
      if (!current || current.kind !== kind || current.dismissed) throw { kind: "invalid", message: `cluster ${cluster} of run ${run} has no ${kind} signal now` };
      signals.dismissed.set(`${cluster}|${kind}`, current.week);
      signals.audit.push({ action: "signal_dismiss", run, cluster, kind, through_week: current.week, note });
      return { cluster_id: cluster, kind, through_week: current.week, note, author: "fixture.reviewer", created_at: "2026-12-06T10:05:00Z" };
    },
    set_cluster_status: ({ cluster, status: s, note }) => {
      const d = { status: s, note: note.trim(), updated_by: "fixture.reviewer", updated_at: "2026-11-23T10:05:00Z" };
      status.set(cluster, d);
      if (!history.has(cluster)) history.set(cluster, []);
      history.get(cluster).push({ run_id: 1, status: s, note: d.note, author: d.updated_by, created_at: d.updated_at });
      return d;
    },
    cluster_history: ({ cluster }) => history.get(cluster) || [],
    merge_clusters: ({ clusters: ids }) => {
      const id = nextCluster++;
      for (let i = 0; i < N; i++) if (ids.includes(map.cluster[i])) map.cluster[i] = id;
      rebuildClusters();
      return { edit_id: 1, new_clusters: [id] };
    },
    assign_noise: () => {
      const noise = [];
      for (let i = 0; i < N; i++) if (map.cluster[i] < 0) noise.push(i);
      const before = noise.length;
      const moves = [];
      for (const i of noise) {
        let best = -1;
        let bestD = 0.05 * 0.05;
        for (let j = 0; j < N; j++) {
          if (map.cluster[j] < 0) continue;
          const d = (map.x[i] - map.x[j]) ** 2 + (map.y[i] - map.y[j]) ** 2;
          if (d < bestD) [best, bestD] = [j, d];
        }
        if (best >= 0) moves.push([i, map.cluster[best]]);
      }
      for (const [i, c] of moves) map.cluster[i] = c;
      assignedNoise.push(...moves.map(([i]) => i));
      run.noise_assigned = assignedNoise.length;
      if (moves.length) rebuildClusters();
      return { edit: moves.length ? { edit_id: 3, new_clusters: [] } : null, moved: moves.length, noise_before: before, noise_after: before - moves.length };
    },
    unassign_noise: () => {
      if (!assignedNoise.length) throw { kind: "invalid", message: "run 1 has no noise reports assigned to a cluster to move back" };
      const before = map.cluster.filter((c) => c < 0).length;
      for (const i of assignedNoise) map.cluster[i] = -1;
      const moved = assignedNoise.length;
      assignedNoise = [];
      run.noise_assigned = 0;
      rebuildClusters();
      return { edit: { edit_id: 4, new_clusters: [] }, moved, noise_before: before, noise_after: before + moved };
    },
    split_cluster: ({ cluster, incidents }) => {
      const id = nextCluster++;
      const moved = new Set(incidents || []);
      let flip = false;
      for (let i = 0; i < N; i++) if (map.cluster[i] === cluster && (incidents ? moved.has(map.external_id[i]) : (flip = !flip))) map.cluster[i] = id;
      rebuildClusters();
      return { edit_id: 2, new_clusters: [id] };
    },
    incident_previews: ({ ids }) => ids.filter((id) => indexOf.has(id)).map((id) => preview(indexOf.get(id))),
    incident_detail: ({ id }) => {
      const i = indexOf.get(id);
      if (i === undefined) throw { kind: "invalid", message: `no incident with id ${id} in this project` };
      const p = preview(i);
      const c = map.cluster[i];
      const cl = clusters.find((x) => x.id === c);
      const similar = (cl ? cl.members : []).filter((j) => j !== i).slice(0, 10).map((j) => ({ ...preview(j), similarity: 0.9 - 0.01 * j / N }));
      return {
        ...p, causes: i === 0 ? XSS : "Busy shift.", actions: i === 0 ? CALLED : "Shared at the safety huddle.", specialty: "General medicine", location: "Ward 7",
        extra: i === 0 ? { "<b>column</b>": XSS } : {}, dataset: "fixture.csv", source_line: i + 2,
        cluster: { run_id: 1, cluster_id: c, keywords: cl ? cl.keywords : [], size: cl ? cl.members.length : 0, status: cl && status.get(c) ? status.get(c).status : null },
        similar, similar_unavailable: null,
        // As the engine gives it: UTF-16 offsets. The first is inside markup-like text.
        personal: i === 0
          ? { description: [], causes: [{ start: 0, end: 8, kind: "person", token: "[PERSON]" }], actions: [{ start: 7, end: 14, kind: "person", token: "[PERSON]" }, { start: 18, end: 30, kind: "phone", token: "[PHONE]" }] }
          : { description: [], causes: [], actions: [] },
      };
    },
    search_incidents: ({ text, filter, k }) => {
      const words = text.toLowerCase().split(/\W+/);
      const hits = [];
      for (let i = 0; i < N && hits.length < k; i++) {
        const d = description(i).toLowerCase();
        if (words.some((w) => w && d.includes(w)) && passes(i, filter)) hits.push({ ...preview(i), similarity: 0.8 });
      }
      return hits;
    },
    list_jobs: () => jobs,
    cancel_job: () => false,
    open_project: () => null,
    unlock_project: () => {
      throw { kind: "wrong_passphrase", message: "the passphrase given does not open it; nothing was changed" };
    },
    create_encrypted_project: () => null,
    start_import: () => null,
    start_vectors_import: ({ model }) => { throw { kind: "invalid", message: `the fixture has no Spark output for ${model}` }; },
    start_index_import: ({ model }) => { throw { kind: "invalid", message: `the fixture has no index shards for ${model}` }; },
    start_encode: ({ model }) => {
      const id = nextJob++;
      const job = { id, kind: "encode", title: `Encode with ${model}`, state: "running", phase: "encoding", position: 0, total: 100, started_at: "", finished_at: null, seconds: 0, log: ["started"], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      let step = 0;
      const tick = () => {
        step += 25;
        job.position = step;
        job.seconds += 0.1;
        if (step >= 100) { job.state = "succeeded"; job.log.push("finished"); }
        emit("job", { ...job, log: [...job.log] });
        if (step < 100) setTimeout(tick, 30);
      };
      setTimeout(tick, 30);
      return id;
    },
    start_analyse: () => { throw { kind: "invalid", message: "the fixture cannot analyse" }; },
    start_assign: () => { throw { kind: "invalid", message: "the fixture cannot assign" }; },
  };
  // Labelling: one reviewer (an adjudicator), one label set, one six-report session.
  const me = { id: 1, name: "fixture.reviewer", role: "adjudicator" };
  const schema = {
    id: 1, name: "incident type", version: 1, multi: false,
    labels: [
      { name: "medication", guideline: "Doses, drugs, prescribing, administration." },
      { name: "falls", guideline: "Any fall or near-fall." },
      { name: "other", guideline: "Anything else." },
    ],
  };
  const sessionItems = new Map([[1, map.external_id.slice(1, 7)]]);
  const sessions = [{ id: 1, name: "pilot", schema, target: { kind: "all" }, strategy: { kind: "random" }, coders_per_item: 1, seed: 42, model: "all-MiniLM-L6-v2", proposed: null, items: 6, created_by: me.name, created_at: "2026-11-23T10:00:00Z" }];
  const labelActs = []; // { id, session, item, value, undone }
  const inForce = (session, item) => [...labelActs].reverse().find((a) => a.session === session && a.item === item && !a.undone);
  Object.assign(handlers, {
    review_overview: () => ({ me, reviewers: [me], sessions: [...sessions].reverse(), schemas: [schema] }),
    choose_reviewer: ({ name }) => ({ ...me, name }),
    session_items: ({ session }) => sessionItems.get(session).map((id, position) => ({ position, external_id: id, mine: inForce(session, id)?.value ?? null, coders: inForce(session, id) ? 1 : 0 })),
    label_cluster: ({ cluster, label }) => {
      const id = sessions.length + 1;
      const members = map.external_id.filter((_, i) => map.cluster[i] === cluster);
      sessionItems.set(id, members);
      const s = { ...sessions[0], id, name: `Cluster ${cluster} (run 1) as ${label}`, proposed: [label], items: members.length };
      sessions.push(s);
      return s;
    },
    create_session: ({ spec }) => {
      globalThis.__FIXTURE__.lastSpec = spec;
      const pool = map.external_id.filter((_, i) =>
        spec.target.kind === "cluster" ? map.cluster[i] === spec.target.cluster : spec.target.kind === "filter" ? passes(i, spec.target.filter) : true);
      const id = sessions.length + 1;
      sessionItems.set(id, pool.slice(0, spec.count));
      const s = { ...sessions[0], id, name: spec.name, proposed: null, items: Math.min(spec.count, pool.length), coders_per_item: spec.coders_per_item };
      sessions.push(s);
      return s;
    },
    record_label: ({ session, id, labels }) => {
      if (labels.some((l) => !schema.labels.find((x) => x.name === l))) throw { kind: "review", message: "not a label" };
      const act = { id: labelActs.length + 1, session, item: id, value: labels, undone: false };
      labelActs.push(act);
      globalThis.__FIXTURE__.labelActs = labelActs;
      return { label_id: act.id, external_id: id, value: labels };
    },
    undo_label: () => {
      const last = [...labelActs].reverse().find((a) => !a.undone && inForce(a.session, a.item) === a);
      if (!last) return null;
      last.undone = true;
      return last.item;
    },
    label_suggestion: () => ({ label: "falls", confidence: 0.7, neighbours: 10 }),
    session_agreement: () => ({ session: 1, items: 0, alpha: null, ac1: null, fleiss: null, pairs: [], per_label: [], disagreements: [] }),
  });

  // Evaluation: one field-derived benchmark, evaluations made by start_evaluate.
  const benchmarks = [{ id: 1, name: "field-category", version: 1, source: "field", derived_from: "category", labels: 5, items: 1200, content_sha256: "ab".repeat(32), created_by: "fixture.reviewer", created_at: "2026-11-23T10:00:00Z" }];
  const evaluations = [];
  const est = (v, w = 0.03) => ({ value: v, low: v - w, high: v + w });
  const chart = (name, colour) => "data:image/svg+xml;base64," + btoa(`<svg xmlns="http://www.w3.org/2000/svg" width="480" height="240"><rect width="480" height="240" fill="white"/><rect x="40" y="40" width="160" height="160" fill="${colour}"/><text x="220" y="120">${name}</text></svg>`);
  const results = (benchmark, models) => ({
    spec: { benchmark, k: 10, folds: 5, resamples: 1000, seed: 42 },
    benchmark: { name: benchmark, version: 1, source: "field", derived_from: "category", labels: [...categories.slice(0, 4), XSS], label_counts: [300, 300, 200, 200, 200], content_sha256: "ab".repeat(32) },
    items: 1200, items_missing: 0, items_unencoded: 0,
    models: models.map((m, i) => ({
      model: m, kind: i ? "tfidf-lsa" : "transformer", dimension: i ? 256 : 384, queries: 1200,
      precision_at_k: est(0.62 - 0.1 * i), map_at_k: est(0.55 - 0.1 * i), knn_macro_f1: est(0.71 - 0.12 * i), knn_accuracy: est(0.74 - 0.1 * i),
      logistic_macro_f1: est(0.69 - 0.1 * i), logistic_accuracy: est(0.72 - 0.1 * i),
      runs: i ? [] : [{ run_id: 1, method: "hdbscan", clusters: 30, items: 1200, adjusted_rand: est(0.3), nmi: est(0.5), homogeneity: est(0.5), completeness: est(0.5), v_measure: est(0.5), noise_fraction: 0.1 }],
      notes: [],
    })),
    slices: [{ dimension: "care_setting", value: XSS, items: 300, models: models.map((m, i) => ({ model: m, knn_macro_f1: est(0.6 - 0.1 * i), map_at_k: est(0.5) })) }],
    paired: models.length > 1 ? [{ metric: "knn_macro_f1", better: models[0], other: models[1], difference: est(0.12, 0.02), p_value: 0.002, resamples: 1000 }] : [],
    best_model: models[0],
    provenance: { dataset_sha256: "cd".repeat(32), incidents: N, software: "incident-atlas 0.1.0" },
  });
  Object.assign(handlers, {
    evaluation_overview: () => ({ benchmarks: [...benchmarks].reverse(), evaluations: [...evaluations].reverse().map((e) => ({ id: e.id, benchmark: e.results.benchmark.name, version: 1, models: e.results.models.map((m) => m.model), best_model: e.results.best_model, items: 1200, created_at: e.created_at, created_by: "fixture.reviewer" })), models: ["all-MiniLM-L6-v2", "tfidf-lsa"] }),
    derive_benchmark: ({ field, name }) => {
      const b = { ...benchmarks[0], id: benchmarks.length + 1, name: name || `field-${field}`, derived_from: field };
      benchmarks.push(b);
      return { format: "incident-atlas-benchmark/1", name: b.name, version: 1, source: "field", derived_from: field, labels: ["a", "b"], multi: false, content_sha256: b.content_sha256, items: b.items };
    },
    start_evaluate: ({ benchmark, models }) => {
      globalThis.__FIXTURE__.lastEvaluate = { benchmark, models };
      const id = nextJob++;
      const evaluation = evaluations.length + 1;
      const job = { id, kind: "evaluate", title: `Evaluate on ${benchmark}`, state: "running", phase: "reading vectors", position: 0, total: models.length, started_at: "", finished_at: null, seconds: 0, log: ["started"], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      setTimeout(() => emit("job", { ...job }), 20);
      setTimeout(() => {
        evaluations.push({ id: evaluation, created_at: "2026-11-23T11:00:00Z", results: results(benchmark, models) });
        Object.assign(job, { state: "succeeded", position: models.length, result: { evaluation, best_model: models[0] } });
        emit("job", { ...job });
      }, 80);
      return id;
    },
    evaluation_detail: ({ id }) => {
      const e = evaluations.find((x) => x.id === id);
      if (!e) throw { kind: "evaluate", message: `no evaluation ${id}` };
      return { id, created_at: e.created_at, created_by: "fixture.reviewer", report: `/fixture/project/reports/evaluation-${id}/report.html`, verdict: "Preferred: all-MiniLM-L6-v2, ahead of tfidf-lsa on kNN macro-F1 by +0.120 (95% interval +0.100 to +0.140; paired bootstrap p = 0.002).", results: e.results, charts: [{ name: "metrics", src: chart("metrics", "#1f77b4") }, { name: "slices", src: chart("slices", "#2ca02c") }] };
    },
    export_report: ({ id }) => `/home/reviewer/evaluation-${id}.html`,
  });

  // Models: one word-vector model trained already, and one stopped training.
  const lossChart = "data:image/svg+xml;base64," + btoa('<svg xmlns="http://www.w3.org/2000/svg" width="900" height="420"><rect width="900" height="420" fill="white"/><polyline points="0,50 300,250 900,300" stroke="#1f77b4" fill="none" stroke-width="4"/></svg>');
  const trainedModel = (name, seconds) => ({
    name, method: "wordvec", loss_chart: lossChart,
    training: { method: "wordvec", fields: "description", config: { dimension: 100, epochs: 5, seed: 42 },
      report: { documents: N, vocabulary: 1386, tokens: 148000, seconds, tokens_per_second: 148000 / seconds, documents_per_second: N / seconds, final_loss: 1.3067, resumed_from: null } },
  });
  const setfit = {
    name: "minilm-setfit", method: "supervised", loss_chart: lossChart,
    training: { method: "supervised", fields: "description", config: { epochs: 1, seed: 42, batch_size: 16 },
      trained_on: { benchmark: "demo-category", version: 1, external_ids: ["IA-0000001"] },
      report: { benchmark: "demo-category", train_reports: 240, held_out_reports: 4760, pairs: 960, steps: 60, seconds: 215.2, examples_per_second: 4.46, final_loss: 0.1513,
        held_out: { macro_f1: 0.6123, accuracy: 0.64 }, held_out_base: { macro_f1: 0.5011, accuracy: 0.52 } } },
  };
  const declutr = {
    name: "minilm-declutr", method: "declutr", loss_chart: lossChart,
    training: { method: "declutr", fields: "all", config: { epochs: 1, seed: 42, batch_size: 32 },
      report: { base: "all-MiniLM-L6-v2", documents: 1800, steps: 57, seconds: 410.3, examples_per_second: 4.4, final_loss: 0.2114,
        held_out_spans: { reports: 200, pairs: 187, base: 0.8123, best: 0.8562, best_step: 36, stopped_early: true, curve: [[0, 0.8123], [36, 0.8562]],
          structure_run: 3, structure_reports: 500, structure_base: 0.9114, structure_kept: 0.9052, structure_curve: [[0, 0.9114], [36, 0.9052]] } } },
  };
  const trained = [trainedModel("wordvec", 11.5), setfit, declutr];
  const pending = [{ name: "wv-stopped", method: "wordvec", epoch: 1, document: 1000, config: { dimension: 64, epochs: 3, seed: 7 } }];
  Object.assign(handlers, {
    models_overview: () => ({ encoded: [
      { id: 1, name: "all-MiniLM-L6-v2", kind: "transformer", dimension: 384, vectors: N, provenance: { weights_sha256: "ab", boilerplate: { sha256: "cd", phrases: 323, fitted_reports: 1200 } } },
      { id: 2, name: "tfidf-lsa", kind: "tfidf-lsa", dimension: 256, vectors: N, provenance: { weights_sha256: "ef" } },
    ], available: ["tfidf-lsa", "all-MiniLM-L6-v2", ...trained.map((t) => t.name)], trained, pending,
      benchmarks: [
        { id: 1, name: "demo-category", version: 1, source: "field", derived_from: "category", labels: 15, items: 5000, content_sha256: "ab", created_by: "cli", created_at: "2026-11-20T10:00:00Z" },
        { id: 2, name: "demo-category", version: 2, source: "field", derived_from: "category", labels: 15, items: 5200, content_sha256: "cd", created_by: "cli", created_at: "2026-11-21T10:00:00Z" },
        { id: 3, name: "falls-review", version: 1, source: "reviewers", derived_from: null, labels: 4, items: 300, content_sha256: "ef", created_by: "ana", created_at: "2026-11-21T11:00:00Z" },
      ] }),
    // The engine's defaults as `TrainRequest::defaults` gives them.
    train_defaults: ({ method }) => {
      const tuned = { base: "all-MiniLM-L6-v2", epochs: 1, seed: 42, max_tokens: 64, checkpoint_every: 50 };
      if (method === "wordvec") return { dimension: 100, epochs: 5, seed: 42, checkpoint_every: 5000, text: "description" };
      if (method === "supervised") return { ...tuned, batch_size: 16, learning_rate: 2e-5, per_label: 16, iterations: 5, text: "description" };
      if (["declutr", "simcse", "mlm"].includes(method)) return { ...tuned, batch_size: 32, learning_rate: 3e-5, text: method === "declutr" ? "all" : "description" };
      throw { kind: "invalid", message: `unknown training method ${method}` };
    },
    start_train: ({ method, name, settings }) => {
      globalThis.__FIXTURE__.lastTrain = { method, name, ...settings };
      if (trained.some((t) => t.name === name)) throw { kind: "invalid", message: `a model named ${name} already exists` };
      const id = nextJob++;
      const job = { id, kind: "train", title: `Train ${name} (word vectors)`, state: "running", phase: "epoch 1/5, loss 2.1, 250000 tokens/s, ETA 10 s", position: 0, total: 100, started_at: "", finished_at: null, seconds: 0, log: ["started"], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      setTimeout(() => emit("job", { ...job }), 20);
      setTimeout(() => {
        trained.push(trainedModel(name, 9.0));
        Object.assign(job, { state: "succeeded", position: 100, result: { name } });
        emit("job", { ...job });
      }, 80);
      return id;
    },
  });

  // Privacy: the project's hospital-number patterns (checked as the engine checks them: a
  // name, a pattern that compiles and matches no empty text, names unique) and the
  // fingerprint job, whose result is a fingerprint as the engine's `Fingerprint` shapes it.
  const privacy = { patterns: [], audit: [] };
  const fingerprint = {
    reports: N, reports_with_identifier: 412,
    per_kind: [
      { kind: "nhs_number", spans: 58, reports: 57 }, { kind: "postcode", spans: 41, reports: 40 },
      { kind: "phone", spans: 63, reports: 60 }, { kind: "date", spans: 120, reports: 101 }, { kind: "person", spans: 300, reports: 210 },
    ],
    per_field: [
      { field: "description", kinds: [{ kind: "nhs_number", spans: 58, reports: 57 }, { kind: "postcode", spans: 41, reports: 40 }, { kind: "phone", spans: 50, reports: 48 }, { kind: "date", spans: 120, reports: 101 }, { kind: "person", spans: 280, reports: 200 }] },
      { field: "causes", kinds: [{ kind: "phone", spans: 13, reports: 12 }, { kind: "person", spans: 20, reports: 18 }] },
      { field: "actions", kinds: [] },
    ],
    quasi_identifiers: { columns: ["incident date", "care setting", "specialty", "location", "Patient age"], unique: 37, below_5: 120, below_11: 300, smallest_k: 1, combinations: 900,
      rarest: [{ values: ["2025-03-04", "Acute", "Surgery", "Theatre", "97"], reports: 1 }, { values: ["2025-03-05", "Mental health", "", "Ward 3", "<script>alert(1)</script>"], reports: 1 }] },
    models: [{ model: "wordvec", words: 5120, name_like: 14, examples: ["okafor", "siobhan"] }, { model: "minilm-declutr", words: null, name_like: 0, examples: [] }],
  };
  Object.assign(handlers, {
    privacy_patterns: () => privacy.patterns,
    add_privacy_pattern: ({ name, pattern }) => {
      if (!name || !/^[A-Za-z0-9_-]+$/.test(name)) throw { kind: "invalid", message: `a pattern's name is letters, digits, '-' and '_': '${name}'` };
      let re;
      try { re = new RegExp(pattern); } catch (e) { throw { kind: "invalid", message: `pattern ${name}: ${e.message}` }; }
      if (re.test("")) throw { kind: "invalid", message: `pattern ${name} matches empty text` };
      if (privacy.patterns.some((p) => p.name === name)) throw { kind: "invalid", message: `a pattern named ${name} is already set` };
      privacy.patterns.push({ name, pattern });
      privacy.patterns.sort((a, b) => a.name.localeCompare(b.name));
      privacy.audit.push({ action: "privacy_rule_add", name, pattern });
      return null;
    },
    remove_privacy_pattern: ({ name }) => {
      const at = privacy.patterns.findIndex((p) => p.name === name);
      if (at < 0) throw { kind: "invalid", message: `no hospital number pattern named '${name}' is set` };
      privacy.patterns.splice(at, 1);
      privacy.audit.push({ action: "privacy_rule_remove", name });
      return null;
    },
    start_fingerprint: () => {
      const id = nextJob++;
      const job = { id, kind: "fingerprint", title: "Privacy fingerprint", state: "running", phase: "reading reports", position: 0, total: N, started_at: "", finished_at: null, seconds: 0, log: ["started"], log_dropped: 0, error: null, result: null };
      jobs.push(job);
      setTimeout(() => emit("job", { ...job }), 20);
      setTimeout(() => {
        Object.assign(job, { state: "succeeded", position: N, result: fingerprint });
        emit("job", { ...job });
      }, 80);
      return id;
    },
  });

  const WITHOUT_PROJECT = new Set(["list_jobs", "cancel_job", "open_project", "unlock_project", "create_encrypted_project", "choose_import_file", "preview_import", "start_first_run", "recent_projects", "open_recent", "about"]);
  globalThis.__INCIDENT_ATLAS_TRANSPORT__ = {
    invoke: async (command, args = {}) => {
      if (!projectOpen && !WITHOUT_PROJECT.has(command)) throw { kind: "no_project", message: "No project is open" };
      const h = handlers[command];
      if (!h) throw { kind: "unknown", message: `fixture has no command ${command}` };
      const out = h(args);
      // A copy, as over the IPC: raw bytes as bytes, anything else through JSON.
      return out instanceof ArrayBuffer ? out.slice(0) : JSON.parse(JSON.stringify(out));
    },
    listen: async (event, handler) => {
      if (!listeners.has(event)) listeners.set(event, []);
      listeners.get(event).push(handler);
      return () => {};
    },
  };
  globalThis.__FIXTURE__ = { N, map, XSS, labelActs, handlers, signals, firstRun, privacy };
})();
