/**
 * Sliding event-time windows as per-key time buckets, for an operator that keeps its own state
 * (pipelines/videoPopularity.ts and pipelines/trending.ts both do).
 *
 * A window of `buckets` buckets of `resolutionMs` "ends at" time `T`: it holds the buckets whose
 * index (`floor(eventTime / resolutionMs)`) lies in `[floor(T / res) - buckets + 1, floor(T / res)]`,
 * i.e. the last `buckets * res` milliseconds up to `T`, at the granularity of one bucket. A
 * bucket's counters are added to as events arrive, whatever their order, and a bucket is dropped
 * once it has left the window, so an event's contribution depends only on its own time and on
 * the time the window ends at, never on arrival order: an out-of-order event is counted in every
 * window its bucket is still in, and one older than the window is outside it (late).
 *
 * Rows are kept as plain arrays `[index, counter0, counter1, …]`, oldest bucket first, and
 * stored as unsigned LEB128 varints (indices delta-encoded), so a bucket with small counts
 * costs a few bytes: state stays compact however many keys are active.
 */
import { DeserializationError } from '../serdes/serde.js';

/** One bucket: `[index, …counters]`. Counters are non-negative integers (counts, milliseconds). */
export type BucketRow = number[];

/** The shape of a sliding window cut into buckets. */
export interface BucketWindow {
  /** Length of one bucket, ms: the granularity the window slides by. */
  readonly resolutionMs: number;
  /** Buckets per window: the window is `resolutionMs * buckets` long. */
  readonly buckets: number;
}

/** Index of the bucket that holds `time`. */
export function bucketIndex(time: number, window: BucketWindow): number {
  return Math.floor(time / window.resolutionMs);
}

/** The oldest bucket index still inside `window` when it ends at `end`. */
export function firstIndexAt(end: number, window: BucketWindow): number {
  return bucketIndex(end, window) - window.buckets + 1;
}

/** When the bucket `index` leaves `window` (the first end time whose window no longer holds it). */
export function leavesWindowAt(index: number, window: BucketWindow): number {
  return (index + window.buckets) * window.resolutionMs;
}

/** Adds `deltas` to the counters of bucket `index`, creating it in order when absent. */
export function addToBucket(rows: BucketRow[], index: number, deltas: readonly number[]): void {
  let at = rows.length;
  while (at > 0 && (rows[at - 1]?.[0] ?? Number.NEGATIVE_INFINITY) > index) {
    at -= 1;
  }
  const existing = rows[at - 1];
  if (existing !== undefined && existing[0] === index) {
    deltas.forEach((delta, i) => {
      existing[i + 1] = (existing[i + 1] ?? 0) + delta;
    });
    return;
  }
  rows.splice(at, 0, [index, ...deltas]);
}

/** Drops the buckets older than `firstIndex` (they left the window); returns the rest. */
export function dropBefore(rows: readonly BucketRow[], firstIndex: number): BucketRow[] {
  return rows.filter((row) => (row[0] ?? Number.NEGATIVE_INFINITY) >= firstIndex);
}

/** Per-counter sums of the buckets with index at least `firstIndex`. */
export function sumFrom(rows: readonly BucketRow[], firstIndex: number, width: number): number[] {
  const sums = new Array<number>(width).fill(0);
  for (const row of rows) {
    if ((row[0] ?? Number.NEGATIVE_INFINITY) >= firstIndex) {
      for (let i = 0; i < width; i++) {
        sums[i] = (sums[i] ?? 0) + (row[i + 1] ?? 0);
      }
    }
  }
  return sums;
}

/** Appends non-negative integers as unsigned LEB128 varints (exact up to 2^53). */
export class VarintWriter {
  // Bytes go straight into a typed array that doubles when full: a number[] copied out with
  // `Uint8Array.from` cost more than the encoding itself once a video's windows filled up.
  private bytes = new Uint8Array(256);
  private length = 0;

  write(value: number): void {
    let rest = Math.max(0, Math.round(value));
    while (rest >= 0x80) {
      this.push((rest % 0x80) + 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.push(rest);
  }

  /** Writes `rows` (each `width` counters wide): their count, then delta-encoded indices. */
  writeRows(rows: readonly BucketRow[], width: number): void {
    this.write(rows.length);
    let previous = 0;
    for (const row of rows) {
      const index = row[0] ?? 0;
      this.write(index - previous); // rows are in index order: deltas are small and positive
      previous = index;
      for (let i = 1; i <= width; i++) {
        this.write(row[i] ?? 0);
      }
    }
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  private push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length] = byte;
    this.length += 1;
  }
}

/** Reads what a {@link VarintWriter} wrote; throws a DeserializationError on truncated input. */
export class VarintReader {
  private readonly bytes: Uint8Array;
  private offset = 0;

  constructor(bytes: Uint8Array | null, what: string) {
    if (bytes === null) {
      throw new DeserializationError(`${what}: a stored value cannot be null`);
    }
    this.bytes = bytes;
  }

  read(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.offset];
      if (byte === undefined) {
        throw new DeserializationError('truncated varint in a stored bucket value');
      }
      this.offset += 1;
      value += (byte % 0x80) * scale;
      if (byte < 0x80) {
        return value;
      }
      scale *= 0x80;
    }
  }

  readRows(width: number): BucketRow[] {
    const count = this.read();
    const rows: BucketRow[] = [];
    let index = 0;
    for (let r = 0; r < count; r++) {
      index += this.read();
      const row = [index];
      for (let i = 0; i < width; i++) {
        row.push(this.read());
      }
      rows.push(row);
    }
    return rows;
  }
}
