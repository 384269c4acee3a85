import type { Serde, SerdeContext } from '../serdes/serde.js';
import { keyId } from '../state/keyId.js';
import type { TaskStore } from '../state/taskStore.js';
import { dueBounds, parseTimerKey, timerKey, timerMarker } from './timerLayout.js';
import { TimerQueue } from './timerQueue.js';
import type { TimerKind, TimerService } from './timers.js';

/** A timer read from the store, its key still bytes (deserialized where failures are handled). */
export interface DueTimer {
  readonly kind: TimerKind;
  readonly timestamp: number;
  readonly keyBytes: Buffer;
}

/**
 * One node's timers in one task, kept in the node's timer store (see `timerLayout.ts`) and, in
 * memory, in a queue per kind (`timerQueue.ts`): the store is the durable copy (changelogged,
 * restored), the queues answer "which timers are due?" without scanning it. Every write goes
 * through both; {@link init} rebuilds the queues from the store when the task starts, and
 * again after uncommitted writes were discarded.
 */
export class TimerStore<TKey> implements TimerService<TKey> {
  readonly storeName: string;
  private readonly store: TaskStore;
  private readonly keySerde: Serde<TKey>;
  private readonly context: SerdeContext;
  private readonly queues: Record<TimerKind, TimerQueue> = {
    eventTime: new TimerQueue(),
    processingTime: new TimerQueue(),
  };

  constructor(options: { store: TaskStore; key: Serde<TKey> }) {
    this.store = options.store;
    this.storeName = options.store.name;
    this.keySerde = options.key;
    this.context = { topic: options.store.name, isKey: true };
  }

  /** Reads every timer of the store into the queues (after a restore, all of them are there). */
  async init(): Promise<void> {
    for (const kind of ['eventTime', 'processingTime'] as const) {
      const queue = this.queues[kind];
      queue.clear();
      for await (const [storeKey] of this.store.range(dueBounds(kind))) {
        const { timestamp, key } = parseTimerKey(storeKey);
        queue.add(timestamp, keyId(key));
      }
    }
  }

  /** The earliest timestamp of a timer of `kind`; +Infinity when there is none. */
  nextDue(kind: TimerKind): number {
    return this.queues[kind].peek()?.timestamp ?? Number.POSITIVE_INFINITY;
  }

  scheduleEventTime(key: TKey, timestamp: number): void {
    this.schedule('eventTime', key, timestamp);
  }

  scheduleProcessingTime(key: TKey, timestamp: number): void {
    this.schedule('processingTime', key, timestamp);
  }

  cancelEventTime(key: TKey, timestamp: number): void {
    this.cancel('eventTime', key, timestamp);
  }

  cancelProcessingTime(key: TKey, timestamp: number): void {
    this.cancel('processingTime', key, timestamp);
  }

  keyOf(bytes: Uint8Array): TKey {
    return this.keySerde.deserialize(bytes, this.context);
  }

  /**
   * Fires every timer of `kind` with timestamp ≤ `upTo`, in time order (then key bytes), each
   * deleted from the store before `fire` runs. `fire` may schedule and cancel timers: a
   * cancelled timer does not fire, and one scheduled at or before `upTo` fires in this call,
   * in its place in the order. Returns how many fired.
   */
  async fireDue(options: {
    kind: TimerKind;
    upTo: number;
    fire: (timer: DueTimer) => Promise<void>;
  }): Promise<number> {
    const { kind, upTo, fire } = options;
    const queue = this.queues[kind];
    let fired = 0;
    for (let due = queue.takeDue(upTo); due !== undefined; due = queue.takeDue(upTo)) {
      const keyBytes = Buffer.from(due.key, 'latin1');
      this.store.delete(timerKey(kind, due.timestamp, keyBytes));
      fired += 1;
      await fire({ kind, timestamp: due.timestamp, keyBytes });
    }
    return fired;
  }

  private schedule(kind: TimerKind, key: TKey, timestamp: number): void {
    const keyBytes = this.keyBytes(key);
    this.store.put(timerKey(kind, timestamp, keyBytes), timerMarker);
    this.queues[kind].add(timestamp, keyId(keyBytes));
  }

  private cancel(kind: TimerKind, key: TKey, timestamp: number): void {
    const keyBytes = this.keyBytes(key);
    this.store.delete(timerKey(kind, timestamp, keyBytes));
    this.queues[kind].remove(timestamp, keyId(keyBytes));
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
