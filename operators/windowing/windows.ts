/**
 * Event-time windows. Times are epoch milliseconds from record timestamps; a window is
 * `[start, end)` for tumbling and hopping windows and `[start, end]` (both inclusive) for
 * sliding and session windows, as in Kafka Streams.
 *
 * @category Windowing
 */
export type Windows = FixedWindows | SlidingWindows | SessionWindows;

/** Tumbling (advance = size) and hopping (advance < size) windows aligned to the epoch. */
export interface FixedWindows {
  readonly kind: 'fixed';
  readonly sizeMs: number;
  readonly advanceMs: number;
  /** How long after a window's end records for it are still accepted. */
  readonly graceMs: number;
}

/** Windows of a fixed length that follow the records (Kafka Streams' `SlidingWindows`). */
export interface SlidingWindows {
  readonly kind: 'sliding';
  /** Two records are in one window when their timestamps differ by at most this. */
  readonly timeDifferenceMs: number;
  readonly graceMs: number;
}

/** Activity sessions per key, split by gaps of inactivity longer than `inactivityGapMs`. */
export interface SessionWindows {
  readonly kind: 'session';
  readonly inactivityGapMs: number;
  readonly graceMs: number;
}

/** @category Windowing */
export function tumblingWindows(options: { sizeMs: number; graceMs?: number }): FixedWindows {
  return hoppingWindows({ ...options, advanceMs: options.sizeMs });
}

/** @category Windowing */
export function hoppingWindows(options: {
  sizeMs: number;
  advanceMs: number;
  graceMs?: number;
}): FixedWindows {
  const graceMs = options.graceMs ?? 0;
  positive('sizeMs', options.sizeMs);
  positive('advanceMs', options.advanceMs);
  nonNegative('graceMs', graceMs);
  if (options.advanceMs > options.sizeMs) {
    throw new RangeError(
      `advanceMs (${options.advanceMs}) must not exceed sizeMs (${options.sizeMs}): records between windows would be in none`,
    );
  }
  return { kind: 'fixed', sizeMs: options.sizeMs, advanceMs: options.advanceMs, graceMs };
}

/** @category Windowing */
export function slidingWindows(options: {
  timeDifferenceMs: number;
  graceMs?: number;
}): SlidingWindows {
  positive('timeDifferenceMs', options.timeDifferenceMs);
  nonNegative('graceMs', options.graceMs ?? 0);
  return {
    kind: 'sliding',
    timeDifferenceMs: options.timeDifferenceMs,
    graceMs: options.graceMs ?? 0,
  };
}

/** @category Windowing */
export function sessionWindows(options: {
  inactivityGapMs: number;
  graceMs?: number;
}): SessionWindows {
  positive('inactivityGapMs', options.inactivityGapMs);
  nonNegative('graceMs', options.graceMs ?? 0);
  return {
    kind: 'session',
    inactivityGapMs: options.inactivityGapMs,
    graceMs: options.graceMs ?? 0,
  };
}

/**
 * The starts of the fixed windows that contain `timestamp`, oldest first: every multiple of
 * the advance in (timestamp - size, timestamp]. Negative starts are skipped (as Kafka Streams
 * does), so records near the epoch fall in fewer windows.
 */
export function fixedWindowStarts(windows: FixedWindows, timestamp: number): number[] {
  const last = timestamp - mod(timestamp, windows.advanceMs);
  const starts: number[] = [];
  for (let start = last; start > timestamp - windows.sizeMs; start -= windows.advanceMs) {
    if (start >= 0) {
      starts.push(start);
    }
  }
  return starts.reverse();
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function positive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive whole number of milliseconds, got ${value}`);
  }
}

function nonNegative(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of milliseconds >= 0, got ${value}`);
  }
}
