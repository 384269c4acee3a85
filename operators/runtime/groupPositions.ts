import type { Logger } from 'pino';

import type { TopicPartition } from '../connectors/kafka/streamClient.js';

/** A partition's position: the next offset to read. */
export type TopicPartitionOffset = TopicPartition & { readonly offset: string };

/**
 * At-least-once: the positions the tasks' commits reached, committed for the consumer group
 * every `intervalMs` (at once when forced: a rebalance, the job stopping), one commit call at a
 * time. A task's commit reports its positions only after the outputs and changelog records
 * they cover were acknowledged, so a committed position never skips an unsent output.
 * Exactly-once commits positions inside each task's transaction and has no use for this.
 */
export class GroupPositions {
  /** Per task, the latest position of each of its source partitions not yet committed. */
  readonly #pending = new Map<string, Map<string, TopicPartitionOffset>>();
  readonly #options: GroupPositionsOptions;
  #lastFlush: number;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: GroupPositionsOptions) {
    this.#options = options;
    this.#lastFlush = (options.now ?? Date.now)();
  }

  /** `taskId`'s commit reached `offsets`; committed at the next flush that is due. */
  reached(taskId: string, offsets: readonly TopicPartitionOffset[]): void {
    if (offsets.length === 0) {
      return;
    }
    let pending = this.#pending.get(taskId);
    if (pending === undefined) {
      pending = new Map();
      this.#pending.set(taskId, pending);
    }
    for (const offset of offsets) {
      pending.set(`${offset.topic}\u0000${offset.partition}`, offset);
    }
    void this.flush(false);
  }

  /**
   * The task left this member (revoked, or dropped with its uncommitted work): its pending
   * positions are not this member's to commit any more; its next owner reads from the last
   * committed ones, which at-least-once allows.
   */
  forget(taskId: string): void {
    this.#pending.delete(taskId);
  }

  /**
   * Commits every pending position when the interval has passed since the last commit, or
   * `force`; resolves once that commit (and any before it) has settled. A refused commit (a
   * rebalance under way) is logged, not thrown: the next owner reads those records again.
   */
  flush(force: boolean): Promise<void> {
    const now = (this.#options.now ?? Date.now)();
    if (this.#pending.size === 0 || (!force && now - this.#lastFlush < this.#options.intervalMs)) {
      return this.#flushing;
    }
    const offsets = [...this.#pending.values()].flatMap((perPartition) => [
      ...perPartition.values(),
    ]);
    this.#pending.clear();
    this.#lastFlush = now;
    this.#flushing = this.#flushing.then(async () => {
      try {
        await this.#options.commit(offsets);
      } catch (error) {
        // The stores recognise records they already applied (state/appliedPositions.ts).
        this.#options.logger.warn(
          { err: error, partitions: offsets.length },
          'offset commit failed',
        );
      }
    });
    return this.#flushing;
  }
}

export interface GroupPositionsOptions {
  readonly intervalMs: number;
  /** Commits positions for the group (the consumer's, while it has one). */
  readonly commit: (offsets: readonly TopicPartitionOffset[]) => Promise<void>;
  readonly logger: Logger;
  /** The clock; `Date.now` unless a test drives it. */
  readonly now?: () => number;
}
