import type { RoundMark } from '../connectors/kafka/streamClient.js';
import type { RawRecord } from './rawRecord.js';

/** Where a fetch of one input partition ended, and where the partition itself ended then. */
export interface FetchedUpTo {
  /** The offset after the fetch (transaction markers included): where the next fetch starts. */
  readonly nextOffset: bigint;
  /** The partition's high watermark in that fetch's response. */
  readonly highWatermark: bigint;
  /** When the fetch was handed over (wall clock ms); default now. */
  readonly deliveredAt?: number;
}

/** How a {@link PartitionGroup} decides that an empty input no longer holds the others back. */
export interface PartitionGroupOptions {
  /** Source topics of the task, in tie-break order (equal timestamps go first to first). */
  readonly topics: readonly string[];
  /**
   * A mark that passes once every fetch started after it has been delivered: an empty input
   * that was still behind when it emptied waits for one such fetch, and if that fetch brought
   * it nothing it was at its end.
   */
  readonly roundMark: () => RoundMark;
  /**
   * The most an empty input may hold the others back, whatever the fetches say; negative: an
   * empty input never holds them back (Kafka Streams' `max.task.idle.ms` of -1), so records
   * of different inputs may be taken out of timestamp order.
   */
  readonly maxIdleMs: number;
  /** Called when an empty input stopped holding the others back on `maxIdleMs` alone. */
  readonly onForced?: (topic: string, waitedMs: number) => void;
  /**
   * For inputs written faster than real time (a replay): while an input is empty at its end,
   * a record of another input is taken only once a fetch that started this long after the
   * record arrived has been delivered; 0 (the default) does not wait. Kafka Streams'
   * `max.task.idle.ms` plays this part. A writer appends its topics one after another, and a
   * replay spans hours of event time in one write: a fetch in between reads one topic's records
   * without the older records of another written with them, which then come too late for
   * their windows and sessions. Live traffic is written close to its event time, so a record
   * read a moment early moves stream time by that moment.
   */
  readonly waitForWritersMs?: number;
}

/** The buffered records of one input partition of a task. */
interface InputQueue {
  readonly topic: string;
  records: RawRecord[];
  /** Index of the first record not yet taken. */
  head: number;
  /** The offset after everything fetched: records and markers before it are never buffered again. */
  fetchedNext: bigint | undefined;
  /** The offset after what was taken, or after what was fetched once nothing is buffered. */
  position: bigint | undefined;
  /** Whether the last fetch reached the partition's end: when empty, there is nothing to wait for. */
  caughtUp: boolean;
  /** Since when this input, empty and behind, holds the others back; and what releases it. */
  waiting: { readonly since: number; readonly mark: RoundMark } | undefined;
  /**
   * When each buffered record arrived (wall clock), index for index with `records`; kept only
   * with `waitForWritersMs` (empty otherwise: live jobs pay nothing per record for it).
   */
  arrivedAt: number[];
}

/**
 * The input of one task: a queue per source partition, taken in timestamp order across them,
 * as Kafka Streams' `PartitionGroup` does. Without it a task processed whole fetches one
 * topic at a time, and while it caught up on a backlog, one fetch of a sparse topic spanned
 * days of event time while one of a busy topic spanned minutes: a session window closed by
 * inactivity before the watch end that closes it was read, and the watch counted twice.
 *
 * A task takes the record with the lowest timestamp among the heads of its queues. When a
 * queue is empty, the task waits for it only if it is behind (its last fetch stopped short of
 * the partition's end), and only until one more fetch has been delivered or `maxIdleMs` has
 * passed, so that an input without traffic never stalls the others.
 */
export class PartitionGroup {
  private readonly queues: InputQueue[];
  private readonly byTopic = new Map<string, InputQueue>();
  private readonly options: PartitionGroupOptions;
  /** Empty inputs that stopped holding the others back before a fetch showed them at their end. */
  forcedWithoutData = 0;
  /** Records that arrived at or before this time (wall clock) no longer wait for writers. */
  private writtenBefore = Number.NEGATIVE_INFINITY;
  /** The fetch whose delivery releases records that arrived a wait before `madeAt`. */
  private release: { readonly madeAt: number; readonly mark: RoundMark } | undefined;
  /** Whether the last take stopped on {@link heldForWriters}. */
  private writersHold = false;

  constructor(options: PartitionGroupOptions) {
    this.options = options;
    this.queues = options.topics.map((topic) => ({
      topic,
      records: [],
      head: 0,
      fetchedNext: undefined,
      position: undefined,
      caughtUp: false,
      waiting: undefined,
      arrivedAt: [],
    }));
    for (const queue of this.queues) {
      this.byTopic.set(queue.topic, queue);
    }
  }

  /**
   * Buffers a fetch of `topic`. Records before what was already fetched (kafkajs hands them
   * out again after a rebalance, from the committed offset) are dropped; returns how many.
   */
  add(topic: string, records: readonly RawRecord[], upTo: FetchedUpTo): number {
    const queue = this.queue(topic);
    const after = queue.fetchedNext;
    const tracksArrival = (this.options.waitForWritersMs ?? 0) > 0;
    const now = tracksArrival ? (upTo.deliveredAt ?? Date.now()) : 0;
    let repeated = 0;
    for (const record of records) {
      if (after !== undefined && BigInt(record.offset) < after) {
        repeated++;
      } else {
        queue.records.push(record);
        if (tracksArrival) {
          queue.arrivedAt.push(now);
        }
      }
    }
    this.fetched(queue, upTo);
    return repeated;
  }

  /** A fetch of `topic` held no records (only transaction markers): the position still moves. */
  skip(topic: string, upTo: FetchedUpTo): void {
    this.fetched(this.queue(topic), upTo);
  }

  /**
   * Takes up to `max` records in timestamp order, stopping early when an empty input that is
   * behind must be waited for.
   */
  take(now: number, max: number): RawRecord[] {
    const taken: RawRecord[] = [];
    this.writersHold = false;
    while (taken.length < max) {
      let next: InputQueue | undefined;
      let nextTimestamp = Number.POSITIVE_INFINITY;
      let someEmpty = false;
      for (const queue of this.queues) {
        const head = queue.records[queue.head];
        if (head === undefined) {
          someEmpty = true;
        } else if (head.timestamp < nextTimestamp) {
          next = queue;
          nextTimestamp = head.timestamp;
        }
      }
      // An empty input holds back only records: its wait starts when there are some to take.
      if (
        next === undefined ||
        (someEmpty && (this.anyHoldsBack(now) || this.heldForWriters(next, now)))
      ) {
        break;
      }
      const record = next.records[next.head++] as RawRecord;
      taken.push(record);
      next.position = BigInt(record.offset) + 1n;
      if (next.head === next.records.length && next.fetchedNext !== undefined) {
        next.position = next.fetchedNext;
      }
    }
    return this.compact(taken);
  }

  /** Records buffered for `topic` and not yet taken. */
  buffered(topic: string): number {
    const queue = this.queue(topic);
    return queue.records.length - queue.head;
  }

  /** The task's source topics. */
  get topics(): readonly string[] {
    return this.options.topics;
  }

  /** Records buffered in all inputs. */
  get size(): number {
    return this.queues.reduce((sum, q) => sum + q.records.length - q.head, 0);
  }

  /** Per input, the offset after what was taken: what a commit makes the group's position. */
  positions(): { topic: string; offset: bigint }[] {
    const result: { topic: string; offset: bigint }[] = [];
    for (const queue of this.queues) {
      if (queue.position !== undefined) {
        result.push({ topic: queue.topic, offset: queue.position });
      }
    }
    return result;
  }

  /** Whether some input waits for a fetch or for writers (a reason to look again soon). */
  get waiting(): boolean {
    return this.writersHold || this.queues.some((q) => q.waiting !== undefined);
  }

  private fetched(queue: InputQueue, upTo: FetchedUpTo): void {
    if (queue.fetchedNext === undefined || upTo.nextOffset > queue.fetchedNext) {
      queue.fetchedNext = upTo.nextOffset;
    }
    queue.caughtUp = upTo.nextOffset >= upTo.highWatermark;
    if (queue.head < queue.records.length) {
      queue.waiting = undefined;
    } else {
      queue.position = queue.fetchedNext;
    }
  }

  /** Whether an empty input must be waited for (each empty one's wait starts now if not yet). */
  private anyHoldsBack(now: number): boolean {
    let held = false;
    for (const queue of this.queues) {
      if (queue.head === queue.records.length && this.holdsBack(queue, now)) {
        held = true;
      }
    }
    return held;
  }

  /** Whether the empty `queue` must be waited for before anything else is taken. */
  private holdsBack(queue: InputQueue, now: number): boolean {
    if (queue.caughtUp || this.options.maxIdleMs < 0) {
      return false;
    }
    if (queue.waiting === undefined) {
      queue.waiting = { since: now, mark: this.options.roundMark() };
      return true;
    }
    const delivered = queue.waiting.mark.passed();
    if (!delivered && now - queue.waiting.since < this.options.maxIdleMs) {
      return true;
    }
    if (!delivered) {
      this.forcedWithoutData++;
      this.options.onForced?.(queue.topic, now - queue.waiting.since);
    }
    // A fetch came and went without records for it: it was at its end (or starved, in which
    // case waiting longer would not help either). Until its next fetch says otherwise, it is
    // treated as caught up.
    queue.waiting = undefined;
    queue.caughtUp = true;
    return false;
  }

  /**
   * Whether `queue`'s next record waits for writers (`waitForWritersMs`): it arrived less than
   * that long ago, or no fetch that started that long after its arrival has been delivered.
   * Called only while some input is empty.
   */
  private heldForWriters(queue: InputQueue, now: number): boolean {
    const waitMs = this.options.waitForWritersMs ?? 0;
    this.writersHold = false;
    if (waitMs <= 0) {
      return false;
    }
    const arrived = queue.arrivedAt[queue.head] ?? 0;
    if (arrived <= this.writtenBefore) {
      return false;
    }
    if (this.release?.mark.passed() === true) {
      // What was written by the time that fetch started is here: so is what came with every
      // record that arrived a wait before it.
      this.writtenBefore = this.release.madeAt - waitMs;
      this.release = undefined;
      if (arrived <= this.writtenBefore) {
        return false;
      }
    }
    if (this.release === undefined && now - arrived >= waitMs) {
      this.release = { madeAt: now, mark: this.options.roundMark() };
    }
    this.writersHold = true;
    return true;
  }

  private compact(taken: RawRecord[]): RawRecord[] {
    for (const queue of this.queues) {
      if (queue.head > 4096 && queue.head * 2 > queue.records.length) {
        queue.records = queue.records.slice(queue.head);
        queue.arrivedAt = queue.arrivedAt.slice(queue.head);
        queue.head = 0;
      } else if (queue.head === queue.records.length && queue.head > 0) {
        queue.records = [];
        queue.arrivedAt = [];
        queue.head = 0;
      }
    }
    return taken;
  }

  private queue(topic: string): InputQueue {
    const queue = this.byTopic.get(topic);
    if (queue === undefined) {
      throw new Error(`this task does not read topic ${topic}`);
    }
    return queue;
  }
}
