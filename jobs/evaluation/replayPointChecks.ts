import { join } from 'node:path';

import pino from 'pino';

import { featuresJob, userFeaturesStore } from '../features/featuresJob.js';
import { waitUntilConsumed } from '../features/waitUntilConsumed.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { KafkaReplaySink } from '../replay/kafkaReplaySink.js';
import type { MovieLensData } from '../replay/movieLensTypes.js';
import type { ReplayEvent } from '../replay/replayEvent.js';
import { planReplay, replayEvents } from '../replay/replayPlan.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { RemoteStore, stringSerde, type ConnectionConfig } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import { userFeaturesStateSerde } from '../../pipelines/userFeatures.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import {
  defaultReferenceParams,
  userFeaturesBatch,
  userFeaturesDifferences,
  type ReferenceParams,
  type ReferenceEngagement,
  type ReferenceVideo,
  type ReferenceWatch,
} from '../../pipelines/reference/userFeaturesBatch.js';

/** One (user, time) point: what the running job holds beside the batch computation. */
export interface PointCheck {
  readonly userId: string;
  /** The replay had written every event before this time, and the job had consumed them. */
  readonly atMs: number;
  readonly differences: readonly string[];
  /** Watches and engagements of the user folded in by then. */
  readonly events: number;
  /** Creators the batch computation keeps for the user (at most the pipeline's bound). */
  readonly expectedCreators: number;
}

export interface PointCheckSummary {
  readonly records: number;
  readonly replaySeconds: number;
  readonly catchUpSeconds: number;
  readonly points: readonly PointCheck[];
  /** The creator bound both sides ran with. */
  readonly creatorLimit: number;
}

/**
 * MovieLens replayed at full speed through every feature pipeline (the feature job, exactly
 * once), with the user features checked at `points` random (user, time) points against the
 * batch computation (pipelines/reference/userFeaturesBatch.ts) over the same events.
 *
 * A job's state can only be read now, so the replay stops at each point's time: it writes
 * every event before that time, waits until the feature job has committed all of them, then
 * reads the features of one user (chosen at random among those with events since the last
 * point) through the job's interactive queries, as the serving job does. The catalogue goes
 * out before the job starts, because the job looks videos up in a global table that is loaded
 * in full before processing begins; a catalogue still arriving would race the first watches.
 *
 * MovieLens has no creators, so each movie is its own: a user who rated 700 movies has 700
 * creators. Under the pipeline's bound (50 by default) the job keeps the strongest creators as
 * events come while the batch computation keeps the exact top 50, and the two part once a user
 * has more. The check runs both with the bound raised to the catalogue's size, so that every
 * creator is kept and the values compare exactly; eviction under the bound has its own golden
 * test (pipelines/userFeatures.test.ts).
 *
 * Expects a stack with none of the catalogue's topics in use (a fresh one, or after the
 * demo's reset).
 */
export async function runReplayPointChecks(options: {
  connection: ConnectionConfig;
  data: MovieLensData;
  points: number;
  seed: number;
  workDir: string;
  log: (line: string) => void;
}): Promise<PointCheckSummary> {
  const { connection, log } = options;
  const plan = planReplay(options.data, { mode: 'shifted', nowMs: Date.now() });
  const events = [...replayEvents(plan)];
  const client = new KafkajsStreamClient(
    createKafkaJs(connection, { clientId: 'reelstream-point-checks' }),
  );
  await provisionTopics({
    client,
    schemas: new RegistrySchemaCatalog(createRegistryClient(connection.registry)),
  });
  const sink = await KafkaReplaySink.open(connection, {
    oldestRecordMs: plan.catalogTimeMs,
    log,
  });
  const creatorLimit = Math.max(options.data.movies.size, defaultReferenceParams.creators);
  const reference = new ReferenceState({ ...defaultReferenceParams, creators: creatorLimit });
  let written = 0;
  let replayMs = 0;
  let catchUpMs = 0;
  const write = async (until: number): Promise<ReplayEvent[]> => {
    const started = performance.now();
    const batch: ReplayEvent[] = [];
    while (written < events.length && eventTime(events[written]) < until) {
      const event = events[written++] as ReplayEvent;
      batch.push(event);
      reference.add(event);
    }
    for (let i = 0; i < batch.length; i += 5_000) {
      await sink.send(batch.slice(i, i + 5_000));
    }
    replayMs += performance.now() - started;
    return batch;
  };
  const catalogue = events.filter((e) => e.kind === 'videoUpload').length;
  await write(eventTime(events[catalogue]));
  const features = featuresJob({
    connection,
    stateDir: join(options.workDir, 'features'),
    queryEndpoint: '127.0.0.1:0',
    replay: true,
    userFeatures: { creatorLimit },
    logger: pino(
      { level: 'info' },
      pino.destination({ dest: join(options.workDir, 'jobs.log'), mkdir: true, sync: false }),
    ),
  });
  await features.start();
  const store = new RemoteStore({
    endpoints: [features.queryEndpoint ?? ''],
    store: { name: userFeaturesStore, key: stringSerde, value: userFeaturesStateSerde },
    timeoutMs: 5_000,
  });
  const random = seededRandom(options.seed);
  const first = eventTime(events[catalogue]);
  const last = eventTime(events[events.length - 1]) + 1;
  const times = Array.from(
    { length: options.points },
    () => first + Math.floor(random() * (last - first)),
  ).sort((a, b) => a - b);
  const points: PointCheck[] = [];
  try {
    for (const [index, atMs] of times.entries()) {
      const batch = await write(atMs);
      const started = performance.now();
      await waitUntilConsumed({ connection, log });
      catchUpMs += performance.now() - started;
      const candidates = [...new Set(batch.flatMap((e) => (folds(e) ? [e.value.userId] : [])))];
      const pool = candidates.length > 0 ? candidates : reference.users();
      const userId = pool[Math.floor(random() * pool.length)];
      if (userId === undefined) {
        log(`point ${index + 1}/${times.length}: no user has events yet; skipped`);
        continue;
      }
      const expected = reference.features(userId);
      const actual = await store.get(userId);
      const differences =
        expected === undefined
          ? actual === undefined
            ? []
            : ['the job has features, the batch computation none']
          : actual === undefined
            ? ['the job has no features for the user']
            : userFeaturesDifferences(actual, expected);
      const point = {
        userId,
        atMs,
        differences,
        events: reference.eventsOf(userId),
        expectedCreators: expected === undefined ? 0 : Object.keys(expected.creatorAffinity).length,
      };
      points.push(point);
      log(describePoint(point, { index, of: times.length, features: expected }));
    }
    await write(Number.POSITIVE_INFINITY);
    const started = performance.now();
    await waitUntilConsumed({ connection, log });
    catchUpMs += performance.now() - started;
  } finally {
    await sink.close();
    await features.stop();
  }
  return {
    records: written,
    replaySeconds: replayMs / 1000,
    catchUpSeconds: catchUpMs / 1000,
    points,
    creatorLimit,
  };
}

function describePoint(
  point: PointCheck,
  context: { index: number; of: number; features: UserFeatures | undefined },
): string {
  const f = context.features;
  const shape =
    f === undefined
      ? 'no events'
      : `${point.events} events: ${f.watchCount} watches, ${f.recentNegatives.length} negatives, ` +
        `${Object.keys(f.categoryAffinity).length} categories, ${Object.keys(f.creatorAffinity).length} creators`;
  const verdict =
    point.differences.length === 0
      ? 'equal'
      : `DIFFERENT (${point.differences.length}): ${point.differences.slice(0, 3).join('; ')}`;
  return (
    `point ${String(context.index + 1).padStart(2)}/${context.of}: ${point.userId.padEnd(8)} at ` +
    `${new Date(point.atMs).toISOString()} (${shape}): ${verdict}`
  );
}

function eventTime(event: ReplayEvent | undefined): number {
  return event?.value.eventTime ?? Number.POSITIVE_INFINITY;
}

/** Whether the user-features definition folds the event in: a played watch, an engagement. */
function folds(
  event: ReplayEvent,
): event is Extract<ReplayEvent, { kind: 'watchEnd' | 'engagement' }> {
  return (event.kind === 'watchEnd' && event.value.watchedMs > 0) || event.kind === 'engagement';
}

/** What the batch computation needs of the events written so far, per user. */
class ReferenceState {
  private readonly catalogue = new Map<string, ReferenceVideo>();
  private readonly watches = new Map<string, ReferenceWatch[]>();
  private readonly engagements = new Map<string, ReferenceEngagement[]>();
  private arrival = 0;

  constructor(private readonly params: ReferenceParams) {}

  add(event: ReplayEvent): void {
    const arrival = this.arrival++;
    switch (event.kind) {
      case 'videoUpload': {
        const { videoId, category, creatorId, durationMs } = event.value;
        this.catalogue.set(videoId, { category, creatorId, durationMs });
        return;
      }
      case 'watchEnd': {
        const { userId, videoId, watchedMs, videoDurationMs, eventTime: time } = event.value;
        if (watchedMs > 0) {
          push(this.watches, userId, {
            videoId,
            watchedMs,
            playerDurationMs: videoDurationMs,
            time,
            arrival,
          });
        }
        return;
      }
      case 'engagement': {
        const { userId, videoId, creatorId, type, eventTime: time } = event.value;
        push(this.engagements, userId, { videoId, creatorId, type, time, arrival });
        return;
      }
      case 'impression':
      case 'click':
      case 'watchHeartbeat':
        return; // user features do not read them
    }
  }

  users(): string[] {
    return [...new Set([...this.watches.keys(), ...this.engagements.keys()])];
  }

  eventsOf(userId: string): number {
    return (this.watches.get(userId)?.length ?? 0) + (this.engagements.get(userId)?.length ?? 0);
  }

  features(userId: string): UserFeatures | undefined {
    return userFeaturesBatch(userId, {
      watches: this.watches.get(userId) ?? [],
      engagements: this.engagements.get(userId) ?? [],
      catalogue: (videoId) => this.catalogue.get(videoId),
      params: this.params,
    });
  }
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [item]);
  } else {
    list.push(item);
  }
}
