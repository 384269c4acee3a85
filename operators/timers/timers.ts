import type { Serde } from '../serdes/serde.js';
import type { StoreSpec } from '../state/storeDefinition.js';

/**
 * Which clock a timer follows: `eventTime` fires once the task's stream time (the highest record
 * timestamp it has seen) reaches the timer; `processingTime` once the wall clock does.
 *
 * @category Timers
 */
export type TimerKind = 'eventTime' | 'processingTime';

/**
 * A timer that fired, as the operator's `onTimer` receives it.
 *
 * @category Timers
 */
export interface Timer<TKey> {
  readonly key: TKey;
  /** When it was scheduled to fire, epoch ms (event time or wall-clock time, per `kind`). */
  readonly timestamp: number;
  readonly kind: TimerKind;
}

/**
 * Schedules and cancels an operator's timers (`ctx.timers`). A timer is a (kind, key, timestamp)
 * triple: scheduling the same one twice keeps one timer, as in Flink. Timers are written to the
 * node's timer store like any state (durable at the next commit, restored with the task), so a
 * timer scheduled before a crash or a rebalance fires on whichever instance owns the task next.
 *
 * @example
 * ```ts
 * import { Pipeline, StreamRecord, stringSerde, type Operator } from 'reelstream';
 *
 * // Forwards 'idle' for a user 30 minutes of event time after a heartbeat (a real one would
 * // cancel the previous heartbeat's timer, its timestamp kept in a store).
 * const idleAfter: Operator<string, string, string, string> = {
 *   process(record, ctx) {
 *     ctx.timers.scheduleEventTime(record.key, record.timestamp + 30 * 60_000);
 *   },
 *   onTimer(timer, ctx) {
 *     ctx.forward(StreamRecord.of({ key: timer.key, value: 'idle', timestamp: timer.timestamp }));
 *   },
 * };
 * const text = { key: stringSerde, value: stringSerde };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('heartbeats', text)
 *   .process(() => idleAfter, { name: 'idle-after', timers: { key: stringSerde } })
 *   .to('idle-users', text);
 * ```
 * @category Timers
 */
export interface TimerService<TKey> {
  /** Fires once stream time is at or past `timestamp` (checked after each record). */
  scheduleEventTime(key: TKey, timestamp: number): void;
  /** Fires once the wall clock is at or past `timestamp` (checked on the job's timer tick). */
  scheduleProcessingTime(key: TKey, timestamp: number): void;
  cancelEventTime(key: TKey, timestamp: number): void;
  cancelProcessingTime(key: TKey, timestamp: number): void;
}

/**
 * The `timers` option of `stream.process(...)`: the serde of the timer keys (the stream's key
 * type), used to store them.
 *
 * @category Timers
 */
export interface TimerOptions<TKey> {
  readonly key: Serde<TKey>;
}

/** The store that holds a node's timers: `<node>-timers`, change-logged, in RocksDB. */
export function timerStoreSpec(node: string): StoreSpec {
  const name = `${node}-timers`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new Error(
      `process step "${node}" uses timers, so its name may hold only letters, digits, '.', '_' and '-' (it names the changelog topic of its timers)`,
    );
  }
  return { name, backend: 'rocksdb', changelog: true };
}
