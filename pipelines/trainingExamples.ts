import {
  avroSerde,
  jsonSerde,
  type GlobalTable,
  type Pipeline,
  type Stream,
  stringSerde,
  type Table,
} from '../operators/index.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { UserFeatures } from '../schemas/generated/userFeatures.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import {
  feedbackStore,
  FeedbackWindowOperator,
  type FeedbackEvent,
  type FeedbackLabel,
} from './feedbackWindow.js';
import { userFeaturesStream, type UserFeaturesOptions } from './userFeatures.js';
import { watchSessions } from './watchSessions.js';

/**
 * Training examples with no leakage: each shown video (an impression at time `t`) with the
 * user's features as the feature pipeline had them just before `t`, labelled by what the user
 * then did with it (the watch end of the playback it started).
 *
 * Three steps, all keyed by user (co-partitioned, no repartition):
 * 1. `training-feature-versions`: the user-features stream (userFeatures.ts) folded into the
 *    user's recent feature versions: the newest one and every one back to the first whose
 *    `updatedTime` is more than `versionToleranceMs` older than the newest, so the version of
 *    just before an impression is still there when events at (or a little after) the
 *    impression's time were read before it.
 * 2. `training-snapshot`: each impression joined with that table; the snapshot is the newest
 *    version whose `updatedTime` (the time of the latest event folded in) is strictly before
 *    `t`: no feature uses an event at or after the example's time. A user with no event before
 *    `t` has no features (`null`, a cold-start example). When every kept version is at or after
 *    `t` although the user had events before it (an impression read more than the tolerance
 *    late), no snapshot is exact and the impression gives no example.
 * 3. `training-label`: a windowed stream-stream join of the snapshots with the watch ends
 *    (the delayed label) in `[t, t + labelWindowMs]`, matched on request and video: the example
 *    is emitted when its label arrives, timestamped with the label.
 *    With `feedbackWindowMs` (the generator's and the serving log's traffic) step 3 is
 *    `training-feedback` instead (feedbackWindow.ts): every impression becomes an example once
 *    its feedback window has closed, labelled `clicked` and `watchedMs` (0 when not watched),
 *    so the impressions nobody clicked are negatives, and none is a negative only because its
 *    click or watch had not arrived yet.
 *
 * For MovieLens replays (jobs/replay/) every rating is an impression at the rating's time
 * followed by a watch end whose watch ratio encodes the stars, so the job emits each rating
 * with the user's features as of just before it; `ratingOf` (given by the job, which knows the
 * replay's encoding) turns the watch end back into stars. Impressions without a playback give
 * no example here: the serving log's negatives and the engagement labels (click, completion,
 * dislike) of the generator's traffic are the next step (docs/training.md).
 */

/** One training example: the label, and the features the system had at the example's time. */
export interface TrainingExample {
  readonly userId: string;
  readonly videoId: string;
  readonly requestId: string;
  /** List position of the impression. */
  readonly position: number;
  /** The impression's event time: every feature is from events strictly before it. */
  readonly exampleTime: number;
  /** The watch end's event time (the label's). */
  readonly labelTime: number;
  /** Longest watch of the impression within the label window; 0 when not watched. */
  readonly watchedMs: number;
  readonly videoDurationMs: number;
  /**
   * A click on the same request and video within the feedback window; null (or absent, in
   * examples built by hand before the column existed) when the job has no feedback window (the
   * label join of MovieLens replays, where every example is a watch).
   */
  readonly clicked?: boolean | null;
  /** Stars the watch stands for (`ratingOf`); null when the job gives no mapping. */
  readonly rating: number | null;
  /** 4★ or 5★. */
  readonly positive: boolean | null;
  /** 1★ or 2★: the replay turns these into dislikes. */
  readonly disliked: boolean | null;
  /** The user's features just before `exampleTime`; null when the user had no event before. */
  readonly features: UserFeatures | null;
}

export interface TrainingExamplesOptions {
  /** A watch end in `[t, t + labelWindowMs]` labels an impression at `t`. Default 10 minutes. */
  readonly labelWindowMs?: number;
  /** How far (event time) behind the newest feature version versions are kept. Default 10 s. */
  readonly versionToleranceMs?: number;
  /** The stars a watch end stands for; default none (`rating` null). */
  readonly ratingOf?: (watchEnd: WatchEnd) => number | null;
  /**
   * Emit every impression once this much event time has passed since it (its feedback window
   * closed), labelled with the click and watch end of it within the window (feedbackWindow.ts),
   * instead of only impressions a watch end follows. Needs the `clicks` input. Unset: the
   * label join of `labelWindowMs`.
   */
  readonly feedbackWindowMs?: number;
}

/** The kept feature versions of a user. */
export interface FeatureVersions {
  /** The earliest `updatedTime` the user ever had: no features before it. */
  readonly firstTime: number | null;
  /** Oldest first. */
  readonly versions: readonly UserFeatures[];
}

/** An impression with the features of just before it; `features` undefined: no exact snapshot. */
interface Snapshot {
  readonly impression: Impression;
  readonly features: UserFeatures | null | undefined;
}

/** `versions` with `next` added, trimmed to what an impression can still need. */
export function addFeatureVersion(
  versions: FeatureVersions,
  next: UserFeatures,
  toleranceMs: number,
): FeatureVersions {
  const all = [...versions.versions, next];
  const newest = Math.max(...all.map((v) => v.updatedTime));
  // Keep every version within the tolerance of the newest, and the newest one before that.
  let from = all.length - 1;
  while (from > 0 && (all[from] as UserFeatures).updatedTime >= newest - toleranceMs) {
    from--;
  }
  const firstTime =
    versions.firstTime === null ? next.updatedTime : Math.min(versions.firstTime, next.updatedTime);
  return { firstTime, versions: all.slice(from) };
}

/**
 * The features of just before `time`: the newest version folded only from events before it;
 * null when the user had none; undefined when the versions kept cannot say (all later).
 */
export function featuresBefore(
  versions: FeatureVersions | undefined,
  time: number,
): UserFeatures | null | undefined {
  if (versions === undefined || versions.firstTime === null || versions.firstTime >= time) {
    return null;
  }
  for (let i = versions.versions.length - 1; i >= 0; i--) {
    const version = versions.versions[i] as UserFeatures;
    if (version.updatedTime < time) {
      return version;
    }
  }
  return undefined;
}

/** The inputs: impressions (any key), watch ends keyed by user, the user features as a stream. */
export interface TrainingExamplesInputs {
  /** Re-keyed by user through the internal topic `<applicationId>-training-impressions-by-user-repartition`. */
  readonly impressions: Stream<string, Impression>;
  readonly watchEnds: Stream<string, WatchEnd>;
  /** One record per event folded in (userFeatures.ts's `userFeaturesStream`). */
  readonly userFeatures: Stream<string, UserFeatures>;
  /** Clicks (any key; re-keyed by user): read only with `feedbackWindowMs`. */
  readonly clicks?: Stream<string, Click>;
  /** The catalogue: the duration of videos shown but not watched (`feedbackWindowMs`). */
  readonly catalog?: GlobalTable<string, VideoUpload>;
}

/** The training examples as a stream keyed by user (see the steps above). */
export function trainingExamplesStream(
  inputs: TrainingExamplesInputs,
  options: TrainingExamplesOptions = {},
): Stream<string, TrainingExample> {
  const tolerance = options.versionToleranceMs ?? 10_000;
  const window = options.labelWindowMs ?? 10 * 60_000;
  const ratingOf = options.ratingOf ?? (() => null);
  const versions: Table<string, FeatureVersions> = inputs.userFeatures
    .groupByKey({
      name: 'training-feature-versions-by-user',
      serdes: { key: stringSerde, value: jsonSerde<UserFeatures>() },
    })
    .aggregate({
      name: 'training-feature-versions',
      initializer: (): FeatureVersions => ({ firstTime: null, versions: [] }),
      // Plain data: the Avro reader builds records as class instances.
      adder: (kept, features) =>
        addFeatureVersion(kept, JSON.parse(JSON.stringify(features)) as UserFeatures, tolerance),
      serde: jsonSerde<FeatureVersions>(),
    });
  // The impressions topic is keyed by video (for popularity): re-keyed by user here.
  const snapshots = inputs.impressions
    .selectKey((record) => record.value.userId, { name: 'training-impressions-user' })
    .repartition({
      name: 'training-impressions-by-user',
      serdes: { key: stringSerde, value: jsonSerde<Impression>() },
    })
    .leftJoin(
      versions,
      (impression, kept): Snapshot => ({
        impression,
        features: featuresBefore(kept, impression.eventTime),
      }),
      { name: 'training-snapshot' },
    )
    .filter((snapshot) => snapshot.features !== undefined, { name: 'training-snapshot-exact' });
  if (options.feedbackWindowMs !== undefined) {
    return feedbackExamples(snapshots, inputs, {
      ...options,
      feedbackWindowMs: options.feedbackWindowMs,
    });
  }
  return snapshots
    .joinWindowed(
      inputs.watchEnds,
      (snapshot, watchEnd): TrainingExample | null => {
        const { impression } = snapshot;
        if (
          watchEnd.requestId !== impression.requestId ||
          watchEnd.videoId !== impression.videoId
        ) {
          return null;
        }
        const rating = ratingOf(watchEnd);
        return {
          userId: impression.userId,
          videoId: impression.videoId,
          requestId: impression.requestId,
          position: impression.position,
          exampleTime: impression.eventTime,
          labelTime: watchEnd.eventTime,
          watchedMs: watchEnd.watchedMs,
          videoDurationMs: watchEnd.videoDurationMs,
          clicked: null,
          rating,
          positive: rating === null ? null : rating >= 4,
          disliked: rating === null ? null : rating <= 2,
          features: snapshot.features ?? null,
        };
      },
      {
        name: 'training-label',
        beforeMs: 0,
        afterMs: window,
        serdes: {
          key: stringSerde,
          value: jsonSerde<Snapshot>(),
          otherValue: jsonSerde<WatchEnd>(),
        },
      },
    )
    .filter((example) => example !== null, { name: 'training-label-matched' })
    .mapValues((example) => example as TrainingExample, { name: 'training-examples' });
}

/** Step 3 with a feedback window: every impression, labelled once its window closed. */
function feedbackExamples(
  snapshots: Stream<string, Snapshot>,
  inputs: TrainingExamplesInputs,
  options: TrainingExamplesOptions & { readonly feedbackWindowMs: number },
): Stream<string, TrainingExample> {
  const { clicks, catalog } = inputs;
  if (clicks === undefined) {
    throw new Error('trainingExamplesStream: feedbackWindowMs needs the clicks input');
  }
  const ratingOf = options.ratingOf ?? (() => null);
  const store = feedbackStore('training-feedback');
  const events = snapshots
    .mapValues(
      (snapshot): FeedbackEvent => ({
        kind: 'impression',
        snapshot: { impression: snapshot.impression, features: snapshot.features ?? null },
      }),
      { name: 'training-feedback-impressions' },
    )
    .merge(
      // The clicks topic is keyed by video (for CTR by video): re-keyed by user here.
      clicks
        .selectKey((record) => record.value.userId, { name: 'training-clicks-user' })
        .repartition({
          name: 'training-clicks-by-user',
          serdes: { key: stringSerde, value: jsonSerde<Click>() },
        })
        .mapValues((click): FeedbackEvent => ({ kind: 'click', click }), {
          name: 'training-feedback-clicks',
        }),
      { name: 'training-feedback-impressions-clicks' },
    )
    .merge(
      inputs.watchEnds.mapValues((watchEnd): FeedbackEvent => ({ kind: 'watchEnd', watchEnd }), {
        name: 'training-feedback-watch-ends',
      }),
      { name: 'training-feedback-events' },
    );
  const labelled = events.process(
    () => new FeedbackWindowOperator(store, options.feedbackWindowMs),
    {
      name: 'training-feedback',
      changesKey: false,
      stores: [store],
      timers: { key: stringSerde },
    },
  );
  // Unwatched impressions take the video's duration from the catalogue (0 when unknown).
  const withDuration =
    catalog === undefined
      ? labelled.mapValues((label) => ({ label, video: undefined }), {
          name: 'training-feedback-duration',
        })
      : labelled.leftJoinGlobal(
          catalog,
          (label, video: VideoUpload | undefined) => ({ label, video }),
          {
            name: 'training-feedback-duration',
            key: (record) =>
              record.value.watchEnd === null ? record.value.snapshot.impression.videoId : null,
          },
        );
  return withDuration.mapValues(
    ({
      label,
      video,
    }: {
      label: FeedbackLabel;
      video: VideoUpload | undefined;
    }): TrainingExample => {
      const { impression, features } = label.snapshot;
      const { watchEnd } = label;
      const durationMs = watchEnd?.videoDurationMs ?? video?.durationMs ?? 0;
      // The stars of a watch (the demo's mapping); none for an impression not watched.
      const rating = watchEnd === null ? null : ratingOf(watchEnd);
      return {
        userId: impression.userId,
        videoId: impression.videoId,
        requestId: impression.requestId,
        position: impression.position,
        exampleTime: impression.eventTime,
        labelTime: label.closedTime,
        watchedMs: watchEnd?.watchedMs ?? 0,
        videoDurationMs: durationMs,
        clicked: label.clicked,
        rating,
        positive: rating === null ? null : rating >= 4,
        disliked: rating === null ? null : rating <= 2,
        features,
      };
    },
    { name: 'training-examples' },
  );
}

/** The internal topic the in-process export reads the examples from. */
export const trainingExamplesTopic = 'training.examples';

/** Serdes of {@link trainingExamplesTopic}: user ids, JSON values. */
export const trainingExamplesSerdes = {
  key: stringSerde,
  value: jsonSerde<TrainingExample>(),
} as const;

/**
 * Adds the whole chain to `pipeline`, from the event topics: watch sessions (from heartbeats
 * and watch ends), user features (the catalogue as a global table), the examples, written to
 * {@link trainingExamplesTopic}.
 */
export function trainingExamples(
  pipeline: Pipeline,
  options: TrainingExamplesOptions & { readonly userFeatures?: UserFeaturesOptions } = {},
): void {
  const c = topicCatalog;
  const serdes = <TValue>(spec: TopicSpec<TValue>) => ({
    key: stringSerde,
    value: avroSerde(spec.value),
  });
  const catalog = pipeline.globalTable(c.videoCatalog.name, serdes(c.videoCatalog), {
    name: 'training-catalog',
  });
  const heartbeats = pipeline.source(c.watchHeartbeats.name, serdes(c.watchHeartbeats), {
    name: 'training-heartbeats',
  });
  const watchEnds = pipeline.source(c.watchEnds.name, serdes(c.watchEnds), {
    name: 'training-watch-ends',
  });
  const engagements = pipeline.source(c.engagements.name, serdes(c.engagements), {
    name: 'training-engagements',
  });
  const impressions = pipeline.source(c.impressions.name, serdes(c.impressions), {
    name: 'training-impressions',
  });
  // Read only when the job labels by feedback window (a source nothing reads is an error).
  const clicks =
    options.feedbackWindowMs === undefined
      ? undefined
      : pipeline.source(c.clicks.name, serdes(c.clicks), { name: 'training-clicks' });
  const sessions = watchSessions(pipeline, { inputs: { heartbeats, watchEnds, catalog } });
  const userFeatures = userFeaturesStream(
    { watchSessions: sessions, engagements, catalog },
    options.userFeatures,
  );
  trainingExamplesStream(
    {
      impressions,
      watchEnds,
      userFeatures,
      ...(clicks === undefined ? {} : { clicks, catalog }),
    },
    options,
  ).to(trainingExamplesTopic, trainingExamplesSerdes, { name: 'training-examples-out' });
}
