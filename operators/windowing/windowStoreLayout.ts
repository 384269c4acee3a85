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
 */
export const streamTimeKey = Buffer.from([0x00, 0x73]);

const fixedTag = 0x01;
const keyedTag = 0x02;
const endIndexTag = 0x03;
const bufferTag = 0x04;

export function fixedWindowKey(start: number, key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(9 + key.length);
  bytes[0] = fixedTag;
  bytes.writeBigUInt64BE(BigInt(start), 1);
  bytes.set(key, 9);
  return bytes;
}

/** The lowest key of fixed windows starting at or after `start`. */
export function fixedWindowBound(start: number): Buffer {
  const bytes = Buffer.allocUnsafe(9);
  bytes[0] = fixedTag;
  bytes.writeBigUInt64BE(BigInt(Math.max(0, start)), 1);
  return bytes;
}

export function parseFixedWindowKey(bytes: Uint8Array): { start: number; key: Uint8Array } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return { start: Number(buffer.readBigUInt64BE(1)), key: buffer.subarray(9) };
}

function keyPrefix(tag: number, key: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(5 + key.length);
  bytes[0] = tag;
  bytes.writeUInt32BE(key.length, 1);
  bytes.set(key, 5);
  return bytes;
}

function withTimes(prefix: Buffer, times: readonly number[]): Buffer {
  const bytes = Buffer.allocUnsafe(prefix.length + 8 * times.length);
  prefix.copy(bytes, 0);
  times.forEach((time, i) => bytes.writeBigInt64BE(BigInt(time), prefix.length + 8 * i));
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
    start: Number(buffer.readBigInt64BE(5 + length)),
    end: Number(buffer.readBigInt64BE(13 + length)),
  };
}

export function endIndexKey(end: number, windowKey: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(9 + windowKey.length);
  bytes[0] = endIndexTag;
  bytes.writeBigInt64BE(BigInt(end), 1);
  bytes.set(windowKey, 9);
  return bytes;
}

/** Bounds of the index entries of windows with end < `end`. */
export function endIndexBefore(end: number): { gte: Buffer; lt: Buffer } {
  const lt = Buffer.allocUnsafe(9);
  lt[0] = endIndexTag;
  lt.writeBigInt64BE(BigInt(end), 1);
  const gte = Buffer.alloc(9);
  gte[0] = endIndexTag;
  gte.writeBigInt64BE(-(2n ** 62n), 1);
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
  return Number(buffer.readBigInt64BE(buffer.length - 8));
}

export function encodeTime(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigInt64BE(BigInt(time));
  return bytes;
}

export function decodeTime(bytes: Uint8Array): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readBigInt64BE(0));
}
