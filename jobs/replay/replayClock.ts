/** How replayed records are timestamped. */
export type TimestampMode = 'shifted' | 'original';

const dayMs = 86_400_000;

/**
 * Headroom between the last replayed event and now: a rating's events run up to about two
 * minutes past it, and brokers refuse timestamps too far in the future (Kafka 4: 1 hour).
 */
const headroomMs = 3_600_000;

/**
 * The offset added to every data-set time.
 *
 * - `original`: 0. Records carry their 1997–98 times. Event topics keep records 7 days
 *   (`retention.ms`, schemas/topics.ts), and Kafka deletes by record timestamp, so the broker
 *   drops such records within minutes (at its next retention check); use it only against topics
 *   with infinite retention.
 * - `shifted` (the default): a whole number of days, the largest that puts the data set's last
 *   rating at least one hour before `nowMs`. Gaps between events, hour of day and (up to the
 *   weekday) the daily rhythm are kept, and the replayed data ends about a day before now, well
 *   inside retention and the brokers' future-timestamp limit.
 *
 * @example
 * ```ts
 * timeOffsetMs({ mode: 'shifted', lastRatingMs: 892_079_910_000, nowMs: Date.now() });
 * ```
 */
export function timeOffsetMs(options: {
  mode: TimestampMode;
  lastRatingMs: number;
  nowMs: number;
}): number {
  if (options.mode === 'original') {
    return 0;
  }
  const days = Math.floor((options.nowMs - headroomMs - options.lastRatingMs) / dayMs);
  return Math.max(0, days) * dayMs;
}
