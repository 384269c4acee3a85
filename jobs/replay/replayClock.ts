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
 * - `original`: 0. Records carry their 1997–98 times.
 * - `shifted` (the default): a whole number of days, the largest that puts the data set's last
 *   rating at least one hour before `nowMs`. Gaps between events, hour of day and (up to the
 *   weekday) the daily rhythm are kept, and the replayed data ends about a day before now, inside
 *   the brokers' future-timestamp limit.
 *
 * Either way the records are older than the event topics' 7-day retention (schemas/topics.ts)
 * and Kafka deletes by record timestamp, so the replay sink raises the topics' `retention.ms` to
 * reach back to the oldest record (KafkaReplaySink.open) before writing.
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
