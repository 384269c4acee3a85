import type { TimerKind } from './timers.js';

/**
 * How timers are laid out as bytes in a node's timer store: `kind | time | key`, with
 *
 * - `kind`: one byte, `e` (event time) or `p` (processing time), so each kind is its own range;
 * - `time`: the timestamp as a 64-bit big-endian integer with its sign bit flipped, so byte order
 *   is time order (negative timestamps included);
 * - `key`: the serialized timer key.
 *
 * Time comes before the key so that the due timers of a kind are one range scan from the start
 * of the kind, in firing order (time, then key bytes). The value is a one-byte marker.
 */
const tags: Readonly<Record<TimerKind, number>> = { eventTime: 0x65, processingTime: 0x70 };
const signBit = 1n << 63n;

export const timerMarker = Buffer.from([1]);

export function timerKey(kind: TimerKind, timestamp: number, key: Uint8Array): Buffer {
  if (!Number.isSafeInteger(timestamp)) {
    throw new RangeError(`a timer's timestamp must be an integer (epoch ms), got ${timestamp}`);
  }
  const bytes = Buffer.allocUnsafe(9 + key.length);
  bytes[0] = tags[kind];
  bytes.writeBigUInt64BE(BigInt.asUintN(64, BigInt(timestamp)) ^ signBit, 1);
  bytes.set(key, 9);
  return bytes;
}

/**
 * Bounds of the timers of `kind` with timestamp ≤ `upTo` (all of them when undefined), from
 * `from` on when given: a scan that starts at the earliest live timer seeks past the deleted
 * ones (RocksDB keeps a tombstone per fired timer until compaction, and a scan from the start
 * of the kind walked every one of them, once per record).
 */
export function dueBounds(
  kind: TimerKind,
  upTo?: number,
  from?: number,
): { gte: Buffer; lt: Buffer } {
  const gte =
    from === undefined || !Number.isFinite(from)
      ? Buffer.from([tags[kind]])
      : timerKey(kind, Math.ceil(from), Buffer.alloc(0));
  if (upTo === undefined || upTo >= Number.MAX_SAFE_INTEGER) {
    return { gte, lt: Buffer.from([tags[kind] + 1]) };
  }
  // Every key with time ≤ upTo sorts before the bare prefix `kind | upTo + 1`.
  return { gte, lt: timerKey(kind, Math.floor(upTo) + 1, Buffer.alloc(0)) };
}

export function parseTimerKey(bytes: Uint8Array): { timestamp: number; key: Buffer } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    timestamp: Number(BigInt.asIntN(64, buffer.readBigUInt64BE(1) ^ signBit)),
    key: buffer.subarray(9),
  };
}
