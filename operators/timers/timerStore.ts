import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import { dueBounds, parseTimerKey, timerKey, timerMarker } from './timerLayout.js';
import type { TimerKind, TimerService } from './timers.js';

/** A timer read from the store, its key still bytes (deserialized where failures are handled). */
export interface DueTimer {
  readonly kind: TimerKind;
  readonly timestamp: number;
  readonly keyBytes: Buffer;
}

/**
 * One node's timers in one task, kept in the node's timer store (see `timerLayout.ts`).
 *
 * The earliest timestamp of each kind is kept in memory so the per-record check "is a timer
 * due?" costs a comparison, not a store scan. It may be lower than the truth (a cancelled timer
 * is not looked for), never higher: a stale value costs one scan that finds nothing due, after
 * which it is read again from the store.
 */
export class TimerStore<TKey> implements TimerService<TKey> {
  readonly storeName: string;
  private readonly store: TaskStore;
  private readonly keySerde: Serde<TKey>;
  private readonly context: SerdeContext;
  private readonly earliest: Record<TimerKind, number> = {
    eventTime: Number.POSITIVE_INFINITY,
    processingTime: Number.POSITIVE_INFINITY,
  };
  /** The earliest timer scheduled since the due timers were last read: see {@link fireDue}. */
  private readonly scheduledSinceScan: Record<TimerKind, number> = {
    eventTime: Number.POSITIVE_INFINITY,
    processingTime: Number.POSITIVE_INFINITY,
  };

  constructor(options: { store: TaskStore; key: Serde<TKey> }) {
    this.store = options.store;
    this.storeName = options.store.name;
    this.keySerde = options.key;
    this.context = { topic: options.store.name, isKey: true };
  }

  /** Reads the earliest timer of each kind (after a restore, the task's timers are all there). */
  async init(): Promise<void> {
    this.earliest.eventTime = await this.readEarliest('eventTime');
    this.earliest.processingTime = await this.readEarliest('processingTime');
  }

  /** The earliest timestamp a timer of `kind` may have; +Infinity when there is none. */
  nextDue(kind: TimerKind): number {
    return this.earliest[kind];
  }

  scheduleEventTime(key: TKey, timestamp: number): void {
    this.schedule('eventTime', key, timestamp);
  }

  scheduleProcessingTime(key: TKey, timestamp: number): void {
    this.schedule('processingTime', key, timestamp);
  }

  cancelEventTime(key: TKey, timestamp: number): void {
    this.store.delete(timerKey('eventTime', timestamp, this.keyBytes(key)));
  }

  cancelProcessingTime(key: TKey, timestamp: number): void {
    this.store.delete(timerKey('processingTime', timestamp, this.keyBytes(key)));
  }

  keyOf(bytes: Uint8Array): TKey {
    return this.keySerde.deserialize(bytes, this.context);
  }

  /**
   * Fires every timer of `kind` with timestamp ≤ `upTo`, in time order (then key bytes), each
   * deleted from the store before `fire` runs. `fire` may schedule and cancel timers: a
   * cancelled timer that was already read is skipped, and a new timer earlier than the next one
   * read makes the loop read again, so firing stays in time order. Timers scheduled at or before
   * `upTo` fire in this call too. Returns how many fired.
   */
  async fireDue(options: {
    kind: TimerKind;
    upTo: number;
    fire: (timer: DueTimer) => Promise<void>;
  }): Promise<number> {
    const { kind, upTo, fire } = options;
    let fired = 0;
    while (this.earliest[kind] <= upTo) {
      const due: { storeKey: Buffer; timer: DueTimer }[] = [];
      const bounds = dueBounds(kind, upTo, this.earliest[kind]);
      for await (const [storeKey] of this.store.range(bounds)) {
        const { timestamp, key } = parseTimerKey(storeKey);
        due.push({ storeKey, timer: { kind, timestamp, keyBytes: key } });
      }
      this.scheduledSinceScan[kind] = Number.POSITIVE_INFINITY;
      let complete = true;
      for (const { storeKey, timer } of due) {
        if (this.scheduledSinceScan[kind] < timer.timestamp) {
          complete = false; // an earlier timer was scheduled meanwhile: read again
          break;
        }
        if (this.store.peek(storeKey) === null) {
          continue; // cancelled by a timer that fired before it
        }
        this.store.delete(storeKey);
        fired += 1;
        await fire(timer);
      }
      if (complete) {
        // Every timer read was fired or cancelled; those left are later than `upTo`, or were
        // scheduled since the read.
        const floor = Math.min(Math.floor(upTo) + 1, this.scheduledSinceScan[kind]);
        this.earliest[kind] = await this.readEarliest(kind, floor);
      }
    }
    return fired;
  }

  private schedule(kind: TimerKind, key: TKey, timestamp: number): void {
    this.store.put(timerKey(kind, timestamp, this.keyBytes(key)), timerMarker);
    this.earliest[kind] = Math.min(this.earliest[kind], timestamp);
    this.scheduledSinceScan[kind] = Math.min(this.scheduledSinceScan[kind], timestamp);
  }

  /** The earliest timer of `kind`, looking from `from` on (no timer is earlier). */
  private async readEarliest(kind: TimerKind, from?: number): Promise<number> {
    const bounds = dueBounds(kind, undefined, from);
    for await (const [storeKey] of this.store.range({ ...bounds, limit: 1 })) {
      return parseTimerKey(storeKey).timestamp;
    }
    return Number.POSITIVE_INFINITY;
  }

  private keyBytes(key: TKey): Uint8Array {
    const bytes = this.keySerde.serialize(key, this.context);
    if (bytes === null) {
      throw new Error(`timers of ${this.storeName}: a timer key must not serialize to null`);
    }
    return bytes;
  }
}

/** `ctx.timers` of a node that declared no `timers`: every call says how to declare them. */
export function undeclaredTimers(node: string): TimerService<never> {
  const refuse = (): never => {
    throw new Error(
      `operator ${node} uses timers but its process step declares none; pass \`timers: { key: <key serde> }\` to process()`,
    );
  };
  return {
    scheduleEventTime: refuse,
    scheduleProcessingTime: refuse,
    cancelEventTime: refuse,
    cancelProcessingTime: refuse,
  };
}
