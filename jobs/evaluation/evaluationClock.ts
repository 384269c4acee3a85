const dayMs = 86_400_000;
const weekMs = 7 * dayMs;

/**
 * A "now" for the replay's time shift that makes the shift a whole number of weeks (the
 * largest that keeps the data at least 12 hours before the wall clock): two runs in different
 * weeks replay the same weekdays and hours, and the same run twice replays the same times.
 */
export function weekAlignedNow(
  ratings: readonly { readonly timestamp: number }[],
  wallClockMs: number = Date.now(),
): number {
  const lastMs = ratings.reduce((max, r) => Math.max(max, r.timestamp * 1000), 0);
  const margin = dayMs / 2;
  const weeks = Math.max(0, Math.floor((wallClockMs - margin - lastMs) / weekMs));
  return lastMs + weeks * weekMs + margin;
}
