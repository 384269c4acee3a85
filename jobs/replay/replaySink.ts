import type { ReplayEvent, ReplayEventKind } from './replayEvent.js';

/** Where a replay writes its records: Kafka (kafkaReplaySink.ts), or a counter for dry runs. */
export interface ReplaySink {
  /** Writes the records in order; resolves when the brokers have acknowledged them. */
  send(events: readonly ReplayEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Counts records per kind and writes nothing: `reelstream replay --dry-run`, and tests. */
export class CountingSink implements ReplaySink {
  readonly counts = new Map<ReplayEventKind, number>();
  sent = 0;

  send(events: readonly ReplayEvent[]): Promise<void> {
    for (const event of events) {
      this.counts.set(event.kind, (this.counts.get(event.kind) ?? 0) + 1);
    }
    this.sent += events.length;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
