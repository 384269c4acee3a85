/**
 * How a windowed join buffers one side's records in its store. Times are unsigned 8-byte
 * big-endian, so byte order is time order (Kafka timestamps are never negative; the operator
 * skips records that claim one):
 *
 * - `0x00 't'`: the join's stream time (in the this-side store only), so whether a record is
 *   late does not change when the task restarts;
 * - `0x01 | key`: every buffered record of the key, in arrival order, each as
 *   `time | length | value`. One entry per key makes a record's lookup of the other side one
 *   point read, answered from the write cache without waiting when the key is hot, instead of a
 *   range scan per record; the price is rewriting the key's list on each append, which is
 *   proportional to the key's records within the retention;
 * - `0x02 | bucket | key`: the key has records with times in [bucket, bucket + step), so
 *   expiring old records is a range scan from the oldest bucket, whatever the keys.
 */
export const joinTimeKey = Buffer.from([0x00, 0x74]);

const listTag = 0x01;
const indexTag = 0x02;
const entryHeaderBytes = 12;

/** One buffered record: its timestamp and its serialized value. */
export interface BufferedEntry {
  readonly time: number;
  readonly value: Buffer;
}

export function joinListKey(key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(1 + key.length);
  bytes[0] = listTag;
  bytes.set(key, 1);
  return bytes;
}

export function joinIndexKey(bucket: number, key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(9 + key.length);
  bytes[0] = indexTag;
  bytes.writeBigUInt64BE(BigInt(Math.max(0, bucket)), 1);
  bytes.set(key, 9);
  return bytes;
}

/** Bounds of the index entries of buckets starting before `time`. */
export function joinIndexBefore(time: number): { gte: Buffer; lt: Buffer } {
  return { gte: joinIndexKey(0, new Uint8Array(0)), lt: joinIndexKey(time, new Uint8Array(0)) };
}

export function keyOfJoinIndex(indexKey: Uint8Array): Buffer {
  return Buffer.from(indexKey.buffer, indexKey.byteOffset + 9, indexKey.length - 9);
}

/** The entries of a packed list, in the order they were appended. */
export function entriesOf(list: Uint8Array | null): BufferedEntry[] {
  if (list === null) {
    return [];
  }
  const buffer = Buffer.from(list.buffer, list.byteOffset, list.length);
  const entries: BufferedEntry[] = [];
  for (let offset = 0; offset + entryHeaderBytes <= buffer.length;) {
    const time = Number(buffer.readBigUInt64BE(offset));
    const length = buffer.readUInt32BE(offset + 8);
    const start = offset + entryHeaderBytes;
    entries.push({ time, value: buffer.subarray(start, start + length) });
    offset = start + length;
  }
  return entries;
}

/** Packs entries into a list (empty: null, the key is deleted). */
export function packEntries(entries: readonly BufferedEntry[]): Buffer | null {
  if (entries.length === 0) {
    return null;
  }
  let size = 0;
  for (const entry of entries) {
    size += entryHeaderBytes + entry.value.length;
  }
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const entry of entries) {
    bytes.writeBigUInt64BE(BigInt(entry.time), offset);
    bytes.writeUInt32BE(entry.value.length, offset + 8);
    entry.value.copy(bytes, offset + entryHeaderBytes);
    offset += entryHeaderBytes + entry.value.length;
  }
  return bytes;
}

export function encodeJoinTime(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigInt64BE(BigInt(time));
  return bytes;
}

export function decodeJoinTime(bytes: Uint8Array): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigInt64BE(0));
}
