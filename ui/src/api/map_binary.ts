// Reads the binary map `map_data` sends (layout: crates/engine/src/explore/map_binary.rs).
// The numeric columns are views into the received buffer, not copies, so a million-point
// map costs one buffer and no parsing beyond the small JSON header and the external ids.
import type { MapCluster, MapView, RunRecord } from "./types";

const MAGIC = "IAMAP\x01\0\0";

interface Header {
  run: RunRecord;
  categories: string[];
  care_settings: string[];
  months: string[];
  clusters: MapCluster[];
  points: number;
  ascii_ids: boolean;
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
  at = Math.ceil(at / 4) * 4;
  if (at > bytes.length) fail("its external ids are cut short");
  const idBytes = bytes.subarray(at);
  if (n > 0 && idEnd[n - 1] !== idBytes.length) fail("its external ids are cut short");
  return {
    run: header.run,
    categories: header.categories,
    care_settings: header.care_settings,
    months: header.months,
    clusters: header.clusters,
    external_id: externalIds(idBytes, idEnd, header.ascii_ids, fail),
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

function externalIds(bytes: Uint8Array, ends: Uint32Array, ascii: boolean, fail: (why: string) => never): string[] {
  const ids = new Array<string>(ends.length);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // All ASCII (the usual case): byte offsets are string offsets, so one decode and slices.
  const text = ascii ? decoder.decode(bytes) : "";
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i];
    if (end < start || end > bytes.length) fail("its external id offsets are out of order");
    ids[i] = ascii ? text.slice(start, end) : decoder.decode(bytes.subarray(start, end));
    start = end;
  }
  return ids;
}
