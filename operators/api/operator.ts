import type { KeyValueState } from '../state/keyValueState.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';
import type { StoreDefinition } from '../state/storeDefinition.js';
import type { TaskStore } from '../state/taskStore.js';
import type { Timer, TimerService } from '../timers/timers.js';
import type { VectorStore } from '../vectors/vectorStore.js';
import type { VectorStoreDefinition } from '../vectors/vectorStoreSpec.js';
import type { StreamRecord } from './record.js';

/**
 * A processing step: receives records one at a time and forwards zero or more records through
 * its context. `process` returns `void` for synchronous work, so a synchronous operator costs no
 * promise per record; an operator that must wait returns a promise and the runtime awaits it.
 *
 * @example
 * ```ts
 * import { float64Serde, Pipeline, stringSerde, type Operator } from 'reelstream';
 *
 * const doubler: Operator<string, number, string, number> = {
 *   process(record, ctx) {
 *     ctx.forward(record.withValue(record.value * 2));
 *   },
 * };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('numbers', { key: stringSerde, value: float64Serde })
 *   .process(() => doubler, { name: 'double' })
 *   .to('doubled', { key: stringSerde, value: float64Serde });
 * ```
 * @category API
 */
export interface Operator<TKeyIn, TValueIn, TKeyOut, TValueOut> {
  /** Called once per task before the first record. */
  init?(ctx: OperatorContext<TKeyOut, TValueOut, TKeyIn>): void | Promise<void>;
  process(
    record: StreamRecord<TKeyIn, TValueIn>,
    ctx: OperatorContext<TKeyOut, TValueOut, TKeyIn>,
  ): void | Promise<void>;
  /**
   * Called when a timer scheduled through `ctx.timers` is due (its node must declare `timers`).
   * Records it forwards flow downstream like those of `process`.
   */
  onTimer?(
    timer: Timer<TKeyIn>,
    ctx: OperatorContext<TKeyOut, TValueOut, TKeyIn>,
  ): void | Promise<void>;
  /**
   * For operators that hold updates back until the commit (an aggregation with
   * `emit: 'onCommit'`, state kept decoded between commits): called before each commit of the
   * task. For each update returned, the task calls `apply` (which writes the operator's state)
   * and then forwards `record`, if any, downstream; a failure of either goes to the failure
   * policy like a failed record, and the other updates still go through.
   */
  takeHeld?(): readonly HeldUpdate<TKeyOut, TValueOut>[];
  /**
   * For an operator fed straight by a source: called with each slice of records before any of
   * them is processed, to start reading the state they will need, all at once. A read that
   * misses the store's cache goes to RocksDB through libuv's thread pool, and the record waits
   * for it before the next one is processed: a read per record costs a trip round the event
   * loop each, a read per slice one for all. It must not change state nor forward; a failure
   * is ignored (the record's own read reports it).
   */
  prefetch?(
    records: readonly StreamRecord<TKeyIn, TValueIn>[],
    ctx: OperatorContext<TKeyOut, TValueOut, TKeyIn>,
  ): Promise<void>;
  /** Called once when the task closes (rebalance, shutdown). */
  close?(): void | Promise<void>;
}

/** An update an operator held back until the commit: see {@link Operator.takeHeld}. */
export interface HeldUpdate<TKey, TValue> {
  /** What to forward once the state is written; none for a write alone. */
  readonly record?: StreamRecord<TKey, TValue>;
  /** The update's key as bytes: the key of the dead letter when the update fails. */
  readonly keyBytes: Uint8Array;
  /** Writes the update's state; called once, before `record` is forwarded. */
  readonly apply: () => void;
}

/**
 * What an operator may do besides returning: forward records downstream, use its stores and
 * timers, and learn which task it runs in and what time it is. `TTimerKey` is the key type of
 * its timers (the operator's input key type).
 *
 * @category API
 */
export interface OperatorContext<TKeyOut, TValueOut, TTimerKey = never> {
  /**
   * Sends a record to the operator's children; with `output`, only to the children reading that
   * named output (a side output such as late records).
   */
  forward(record: StreamRecord<TKeyOut, TValueOut>, output?: string): void;
  /** The task's instance of a store the operator declared (`stores` of its node). */
  keyValueStore<TKey, TValue>(
    definition: StoreDefinition<TKey, TValue>,
  ): KeyValueState<TKey, TValue>;
  /**
   * The task's instance of a vector store the operator declared (`stores` of its node): its
   * vectors, and their FAISS index kept in memory.
   */
  vectorStore(definition: VectorStoreDefinition): VectorStore;
  /** The byte-level store itself, for operators that lay out their own keys (windows). */
  stateStore(name: string): TaskStore;
  /** A global table of the job, by name: read-only, and the same in every task. */
  globalStore(name: string): ReadOnlyStore;
  /** Adds to a named counter of the task (late records, say), summed in the job's stats. */
  count(metric: string, by?: number): void;
  /** `<subtopology>_<partition>`, e.g. `0_3`. */
  readonly taskId: string;
  /** The highest record timestamp this task has seen (event time). */
  streamTime(): number;
  /** Wall-clock time, from the runtime's clock (the test driver advances it by hand). */
  wallClockTime(): number;
  /** The node's event-time and processing-time timers (declared with `timers` on `process`). */
  readonly timers: TimerService<TTimerKey>;
}
