import type { Operator, OperatorContext } from '../api/operator.js';
import type { StreamRecord } from '../api/record.js';
import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import {
  decodeJoinTime,
  encodeJoinTime,
  entriesOf,
  joinIndexBefore,
  joinIndexKey,
  joinListKey,
  joinTimeKey,
  keyOfJoinIndex,
  packEntries,
} from './joinBufferLayout.js';
import { refuseInvalidTimestamp } from '../windowing/invalidTimestamp.js';
import { lateOutput } from '../windowing/windowedAggregateOperator.js';
import { prepareStateSerdes } from './stateSerdes.js';

/**
 * One side of a windowed stream–stream join, seen from that side: where its own records are
 * buffered, where the other side's are, and which of them a record joins.
 */
export interface WindowedJoinSide<TKey, TOwn, TFound, TResult> {
  /** The join's name: the serde context of the keys in both buffers. */
  readonly name: string;
  readonly keySerde: Serde<TKey>;
  readonly own: { readonly store: string; readonly serde: Serde<TOwn> };
  readonly found: { readonly store: string; readonly serde: Serde<TFound> };
  /** The store that keeps the join's stream time (the this-side buffer, for both sides). */
  readonly clockStore: string;
  /** A record of this side at `t` joins the other side's records in [t - beforeMs, t + afterMs]. */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  /** Calls the user's joiner with the this-stream's value first, whichever side arrived. */
  readonly join: (own: TOwn, found: TFound, key: TKey) => TResult;
}

/** The stream time both sides of one task's join share, and how far expiry has got. */
interface JoinClock {
  streamTime: number;
  /** Buffered records older than this were removed by the last expiry scan. */
  expiredBelow: number;
  loaded: Promise<void>;
}

/**
 * Each task's two side operators find their shared clock through the store that persists it:
 * both get the same task store instance, and a new task (restart, rebalance) gets a new one.
 */
const clocks = new WeakMap<TaskStore, JoinClock>();

const indexMarker = Buffer.from([1]);

/**
 * One side of an inner windowed join of two streams (Kafka Streams' `KStreamKStreamJoin`): the
 * join is two of these, one per input, sharing the two buffers and the stream time, so each
 * knows which side its records come from without tagging them. A record is appended to its
 * key's list in its side's buffer, then joined with the other side's records of the key within
 * its window, oldest first; each pair is emitted once, when its second record arrives, with the
 * later timestamp of the two. Both lists are point reads: when the store's cache knows the key
 * (read or written recently), a record costs no promise.
 *
 * Time: the join's stream time is the highest timestamp either side has seen. A record whose
 * window ended more than `graceMs` before stream time is late: counted and sent to the late
 * output, not joined, so what joins does not depend on how late data happens to be. (Kafka
 * Streams 4.4's inner join has no such rule: it joins a late record with whatever its other
 * side's store still returns; the differential suite documents the difference.) A buffered
 * record older than stream time - (before + after + grace) can match no record that is not
 * late, so it is expired: dropped from its key's list
 * when the key is next written, and by a scan of the time index every half retention of stream
 * time for keys that are not.
 */
export class WindowedJoinOperator<TKey, TOwn, TFound, TResult> implements Operator<
  TKey,
  TOwn,
  TKey,
  TResult
> {
  private readonly side: WindowedJoinSide<TKey, TOwn, TFound, TResult>;
  private readonly retentionMs: number;
  private readonly expiryStepMs: number;
  private readonly keyContext: SerdeContext;
  private readonly ownContext: SerdeContext;
  private readonly foundContext: SerdeContext;
  private stores: { own: TaskStore; found: TaskStore; clock: TaskStore } | undefined;
  private clockRef: JoinClock | undefined;

  constructor(side: WindowedJoinSide<TKey, TOwn, TFound, TResult>) {
    this.side = side;
    this.retentionMs = side.beforeMs + side.afterMs + side.graceMs;
    this.expiryStepMs = Math.max(1, Math.floor(this.retentionMs / 2));
    this.keyContext = { topic: side.name, isKey: true };
    this.ownContext = { topic: side.own.store, isKey: false };
    this.foundContext = { topic: side.found.store, isKey: false };
  }

  async init(ctx: OperatorContext<TKey, TResult>): Promise<void> {
    const clockStore = ctx.stateStore(this.side.clockStore);
    this.stores = {
      own: ctx.stateStore(this.side.own.store),
      found: ctx.stateStore(this.side.found.store),
      clock: clockStore,
    };
    let clock = clocks.get(clockStore);
    if (clock === undefined) {
      const created: JoinClock = {
        streamTime: Number.NEGATIVE_INFINITY,
        expiredBelow: Number.NEGATIVE_INFINITY,
        loaded: Promise.resolve(),
      };
      created.loaded = clockStore.get(joinTimeKey).then((stored) => {
        if (stored !== undefined) {
          created.streamTime = decodeJoinTime(stored);
        }
      });
      clocks.set(clockStore, created);
      clock = created;
    }
    this.clockRef = clock;
    await clock.loaded;
    await prepareStateSerdes([
      [this.side.keySerde, this.keyContext],
      [this.side.own.serde, this.ownContext],
      [this.side.found.serde, this.foundContext],
    ]);
  }

  process(
    record: StreamRecord<TKey, TOwn>,
    ctx: OperatorContext<TKey, TResult>,
  ): void | Promise<void> {
    if (record.key === null || record.key === undefined || record.value === null) {
      ctx.count('skippedRecords'); // as in Kafka Streams: no null keys or values in a join
      return;
    }
    // No window holds it: dead-lettered with the reason (invalidTimestamp.ts), not skipped.
    refuseInvalidTimestamp(`join ${this.side.name}`, record, ctx);
    const clock = this.clock;
    if (record.timestamp + this.side.afterMs + this.side.graceMs < clock.streamTime) {
      // It can never join: every record it could match is expired or will be. It goes to the
      // side's late output (`lateRecords()` of the joined stream), and is counted.
      ctx.count('lateRecords');
      ctx.forward(record as unknown as StreamRecord<TKey, TResult>, lateOutput);
      return;
    }
    const { own, found, clock: clockStore } = this.requireStores();
    if (record.timestamp > clock.streamTime) {
      clock.streamTime = record.timestamp;
      clockStore.put(joinTimeKey, encodeJoinTime(record.timestamp));
    }
    const keyBytes = this.side.keySerde.serialize(record.key, this.keyContext);
    if (keyBytes === null || keyBytes.length === 0) {
      throw new Error(`join ${this.side.name}: the key serialized to no bytes`);
    }
    const listKey = joinListKey(keyBytes);
    const ownList = own.peek(listKey);
    const foundList = found.peek(listKey);
    if (ownList !== undefined && foundList !== undefined) {
      this.bufferAndJoin(record, { keyBytes, own: ownList, found: foundList }, ctx);
      return this.expireIfDue(ctx);
    }
    return Promise.all([
      ownList === undefined ? own.get(listKey).then((list) => list ?? null) : ownList,
      foundList === undefined ? found.get(listKey).then((list) => list ?? null) : foundList,
    ]).then(([ownLoaded, foundLoaded]) => {
      this.bufferAndJoin(record, { keyBytes, own: ownLoaded, found: foundLoaded }, ctx);
      return this.expireIfDue(ctx);
    });
  }

  /** Appends the record to its key's list (dropping what expired) and joins the other list. */
  private bufferAndJoin(
    record: StreamRecord<TKey, TOwn>,
    lists: { keyBytes: Uint8Array; own: Buffer | null; found: Buffer | null },
    ctx: OperatorContext<TKey, TResult>,
  ): void {
    const { own } = this.requireStores();
    const t = record.timestamp;
    const value = this.side.own.serde.serialize(record.value, this.ownContext);
    const expiredBelow = this.clock.streamTime - this.retentionMs;
    const kept = entriesOf(lists.own).filter((entry) => entry.time >= expiredBelow);
    kept.push({ time: t, value: value === null ? Buffer.alloc(0) : Buffer.from(value) });
    const listKey = joinListKey(lists.keyBytes);
    const packed = packEntries(kept);
    if (packed !== null) {
      own.put(listKey, packed);
    }
    own.put(joinIndexKey(this.bucketOf(t), lists.keyBytes), indexMarker);
    const from = t - this.side.beforeMs;
    const to = t + this.side.afterMs;
    const matches = entriesOf(lists.found)
      .filter((entry) => entry.time >= from && entry.time <= to)
      .sort((a, b) => a.time - b.time); // stable: equal times stay in arrival order
    for (const match of matches) {
      const other = this.side.found.serde.deserialize(match.value, this.foundContext);
      const joined = this.side.join(record.value, other, record.key);
      ctx.forward(record.withValue(joined).withTimestamp(Math.max(t, match.time)));
    }
  }

  private bucketOf(time: number): number {
    return Math.floor(time / this.expiryStepMs) * this.expiryStepMs;
  }

  /** Runs an expiry scan when stream time moved half a retention since the last one. */
  private expireIfDue(ctx: OperatorContext<TKey, TResult>): void | Promise<void> {
    const clock = this.clock;
    const below = clock.streamTime - this.retentionMs;
    if (below <= 0 || below < clock.expiredBelow + this.expiryStepMs) {
      return;
    }
    clock.expiredBelow = below;
    return this.expire(below, ctx);
  }

  /**
   * Removes both sides' records older than `below` from the lists of the keys whose index
   * buckets ended by then; a key with newer records keeps them, and their buckets' entries.
   */
  private async expire(below: number, ctx: OperatorContext<TKey, TResult>): Promise<void> {
    const { own, found } = this.requireStores();
    let expired = 0;
    for (const store of [own, found]) {
      const indexKeys: Buffer[] = [];
      // Buckets that end by `below`: bucket + step <= below.
      for await (const [indexKey] of store.range(joinIndexBefore(below - this.expiryStepMs + 1))) {
        indexKeys.push(Buffer.from(indexKey));
      }
      for (const indexKey of indexKeys) {
        store.delete(indexKey);
        const listKey = joinListKey(keyOfJoinIndex(indexKey));
        const cached = store.peek(listKey);
        const entries = entriesOf(
          cached !== undefined ? cached : ((await store.get(listKey)) ?? null),
        );
        const kept = entries.filter((entry) => entry.time >= below);
        if (kept.length === entries.length) {
          continue;
        }
        expired += entries.length - kept.length;
        const packed = packEntries(kept);
        if (packed === null) {
          store.delete(listKey);
        } else {
          store.put(listKey, packed);
        }
      }
    }
    if (expired > 0) {
      ctx.count('expiredJoinRecords', expired);
    }
  }

  private get clock(): JoinClock {
    if (this.clockRef === undefined) {
      throw new Error(`join ${this.side.name} used before init`);
    }
    return this.clockRef;
  }

  private requireStores(): { own: TaskStore; found: TaskStore; clock: TaskStore } {
    if (this.stores === undefined) {
      throw new Error(`join ${this.side.name} used before init`);
    }
    return this.stores;
  }
}
