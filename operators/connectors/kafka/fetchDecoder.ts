import { createRequire } from 'node:module';

import type { Headers } from '../../api/record.js';
import type { RawRecord } from '../../runtime/rawRecord.js';
import type { ReadCount } from './streamClient.js';

/**
 * A decoder of Fetch responses (version 11) for bulk reads (state restores), in place of
 * kafkajs' own: kafkajs decodes each record through a `Decoder` object, its varints through
 * `Long`, and builds a message object with string offsets and timestamps that the caller then
 * converts again; restoring 200,000 changelog records of 100 bytes spent most of its CPU time
 * there and in the garbage collection of it. This one reads the record batches (v2, the only
 * format Kafka 4 writes) straight from the response buffer into {@link RawRecord}s whose keys and
 * values are views of that buffer, as kafkajs' are.
 *
 * Read-committed filtering is the Java consumer's (Fetcher's `abortedProducerIds`): the aborted
 * transactions the broker lists, by first offset, mark their producer as aborting from that
 * offset; a transactional batch of an aborting producer is skipped; that producer's ABORT marker
 * ends it. Control batches (the markers) are never records.
 */

/** One partition of a decoded Fetch response. */
export interface FetchedRecords {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  /** -1 when the broker does not know it. */
  readonly lastStableOffset: bigint;
  /**
   * The committed records at or after the fetch offset and before the read's end, in offset
   * order; with {@link FetchRange.latestPerKey}, only the last of each key among them.
   */
  readonly records: RawRecord[];
  /** What the response held for the caller, before {@link FetchRange.latestPerKey} dropped any. */
  readonly read: ReadCount;
  /**
   * The offset after the last complete record batch the response held (markers, aborted and
   * compacted-away records included); undefined when it held none.
   */
  readonly nextOffset: bigint | undefined;
}

/** What the caller asked for of one partition. */
export interface FetchRange {
  /** Records before it are dropped (a batch may start before the offset fetched). */
  readonly fetchOffset: bigint;
  /** Records at or after it are dropped (a read to an end); undefined: none are. */
  readonly endOffset?: bigint;
  /**
   * Hand over only the last record of each key: a restore writes a changelog's latest value of
   * a key, and skipping the earlier ones before they become objects spares their allocation.
   * Records without a key are all handed over.
   */
  readonly latestPerKey?: boolean;
}

/** Per partition, keyed by {@link fetchKey}. */
export type FetchRanges = ReadonlyMap<string, FetchRange>;

const compressionMask = 0x07;
const logAppendTimeFlag = 0x08;
const transactionalFlag = 0x10;
const controlFlag = 0x20;
/** Control record type of an ABORT marker (COMMIT is 1). */
const abortMarker = 0;

const noHeaders: Headers = Object.freeze({});

const requireKafkajs = createRequire(import.meta.url);

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}
const compression = requireKafkajs('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodecByAttributes(attributes: number): Codec | null;
};

/** Thrown for a response this decoder does not read; the caller falls back to kafkajs'. */
export class UnsupportedFetchFormat extends Error {}

/** Decodes a Fetch v11 response body (after the correlation id). */
export async function decodeFetchResponse(
  body: Buffer,
  ranges: FetchRanges,
): Promise<FetchedRecords[]> {
  const reader = new Reader(body);
  reader.int32(); // throttle_time_ms
  const errorCode = reader.int16();
  if (errorCode !== 0) {
    throw new FetchError(errorCode, undefined, undefined);
  }
  reader.int32(); // session_id
  const results: FetchedRecords[] = [];
  const topics = reader.int32();
  for (let t = 0; t < topics; t++) {
    const topic = reader.string();
    const partitions = reader.int32();
    for (let p = 0; p < partitions; p++) {
      const partition = reader.int32();
      const partitionError = reader.int16();
      const highWatermark = reader.int64();
      const lastStableOffset = reader.int64();
      reader.int64(); // log_start_offset
      const abortedCount = reader.int32();
      const aborted: { producerId: bigint; firstOffset: bigint }[] = [];
      for (let a = 0; a < abortedCount; a++) {
        aborted.push({ producerId: reader.int64(), firstOffset: reader.int64() });
      }
      reader.int32(); // preferred_read_replica
      const size = reader.int32();
      const recordSet = size < 0 ? Buffer.alloc(0) : reader.bytes(size);
      if (partitionError !== 0) {
        results.push({
          topic,
          partition,
          errorCode: partitionError,
          highWatermark,
          lastStableOffset,
          records: [],
          read: { records: 0, bytes: 0 },
          nextOffset: undefined,
        });
        continue;
      }
      const range = ranges.get(fetchKey(topic, partition)) ?? { fetchOffset: 0n };
      const decoded = await decodeRecordSet(recordSet, {
        topic,
        partition,
        range,
        aborted: aborted.sort((x, y) => (x.firstOffset < y.firstOffset ? -1 : 1)),
      });
      results.push({ topic, partition, errorCode: 0, highWatermark, lastStableOffset, ...decoded });
    }
  }
  return results;
}

export function fetchKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A top-level or partition error code of a Fetch response. */
export class FetchError extends Error {
  constructor(
    readonly code: number,
    readonly topic: string | undefined,
    readonly partition: number | undefined,
  ) {
    super(`fetch error code ${code}`);
  }
}

export interface RecordSetContext {
  readonly topic: string;
  readonly partition: number;
  readonly range: FetchRange;
  /** The aborted transactions the broker listed, by first offset. */
  readonly aborted: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[];
}

/** Decodes one partition's record set (exported for its tests). */
export async function decodeRecordSet(
  set: Buffer,
  context: RecordSetContext,
): Promise<{ records: RawRecord[]; read: ReadCount; nextOffset: bigint | undefined }> {
  const { aborted } = context;
  const { fetchOffset } = context.range;
  const located = new LocatedRecords(context);
  const aborting = new Set<bigint>();
  let nextAborted = 0;
  let nextOffset: bigint | undefined;
  let at = 0;
  // Batch header: baseOffset int64, batchLength int32 (counts from after itself), then
  // partitionLeaderEpoch int32, magic int8, crc int32, attributes int16, lastOffsetDelta int32,
  // baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
  // baseSequence int32, record count int32: 61 bytes in all.
  while (at + 12 <= set.length) {
    const baseOffset = set.readBigInt64BE(at);
    const batchLength = set.readInt32BE(at + 8);
    const end = at + 12 + batchLength;
    if (end > set.length || batchLength < 49) {
      break; // the broker cut the last batch at the size limit: fetched again from its start
    }
    const magic = set.readInt8(at + 16);
    if (magic !== 2) {
      throw new UnsupportedFetchFormat(`record batch magic ${magic} (only v2 is read here)`);
    }
    const attributes = set.readInt16BE(at + 21);
    const lastOffset = baseOffset + BigInt(set.readInt32BE(at + 23));
    const baseTimestamp = Number(set.readBigInt64BE(at + 27));
    const producerId = set.readBigInt64BE(at + 43);
    const count = set.readInt32BE(at + 57);
    const batchStart = at;
    at = end;
    nextOffset = lastOffset + 1n;
    for (let next = aborted[nextAborted]; next !== undefined && next.firstOffset <= lastOffset;) {
      aborting.add(next.producerId);
      next = aborted[++nextAborted];
    }
    const transactional = (attributes & transactionalFlag) !== 0;
    if ((attributes & controlFlag) !== 0) {
      // One control record; its key is version int16, type int16.
      if (
        transactional &&
        aborting.has(producerId) &&
        controlType(set, batchStart + 61, end) === abortMarker
      ) {
        aborting.delete(producerId);
      }
      continue;
    }
    if ((transactional && aborting.has(producerId)) || lastOffset < fetchOffset) {
      continue;
    }
    let body = set.subarray(batchStart + 61, end);
    if ((attributes & compressionMask) !== 0) {
      const codec = compression.lookupCodecByAttributes(attributes);
      if (codec === null) {
        throw new UnsupportedFetchFormat(`compression ${attributes & compressionMask}`);
      }
      body = await codec.decompress(body);
    }
    // Log-append time: every record of the batch has the broker's time, kept as its maximum.
    const logAppendTime =
      (attributes & logAppendTimeFlag) !== 0
        ? Number(set.readBigInt64BE(batchStart + 35))
        : undefined;
    located.addBatch(body, { count, baseOffset, baseTimestamp, logAppendTime });
  }
  return { records: located.records(), read: located.read, nextOffset };
}

function controlType(set: Buffer, from: number, end: number): number | undefined {
  const reader = new Reader(set, from, end);
  reader.varint(); // record length
  reader.int8(); // attributes
  reader.varlong(); // timestamp delta
  reader.varint(); // offset delta
  const keyLength = reader.varint();
  if (keyLength < 4) {
    return undefined;
  }
  reader.int16(); // version
  return reader.int16();
}

interface BatchHeader {
  readonly count: number;
  readonly baseOffset: bigint;
  readonly baseTimestamp: number;
  /** The batch's time for every record (log-append time); undefined: each record's own. */
  readonly logAppendTime: number | undefined;
}

/**
 * The records of one partition's record set, first located (where each starts, its key, its
 * offset), then decoded into {@link RawRecord}s: all of them, or with
 * {@link FetchRange.latestPerKey} only the last of each key. Locating costs no allocation per
 * record, so a changelog's superseded values never become objects for the collector to trace:
 * a restore's fetch of 8 MiB per partition held every record of it alive until written, and
 * the collector spent a third of the restore's time copying them.
 */
class LocatedRecords {
  readonly read = { records: 0, bytes: 0 };
  private readonly context: RecordSetContext;
  private readonly bodies: Buffer[] = [];
  private readonly headers: BatchHeader[] = [];
  // Per record, in offset order: its batch, where it starts in the batch's body, its key.
  private readonly batchOf: number[] = [];
  private readonly startOf: number[] = [];
  private readonly keyStartOf: number[] = [];
  /** -1: no key. */
  private readonly keyLengthOf: number[] = [];

  constructor(context: RecordSetContext) {
    this.context = context;
  }

  addBatch(body: Buffer, header: BatchHeader): void {
    const batch = this.bodies.length;
    this.bodies.push(body);
    this.headers.push(header);
    const { fetchOffset, endOffset } = this.context.range;
    // Offsets within a batch fit a double: the base as one, plus the delta.
    const base = Number(header.baseOffset);
    const first = Number(fetchOffset);
    const end = endOffset === undefined ? Infinity : Number(endOffset);
    const reader = new Reader(body);
    for (let i = 0; i < header.count; i++) {
      const start = reader.at;
      const length = reader.varint();
      const recordEnd = reader.at + length;
      if (recordEnd > body.length) {
        throw new RangeError('fetch response truncated');
      }
      reader.int8(); // attributes
      reader.varlong(); // timestamp delta
      const offset = base + reader.varint();
      const keyLength = reader.varint();
      const keyStart = reader.at;
      reader.at += Math.max(0, keyLength);
      const valueLength = reader.varint();
      reader.at = recordEnd;
      if (offset < first || offset >= end) {
        continue;
      }
      this.read.records += 1;
      this.read.bytes += Math.max(0, keyLength) + Math.max(0, valueLength);
      this.batchOf.push(batch);
      this.startOf.push(start);
      this.keyStartOf.push(keyStart);
      this.keyLengthOf.push(keyLength);
    }
  }

  records(): RawRecord[] {
    const count = this.startOf.length;
    const kept = this.context.range.latestPerKey === true ? this.latestOfEachKey() : undefined;
    const records: RawRecord[] = [];
    for (let i = 0; i < count; i++) {
      if (kept === undefined || kept[i] === 1) {
        records.push(this.decode(i));
      }
    }
    return records;
  }

  /**
   * 1 for each record that no later record of the same key follows (and for every record
   * without a key). Keys are told apart by a 32-bit hash, then by their bytes: a key whose
   * hash another key took first is tracked by its bytes, as a string (rare).
   */
  private latestOfEachKey(): Uint8Array {
    const count = this.startOf.length;
    const kept = new Uint8Array(count);
    const byHash = new Map<number, number>();
    let collided: Map<string, number> | undefined;
    for (let i = 0; i < count; i++) {
      kept[i] = 1;
      const length = this.keyLengthOf[i] ?? -1;
      if (length < 0) {
        continue;
      }
      const hash = this.hashOf(i);
      const earlier = byHash.get(hash);
      if (earlier === undefined) {
        byHash.set(hash, i);
      } else if (this.sameKey(earlier, i)) {
        kept[earlier] = 0;
        byHash.set(hash, i);
      } else {
        collided ??= new Map();
        const id = this.keyOf(i).toString('latin1');
        const same = collided.get(id);
        if (same !== undefined) {
          kept[same] = 0;
        }
        collided.set(id, i);
      }
    }
    return kept;
  }

  /** FNV-1a over the record's key bytes. */
  private hashOf(i: number): number {
    const body = this.bodies[this.batchOf[i] ?? 0] as Buffer;
    const from = this.keyStartOf[i] ?? 0;
    const to = from + (this.keyLengthOf[i] ?? 0);
    let hash = 0x811c9dc5;
    for (let at = from; at < to; at++) {
      hash = Math.imul(hash ^ (body[at] ?? 0), 0x01000193);
    }
    return hash | 0;
  }

  private sameKey(a: number, b: number): boolean {
    const length = this.keyLengthOf[a] ?? -1;
    if (length !== (this.keyLengthOf[b] ?? -2)) {
      return false;
    }
    const bodyA = this.bodies[this.batchOf[a] ?? 0] as Buffer;
    const bodyB = this.bodies[this.batchOf[b] ?? 0] as Buffer;
    const fromA = this.keyStartOf[a] ?? 0;
    const fromB = this.keyStartOf[b] ?? 0;
    for (let k = 0; k < length; k++) {
      if (bodyA[fromA + k] !== bodyB[fromB + k]) {
        return false;
      }
    }
    return true;
  }

  /** The record `i` as a {@link RawRecord}: its key, value and header values are views. */
  private decode(i: number): RawRecord {
    const batch = this.batchOf[i] ?? 0;
    const header = this.headers[batch] as BatchHeader;
    const reader = new Reader(this.bodies[batch] as Buffer, this.startOf[i] ?? 0);
    const length = reader.varint();
    const recordEnd = reader.at + length;
    reader.int8(); // attributes
    const timestampDelta = reader.varlong();
    const offset = Number(header.baseOffset) + reader.varint();
    const keyLength = reader.varint();
    const key = keyLength < 0 ? null : reader.bytes(keyLength);
    const valueLength = reader.varint();
    const value = valueLength < 0 ? null : reader.bytes(valueLength);
    const headerCount = reader.varint();
    let headers = noHeaders;
    if (headerCount > 0) {
      const parsed: Record<string, string | Uint8Array> = {};
      for (let h = 0; h < headerCount; h++) {
        const nameLength = reader.varint();
        const name = reader.bytes(nameLength).toString('utf8');
        const headerLength = reader.varint();
        // Header values come as bytes, as from kafkajs; the last of a repeated name wins.
        parsed[name] = headerLength < 0 ? Buffer.alloc(0) : reader.bytes(headerLength);
      }
      headers = parsed;
    }
    if (reader.at > recordEnd) {
      throw new RangeError('fetch response truncated');
    }
    return {
      topic: this.context.topic,
      partition: this.context.partition,
      offset: String(offset),
      key,
      value,
      timestamp: header.logAppendTime ?? header.baseTimestamp + timestampDelta,
      headers,
    };
  }

  private keyOf(i: number): Buffer {
    const body = this.bodies[this.batchOf[i] ?? 0] as Buffer;
    const from = this.keyStartOf[i] ?? 0;
    return body.subarray(from, from + (this.keyLengthOf[i] ?? 0));
  }
}

/** Big-endian fixed-width and zigzag varint reads over a buffer. */
class Reader {
  at: number;
  private readonly buffer: Buffer;
  private readonly end: number;

  constructor(buffer: Buffer, from = 0, end = buffer.length) {
    this.buffer = buffer;
    this.at = from;
    this.end = end;
  }

  int8(): number {
    const value = this.buffer.readInt8(this.at);
    this.at += 1;
    return value;
  }

  int16(): number {
    const value = this.buffer.readInt16BE(this.at);
    this.at += 2;
    return value;
  }

  int32(): number {
    const value = this.buffer.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.at);
    this.at += 8;
    return value;
  }

  string(): string {
    const length = this.int16();
    return this.bytes(length).toString('utf8');
  }

  bytes(length: number): Buffer {
    if (this.at + length > this.end) {
      throw new RangeError('fetch response truncated');
    }
    const value = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** A zigzag varint of up to 32 bits. */
  varint(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.buffer[this.at++];
      if (byte === undefined) {
        throw new RangeError('fetch response truncated');
      }
      if (shift === 28) {
        // The fifth byte: past 31 bits, so in doubles rather than int32 arithmetic.
        const unsigned = result + (byte & 0x7f) * 2 ** 28;
        return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
      }
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        return (result >>> 1) ^ -(result & 1);
      }
    }
  }

  /**
   * A zigzag varlong, as a double: exact up to 2^53 (timestamp deltas; a batch's records are
   * written within one batch's time).
   */
  varlong(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buffer[this.at++];
      if (byte === undefined) {
        throw new RangeError('fetch response truncated');
      }
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      scale *= 128;
    }
  }
}
