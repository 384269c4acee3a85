import type { OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import { KeyedWindowStore, type StoredWindow } from './keyedWindowCloser.js';
import type { Windowed } from './windowed.js';
import {
  WindowedAggregateOperator,
  type WindowedAggregateOptions,
} from './windowedAggregateOperator.js';
import type { SessionWindows } from './windows.js';
import { keyedWindowRange, parseKeyedWindowKey } from './windowStoreLayout.js';

/**
 * Session window aggregates. A record at `t` opens the session `[t, t]` or extends, and merges,
 * every session of its key within the inactivity gap (`end >= t - gap` and `start <= t + gap`);
 * merged sessions' aggregates are combined with the aggregation's merger. With emit `update`
 * the replaced sessions are forwarded with a null value (a retraction) before the merged one,
 * as in Kafka Streams. A session can grow until a record more than `gap` after its end arrives,
 * so, as in Kafka Streams, it is closed only when stream time passes `end + gap + grace`, and a
 * record is late when the session it would end up in is already past that point.
 */
export class SessionWindowAggregateOperator<
  TKey,
  TValue,
  TAggregate,
> extends WindowedAggregateOperator<TKey, TValue, TAggregate> {
  private readonly windows: SessionWindows;
  private keyed: KeyedWindowStore | undefined;

  constructor(
    options: WindowedAggregateOptions<TKey, TValue, TAggregate> & { windows: SessionWindows },
  ) {
    super(options);
    this.windows = options.windows;
    if (options.aggregation.merge === undefined) {
      throw new Error(
        `session windows of ${options.storeName} need a merger to combine the aggregates of merged sessions`,
      );
    }
  }

  protected async aggregate(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): Promise<void> {
    const { inactivityGapMs: gap, graceMs } = this.windows;
    const t = record.timestamp;
    const keyBytes = Buffer.from(this.keyBytes(record.key));
    // Sessions of one key never overlap: scan back from the latest that starts by t + gap.
    const found: { window: StoredWindow; aggregate: TAggregate | undefined }[] = [];
    for await (const [storeKey, value] of this.store.range({
      ...keyedWindowRange(keyBytes, Number.MIN_SAFE_INTEGER, t + gap),
      reverse: true,
    })) {
      const window = parseKeyedWindowKey(storeKey);
      if (window.end < t - gap) {
        break;
      }
      found.push({ window, aggregate: this.aggregateOf(value) });
    }
    const start = Math.min(t, ...found.map((f) => f.window.start));
    const end = Math.max(t, ...found.map((f) => f.window.end));
    // Closed once no record can extend it any more: stream time past end + gap + grace.
    if (end + gap + graceMs < this.streamTime) {
      this.late(record, { key: record.key, start: t, end: t }, ctx);
      return;
    }
    const merge = this.options.aggregation.merge;
    let aggregate: TAggregate | undefined;
    for (const previous of found.reverse()) {
      if (previous.aggregate !== undefined) {
        aggregate =
          aggregate === undefined || merge === undefined
            ? previous.aggregate
            : merge(aggregate, previous.aggregate);
      }
      if (previous.window.start === start && previous.window.end === end) {
        continue; // the merged session keeps this one's place: overwritten below, not retracted
      }
      this.keyedStore.remove(previous.window);
      if (this.options.emit === 'update') {
        const old = { key: record.key, start: previous.window.start, end: previous.window.end };
        ctx.forward(record.withKey(old).withValue(null));
      }
    }
    const next = this.options.aggregation.add(aggregate, record.value, record);
    this.keyedStore.put({ key: keyBytes, start, end }, this.aggregateBytes(next));
    if (this.options.emit === 'update') {
      ctx.forward(record.withKey({ key: record.key, start, end }).withValue(next));
    }
    await this.keyedStore.closeBefore(this.streamTime - gap - graceMs, (window, value) => {
      const final = this.aggregateOf(value);
      if (this.options.emit === 'close' && final !== undefined) {
        const key = { key: this.keyOf(window.key), start: window.start, end: window.end };
        ctx.forward(record.withKey(key).withValue(final));
      }
    });
  }

  private get keyedStore(): KeyedWindowStore {
    this.keyed ??= new KeyedWindowStore(this.store);
    return this.keyed;
  }
}
