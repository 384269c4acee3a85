/**
 * At-least-once state that still converges. Under at-least-once a crash replays the input after
 * the last committed offset on top of state that may already contain some of it (the changelog
 * was written, the offsets not). So that counts do not count a record twice, each stored value
 * carries the input positions that produced it: per input stream (a source partition), the
 * highest position applied to this key. A replayed record whose position the key already
 * carries is skipped; value and positions travel in one changelog record, so they can never
 * disagree, whichever records of an interrupted commit reached the broker.
 *
 * This is Flink's answer (state snapshots hold the source positions) applied per key, because
 * Kafka gives no atomic snapshot of many keys without transactions.
 */

/**
 * Where the record being processed sits in the stream a task deduplicates against: a source
 * partition (`topic/partition`), the offset in it, and the record's index among the outputs
 * its upstream task made from that offset (0 for records read from a source topic).
 *
 * @category State
 */
export interface InputPosition {
  readonly stream: string;
  readonly offset: number;
  readonly index: number;
}

/** The record being processed, as the task's stores see it; undefined outside of a record. */
export interface PositionSource {
  current: InputPosition | undefined;
}

/** Per input stream (by hash of its name), the highest position applied. */
export type AppliedPositions = ReadonlyMap<number, { offset: number; index: number }>;

/**
 * Header on records a task writes to a repartition topic: the position of the input record they
 * came from (`stream|offset|index`), so that the downstream task can recognise a replay.
 */
export const originHeader = 'reelstream.origin';

/** Header on changelog records of stores that carry applied positions (at-least-once). */
export const positionedChangelogHeader = 'reelstream.positions';

const entryBytes = 16;

/** Whether `applied` already includes the record at `position`. */
export function includes(applied: AppliedPositions | undefined, position: InputPosition): boolean {
  const entry = applied?.get(streamHash(position.stream));
  return (
    entry !== undefined &&
    (entry.offset > position.offset ||
      (entry.offset === position.offset && entry.index >= position.index))
  );
}

/** `applied` with `position` added (it is the stream's newest). */
export function withPosition(
  applied: AppliedPositions | undefined,
  position: InputPosition,
): AppliedPositions {
  const next = new Map(applied ?? []);
  next.set(streamHash(position.stream), { offset: position.offset, index: position.index });
  return next;
}

/**
 * Stored layout: a u16 entry count, then per entry u32 stream hash, f64 offset, u32 index, then
 * the value's own bytes. 16 bytes per input stream that ever updated the key.
 */
export function encodePositioned(applied: AppliedPositions | undefined, value: Uint8Array): Buffer {
  const count = applied?.size ?? 0;
  const out = Buffer.allocUnsafe(2 + count * entryBytes + value.length);
  out.writeUInt16BE(count, 0);
  let at = 2;
  for (const [hash, entry] of applied ?? []) {
    out.writeUInt32BE(hash, at);
    out.writeDoubleBE(entry.offset, at + 4);
    out.writeUInt32BE(entry.index, at + 12);
    at += entryBytes;
  }
  out.set(value, at);
  return out;
}

/** Splits stored bytes into the applied positions and the value (a view, not a copy). */
export function decodePositioned(stored: Buffer): { applied: AppliedPositions; value: Buffer } {
  if (stored.length < 2) {
    throw new Error('stored value has no applied positions: was the store written without them?');
  }
  const count = stored.readUInt16BE(0);
  const end = 2 + count * entryBytes;
  if (stored.length < end) {
    throw new Error(`stored value too short for ${count} applied positions`);
  }
  const applied = new Map<number, { offset: number; index: number }>();
  for (let at = 2; at < end; at += entryBytes) {
    applied.set(stored.readUInt32BE(at), {
      offset: stored.readDoubleBE(at + 4),
      index: stored.readUInt32BE(at + 12),
    });
  }
  return { applied, value: stored.subarray(end) };
}

/** The position to deduplicate a raw input record by: its origin header, else itself. */
export function inputPositionOf(record: {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string | Uint8Array>>;
}): InputPosition {
  const header = record.headers[originHeader];
  if (header !== undefined) {
    const text = typeof header === 'string' ? header : Buffer.from(header).toString('utf8');
    const [stream, offset, index] = text.split('|');
    if (stream !== undefined && offset !== undefined && index !== undefined) {
      return { stream, offset: Number(offset), index: Number(index) };
    }
  }
  return { stream: `${record.topic}/${record.partition}`, offset: Number(record.offset), index: 0 };
}

/** The origin header value for the `index`-th repartitioned output of an input record. */
export function originOf(
  record: { readonly topic: string; readonly partition: number; readonly offset: string },
  index: number,
): string {
  return `${record.topic}/${record.partition}|${record.offset}|${index}`;
}

const hashes = new Map<string, number>();

/** FNV-1a of the stream name: 4 bytes per entry instead of the name. */
function streamHash(stream: string): number {
  let hash = hashes.get(stream);
  if (hash === undefined) {
    hash = 0x811c9dc5;
    for (let i = 0; i < stream.length; i++) {
      hash ^= stream.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    hash >>>= 0;
    hashes.set(stream, hash);
  }
  return hash;
}
