import { eventKinds, type EventKind } from './generatedEvent.js';

const shortNames: Readonly<Record<EventKind, string>> = {
  impressions: 'imp',
  clicks: 'click',
  watchHeartbeats: 'hb',
  watchEnds: 'end',
  engagements: 'eng',
  videoCatalog: 'video',
};

/**
 * Counts produced events and prints one line per interval: total, the rate since the last line
 * and since the start, the event time reached, and counts per kind.
 */
export class ProgressReporter {
  private readonly counts = new Map<EventKind, number>();
  private readonly log: (line: string) => void;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private startedAt: number;
  private last: { at: number; total: number };
  private total = 0;
  private eventTime = 0;

  constructor(options: { log: (line: string) => void; intervalMs: number; now?: () => number }) {
    this.log = options.log;
    this.intervalMs = options.intervalMs;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.last = { at: this.startedAt, total: 0 };
  }

  get produced(): number {
    return this.total;
  }

  /** Starts the clock again (at the first event, after set-up and warm-up). */
  restart(): void {
    this.startedAt = this.now();
    this.last = { at: this.startedAt, total: this.total };
  }

  /** Seconds since the reporter was created or restarted. */
  elapsedSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  /** Records one produced event of `kind` at `eventTime`. */
  add(kind: EventKind, eventTime: number): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    this.total++;
    this.eventTime = Math.max(this.eventTime, eventTime);
  }

  /** Prints a line when an interval has passed since the last one. */
  maybeReport(): void {
    if (this.now() - this.last.at >= this.intervalMs) {
      this.report();
    }
  }

  /** Prints a progress line now. */
  report(): void {
    const at = this.now();
    const seconds = (at - this.startedAt) / 1000;
    const recent = (this.total - this.last.total) / Math.max((at - this.last.at) / 1000, 1e-3);
    const average = this.total / Math.max(seconds, 1e-3);
    this.last = { at, total: this.total };
    this.log(
      `${seconds.toFixed(1)} s: ${this.total} events (${Math.round(recent)}/s now, ` +
        `${Math.round(average)}/s average), event time ${this.eventTimeText()} | ${this.byKind()}`,
    );
  }

  /** Events per kind, e.g. `imp=1200 click=80 …`. */
  byKind(): string {
    return eventKinds.map((kind) => `${shortNames[kind]}=${this.counts.get(kind) ?? 0}`).join(' ');
  }

  private eventTimeText(): string {
    return this.eventTime === 0 ? '-' : new Date(this.eventTime).toISOString();
  }
}
