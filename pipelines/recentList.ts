/**
 * Bounded "most recent first, one entry per video" lists of the feature pipelines (a user's last
 * watched videos, recent negatives, recent watches for co-visitation).
 */

/** What {@link insertRecent} needs to know of an entry. */
export interface Recent {
  readonly videoId: string;
  readonly eventTime: number;
}

/**
 * Puts `entry` into `list` (most recent first, one entry per video, at most `limit` entries).
 * A video already in the list keeps its most recent entry: an older (late) one for it is
 * ignored, a newer or equally recent one replaces it. Among equal event times the later arrival
 * goes first. The result is always the `limit` most recent videos by their latest event time,
 * whatever order the entries came in: a video that fell off the list is older than every video
 * in it, so a late entry for it cannot belong there either.
 */
export function insertRecent<TEntry extends Recent>(
  list: readonly TEntry[],
  entry: TEntry,
  limit: number,
): TEntry[] {
  const existing = list.find((e) => e.videoId === entry.videoId);
  if (existing !== undefined && existing.eventTime > entry.eventTime) {
    return [...list];
  }
  const others = list.filter((e) => e.videoId !== entry.videoId);
  const at = others.findIndex((e) => e.eventTime <= entry.eventTime);
  const next =
    at === -1 ? [...others, entry] : [...others.slice(0, at), entry, ...others.slice(at)];
  return next.slice(0, limit);
}
