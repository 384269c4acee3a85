/**
 * How windowed aggregates are laid out as bytes in a task's store. One store holds:
 *
 * - `0x00 's'`: the operator's stream time (8-byte big-endian), so whether a record is late
 *   does not change when the task restarts (Kafka Streams forgets it and starts again from the
 *   first record it sees, which can accept records it had refused before the restart);
 * - `0x01 | start | key`: fixed windows, time first, so closing and expiring windows is one
 *   range scan from the oldest;
 * - `0x02 | keyLength | key | start | end`: sliding and session windows, key first, so the
 *   windows of one key near a time are one range scan;
 * - `0x03 | end | windowKey`: an index by window end of the `0x02` entries, for closing and
 *   expiring them in order;
 * - `0x04 | keyLength | key | timestamp`: sliding windows' buffered values per timestamp.
 *
 * Times inside keys are written with the sign bit flipped (offset binary), so the bytewise
 * order of the keys is the numeric order of the times, negative ones included: a range from a
 * negative time (a sliding window of an early record, a scan "from the beginning") must not
 * sort after the positive ones, as two's complement would.
 */
export const streamTimeKey = Buffer.from([0x00, 0x73]);

const fixedTag = 0x01;
const keyedTag = 0x02;
const endIndexTag = 0x03;
const bufferTag = 0x04;

export function fixedWindowKey(start: number, key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(9 + key.length);
  bytes[0] = fixedTag;
  writeStart(bytes, start);
  bytes.set(key, 9);
  return bytes;
}

/** The lowest key of fixed windows starting at or after `start`. */
export function fixedWindowBound(start: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes[0] = fixedTag;
  writeStart(bytes, Math.max(0, start));
  return bytes;
}

export function parseFixedWindowKey(bytes: Uint8Array): { start: number; key: Uint8Array } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const start = buffer.readUInt32BE(1) * 2 ** 32 + buffer.readUInt32BE(5);
  return { start, key: buffer.subarray(9) };
}

/**
 * A fixed window's start as 8 bytes big-endian at offset 1, in two 32-bit halves: a BigInt per
 * key (`writeBigUInt64BE`) cost twice the rest of building it, five keys per record of a
 * hopping window. Starts are non-negative (records before the epoch are refused as invalid).
 */
function writeStart(bytes: Buffer, start: number): void {
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new RangeError(`a fixed window's start must be a non-negative integer, not ${start}`);
  }
  bytes.writeUInt32BE(Math.floor(start / 2 ** 32), 1);
  bytes.writeUInt32BE(start % 2 ** 32, 5);
}

function keyPrefix(tag: number, key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(5 + key.length);
  bytes[0] = tag;
  bytes.writeUInt32BE(key.length, 1);
  bytes.set(key, 5);
  return bytes;
}

const signBit = 2n ** 63n;

/** Writes `time` so that bytewise order is numeric order (sign bit flipped). */
function writeSortableTime(bytes: Buffer, time: number, offset: number): void {
  bytes.writeBigUInt64BE(BigInt(time) + signBit, offset);
}

function readSortableTime(bytes: Buffer, offset: number): number {
  return Number(bytes.readBigUInt64BE(offset) - signBit);
}

function withTimes(prefix: Buffer, times: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(prefix.length + 8 * times.length);
  prefix.copy(bytes, 0);
  times.forEach((time, i) => writeSortableTime(bytes, time, prefix.length + 8 * i));
  return bytes;
}

export function keyedWindowKey(key: Uint8Array, window: { start: number; end: number }): Buffer {
  return withTimes(keyPrefix(keyedTag, key), [window.start, window.end]);
}

/** Bounds of the keyed windows of `key` with start in [fromStart, toStart]. */
export function keyedWindowRange(
  key: Uint8Array,
  fromStart: number,
  toStart: number,
): { gte: Buffer; lt: Buffer } {
  const prefix = keyPrefix(keyedTag, key);
  return {
    gte: withTimes(prefix, [fromStart]),
    lt: withTimes(prefix, [toStart + 1]),
  };
}

export function parseKeyedWindowKey(bytes: Uint8Array): {
  key: Buffer;
  start: number;
  end: number;
} {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const length = buffer.readUInt32BE(1);
  return {
    key: buffer.subarray(5, 5 + length),
    start: readSortableTime(buffer, 5 + length),
    end: readSortableTime(buffer, 13 + length),
  };
}

export function endIndexKey(end: number, windowKey: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(9 + windowKey.length);
  bytes[0] = endIndexTag;
  writeSortableTime(bytes, end, 1);
  bytes.set(windowKey, 9);
  return bytes;
}

/** Bounds of the index entries of windows with end < `end` (and end ≥ `from`, when given). */
export function endIndexBefore(end: number, from?: number): { gte: Buffer; lt: Buffer } {
  const lt = Buffer.allocUnsafe(9);
  lt[0] = endIndexTag;
  writeSortableTime(lt, end, 1);
  if (from === undefined || !Number.isFinite(from)) {
    return { gte: Buffer.from([endIndexTag]), lt };
  }
  const gte = Buffer.allocUnsafe(9);
  gte[0] = endIndexTag;
  writeSortableTime(gte, from, 1);
  return { gte, lt };
}

export function windowKeyOfIndex(indexKey: Uint8Array): Buffer {
  return Buffer.from(indexKey.buffer, indexKey.byteOffset + 9, indexKey.length - 9);
}

export function bufferKey(key: Uint8Array, timestamp: number): Buffer {
  return withTimes(keyPrefix(bufferTag, key), [timestamp]);
}

/** Bounds of the buffered timestamps of `key` in [from, to]. */
export function bufferRange(
  key: Uint8Array,
  from: number,
  to: number,
): { gte: Buffer; lt: Buffer } {
  const prefix = keyPrefix(bufferTag, key);
  return { gte: withTimes(prefix, [from]), lt: withTimes(prefix, [to + 1]) };
}

export function timestampOfBufferKey(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return readSortableTime(buffer, buffer.length - 8);
}

export function encodeTime(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigInt64BE(BigInt(time));
  return bytes;
}

export function decodeTime(bytes: Uint8Array): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigInt64BE(0));
}
