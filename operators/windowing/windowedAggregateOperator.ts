import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Aggregation } from '../aggregation/aggregation.js';
import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import type { Windowed } from './windowed.js';
import { refuseInvalidTimestamp } from './invalidTimestamp.js';
import { decodeTime, encodeTime, streamTimeKey } from './windowStoreLayout.js';

/**
 * When a windowed aggregate is forwarded: on every update, or once when its window closes
 * (Kafka Streams' `suppress(untilWindowCloses)`, built into the operator).
 *
 * @category Windowing
 */
export type EmitMode = 'update' | 'close';

/** The counter of records an aggregation or join skipped for a null key or value. */
export const skippedMetric = 'skippedRecords';

/** The name of the side output that late records go to. */
export const lateOutput = 'late';

export interface WindowedAggregateOptions<TKey, TValue, TAggregate> {
  readonly storeName: string;
  readonly keySerde: Serde<TKey>;
  readonly aggregation: Aggregation<TKey, TValue, TAggregate>;
  readonly emit: EmitMode;
}

/** The loaded stored values, in the order of their keys: the bytes, or null when absent. */
export type Loaded = readonly (Buffer | null)[];

/**
 * What the windowed aggregations share: the store, the persisted stream time, serdes, late
 * records to the side output, and reading many keys at once without a promise when all are
 * cached.
 */
export abstract class WindowedAggregateOperator<TKey, TValue, TAggregate> implements Operator<
  TKey,
  TValue,
  Windowed<TKey>,
  TAggregate | null
> {
  protected readonly options: WindowedAggregateOptions<TKey, TValue, TAggregate>;
  /** The highest timestamp this operator has seen in this task; persisted with the state. */
  protected streamTime = Number.NEGATIVE_INFINITY;
  private storeRef: TaskStore | undefined;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;

  constructor(options: WindowedAggregateOptions<TKey, TValue, TAggregate>) {
    this.options = options;
    this.keyContext = { topic: options.storeName, isKey: true };
    this.valueContext = { topic: options.storeName, isKey: false };
  }

  async init(ctx: OperatorContext<Windowed<TKey>, TAggregate | null>): Promise<void> {
    this.storeRef = ctx.stateStore(this.options.storeName);
    const stored = await this.storeRef.get(streamTimeKey);
    this.streamTime = stored === undefined ? Number.NEGATIVE_INFINITY : decodeTime(stored);
  }

  process(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): void | Promise<void> {
    if (record.key === null || record.value === null) {
      // As in Kafka Streams, aggregations skip null keys and values; counted, not silent.
      ctx.count(skippedMetric);
      return;
    }
    // Before stream time moves: a timestamp no window can hold must not close windows either.
    refuseInvalidTimestamp(`windowed aggregation ${this.options.storeName}`, record, ctx);
    if (record.timestamp > this.streamTime) {
      this.streamTime = record.timestamp;
      this.store.put(streamTimeKey, encodeTime(record.timestamp));
    }
    return this.aggregate(record, ctx);
  }

  protected abstract aggregate(
    record: StreamRecord<TKey, TValue>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): void | Promise<void>;

  protected get store(): TaskStore {
    if (this.storeRef === undefined) {
      throw new Error(`windowed aggregation ${this.options.storeName} used before init`);
    }
    return this.storeRef;
  }

  protected keyBytes(key: TKey): Uint8Array {
    const bytes = this.options.keySerde.serialize(key, this.keyContext);
    if (bytes === null || bytes.length === 0) {
      throw new Error(`aggregation ${this.options.storeName}: the key serialized to no bytes`);
    }
    return bytes;
  }

  protected keyOf(bytes: Uint8Array): TKey {
    return this.options.keySerde.deserialize(bytes, this.keyContext);
  }

  protected aggregateOf(bytes: Uint8Array | null | undefined): TAggregate | undefined {
    return bytes === null || bytes === undefined
      ? undefined
      : this.options.aggregation.serde.deserialize(bytes, this.valueContext);
  }

  protected aggregateBytes(aggregate: TAggregate): Uint8Array {
    const bytes = this.options.aggregation.serde.serialize(aggregate, this.valueContext);
    if (bytes === null) {
      throw new Error(`aggregation ${this.options.storeName}: the aggregate serialized to null`);
    }
    return bytes;
  }

  /** Sends a record that came too late for `window` to the `late` side output. */
  protected late(
    record: StreamRecord<TKey, TValue>,
    window: Windowed<TKey>,
    ctx: OperatorContext<Windowed<TKey>, TAggregate | null>,
  ): void {
    ctx.count('lateRecords');
    // The side output carries the record's value with the window it missed as its key.
    const late = record.withKey(window) as unknown as StreamRecord<Windowed<TKey>, TAggregate>;
    ctx.forward(late, lateOutput);
  }

  /**
   * Loads `keys`, then runs `then` with their values in the same order; synchronously when
   * every key is cached. (An array by position, not a map by key: a map cost two more latin1
   * strings per key and record.)
   */
  protected withLoaded(
    keys: readonly Buffer[],
    then: (loaded: Loaded) => void | Promise<void>,
  ): void | Promise<void> {
    const loaded: (Buffer | null)[] = new Array<Buffer | null>(keys.length);
    let missing: number[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const cached = this.store.peek(keys[i] ?? Buffer.alloc(0));
      if (cached === undefined) {
        (missing ??= []).push(i);
      } else {
        loaded[i] = cached;
      }
    }
    if (missing === undefined) {
      return then(loaded);
    }
    return Promise.all(
      missing.map(async (i) => {
        loaded[i] = (await this.store.get(keys[i] ?? Buffer.alloc(0))) ?? null;
      }),
    ).then(() => then(loaded));
  }
}
