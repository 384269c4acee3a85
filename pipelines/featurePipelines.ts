import { avroSerde, stringSerde, type Pipeline, type Serde } from '../operators/index.js';
import { topicCatalog, type TopicSpec } from '../schemas/topics.js';
import { coVisitationSerdes, coVisitationStream } from './coVisitation.js';
import { explorationPosteriors } from './explorationPosteriors.js';
import { freshUploads } from './freshUploads.js';
import type { PopularInRegionOptions } from './popularInRegion.js';
import { trending, trendingWindow } from './trending.js';
import {
  userFeaturesSerdes,
  userFeaturesStream,
  type UserFeaturesOptions,
} from './userFeatures.js';
import type { SeenBounds } from './seenSet.js';
import { userSeenTable } from './userSeen.js';
import { popularityWindows, videoPopularity } from './videoPopularity.js';
import { watchSessions } from './watchSessions.js';

/** Serdes of a topic of the catalogue: string keys, Avro values. */
function serdesOf<TValue>(spec: TopicSpec<TValue>): { key: Serde<string>; value: Serde<TValue> } {
  return { key: stringSerde, value: avroSerde(spec.value) };
}

/**
 * How long the feature job's state grows by design from a cold start, in event time: its
 * windows of the last hour (video popularity's and trending's, one-minute buckets) gain a bucket
 * per active video each minute until they are full. Memory measured sooner counts that filling
 * (docs/load.md, memory over 30 minutes). The 24-hour window gains a 15-minute bucket four times
 * an hour for a day: a few bytes a video, left out here.
 */
export const featureStateFillsForMs = Math.max(
  popularityWindows.last1h.resolutionMs * popularityWindows.last1h.buckets,
  trendingWindow.resolutionMs * trendingWindow.buckets,
);

/**
 * Every feature pipeline of the recommender in one job: watch sessions, video popularity,
 * trending, fresh uploads, user features, the users' seen sets (a store for the serving path's
 * queries, no topic), co-visitation and the fresh videos' exploration posteriors. Each input
 * topic is read once and the catalogue held once (a topic may feed only one source of a job),
 * and the pipelines share the streams: the watch sessions feed popularity, trending and user
 * features; impressions and clicks feed popularity and the exploration posteriors.
 */
export function featurePipelines(
  pipeline: Pipeline,
  options: {
    userFeatures?: UserFeaturesOptions;
    userSeen?: SeenBounds;
    /** Popular in region's half-life and list length; the pipeline's defaults when absent. */
    popular?: PopularInRegionOptions;
  } = {},
): void {
  const c = topicCatalog;
  const catalog = pipeline.globalTable(c.videoCatalog.name, serdesOf(c.videoCatalog), {
    name: 'catalog',
  });
  const source = <TValue>(spec: TopicSpec<TValue>, name: string) =>
    pipeline.source(spec.name, serdesOf(spec), { name });
  const heartbeats = source(c.watchHeartbeats, 'heartbeats');
  const watchEnds = source(c.watchEnds, 'watch-ends');
  const engagements = source(c.engagements, 'engagements');
  const impressions = source(c.impressions, 'impressions');
  const clicks = source(c.clicks, 'clicks');
  const uploads = source(c.videoCatalog, 'uploads');

  const sessions = watchSessions(pipeline, { inputs: { heartbeats, watchEnds, catalog } });
  videoPopularity(pipeline, { inputs: { impressions, clicks, watchSessions: sessions } });
  trending(pipeline, {
    inputs: { watchSessions: sessions, catalog },
    ...(options.popular === undefined ? {} : { popular: options.popular }),
  });
  freshUploads(uploads).to(c.trending.name, serdesOf(c.trending), { name: 'fresh-uploads-out' });
  // Both topics are tables (compacted, read as the latest value per entity): a commit sends
  // only the last update of each user and video it changed.
  userFeaturesStream({ watchSessions: sessions, engagements, catalog }, options.userFeatures).to(
    c.userFeatures.name,
    userFeaturesSerdes.output,
    { name: 'user-features-out', latestPerKey: true },
  );
  // Once per commit per user whose seen set changed (the table emits on commit): the serving
  // job's own table of it filters each reply locally.
  userSeenTable({ watchSessions: sessions, engagements }, options.userSeen)
    .toStream()
    .to(c.userSeen.name, serdesOf(c.userSeen), { name: 'user-seen-out' });
  coVisitationStream(pipeline, watchEnds).to(c.coVisitation.name, coVisitationSerdes.output, {
    name: 'co-visitation-out',
    latestPerKey: true,
  });
  // The serving layer's exploration slot samples these (pipelines/recommender/exploration.ts).
  explorationPosteriors({ inputs: { impressions, clicks, catalog } });
}
