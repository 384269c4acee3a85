/** Of some topics, those that exist (one metadata round for all of them). */
export type ExistingTopics = (topics: readonly string[]) => Promise<ReadonlySet<string>>;

interface Known {
  exists: boolean;
  checkedAt: number;
  usedAt: number;
}

/**
 * Whether reply topics exist, from cached metadata. Reply topics come and go with their clients,
 * and a send to a topic that is gone costs a partition seconds of kafkajs retries, so each send
 * of replies asks this first. A topic seen for the first time is looked up before the send (one
 * lookup for all new topics of a send); a known one is answered from the cache at once and,
 * once its answer is `refreshMs` old, looked up again in the background, so a client that
 * closed is known to be gone within about `refreshMs` and never costs a lookup on the path of
 * a reply. A topic deleted in between is the send's to handle (replyGuard.ts).
 */
export class ReplyTopicExistence {
  private readonly lookup: ExistingTopics;
  private readonly refreshMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxTopics: number;
  private readonly clock: () => number;
  private readonly known = new Map<string, Known>();
  private refreshing: Promise<void> | undefined;
  private lastSweep: number;

  constructor(
    lookup: ExistingTopics,
    options: {
      refreshMs?: number;
      forgetAfterMs?: number;
      /** The most topics kept: requests naming endless new topics do not grow it without end. */
      maxTopics?: number;
      clock?: () => number;
    } = {},
  ) {
    this.lookup = lookup;
    this.refreshMs = options.refreshMs ?? 1_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 60_000;
    this.maxTopics = options.maxTopics ?? 10_000;
    this.clock = options.clock ?? Date.now;
    this.lastSweep = this.clock();
  }

  /** Of `topics`, the ones that do not exist as far as is known (new ones are looked up). */
  async missing(topics: ReadonlySet<string>): Promise<Set<string>> {
    const now = this.clock();
    this.sweep(now);
    const unknown: string[] = [];
    const stale: string[] = [];
    for (const topic of topics) {
      const entry = this.known.get(topic);
      if (entry === undefined) {
        unknown.push(topic);
      } else {
        entry.usedAt = now;
        if (now - entry.checkedAt >= this.refreshMs) {
          stale.push(topic);
        }
      }
    }
    if (unknown.length > 0) {
      await this.check(unknown);
    }
    if (stale.length > 0 && this.refreshing === undefined) {
      // A failed background lookup leaves the old answers; the next send tries again.
      this.refreshing = this.check(stale)
        .catch(() => undefined)
        .finally(() => (this.refreshing = undefined));
    }
    return new Set([...topics].filter((topic) => this.known.get(topic)?.exists !== true));
  }

  /** Asks the broker now: of `topics`, the ones that do not exist. */
  async missingNow(topics: ReadonlySet<string>): Promise<Set<string>> {
    await this.check([...topics]);
    return new Set([...topics].filter((topic) => this.known.get(topic)?.exists !== true));
  }

  /** Drops what is known of `topics` (a send to one failed): the next send looks them up. */
  forget(topics: Iterable<string>): void {
    for (const topic of topics) {
      this.known.delete(topic);
    }
  }

  /** How many topics are cached (bounded by those used within `forgetAfterMs`). */
  get size(): number {
    return this.known.size;
  }

  private async check(topics: readonly string[]): Promise<void> {
    const existing = await this.lookup(topics);
    const now = this.clock();
    for (const topic of topics) {
      const entry = this.known.get(topic);
      if (entry === undefined) {
        this.known.set(topic, { exists: existing.has(topic), checkedAt: now, usedAt: now });
      } else {
        entry.exists = existing.has(topic);
        entry.checkedAt = now;
      }
    }
    // The oldest first: a Map iterates in insertion order.
    for (const topic of this.known.keys()) {
      if (this.known.size <= this.maxTopics) {
        break;
      }
      this.known.delete(topic);
    }
  }

  /** Forgets topics no reply went to for `forgetAfterMs`: clients come and go for ever. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.forgetAfterMs) {
      return;
    }
    this.lastSweep = now;
    for (const [topic, entry] of this.known) {
      if (now - entry.usedAt >= this.forgetAfterMs) {
        this.known.delete(topic);
      }
    }
  }
}
