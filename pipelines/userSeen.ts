import {
  avroBinarySerde,
  jsonSerde,
  stringSerde,
  type Stream,
  type Table,
} from '../operators/index.js';
import type { Engagement } from '../schemas/generated/engagement.js';
import { userSeenSchema, type UserSeen } from '../schemas/generated/userSeen.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { emptySeen, withSeen, type SeenBounds } from './seenSet.js';

/**
 * The seen set of each user: every video the user played or acted on, kept per user in the
 * feature job's store `user-seen` (bounded as `seenSet.ts` says) and published to the
 * compacted `features.user-seen` for the serving path to filter out of every reply,
 * personalised or not. It lives beside the user features, in a store of its own.
 *
 * **What counts as seen.** A playback (a closed watch session with time watched: heartbeats and
 * watch ends, however short: a swipe-away is a video the user has been shown and passed on) and
 * every engagement (a like, share or follow was made on the video; a dislike or dismiss asks
 * never to see it again). Impressions do not count: an impression says the video was in a
 * reply, not that the user looked at it (most of a list of 50 is never scrolled to), and
 * excluding every impression forever would take 50 videos out of the user's pool per request,
 * the popular ones first; that is impression fatigue, a demotion for a while, not a filter.
 *
 * **Why a store of its own.** The user features are written to their store and `features.user`
 * on every event of the user, and read whole by every request; the seen set is up to tens of
 * kilobytes for a heavy user (several times the rest of the features) and only the serving
 * filter needs it. In its own aggregation it is encoded, stored and published once per commit
 * of the task (`emit: 'onCommit'`), whatever the number of the user's events in between. The
 * price: a reader sees a video in it from the commit after the event on (1 s in the feature
 * job), and the serving path covers that second with the user features' `lastWatched` and
 * `recentNegatives`. (Until 2026-12-07 it went to no topic, and the serving job asked the
 * feature job for it with an interactive query on every request: docs/ranking.md.)
 *
 * Order: a video re-seen moves to the front of the exact list (by arrival, not event time);
 * membership does not depend on the order of events until a bound moves a video into a filter.
 */

/** Names of the stateful step: its store, changelog and interactive queries. */
export const userSeenNames = {
  /** The aggregation and its store (`<applicationId>-user-seen-changelog`). */
  store: 'user-seen',
} as const;

/**
 * The serde of the `user-seen` store (and so of its interactive queries): plain Avro binary
 * of `schemas/userSeen.avsc`.
 */
export const userSeenStateSerde = avroBinarySerde(userSeenSchema);

/** The pipeline's input streams, keyed by user id and co-partitioned. */
export interface UserSeenInputs {
  readonly watchSessions: Stream<string, WatchSession>;
  readonly engagements: Stream<string, Engagement>;
}

/** One video seen, at its event time. */
interface SeenEvent {
  readonly videoId: string;
  readonly time: number;
}

/**
 * Adds the seen-set aggregation (store `user-seen`) over the user's watch sessions and
 * engagements; returns its table. The inputs are keyed by user, so no repartition.
 */
export function userSeenTable(
  inputs: UserSeenInputs,
  bounds: SeenBounds = {},
): Table<string, UserSeen> {
  const played = inputs.watchSessions
    .filter((session) => session.totalWatchMs > 0, { name: 'user-seen-played' })
    .mapValues((session): SeenEvent => ({ videoId: session.videoId, time: session.endTime }), {
      name: 'user-seen-watches',
    });
  const engaged = inputs.engagements.mapValues(
    (e): SeenEvent => ({ videoId: e.videoId, time: e.eventTime }),
    { name: 'user-seen-engagements' },
  );
  return played
    .merge(engaged, { name: 'user-seen-events' })
    .filter((event) => event.videoId !== '', { name: 'user-seen-with-video' })
    .groupByKey({
      name: 'user-seen-by-user',
      serdes: { key: stringSerde, value: jsonSerde<SeenEvent>() },
    })
    .aggregate({
      name: userSeenNames.store,
      initializer: () => emptySeen(''),
      adder: (seen, event, record) => withSeen({ ...seen, userId: record.key }, event, bounds),
      serde: userSeenStateSerde,
      emit: 'onCommit',
    });
}
