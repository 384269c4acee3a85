import type { Logger } from 'pino';

import {
  Pipeline,
  RemoteStore,
  stringSerde,
  StreamJob,
  type ConnectionConfig,
  type Serde,
} from '../../operators/index.js';
import type { RecommenderLimits } from '../../pipelines/recommender/recommend.js';
import type { GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';
import type { Ranker } from '../../pipelines/recommender/ranking.js';
import type { CandidateRetriever } from '../../pipelines/recommender/retrieval.js';
import { servingPipeline } from '../../pipelines/recommender/servingPipeline.js';
import { userFeaturesStateSerde } from '../../pipelines/userFeatures.js';
import { topics } from '../../schemas/topics.js';
import { userSeenStateSerde } from '../../pipelines/userSeen.js';
import { userFeaturesStore, userSeenStore } from '../features/featuresJob.js';
import type { RerankingMetrics } from './rerankingMetrics.js';
import { servingLatencyGuard, type RankingGuardMetrics } from './rankingGuardMetrics.js';

export const servingApplicationId = 'reelstream-serving';

/**
 * How long a request waits for the user's features before it falls back (degraded), and for
 * the user's seen set (read beside them, at the same time).
 */
export const userFeaturesDeadlineMs = 50;

/**
 * The recommender served on `rec.requests`. At-least-once, on purpose: a request is a read, so
 * answering one twice after a crash is harmless (the client ignores the second reply), while
 * exactly-once would hold every reply back until its transaction commits.
 */
export function servingJob(options: {
  connection: ConnectionConfig;
  stateDir: string;
  /**
   * Query endpoints of the feature job (any instance answers any user): each request asks it for
   * the user's features and seen set, with a deadline of {@link userFeaturesDeadlineMs}.
   * Without them, the job keeps tables of its own over `features.user` and `features.user-seen`,
   * co-partitioned with the requests, and reads them locally: no call on the request path, and
   * features as of the feature job's last commit that the job has read (docs/ranking.md, "The
   * user's state").
   */
  featureEndpoints?: readonly string[];
  logger: Logger;
  /** The recommender's limits and blend weights, asked on every request; the defaults if absent. */
  limits?: () => RecommenderLimits;
  /** Two-tower retrieval as a candidate source (twoTowerRetriever.ts); without it, none. */
  retriever?: CandidateRetriever;
  /**
   * The item embeddings topic (`embeddings.items`) for MMR and up-next's embedding neighbours;
   * only where the embedding job writes it (the topic must exist). Without it, similarity comes
   * from category and creator.
   */
  itemEmbeddingsTopic?: string;
  /** Where each reply's intra-list diversity and explored positions are counted. */
  rerankingMetrics?: RerankingMetrics;
  /** Learned ranking (mmoeRanker.ts); without it, the blend ranks. */
  ranker?: Ranker;
  /** With a ranker: the ranking stage's P99 budget before the simplified ranking (default 100 ms). */
  rankingBudgetMs?: number;
  /** With a ranker: where the latency guard's switches are counted. */
  rankingMetrics?: RankingGuardMetrics;
  /** With a ranker: told of every switch of the latency guard (after it is logged). */
  onRankingSwitch?: (event: GuardSwitch) => void;
}): StreamJob {
  const endpoints = options.featureEndpoints;
  // With the feature job's endpoints: a query of it per request, for each store.
  const queried = <TValue>(name: string, value: Serde<TValue>) =>
    endpoints === undefined
      ? undefined
      : new RemoteStore({
          endpoints,
          store: { name, key: stringSerde, value },
          timeoutMs: userFeaturesDeadlineMs,
        });
  const userFeatures = queried(userFeaturesStore, userFeaturesStateSerde);
  const userSeen = queried(userSeenStore, userSeenStateSerde);
  const pipeline = new Pipeline();
  servingPipeline(pipeline, {
    userFeatures: userFeatures === undefined ? 'table' : (userId) => userFeatures.get(userId),
    userSeen: userSeen === undefined ? 'table' : (userId) => userSeen.get(userId),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.retriever === undefined ? {} : { retriever: options.retriever }),
    ...(options.itemEmbeddingsTopic === undefined
      ? {}
      : { itemEmbeddingsTopic: options.itemEmbeddingsTopic }),
    ...(options.rerankingMetrics === undefined
      ? {}
      : { onReply: options.rerankingMetrics.observe.bind(options.rerankingMetrics) }),
    ...(options.ranker === undefined
      ? {}
      : {
          ranker: options.ranker,
          rankingGuard: servingLatencyGuard({
            logger: options.logger,
            ...(options.rankingBudgetMs === undefined ? {} : { budgetMs: options.rankingBudgetMs }),
            ...(options.rankingMetrics === undefined ? {} : { metrics: options.rankingMetrics }),
            ...(options.onRankingSwitch === undefined ? {} : { onSwitch: options.onRankingSwitch }),
          }),
        }),
  });
  return new StreamJob({
    pipeline,
    applicationId: servingApplicationId,
    connection: options.connection,
    guarantee: 'at-least-once',
    commitIntervalMs: 200,
    // A request never waits for the user tables' inputs to catch up: the feature job writes
    // them in bursts, one per commit, and a task taking its inputs in timestamp order held a
    // request back whenever a table's last fetch stopped short of its end, until one more
    // fetch round came in. The row a request reads may then miss the last round's updates:
    // the user's state is already as old as the feature job's last commit. (In a 4-minute
    // load run, request sent → handler started fell from 133–162 to 109 ms at P99.)
    maxTaskIdleMs: -1,
    // Request sent → its fetch delivered, beside request sent → handler started: whether a
    // slow request waited for Kafka or for this job.
    arrivalDelayTopics: [topics.recommendationRequests],
    // The broker's shortest session (group.min.session.timeout.ms): after a broker restart the
    // coordinator holds the job's old member this long before a new one is given the request
    // partitions, and every request waits for that. The job's work per heartbeat is small.
    sessionTimeoutMs: 6_000,
    stateDir: options.stateDir,
    logger: options.logger,
  });
}
