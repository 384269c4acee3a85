/** Replay speed: data-set seconds per wall-clock second, or `max` for no waiting at all. */
export type ReplaySpeed = number | 'max';

/**
 * Spaces records in wall-clock time like their event times, compressed by the speed factor: a
 * record `Δ` ms of event time after the first is due `Δ / speed` ms of wall time after the
 * first was written. At `max` nothing is ever due later. The clock and the sleep are injected
 * so tests run without waiting.
 */
export class ReplayPacer {
  private readonly speed: ReplaySpeed;
  private readonly now: () => number;
  private origin: { eventMs: number; wallMs: number } | undefined;

  constructor(options: { speed: ReplaySpeed; now: () => number }) {
    this.speed = options.speed;
    this.now = options.now;
  }

  /** Milliseconds to wait before writing a record with this event time (0: due now). */
  delayFor(eventTimeMs: number): number {
    if (this.speed === 'max') {
      return 0;
    }
    const now = this.now();
    this.origin ??= { eventMs: eventTimeMs, wallMs: now };
    const due = this.origin.wallMs + (eventTimeMs - this.origin.eventMs) / this.speed;
    return Math.max(0, due - now);
  }
}

/** Parses `--speed`: a positive number, or `max`. Returns undefined when it is neither. */
export function parseSpeed(raw: string): ReplaySpeed | undefined {
  if (raw.trim().toLowerCase() === 'max') {
    return 'max';
  }
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
