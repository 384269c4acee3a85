import type { HeldUpdate, Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde } from '../serdes/serde.js';
import { keyId } from '../state/keyId.js';

/**
 * Merges two values of one key, the earlier first: what a combiner before a repartition does
 * with the records of a key that meet between two commits. It must mean the same downstream as
 * the two records sent one after the other.
 *
 * @category DSL
 */
export type Combine<TKey, TValue> = (earlier: TValue, later: TValue, key: TKey) => TValue;

/** A key's records since the last commit, combined into one. */
interface Pending<TKey, TValue> {
  readonly keyBytes: Uint8Array;
  record: StreamRecord<TKey, TValue>;
}

const applied = (): void => undefined;

/**
 * Holds the records of each key until the task commits, combined into one, and forwards one
 * record per key then: the combiner before a repartition (MapReduce's combiner, Flink's local
 * aggregation), so that a key sent many times between two commits crosses the topic, and is
 * read and applied downstream, once. Nothing is lost by holding: the input positions of the
 * records held are committed only with the commit that sends them (held updates are forwarded
 * before it), so a task that stops without committing has its inputs redone by the next owner.
 *
 * The record sent carries the latest record's key, headers and origin, and the latest
 * timestamp among those combined. Keys are told apart by their serialized bytes; a record without
 * a key (a Kafka null) goes on at once. One instance per task: the held records are the task's.
 */
export class CommitCombinerOperator<TKey, TValue> implements Operator<TKey, TValue, TKey, TValue> {
  private held = new Map<string, Pending<TKey, TValue>>();
  private readonly combine: Combine<TKey, TValue>;
  private readonly keySerde: Serde<TKey>;
  private readonly topic: string;

  constructor(options: {
    readonly combine: Combine<TKey, TValue>;
    readonly keySerde: Serde<TKey>;
    /** The topic the key serde is asked for (the repartition topic). */
    readonly topic: string;
  }) {
    this.combine = options.combine;
    this.keySerde = options.keySerde;
    this.topic = options.topic;
  }

  process(record: StreamRecord<TKey, TValue>, ctx: OperatorContext<TKey, TValue, TKey>): void {
    const keyBytes = this.keySerde.serialize(record.key, { topic: this.topic, isKey: true });
    if (keyBytes === null) {
      ctx.forward(record); // no key to combine by
      return;
    }
    const id = keyId(keyBytes);
    const pending = this.held.get(id);
    if (pending === undefined) {
      this.held.set(id, { keyBytes, record });
      return;
    }
    const earlier = pending.record;
    const value = this.combine(earlier.value, record.value, record.key);
    const combined = record.withValue(value);
    pending.record =
      earlier.timestamp > record.timestamp ? combined.withTimestamp(earlier.timestamp) : combined;
  }

  takeHeld(): readonly HeldUpdate<TKey, TValue>[] {
    if (this.held.size === 0) {
      return [];
    }
    const held = this.held;
    this.held = new Map();
    const updates: HeldUpdate<TKey, TValue>[] = [];
    for (const { keyBytes, record } of held.values()) {
      updates.push({ record, keyBytes, apply: applied });
    }
    return updates;
  }

  close(): void {
    this.held.clear();
  }
}
