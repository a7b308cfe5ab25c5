// Reads the binary map `map_data` sends (layout: crates/engine/src/cluster/map/binary.rs).
// The numeric columns are views into the received buffer, not copies, and the external
// ids are read one at a time when asked for, so a million-point map costs one buffer and
// no parsing beyond the small JSON header before it is drawn.
import type { ExternalIds as Ids, MapCluster, MapView, RunRecord } from "./types";

const MAGIC = "IAMAP\x02\0\0";

interface Header {
  run: RunRecord;
  categories: string[];
  care_settings: string[];
  months: string[];
  clusters: MapCluster[];
  points: number;
  ascii_ids: boolean;
  spatial_index_bytes: number;
}

export class MapFormatError extends Error {}

/** The map in `buffer`; a `MapFormatError` when it is not a whole map of this format. */
export function decodeMap(buffer: ArrayBuffer): MapView {
  const bytes = new Uint8Array(buffer);
  const fail = (why: string): never => {
    throw new MapFormatError(`the map data is not readable: ${why}`);
  };
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
  let at = 12 + headerLength;
  // Columns follow one another; the 4-byte ones and the first 2-byte one start on a
  // multiple of 4 (the 2-byte ones then lie back to back), and so do harm and the ids.
  const take = <T>(make: (b: ArrayBuffer, offset: number, length: number) => T, size: number, align: number): T => {
    at = Math.ceil(at / align) * align;
    if (at + n * size > bytes.length) fail("its columns are cut short");
    const column = make(buffer, at, n);
    at += n * size;
    return column;
  };
  at = Math.ceil(at / 8) * 8;
  const x = take((b, o, l) => new Float32Array(b, o, l), 4, 4);
  const y = take((b, o, l) => new Float32Array(b, o, l), 4, 4);
  const cluster = take((b, o, l) => new Int32Array(b, o, l), 4, 4);
  const day = take((b, o, l) => new Int32Array(b, o, l), 4, 4);
  const idEnd = take((b, o, l) => new Uint32Array(b, o, l), 4, 4);
  const category = take((b, o, l) => new Uint16Array(b, o, l), 2, 4);
  const care_setting = take((b, o, l) => new Uint16Array(b, o, l), 2, 2);
  const month = take((b, o, l) => new Uint16Array(b, o, l), 2, 2);
  const harm = take((b, o, l) => new Uint8Array(b, o, l), 1, 4);
  const spatialBytes = header.spatial_index_bytes;
  if (!Number.isSafeInteger(spatialBytes) || spatialBytes < 0) fail("its spatial index length is not a length");
  at = Math.ceil(at / 8) * 8;
  if (at + spatialBytes > bytes.length) fail("its spatial index is cut short");
  // The scatterplot takes the index as a buffer of its own: one copy of 12 bytes a point.
  const spatialIndex = spatialBytes ? buffer.slice(at, at + spatialBytes) : null;
  if (spatialIndex) checkSpatialIndex(spatialIndex, n, fail);
  at += spatialBytes;
  at = Math.ceil(at / 4) * 4;
  if (at > bytes.length) fail("its external ids are cut short");
  const idBytes = bytes.subarray(at);
  if (n > 0 && idEnd[n - 1] !== idBytes.length) fail("its external ids are cut short");
  for (let i = 1; i < n; i++) if (idEnd[i] < idEnd[i - 1]) fail("its external id offsets are out of order");
  return {
    run: header.run,
    categories: header.categories,
    care_settings: header.care_settings,
    months: header.months,
    clusters: header.clusters,
    ids: new ExternalIds(idBytes, idEnd, header.ascii_ids),
    spatialIndex,
    x,
    y,
    cluster,
    category,
    harm,
    care_setting,
    day,
    month,
  };
}

// KDBush's serialised header (format 1, Float32Array coordinates) over exactly the map's
// points; anything else would make the scatterplot pick the wrong reports.
function checkSpatialIndex(index: ArrayBuffer, n: number, fail: (why: string) => never): void {
  const head = new DataView(index);
  const wide = n >= 65536 ? 4 : 2;
  const expected = 8 + n * wide + ((8 - ((n * wide) % 8)) % 8) + 8 * n;
  if (index.byteLength < 8 || head.getUint8(0) !== 0xdb || head.getUint8(1) !== 0x17) fail("its spatial index is not a kd-tree of this format");
  if (head.getUint32(4, true) !== n || index.byteLength !== expected) fail("its spatial index does not cover the map's points");
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
