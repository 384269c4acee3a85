/**
 * The recommender's Kafka topics: names, key, value schema, partition count and cleanup policy,
 * in one place that pipelines, jobs and tests import (see schemas/README.md for why each topic is
 * keyed as it is). Keys are plain UTF-8 strings (`stringSerde`); values are Avro in Confluent
 * wire format, registered under the `<topic>-value` subject.
 */
import type { AvroSchema } from '../operators/index.js';
import { calibrationWindowSchema, type CalibrationWindow } from './generated/calibrationWindow.js';
import { clickSchema, type Click } from './generated/click.js';
import { coVisitationSchema, type CoVisitation } from './generated/coVisitation.js';
import { engagementSchema, type Engagement } from './generated/engagement.js';
import {
  explorationPosteriorSchema,
  type ExplorationPosterior,
} from './generated/explorationPosterior.js';
import { impressionSchema, type Impression } from './generated/impression.js';
import {
  recommendationRequestSchema,
  type RecommendationRequest,
} from './generated/recommendationRequest.js';
import { trendingListSchema, type TrendingList } from './generated/trendingList.js';
import { userFeaturesSchema, type UserFeatures } from './generated/userFeatures.js';
import { userSeenSchema, type UserSeen } from './generated/userSeen.js';
import { videoPopularitySchema, type VideoPopularity } from './generated/videoPopularity.js';
import { videoUploadSchema, type VideoUpload } from './generated/videoUpload.js';
import { videoViewsSchema, type VideoViews } from './generated/videoViews.js';
import { watchEndSchema, type WatchEnd } from './generated/watchEnd.js';
import { watchHeartbeatSchema, type WatchHeartbeat } from './generated/watchHeartbeat.js';
import { watchSessionSchema, type WatchSession } from './generated/watchSession.js';

/** Topic names. @category Schemas */
export const topics = {
  impressions: 'events.impressions',
  clicks: 'events.clicks',
  watchHeartbeats: 'events.watch-heartbeats',
  watchEnds: 'events.watch-ends',
  engagements: 'events.engagements',
  videoCatalog: 'catalog.videos',
  recommendationRequests: 'rec.requests',
  videoPopularity: 'features.video-popularity',
  trending: 'features.trending',
  userFeatures: 'features.user',
  userSeen: 'features.user-seen',
  coVisitation: 'features.co-visitation',
  coVisitationViews: 'features.co-visitation-views',
  watchSessions: 'features.watch-sessions',
  explorationPosteriors: 'features.exploration-posteriors',
  calibration: 'monitoring.calibration',
} as const;

/** @category Schemas */
export type TopicName = (typeof topics)[keyof typeof topics];

/**
 * Partitions of every user-keyed and video-keyed topic. They must all be equal: a pipeline that
 * reads two of them (or one of them and a repartition topic) needs them co-partitioned.
 *
 * Two, sized to the local stack: one 2-core machine that runs at most two instances of a job.
 * A job has a task per partition of each of its sub-topologies, and under exactly-once each
 * task runs a transaction of its own on every commit (one producer per task: kafkajs cannot
 * commit a group's offsets in a transaction shared by tasks; see docs/load.md). With six
 * partitions the feature job was 42 tasks and 42 transactions a second; on the 5,000 events/s
 * load run the broker spent 27% of a core, where with two (14 tasks) it spends 18%, and the
 * feature processes about a tenth less.
 * A deployment with more instances needs as many partitions as instances, at least: raise it
 * before the topics are created (partitions can be added later only by re-keying the data).
 */
export const defaultPartitions = 2;

/** What a topic's record key is (always the UTF-8 string of that id). @category Schemas */
export type TopicKey = 'userId' | 'videoId' | 'trendingScope' | 'calibrationScope';

/** One topic of the catalogue. @category Schemas */
export interface TopicSpec<TValue> {
  readonly name: TopicName;
  readonly key: TopicKey;
  readonly value: AvroSchema<TValue>;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** Broker topic configuration to create the topic with (cleanup policy, retention). */
  readonly config: Readonly<Record<string, string>>;
}

const week = String(7 * 24 * 3_600_000);

function eventTopic<TValue>(
  name: TopicName,
  value: AvroSchema<TValue>,
  key: TopicKey = 'userId',
): TopicSpec<TValue> {
  return {
    name,
    key,
    value,
    partitions: defaultPartitions,
    cleanupPolicy: 'delete',
    config: { 'cleanup.policy': 'delete', 'retention.ms': week },
  };
}

function compactedTopic<TValue>(
  name: TopicName,
  value: AvroSchema<TValue>,
  options: { key: TopicKey; partitions?: number },
): TopicSpec<TValue> {
  return {
    name,
    key: options.key,
    value,
    partitions: options.partitions ?? defaultPartitions,
    cleanupPolicy: 'compact',
    config: { 'cleanup.policy': 'compact' },
  };
}

/**
 * Every topic of the recommender with its key, value schema, partitions and cleanup policy.
 *
 * @example
 * ```ts
 * pipeline.source(topicCatalog.watchEnds.name, { key: stringSerde, value: avroSerde(topicCatalog.watchEnds.value) });
 * ```
 * @category Schemas
 */
export const topicCatalog = {
  impressions: eventTopic<Impression>(topics.impressions, impressionSchema, 'videoId'),
  clicks: eventTopic<Click>(topics.clicks, clickSchema, 'videoId'),
  watchHeartbeats: eventTopic<WatchHeartbeat>(topics.watchHeartbeats, watchHeartbeatSchema),
  watchEnds: eventTopic<WatchEnd>(topics.watchEnds, watchEndSchema),
  engagements: eventTopic<Engagement>(topics.engagements, engagementSchema),
  videoCatalog: compactedTopic<VideoUpload>(topics.videoCatalog, videoUploadSchema, {
    key: 'videoId',
  }),
  recommendationRequests: eventTopic<RecommendationRequest>(
    topics.recommendationRequests,
    recommendationRequestSchema,
  ),
  videoPopularity: compactedTopic<VideoPopularity>(topics.videoPopularity, videoPopularitySchema, {
    key: 'videoId',
  }),
  trending: compactedTopic<TrendingList>(topics.trending, trendingListSchema, {
    key: 'trendingScope',
    partitions: 1,
  }),
  userFeatures: compactedTopic<UserFeatures>(topics.userFeatures, userFeaturesSchema, {
    key: 'userId',
  }),
  // Once per commit of the feature job per user whose seen set changed: the serving job's table
  // of it answers each request's seen filter locally (pipelines/userSeen.ts).
  userSeen: compactedTopic<UserSeen>(topics.userSeen, userSeenSchema, { key: 'userId' }),
  coVisitation: compactedTopic<CoVisitation>(topics.coVisitation, coVisitationSchema, {
    key: 'videoId',
  }),
  coVisitationViews: compactedTopic<VideoViews>(topics.coVisitationViews, videoViewsSchema, {
    key: 'videoId',
  }),
  watchSessions: eventTopic<WatchSession>(topics.watchSessions, watchSessionSchema),
  // Tombstones (null values) remove a video once it is no longer fresh: readers use a
  // nullable serde (pipelines/explorationPosteriors.ts).
  explorationPosteriors: compactedTopic<ExplorationPosterior>(
    topics.explorationPosteriors,
    explorationPosteriorSchema,
    { key: 'videoId' },
  ),
  // The drift monitor's windows (pipelines/calibrationMonitor.ts): a few records a minute,
  // every window kept a week (`reelstream calibration` shows the latest), one partition so a
  // reader sees them in order.
  calibration: {
    ...eventTopic<CalibrationWindow>(
      topics.calibration,
      calibrationWindowSchema,
      'calibrationScope',
    ),
    partitions: 1,
  },
} as const;

/** Every topic of {@link topicCatalog}, in a list. @category Schemas */
export const allTopics: readonly TopicSpec<unknown>[] = Object.values(topicCatalog);

/**
 * The key of a list on `features.trending`: `region:<region>`, `category:<category>` or
 * `fresh:<region>` (the region's newest uploads).
 *
 * @example
 * ```ts
 * trendingKey('REGION', 'eu-west'); // 'region:eu-west'
 * ```
 * @category Schemas
 */
export function trendingKey(scope: TrendingList['scope'], scopeValue: string): string {
  const prefixes = {
    REGION: 'region',
    CATEGORY: 'category',
    FRESH: 'fresh',
    POPULAR: 'popular',
  } as const;
  return `${prefixes[scope]}:${scopeValue}`;
}
