import {
  avroSerde,
  stringSerde,
  type StreamRecord,
  type GlobalTable,
  type Pipeline,
  type Table,
  type Served,
  type ServeLookups,
} from '../../operators/index.js';
import type { Impression } from '../../schemas/generated/impression.js';
import type { ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import type { RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import type { UserSeen } from '../../schemas/generated/userSeen.js';
import { recommendationReplySchema } from '../../schemas/generated/recommendationReply.js';
import { topicCatalog, topics, type TopicSpec } from '../../schemas/topics.js';
import { explorationPosteriorSerdes } from '../explorationPosteriors.js';
import { itemEmbeddingSerdes } from '../itemEmbeddingShards.js';
import { unitVector, type ItemVector } from './mmr.js';
import {
  defaultLimits,
  recommend,
  type FeatureReader,
  type RecommenderLimits,
} from './recommend.js';
import { LatencyGuard } from './latencyGuard.js';
import type { Ranker } from './ranking.js';
import { replyDiversity } from './reranking.js';
import type { CandidateRetriever } from './retrieval.js';

/**
 * The serdes of `rec.requests` and its replies: the serving job's, and every client's that asks
 * it (a fresh set per call, as each job or client prepares its own against the registry).
 */
export function recommendationSerdes() {
  return {
    key: stringSerde,
    request: avroSerde(topicCatalog.recommendationRequests.value),
    reply: avroSerde(recommendationReplySchema),
  };
}

/**
 * How the serving job reads the requesting user's features: a lookup of its own (an
 * interactive query of the feature job's store), or `'table'`: the serving job's own table of
 * `features.user`, co-partitioned with the requests (see {@link servingPipeline}).
 */
export type UserFeaturesLookup = (userId: string) => Promise<UserFeatures | undefined>;

/** How the serving job reads the requesting user's seen set: as {@link UserFeaturesLookup}, over `features.user-seen`. */
export type UserSeenLookup = (userId: string) => Promise<UserSeen | undefined>;

/** Store names of the serving job's own tables of the user topics (`'table'` lookups). */
export const servingUserTables = {
  features: 'user-features',
  seen: 'user-seen',
} as const;

/** A global table over a feature topic: every serving instance holds all of it. */
function tableOf<TValue>(
  pipeline: Pipeline,
  spec: TopicSpec<TValue>,
  name: string,
): GlobalTable<string, TValue> {
  return pipeline.globalTable(
    spec.name,
    { key: stringSerde, value: avroSerde(spec.value) },
    { name },
  );
}

/**
 * The recommender, served over Kafka request/reply on `rec.requests` (keyed by user): per-video
 * features come from global tables over the compacted feature topics (local reads, no network;
 * see docs/framework.md on why), the requesting user's features from `userFeatures` and their
 * seen set from `userSeen`, side by side. Each is either a lookup (an interactive query of the
 * feature job, with a short deadline) or `'table'`: a table of the job over `features.user` /
 * `features.user-seen`, keyed by user and co-partitioned with the requests, so each task holds
 * the rows of its own requests' users and the read is local (docs/ranking.md, "The user's
 * state"). Without `userSeen` only the features' last watches and dislikes are filtered out.
 * Each reply is also logged to `events.impressions`, one record per item with its position, in
 * the same commit as the reply.
 */
export function servingPipeline(
  pipeline: Pipeline,
  options: {
    userFeatures: UserFeaturesLookup | 'table';
    userSeen?: UserSeenLookup | 'table';
    /**
     * Limits and blend weights; a function is asked on every request (the evaluation tries
     * weights on its validation window with one running job).
     */
    limits?: RecommenderLimits | (() => RecommenderLimits);
    /** Learned retrieval (two-tower) as a candidate source; without it, none. */
    retriever?: CandidateRetriever;
    /** Learned ranking (MMoE) of the merged candidates; without it, the blend ranks. */
    ranker?: Ranker;
    /**
     * The ranker's latency guard, shared by every request of the job (its window is the job's
     * recent rankings); a default one (100 ms budget) when a ranker comes without it.
     */
    rankingGuard?: LatencyGuard;
    /**
     * The compacted topic of item vectors (`embeddings.items`, written by the embedding job) to
     * read as a global table: MMR's similarity and up-next's embedding neighbours. Without it
     * (no embedding job, so no topic), similarity comes from category and creator alone.
     */
    itemEmbeddingsTopic?: string;
    /** Told of every reply with its intra-list diversity (reranking.ts): the serving metrics. */
    onReply?: (reply: RecommendationReply, quality: { readonly diversity: number }) => void;
  },
): void {
  const coVisitation = tableOf(pipeline, topicCatalog.coVisitation, 'co-visitation');
  const trending = tableOf(pipeline, topicCatalog.trending, 'trending');
  const videos = tableOf(pipeline, topicCatalog.videoCatalog, 'videos');
  const popularity = tableOf(pipeline, topicCatalog.videoPopularity, 'video-popularity');
  // Fresh videos only (a tombstone removes the rest): a few hundred small records.
  const posteriors = pipeline.globalTable(
    topics.explorationPosteriors,
    explorationPosteriorSerdes,
    {
      name: 'exploration-posteriors',
    },
  );
  // Every instance holds every vector: at the demo's scale (thousands of videos of a few dozen
  // floats) a few megabytes, and a lookup is local. A production catalogue (millions of videos:
  // gigabytes in each instance) would instead take the vectors of the candidates from the
  // retriever's shards, which hold them already (a query by id for the pool, beside retrieval).
  const embeddings =
    options.itemEmbeddingsTopic === undefined
      ? undefined
      : pipeline.globalTable(options.itemEmbeddingsTopic, itemEmbeddingSerdes, {
          name: 'item-embeddings',
        });
  // Lookups share each decoded record until it changes: its unit vector is scaled once, not
  // per request.
  const unitVectors = new WeakMap<ItemEmbedding, ItemVector | null>();
  const unitOf = (record: ItemEmbedding | null | undefined): ItemVector | undefined => {
    if (record === undefined || record === null) {
      return undefined;
    }
    let unit = unitVectors.get(record);
    if (unit === undefined) {
      unit = unitVector(record.modelVersion, record.vector);
      unitVectors.set(record, unit);
    }
    return unit ?? undefined;
  };
  const limits = options.limits ?? defaultLimits;
  const limitsNow = typeof limits === 'function' ? limits : () => limits;
  const rankingGuard =
    options.ranker === undefined ? undefined : (options.rankingGuard ?? new LatencyGuard());
  const userTable =
    options.userFeatures === 'table'
      ? userTableOf(pipeline, topicCatalog.userFeatures, servingUserTables.features)
      : undefined;
  const seenTable =
    options.userSeen === 'table'
      ? userTableOf(pipeline, topicCatalog.userSeen, servingUserTables.seen)
      : undefined;
  const readerOf = (
    lookups: ServeLookups<string | null>,
    requestKey: string | null,
  ): FeatureReader => ({
    user:
      options.userFeatures === 'table'
        ? ownRow(lookups, userTable, requestKey)
        : options.userFeatures,
    seen:
      options.userSeen === 'table'
        ? ownRow(lookups, seenTable, requestKey)
        : (options.userSeen ?? (() => Promise.resolve(undefined))),
    coVisitation: (videoId) => lookups.global(coVisitation, videoId),
    trending: (key) => lookups.global(trending, key),
    video: (videoId) => lookups.global(videos, videoId),
    popularity: (videoId) => lookups.global(popularity, videoId),
    videos: (videoIds) => lookups.globalAll(videos, videoIds),
    popularities: (videoIds) => lookups.globalAll(popularity, videoIds),
    ...(options.retriever === undefined ? {} : { retriever: options.retriever }),
    ...(options.ranker === undefined ? {} : { ranker: options.ranker }),
    ...(rankingGuard === undefined ? {} : { rankingGuard }),
    posterior: async (videoId) => (await lookups.global(posteriors, videoId)) ?? undefined,
    ...(embeddings === undefined
      ? {}
      : {
          embedding: async (videoId: string) => unitOf(await lookups.global(embeddings, videoId)),
          embeddings: async (videoIds: readonly string[]) =>
            (await lookups.globalAll(embeddings, videoIds)).map(unitOf),
        }),
  });
  const replies = pipeline.serve<string, RecommendationRequest, RecommendationReply>({
    name: 'recommendations',
    topic: topics.recommendationRequests,
    serdes: recommendationSerdes(),
    ...(userTable === undefined && seenTable === undefined
      ? {}
      : { tables: [userTable, seenTable].filter((t) => t !== undefined) }),
    handle: async (request, record, lookups) => {
      const reader = readerOf(lookups, record.key);
      const reply = await recommend(request, reader, limitsNow());
      if (options.onReply !== undefined) {
        options.onReply(reply, { diversity: await replyDiversity(reply.items, reader) });
      }
      return reply;
    },
  });
  replies
    .flatMap((record) => impressionsOf(record), { name: 'impressions-of-reply' })
    .to(
      topics.impressions,
      { key: stringSerde, value: avroSerde(topicCatalog.impressions.value) },
      {
        name: 'impressions-out',
      },
    );
}

/** The serving job's table of a user-keyed feature topic (`'table'` lookups). */
function userTableOf<TValue>(
  pipeline: Pipeline,
  spec: TopicSpec<TValue>,
  name: string,
): Table<string, TValue> {
  return pipeline.table(spec.name, { key: stringSerde, value: avroSerde(spec.value) }, { name });
}

/**
 * A lookup of the request's own row in a table of the serve node. The recommender asks for the
 * request's user, which is the request's key (`rec.requests` is keyed by user): another user's
 * row may be in another task, so asking for one is an error, not a miss.
 */
function ownRow<TValue>(
  lookups: ServeLookups<string | null>,
  table: Table<string, TValue> | undefined,
  requestKey: string | null,
): (userId: string) => Promise<TValue | undefined> {
  return (userId) => {
    if (table === undefined) {
      return Promise.reject(new Error('no table of the serving job for this lookup'));
    }
    if (userId !== requestKey) {
      return Promise.reject(
        new Error(
          `request for user ${userId} keyed ${requestKey ?? 'null'}: a table lookup reads the request key's row only (key requests by user)`,
        ),
      );
    }
    return lookups.table(table);
  };
}

/** One impression per recommended item, keyed by video like every impression (schemas/README.md). */
function impressionsOf(
  record: StreamRecord<string | null, Served<RecommendationRequest, RecommendationReply>>,
): StreamRecord<string, Impression>[] {
  const { request, reply } = record.value;
  if (reply === null) {
    return []; // an error reply showed nothing
  }
  // Derived with with*, not StreamRecord.of: the records keep their request's origin, which
  // the sink needs to attribute outputs of a concurrent operator (the server) to their input.
  return reply.items.map((item, position) =>
    record
      .withKey(item.videoId)
      .withValue<Impression>({
        requestId: reply.requestId,
        userId: reply.userId,
        videoId: item.videoId,
        position,
        surface: request.surface,
        modelVersion: reply.modelVersion,
        // The request's time, not the wall clock's when it was served: an impression happens
        // at the request on the client's timeline (a replay's, in the evaluation), so it never
        // moves the feature job's stream time past the events it is still to read.
        eventTime: request.requestTime,
        predictedClick: item.predictedClick,
        explored: item.explored,
      })
      .withTimestamp(request.requestTime)
      .withHeaders({}),
  );
}
