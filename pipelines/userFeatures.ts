import {
  avroBinarySerde,
  avroSerde,
  type GlobalTable,
  jsonSerde,
  type Pipeline,
  type Stream,
  stringSerde,
} from '../operators/index.js';
import {
  engagementSchema,
  type Engagement,
  type EngagementType,
} from '../schemas/generated/engagement.js';
import {
  userFeaturesSchema,
  type Affinity,
  type NegativeFeedback,
  type UserFeatures,
} from '../schemas/generated/userFeatures.js';
import { videoUploadSchema, type VideoUpload } from '../schemas/generated/videoUpload.js';
import { watchSessionSchema, type WatchSession } from '../schemas/generated/watchSession.js';
import { topics } from '../schemas/topics.js';
import { insertRecent } from './recentList.js';
import { addDecayed, boundedByStrength } from './timeDecay.js';

/**
 * User features: per user, the last watched videos, time-decayed category and creator
 * affinities, the average watch ratio and the recent dislikes and dismisses, published on every
 * event to the compacted `features.user` topic keyed by user.
 *
 * Inputs, all keyed by user id and co-partitioned (so no repartition: every event of a user
 * reaches the task that holds the user's state, in the user's order):
 * - `features.watch-sessions`: one record per playback (watchSessions.ts), closed by its watch
 *   end the moment that is read (so a watch shows in the next reply) or by inactivity when the
 *   watch end was lost (app killed). Playbacks come from the sessions alone, not also from the
 *   watch ends: a watch end read after its session had closed by inactivity (in a replay faster
 *   than real time, where one topic's records can be read before another's written just before
 *   them) is late there and dropped, so the playback still counts once, where counting both
 *   inputs counted it twice;
 * - `events.engagements`: likes, shares, follows, dislikes, dismisses;
 * - `catalog.videos` as a global table: a user's watches touch any video, so the video's
 *   category, creator and duration are looked up locally in every task.
 *
 * What each event contributes to the affinities (decayed with half-life `halfLifeMs`, 3 days by
 * default: a week-old signal weighs about a fifth of a fresh one):
 *
 * | event   | category affinity                | creator affinity                 |
 * | ------- | -------------------------------- | -------------------------------- |
 * | watch   | min(watch ratio, 1) − 0.25       | min(watch ratio, 1) − 0.25       |
 * | LIKE    | +1                               | +1                               |
 * | SHARE   | +2                               | +2                               |
 * | FOLLOW  | —                                | +3 (the followed account)        |
 * | DISLIKE | −1                               | −1                               |
 * | DISMISS | −0.5                             | −0.5                             |
 *
 * A watch weighs by how much of the video was watched (replays capped at one full watch); a
 * quick swipe-away (under a quarter of the video) is a weak negative, so being shown a category
 * often does not by itself build affinity to it. A watch of a video the catalogue does not know
 * updates no affinity (its category and creator are unknown). Engagements update the creator
 * named in the engagement (what the client showed) and the category from the catalogue.
 *
 * Bounds, so one user's state stays a few kilobytes whatever their history: `lastWatchedSize`
 * distinct videos (their latest playback), `categoryLimit` categories and `creatorLimit` creators
 * (the strongest by decayed magnitude: strong dislikes are kept, weak signals go first) and
 * `negativesSize` distinct disliked or dismissed videos. Keeping the strongest as events come
 * equals the batch top-k unless an evicted category or creator comes back (it restarts from its
 * new events) or a kept one is weakened by opposite-sign events below one evicted earlier.
 *
 * Late and out-of-order events: decayed sums are order-independent (see `timeDecay.ts`), the
 * recency lists are ordered by event time, not arrival (see `recentList.ts`), and the average
 * is a mean, so every feature equals the batch computation over the same events, whatever order
 * they arrive in, until a bound evicts something.
 *
 * Freshness: the aggregation emits the user's features on every event it folds in, so a watch
 * end or a dislike is in `features.user` as soon as its commit is (one commit interval under
 * exactly-once) when the sessions come as a stream of the same job (featurePipelines.ts); read
 * from the sessions topic (`userFeatures`), the watch-session job's commit comes first.
 */

/** Topics of the pipeline. */
export const userFeaturesTopics = {
  engagements: topics.engagements,
  watchSessions: topics.watchSessions,
  catalog: topics.videoCatalog,
  output: topics.userFeatures,
} as const;

/** Serdes of the pipeline's topics: keys are user ids (video ids for the catalogue). */
export const userFeaturesSerdes = {
  engagements: { key: stringSerde, value: avroSerde(engagementSchema) },
  watchSessions: { key: stringSerde, value: avroSerde(watchSessionSchema) },
  catalog: { key: stringSerde, value: avroSerde(videoUploadSchema) },
  output: { key: stringSerde, value: avroSerde(userFeaturesSchema) },
} as const;

/**
 * The serde of the `user-features` store (and so of its interactive queries): the output
 * schema in plain Avro binary. It is written on every event of the user; JSON took three times
 * as long to encode.
 */
export const userFeaturesStateSerde = avroBinarySerde(userFeaturesSchema);

/** Bounds and decay of the features; every field has a default. */
export interface UserFeaturesOptions {
  /** Distinct videos in `lastWatched`. Default 50. */
  readonly lastWatchedSize?: number;
  /** Categories kept in `categoryAffinity`. Default 20. */
  readonly categoryLimit?: number;
  /** Creators kept in `creatorAffinity`. Default 50. */
  readonly creatorLimit?: number;
  /** Distinct videos in `recentNegatives`. Default 50. */
  readonly negativesSize?: number;
  /** Half-life of the affinity decay. Default 3 days. */
  readonly halfLifeMs?: number;
}

/** The pipeline's input streams (keyed by user id) and the catalogue. */
export interface UserFeaturesInputs {
  readonly watchSessions: Stream<string, WatchSession>;
  readonly engagements: Stream<string, Engagement>;
  readonly catalog: GlobalTable<string, VideoUpload>;
}

/** A playback of the user: a closed watch session. */
interface WatchEvent {
  readonly kind: 'watch';
  readonly videoId: string;
  readonly watchedMs: number;
  /** As the player knew it; null or 0 when unknown. */
  readonly durationMs: number | null;
  readonly eventTime: number;
}

interface EngagementEvent {
  readonly kind: 'engagement';
  readonly videoId: string;
  readonly creatorId: string;
  readonly type: EngagementType;
  readonly eventTime: number;
}

/** What the pipeline folds into a user's features. */
export type UserEvent = WatchEvent | EngagementEvent;

/** What the catalogue says about the event's video; null when it does not know the video. */
interface VideoFacts {
  readonly category: string;
  readonly creatorId: string;
  readonly durationMs: number;
}

interface EnrichedEvent {
  readonly event: UserEvent;
  readonly video: VideoFacts | null;
}

interface Limits {
  readonly lastWatchedSize: number;
  readonly categoryLimit: number;
  readonly creatorLimit: number;
  readonly negativesSize: number;
  readonly halfLifeMs: number;
}

const day = 24 * 3_600_000;

function limitsOf(options: UserFeaturesOptions): Limits {
  return {
    lastWatchedSize: options.lastWatchedSize ?? 50,
    categoryLimit: options.categoryLimit ?? 20,
    creatorLimit: options.creatorLimit ?? 50,
    negativesSize: options.negativesSize ?? 50,
    halfLifeMs: options.halfLifeMs ?? 3 * day,
  };
}

/** Affinity contributions of explicit feedback; see the table above. */
const engagementWeights: Readonly<
  Record<EngagementType, { readonly category: number; readonly creator: number }>
> = {
  LIKE: { category: 1, creator: 1 },
  SHARE: { category: 2, creator: 2 },
  FOLLOW: { category: 0, creator: 3 },
  DISLIKE: { category: -1, creator: -1 },
  DISMISS: { category: -0.5, creator: -0.5 },
};

/** A watch of a quarter of the video or less counts against its category and creator. */
const watchBaseline = 0.25;

/**
 * Adds the user-features pipeline to `pipeline`: reads watch sessions and engagements (the
 * topics in {@link userFeaturesTopics}), reads the catalogue as the global table
 * `options.catalog` or, when absent, one of its own named `user-features-catalog`, and writes
 * `features.user`. A job that also reads these topics for other pipelines must read each once
 * and pass the streams to {@link userFeaturesStream} instead (a topic is read by one source).
 */
export function userFeatures(
  pipeline: Pipeline,
  options: UserFeaturesOptions & { readonly catalog?: GlobalTable<string, VideoUpload> } = {},
): void {
  const s = userFeaturesSerdes;
  const t = userFeaturesTopics;
  const catalog =
    options.catalog ??
    pipeline.globalTable(t.catalog, s.catalog, { name: 'user-features-catalog' });
  const inputs: UserFeaturesInputs = {
    watchSessions: pipeline.source(t.watchSessions, s.watchSessions, {
      name: 'user-features-watch-sessions',
    }),
    engagements: pipeline.source(t.engagements, s.engagements, {
      name: 'user-features-engagements',
    }),
    catalog,
  };
  userFeaturesStream(inputs, options).to(t.output, s.output, { name: 'user-features-out' });
}

/**
 * The user features as a stream keyed by user id: one record per event folded in, the user's
 * complete features after it. Stateful step: the aggregation `user-features` (its store and
 * changelog `<applicationId>-user-features-changelog`).
 */
export function userFeaturesStream(
  inputs: UserFeaturesInputs,
  options: UserFeaturesOptions = {},
): Stream<string, UserFeatures> {
  const limits = limitsOf(options);
  const watches = inputs.watchSessions
    .filter((session) => session.totalWatchMs > 0, { name: 'user-features-played' })
    .mapValues(
      (session): UserEvent => ({
        kind: 'watch',
        videoId: session.videoId,
        watchedMs: session.totalWatchMs,
        durationMs: session.videoDurationMs,
        eventTime: session.endTime,
      }),
      { name: 'user-features-watches' },
    );
  const engagements = inputs.engagements.mapValues(
    (e): UserEvent => ({
      kind: 'engagement',
      videoId: e.videoId,
      creatorId: e.creatorId,
      type: e.type,
      eventTime: e.eventTime,
    }),
    { name: 'user-features-feedback' },
  );
  const events = watches.merge(engagements, { name: 'user-features-events' });
  return events
    .leftJoinGlobal(
      inputs.catalog,
      (event, video): EnrichedEvent => ({
        event,
        video:
          video === undefined
            ? null
            : {
                category: video.category,
                creatorId: video.creatorId,
                durationMs: video.durationMs,
              },
      }),
      { name: 'user-features-video', key: (record) => record.value.videoId },
    )
    .groupByKey({
      // The inputs are keyed by user, so this groups without a repartition; the serde would
      // only serve one if a caller passed a re-keyed stream.
      name: 'user-features-by-user',
      serdes: { key: stringSerde, value: jsonSerde<EnrichedEvent>() },
    })
    .aggregate({
      name: 'user-features',
      initializer: () => emptyFeatures(limits),
      adder: (features, enriched, record) =>
        foldEvent({ ...features, userId: record.key }, enriched, limits),
      serde: userFeaturesStateSerde,
    })
    .toStream();
}

function emptyFeatures(limits: Limits): UserFeatures {
  return {
    userId: '',
    lastWatched: [],
    categoryAffinity: {},
    creatorAffinity: {},
    affinityHalfLifeMs: limits.halfLifeMs,
    averageWatchRatio: 0,
    watchCount: 0,
    recentNegatives: [],
    updatedTime: 0,
  };
}

/** `features` with one more event folded in. */
function foldEvent(features: UserFeatures, enriched: EnrichedEvent, limits: Limits): UserFeatures {
  const { event, video } = enriched;
  const base = {
    ...features,
    affinityHalfLifeMs: limits.halfLifeMs,
    updatedTime: Math.max(features.updatedTime, event.eventTime),
  };
  switch (event.kind) {
    case 'watch':
      return foldWatch(base, { event, video }, limits);
    case 'engagement':
      return foldEngagement(base, { event, video }, limits);
  }
}

function foldWatch(
  features: UserFeatures,
  enriched: { readonly event: WatchEvent; readonly video: VideoFacts | null },
  limits: Limits,
): UserFeatures {
  const { event, video } = enriched;
  // The player's duration first (it played that file), then the catalogue's.
  const durationMs =
    event.durationMs !== null && event.durationMs > 0
      ? event.durationMs
      : video !== null && video.durationMs > 0
        ? video.durationMs
        : null;
  const watchRatio = durationMs === null ? 0 : event.watchedMs / durationMs;
  const lastWatched = insertRecent(
    features.lastWatched,
    {
      videoId: event.videoId,
      watchedMs: event.watchedMs,
      watchRatio,
      eventTime: event.eventTime,
    },
    limits.lastWatchedSize,
  );
  // The average is over watches whose ratio is known: an unknown duration is not a zero ratio.
  const known = durationMs !== null;
  const watchCount = features.watchCount + (known ? 1 : 0);
  const averageWatchRatio = known
    ? (features.averageWatchRatio * features.watchCount + watchRatio) / watchCount
    : features.averageWatchRatio;
  const next = { ...features, lastWatched, watchCount, averageWatchRatio };
  if (video === null) {
    return next;
  }
  const weight = Math.min(watchRatio, 1) - watchBaseline;
  return withAffinities(next, {
    category: video.category,
    creator: video.creatorId,
    weights: { category: weight, creator: weight },
    time: event.eventTime,
    limits,
  });
}

function foldEngagement(
  features: UserFeatures,
  enriched: { readonly event: EngagementEvent; readonly video: VideoFacts | null },
  limits: Limits,
): UserFeatures {
  const { event, video } = enriched;
  const next = withAffinities(features, {
    category: video === null ? null : video.category,
    creator: event.creatorId === '' ? null : event.creatorId,
    weights: engagementWeights[event.type],
    time: event.eventTime,
    limits,
  });
  if (event.type !== 'DISLIKE' && event.type !== 'DISMISS') {
    return next;
  }
  const negative: NegativeFeedback = {
    videoId: event.videoId,
    creatorId: event.creatorId,
    type: event.type,
    eventTime: event.eventTime,
  };
  return {
    ...next,
    recentNegatives: insertRecent(next.recentNegatives, negative, limits.negativesSize),
  };
}

/** `features` with a contribution to a category and a creator (null: none; weight 0: none). */
function withAffinities(
  features: UserFeatures,
  change: {
    readonly category: string | null;
    readonly creator: string | null;
    readonly weights: { readonly category: number; readonly creator: number };
    readonly time: number;
    readonly limits: Limits;
  },
): UserFeatures {
  const { limits, time } = change;
  const update = (
    map: Readonly<Record<string, Affinity>>,
    target: { readonly key: string | null; readonly weight: number; readonly limit: number },
  ): Readonly<Record<string, Affinity>> => {
    if (target.key === null || target.weight === 0) {
      return map;
    }
    const entries = new Map(Object.entries(map));
    entries.set(
      target.key,
      addDecayed(entries.get(target.key), { weight: target.weight, time }, limits.halfLifeMs),
    );
    // A map's order means nothing to its readers.
    const kept = boundedByStrength(entries, {
      limit: target.limit,
      halfLifeMs: limits.halfLifeMs,
      decayed: (affinity) => affinity,
    });
    // fromEntries defines own properties, so an id such as "__proto__" stays a plain key.
    return Object.fromEntries(kept);
  };
  return {
    ...features,
    categoryAffinity: update(features.categoryAffinity, {
      key: change.category,
      weight: change.weights.category,
      limit: limits.categoryLimit,
    }),
    creatorAffinity: update(features.creatorAffinity, {
      key: change.creator,
      weight: change.weights.creator,
      limit: limits.creatorLimit,
    }),
  };
}
