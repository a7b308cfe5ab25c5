// Reads the binary map `map_data` and `map_details` send, in two parts (layout:
// crates/engine/src/cluster/map/binary.rs): first what the first frame needs, then the
// fields and external ids, which cross the IPC while the first part is drawn. Columns are
// views into the received buffers, not copies, and the external ids are read one at a time
// when asked for, so a million-point map costs its buffers and no parsing beyond the small
// JSON header before it is drawn.
import type { ExternalIds as Ids, MapCluster, MapView, RunRecord } from "./types";

const MAGIC = "IAMAP\x02\0\0";
const DETAILS_MAGIC = "IADET\x02\0\0";

interface Header {
  run: RunRecord;
  categories: string[];
  care_settings: string[];
  months: string[];
  clusters: MapCluster[];
  points: number;
  spatial_index_bytes: number;
  details_key: string;
}

export class MapFormatError extends Error {}

const fail = (why: string): never => {
  throw new MapFormatError(`the map data is not readable: ${why}`);
};

/** Reads columns one after another from `buffer`, each from a multiple of its alignment. */
function reader(buffer: ArrayBuffer, start: number, n: number) {
  let at = start;
  return {
    get at() {
      return at;
    },
    align(to: number): void {
      at = Math.ceil(at / to) * to;
    },
    take<T>(make: (b: ArrayBuffer, offset: number, length: number) => T, size: number, align: number): T {
      at = Math.ceil(at / align) * align;
      if (at + n * size > buffer.byteLength) fail("its columns are cut short");
      const column = make(buffer, at, n);
      at += n * size;
      return column;
    },
  };
}

const f32 = (b: ArrayBuffer, o: number, l: number) => new Float32Array(b, o, l);
const i32 = (b: ArrayBuffer, o: number, l: number) => new Int32Array(b, o, l);
const u32 = (b: ArrayBuffer, o: number, l: number) => new Uint32Array(b, o, l);
const u16 = (b: ArrayBuffer, o: number, l: number) => new Uint16Array(b, o, l);
const u8 = (b: ArrayBuffer, o: number, l: number) => new Uint8Array(b, o, l);

/**
 * The map's first part: enough to draw it. Its fields and ids are empty until
 * `decodeDetails` fills them from the second part. A `MapFormatError` when the bytes are
 * not a whole first part of this format.
 */
export function decodeMap(buffer: ArrayBuffer): MapView {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) fail("it does not start with the map format's mark");
  const headerLength = new DataView(buffer).getUint32(8, true);
  if (12 + headerLength > bytes.length) fail("its header is cut short");
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Header;
  } catch {
    return fail("its header is not JSON");
  }
  const n = header.points;
  if (!Number.isSafeInteger(n) || n < 0) fail("its point count is not a count");
  if (typeof header.details_key !== "string" || !/^[0-9a-f]{64}$/.test(header.details_key)) fail("its header has no key for its second part");
  const r = reader(buffer, 12 + headerLength, n);
  r.align(8);
  const x = r.take(f32, 4, 4);
  const y = r.take(f32, 4, 4);
  const cluster = r.take(i32, 4, 4);
  const spatialBytes = header.spatial_index_bytes;
  if (!Number.isSafeInteger(spatialBytes) || spatialBytes < 0) fail("its spatial index length is not a length");
  r.align(8);
  if (r.at + spatialBytes > bytes.length) fail("its spatial index is cut short");
  // The scatterplot takes the index as a buffer of its own: one copy of 12 bytes a point.
  const spatialIndex = spatialBytes ? buffer.slice(r.at, r.at + spatialBytes) : null;
  if (spatialIndex) checkSpatialIndex(spatialIndex, n);
  return {
    run: header.run,
    categories: header.categories,
    care_settings: header.care_settings,
    months: header.months,
    clusters: header.clusters,
    detailsKey: header.details_key,
    detailsLoaded: false,
    ids: new ExternalIds(new Uint8Array(0), new Uint32Array(0), true),
    spatialIndex,
    x,
    y,
    cluster,
    category: new Uint16Array(0),
    harm: new Uint8Array(0),
    care_setting: new Uint16Array(0),
    day: new Int32Array(0),
    month: new Uint16Array(0),
  };
}

/**
 * Fills `map`'s fields and ids from its second part. Refused (a `MapFormatError`, `map`
 * unchanged) when the part is damaged or belongs to another map (the first part names the
 * key of the second it goes with).
 */
export function decodeDetails(map: MapView, buffer: ArrayBuffer): void {
  const bytes = new Uint8Array(buffer);
  const n = map.x.length;
  if (bytes.length < 40 || String.fromCharCode(...bytes.subarray(0, 8)) !== DETAILS_MAGIC) fail("its second part does not start with its mark");
  // The key is the SHA-256 of the part's columns: another state of the run (reports
  // assigned between the two requests, say) has another key.
  const key = [...bytes.subarray(8, 40)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (key !== map.detailsKey) fail("its second part belongs to another map");
  const r = reader(buffer, 40, n);
  const day = r.take(i32, 4, 4);
  const idEnd = r.take(u32, 4, 4);
  const category = r.take(u16, 2, 4);
  const care_setting = r.take(u16, 2, 2);
  const month = r.take(u16, 2, 2);
  const harm = r.take(u8, 1, 4);
  r.align(4);
  if (r.at > bytes.length) fail("its external ids are cut short");
  const idBytes = bytes.subarray(r.at);
  if (n > 0 && idEnd[n - 1] !== idBytes.length) fail("its external ids are cut short");
  for (let i = 1; i < n; i++) if (idEnd[i] < idEnd[i - 1]) fail("its external id offsets are out of order");
  // Codes index the header's dictionaries; one past them would read as no value at all.
  const within = (codes: Uint16Array | Uint8Array, size: number) => {
    for (let i = 0; i < codes.length; i++) if (codes[i] >= size) return false;
    return true;
  };
  if (!within(category, map.categories.length) || !within(care_setting, map.care_settings.length) || !within(month, map.months.length) || !within(harm, 6))
    fail("its field codes fall outside their dictionaries");
  Object.assign(map, { day, category, care_setting, month, harm, ids: new ExternalIds(idBytes, idEnd, allAscii(idBytes)), detailsLoaded: true });
}

// Whether every id is ASCII, taken from the bytes rather than trusted from the header:
// then byte offsets are string offsets, and one decode serves every id.
function allAscii(idBytes: Uint8Array): boolean {
  for (let i = 0; i < idBytes.length; i++) if (idBytes[i] > 0x7f) return false;
  return true;
}

// KDBush's serialised header (format 1, Float32Array coordinates) over exactly the map's
// points; anything else would make the scatterplot pick the wrong reports.
function checkSpatialIndex(index: ArrayBuffer, n: number): void {
  const head = new DataView(index);
  const wide = n >= 65536 ? 4 : 2;
  const expected = 8 + n * wide + ((8 - ((n * wide) % 8)) % 8) + 8 * n;
  if (index.byteLength < 8 || head.getUint8(0) !== 0xdb || head.getUint8(1) !== 0x17) fail("its spatial index is not a kd-tree of this format");
  if (head.getUint32(4, true) !== n || index.byteLength !== expected) fail("its spatial index does not cover the map's points");
  const ids = wide === 4 ? new Uint32Array(index, 8, n) : new Uint16Array(index, 8, n);
  for (let i = 0; i < n; i++) if (ids[i] >= n) fail("its spatial index names points the map does not have");
}

/** The map's external ids, decoded when asked for; `find` builds its lookup on first use. */
export class ExternalIds implements Ids {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private text: string | null = null;
  private lookup: Map<string, number> | null = null;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly ends: Uint32Array,
    private readonly ascii: boolean,
  ) {}

  get length(): number {
    return this.ends.length;
  }

  at(i: number): string {
    if (!(i >= 0 && i < this.ends.length)) throw new RangeError(`no point ${i} on the map`);
    const start = i === 0 ? 0 : this.ends[i - 1];
    if (this.ascii) {
      // All ASCII (the usual case): byte offsets are string offsets, so one decode and slices.
      this.text ??= this.decoder.decode(this.bytes);
      return this.text.slice(start, this.ends[i]);
    }
    return this.decoder.decode(this.bytes.subarray(start, this.ends[i]));
  }

  /** The point of report `id`, if it is on the map. */
  find(id: string): number | undefined {
    if (!this.lookup) {
      this.lookup = new Map();
      for (let i = 0; i < this.ends.length; i++) this.lookup.set(this.at(i), i);
    }
    return this.lookup.get(id);
  }

  has(id: string): boolean {
    return this.find(id) !== undefined;
  }
}
