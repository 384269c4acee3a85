import type { ShardHit } from './vectorSearch.js';

/**
 * A search answer in binary, for the clients that ask for it (`accept:` this type); every other
 * client still gets JSON. Why: a retrieval search returns about a thousand hits, each with the
 * attached value (a video id). As JSON each hit was a decimal id, a number, a partition and a
 * base64url string: building that text, parsing it again and turning it back into BigInts and
 * Buffers was a quarter of the shard process's CPU and a tenth of the serving process's in the
 * demo's load run. Here a hit is fixed-size numbers and the value's raw bytes.
 *
 * Layout, little-endian:
 *
 *     u8   format version (1)
 *     u32  H, then H bytes of UTF-8 JSON: the answer without its hits (the JSON body's other
 *          fields; a local answer's shards without their `hits`)
 *     then each hit list in the header's order (one for a merged search, one per shard for a
 *     local one):
 *       u32  count, then count hits of
 *            i64 id, f64 distance, u32 partition, i32 value length (-1: no value), value bytes
 */
export const binarySearchType = 'application/vnd.reelstream.search-hits';

const formatVersion = 1;
const hitFixedBytes = 8 + 8 + 4 + 4;

/** The binary body of `header` (JSON-able, without hits) and its hit lists, in order. */
export function encodeBinarySearch(
  header: unknown,
  hitLists: readonly (readonly ShardHit[])[],
): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let size = 1 + 4 + headerBytes.length;
  for (const hits of hitLists) {
    size += 4 + hits.length * hitFixedBytes;
    for (const hit of hits) {
      size += hit.value?.length ?? 0;
    }
  }
  const out = Buffer.allocUnsafe(size);
  // A DataView's setters are the engine's own, several times faster than Buffer's per number.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(0, formatVersion);
  view.setUint32(1, headerBytes.length, true);
  let at = 5 + headerBytes.copy(out, 5);
  for (const hits of hitLists) {
    view.setUint32(at, hits.length, true);
    at += 4;
    for (const hit of hits) {
      view.setBigInt64(at, hit.id, true);
      view.setFloat64(at + 8, hit.distance, true);
      view.setUint32(at + 16, hit.partition, true);
      view.setInt32(at + 20, hit.value === undefined ? -1 : hit.value.length, true);
      at += hitFixedBytes;
      if (hit.value !== undefined) {
        at += hit.value.copy(out, at);
      }
    }
  }
  return out;
}

/**
 * The header and the first `lists(header)` hit lists of a binary body. Hit values are views
 * into `bytes` (no copy). Throws on a body that is not this format or is cut short.
 */
export function decodeBinarySearch(
  bytes: Buffer,
  lists: (header: unknown) => number,
): { header: unknown; hitLists: ShardHit[][] } {
  const fail = (why: string): never => {
    throw new Error(`binary search answer: ${why} (${bytes.length} bytes)`);
  };
  const need = (at: number, n: number): void => {
    if (at + n > bytes.length) {
      fail('cut short');
    }
  };
  need(0, 5);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== formatVersion) {
    fail(`format version ${view.getUint8(0)}, not ${formatVersion}`);
  }
  const headerLength = view.getUint32(1, true);
  need(5, headerLength);
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 5, 5 + headerLength)) as unknown;
  } catch {
    return fail('its header is not JSON');
  }
  let at = 5 + headerLength;
  const count = lists(header);
  const hitLists: ShardHit[][] = [];
  for (let list = 0; list < count; list++) {
    need(at, 4);
    const length = view.getUint32(at, true);
    at += 4;
    const hits: ShardHit[] = [];
    for (let i = 0; i < length; i++) {
      need(at, hitFixedBytes);
      const id = view.getBigInt64(at, true);
      const distance = view.getFloat64(at + 8, true);
      const partition = view.getUint32(at + 16, true);
      const valueLength = view.getInt32(at + 20, true);
      at += hitFixedBytes;
      if (valueLength < 0) {
        hits.push({ id, distance, partition });
      } else {
        need(at, valueLength);
        hits.push({ id, distance, partition, value: bytes.subarray(at, at + valueLength) });
        at += valueLength;
      }
    }
    hitLists.push(hits);
  }
  if (at !== bytes.length) {
    fail(`${bytes.length - at} bytes after the last hit list`);
  }
  return { header, hitLists };
}
