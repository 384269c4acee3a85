import type { OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde } from '../serdes/serde.js';
import { KeyedWindowStore } from './keyedWindowCloser.js';
import type { Windowed } from './windowed.js';
import {
  WindowedAggregateOperator,
  type WindowedAggregateOptions,
} from './windowedAggregateOperator.js';
import type { SlidingWindows } from './windows.js';
import {
  bufferKey,
  bufferRange,
  keyedWindowKey,
  timestampOfBufferKey,
} from './windowStoreLayout.js';

interface Buffered<TValue> {
  readonly timestamp: number;
  readonly values: TValue[];
}

/**
 * Sliding window aggregates with Kafka Streams' `SlidingWindows` semantics: windows of length
 * `d` (`[start, start + d]`, both ends inclusive) that exist where records are: each record at
 * `t` has a left window `[t - d, t]`, and a right window `[t + 1, t + 1 + d]` when a later
 * record falls in it. A new record updates every existing window containing it and creates its
 * own.
 *
 * Unlike Kafka Streams, which derives new windows' aggregates incrementally from neighbouring
 * windows, this operator keeps the values of the last `d + grace` per key and recomputes each
 * affected window from them: simpler to get right with out-of-order records, at the price of
 * work proportional to the records in a window (fine for the feature windows of the
 * recommender; use hopping windows for hot keys with long windows).
 */
export class SlidingWindowAggregateOperator<
  TKey,
  TValue,
  TAggregate,
> extends WindowedAggregateOperator<TKey, TValue, TAggregate> {
  private readonly windows: SlidingWindows;
  private readonly valueSerde: Serde<TValue>;
  private keyed: KeyedWindowStore | undefined;

  constructor(
    options: WindowedAggregateOptions<TKey, TValue, TAggregate> & {
      windows: SlidingWindows;
      valueSerde: Serde<TValue>;
    },
  ) {
    super(options);
    this.windows = options.windows;
    this.valueSerde = options.valueSerde;
  }

  protected async aggregate(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): Promise<void> {
    const { timeDifferenceMs: d, graceMs } = this.windows;
    const t = record.timestamp;
    const keyBytes = Buffer.from(this.keyBytes(record.key));
    if (t + graceMs < this.streamTime) {
      // Its own window [t - d, t] is closed: that one it missed. Windows of other records that
      // contain it end up to t + d, and those still open take it, as in Kafka Streams.
      this.late(record, { key: record.key, start: t - d, end: t }, ctx);
      if (t + d + graceMs < this.streamTime) {
        return; // every window containing it is closed
      }
    }
    await this.buffer(keyBytes, record);
    const buffered = await this.readBuffer(keyBytes, { from: t - 2 * d - 1, to: t + 2 * d + 1 });
    const times = buffered.map((b) => b.timestamp);
    const starts = new Set<number>();
    for (const r of times) {
      if (r >= t && r <= t + d) {
        starts.add(r - d); // left windows that now contain t (t's own included)
      }
      const rightHasRecords = times.some((x) => x > r && x <= r + 1 + d);
      if (r >= t - d - 1 && r <= t && rightHasRecords) {
        starts.add(r + 1); // right windows that contain t, and t's own right window
      }
    }
    for (const start of [...starts].sort((a, b) => a - b)) {
      const end = start + d;
      if (end + graceMs < this.streamTime) {
        continue;
      }
      let aggregate: TAggregate | undefined;
      for (const entry of buffered) {
        if (entry.timestamp >= start && entry.timestamp <= end) {
          for (const value of entry.values) {
            aggregate = this.options.aggregation.add(aggregate, value, record.withValue(value));
          }
        }
      }
      if (aggregate === undefined) {
        continue;
      }
      const bytes = this.aggregateBytes(aggregate);
      const window = { key: keyBytes, start, end };
      const stored = await this.store.get(keyedWindowKey(keyBytes, window));
      if (stored !== undefined && Buffer.compare(stored, bytes) === 0) {
        continue; // unchanged (t's right window when it already existed)
      }
      this.keyedStore.put(window, bytes);
      if (this.options.emit === 'update') {
        ctx.forward(record.withKey({ key: record.key, start, end }).withValue(aggregate));
      }
    }
    await this.expire(record, ctx);
  }

  /** Closes windows past end + grace and drops buffered values no open window can need. */
  private async expire(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): Promise<void> {
    const { timeDifferenceMs: d, graceMs } = this.windows;
    await this.keyedStore.closeBefore(this.streamTime - graceMs, (window, value) => {
      const final = this.aggregateOf(value);
      if (this.options.emit === 'close' && final !== undefined) {
        const key = { key: this.keyOf(window.key), start: window.start, end: window.end };
        ctx.forward(record.withKey(key).withValue(final));
      }
    });
    // A record older than stream time - grace - 2d - 1 is in no window that can still change.
    const keyBytes = Buffer.from(this.keyBytes(record.key));
    const stale = bufferRange(
      keyBytes,
      Number.MIN_SAFE_INTEGER,
      this.streamTime - graceMs - 2 * d - 2,
    );
    const drop: Buffer[] = [];
    for await (const [key] of this.store.range(stale)) {
      drop.push(key);
    }
    drop.forEach((key) => this.store.delete(key));
  }

  private async buffer(keyBytes: Buffer, record: StreamRecord<TKey, TValue>): Promise<void> {
    const storeKey = bufferKey(keyBytes, record.timestamp);
    const context = { topic: this.options.storeName, isKey: false };
    const value = this.valueSerde.serialize(record.value, context) ?? new Uint8Array(0);
    const previous = (await this.store.get(storeKey)) ?? Buffer.alloc(0);
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(value.length);
    this.store.put(storeKey, Buffer.concat([previous, length, value]));
  }

  private async readBuffer(
    keyBytes: Buffer,
    range: { from: number; to: number },
  ): Promise<Buffered<TValue>[]> {
    const context = { topic: this.options.storeName, isKey: false };
    const entries: Buffered<TValue>[] = [];
    for await (const [storeKey, packed] of this.store.range(
      bufferRange(keyBytes, range.from, range.to),
    )) {
      const values: TValue[] = [];
      for (let offset = 0; offset < packed.length;) {
        const length = packed.readUInt32BE(offset);
        values.push(
          this.valueSerde.deserialize(packed.subarray(offset + 4, offset + 4 + length), context),
        );
        offset += 4 + length;
      }
      entries.push({ timestamp: timestampOfBufferKey(storeKey), values });
    }
    return entries;
  }

  private get keyedStore(): KeyedWindowStore {
    this.keyed ??= new KeyedWindowStore(this.store);
    return this.keyed;
  }
}
