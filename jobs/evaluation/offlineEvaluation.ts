import { rmSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';

import type { StackSettings } from '../../deploy/local/stack/stackSettings.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import {
  avroSerde,
  RequestClient,
  stringSerde,
  type ConnectionConfig,
} from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import {
  recommendationReplySchema,
  type RecommendationReply,
} from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { topicCatalog, topics } from '../../schemas/topics.js';
import { featuresJob } from '../features/featuresJob.js';
import { waitUntilConsumed } from '../features/waitUntilConsumed.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { KafkaReplaySink } from '../replay/kafkaReplaySink.js';
import { loadMovieLens } from '../replay/movieLensLoader.js';
import { movieIdOfVideo, movieLensIds } from '../replay/movieLensIds.js';
import { runReplay } from '../replay/movieLensReplay.js';
import { planReplay } from '../replay/replayPlan.js';
import { silentProgress } from '../replay/replayProgress.js';
import { movieLensRegion } from '../replay/userProfile.js';
import { servingJob } from '../serving/servingJob.js';
import { withThrowawayStack } from './throwawayStack.js';
import { formatEvaluationTable, type RecommenderResult } from './evaluationTable.js';
import { mostPopular } from './mostPopular.js';
import type { Recommender } from './recommender.js';
import { evaluationUsers, splitByTime } from './timeSplit.js';
import { defaultMetrics, evaluateRecommender } from './userMetrics.js';

export interface OfflineEvaluationOptions {
  readonly dataDir: string;
  readonly cutoffMs: number;
  /** Days after the cut-off whose ratings are the test set; undefined: all of them. */
  readonly testDays?: number;
  /** The throwaway stack's ports and directories (kept apart from the default stack). */
  readonly stack: StackSettings;
  /** Where the jobs keep their RocksDB state and logs for the run. */
  readonly workDir: string;
  readonly log: (line: string) => void;
}

/**
 * The offline evaluation, through the real system: on a throwaway local stack of its own (so
 * nothing else feeds the pipelines), the training ratings are replayed into the event topics,
 * the feature job (every feature pipeline) and the serving job consume them, and each test user
 * is asked for through `rec.requests` like any client would. Most-popular is the plain batch
 * reference function (mostPopular.ts): the serving path has no all-time popularity, only
 * trending over the last hour of event time, which is what its fallback serves.
 */
export async function runOfflineEvaluation(options: OfflineEvaluationOptions): Promise<string> {
  const { log } = options;
  const data = await loadMovieLens(options.dataDir);
  const split = splitByTime(data.ratings, {
    cutoffMs: options.cutoffMs,
    ...(options.testDays === undefined ? {} : { testDays: options.testDays }),
  });
  const users = evaluationUsers(split);
  const cold = users.filter((u) => u.seen.size === 0).length;
  log(
    `MovieLens-100K: train ${split.train.length} ratings before ${new Date(options.cutoffMs).toISOString().slice(0, 10)}, ` +
      `test ${split.test.length}; ${users.length} users with test items (${cold} without training history)`,
  );

  rmSync(options.workDir, { recursive: true, force: true });
  return withThrowawayStack(options.stack, { name: 'evaluation', log }, (connection) =>
    evaluateThroughServing({ ...options, connection, split, users, data }),
  );
}

async function evaluateThroughServing(
  options: OfflineEvaluationOptions & {
    connection: ConnectionConfig;
    split: ReturnType<typeof splitByTime>;
    users: ReturnType<typeof evaluationUsers>;
    data: Awaited<ReturnType<typeof loadMovieLens>>;
  },
): Promise<string> {
  const { connection, log, split, users, data } = options;
  const client = new KafkajsStreamClient(
    createKafkaJs(connection, { clientId: 'reelstream-evaluation' }),
  );
  const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
  await provisionTopics({ client, schemas });
  const logger = pino(
    { level: 'info' },
    pino.destination({ dest: join(options.workDir, 'jobs.log'), mkdir: true, sync: false }),
  );
  const features = featuresJob({
    connection,
    stateDir: join(options.workDir, 'features'),
    queryEndpoint: '127.0.0.1:0',
    replay: true,
    logger,
  });
  await features.start();
  const serving = servingJob({
    connection,
    stateDir: join(options.workDir, 'serving'),
    featureEndpoints: [features.queryEndpoint ?? ''],
    logger,
  });
  await serving.start();
  const requests = await RequestClient.start<string, RecommendationRequest, RecommendationReply>({
    connection,
    requestTopic: topics.recommendationRequests,
    serdes: {
      key: stringSerde,
      request: avroSerde(topicCatalog.recommendationRequests.value),
      reply: avroSerde(recommendationReplySchema),
    },
  });
  try {
    const plan = planReplay(data, {
      mode: 'shifted',
      nowMs: Date.now(),
      untilMs: options.cutoffMs,
    });
    const sink = await KafkaReplaySink.open(connection, {
      topicPrefix: '',
      oldestRecordMs: plan.catalogTimeMs,
      log,
    });
    const replayed = await runReplay({
      plan,
      sink,
      speed: 'max',
      progress: silentProgress,
    }).finally(() => sink.close());
    log(
      `replayed the training part: ${replayed.records} records for ${replayed.ratings} ratings in ${(replayed.elapsedMs / 1000).toFixed(1)} s`,
    );
    const started = performance.now();
    await waitUntilConsumed({ connection, log });
    log(
      `feature job caught up ${((performance.now() - started) / 1000).toFixed(1)} s after the replay`,
    );
    // The serving job's global tables follow the feature topics; give them a moment to catch up.
    await sleep(3_000);

    let sequence = 0;
    const degraded = new Map<string, number>();
    const unknownWithHistory: number[] = [];
    const served: Recommender = async (request) => {
      const reply = await requests.request(
        {
          requestId: `eval-${++sequence}`,
          userId: movieLensIds.user(request.userId),
          region: movieLensRegion,
          surface: 'HOME_FEED',
          count: request.count,
          requestTime: Date.now(),
          context: null,
        },
        { key: movieLensIds.user(request.userId), timeoutMs: 5_000 },
      );
      if (reply.degraded) {
        const reason = reply.degradedReason ?? '';
        degraded.set(reason, (degraded.get(reason) ?? 0) + 1);
        if (request.seen.size > 0 && reason.startsWith('unknown user')) {
          unknownWithHistory.push(request.userId);
        }
      }
      return reply.items.flatMap((item) => {
        const movieId = movieIdOfVideo(item.videoId);
        return movieId === undefined ? [] : [movieId];
      });
    };
    const asked = performance.now();
    const results: RecommenderResult[] = [
      {
        name: 'most-popular (batch reference)',
        perUser: await evaluateRecommender(
          mostPopular({ train: split.train, catalogue: data.movies.keys() }),
          { users },
        ),
      },
      {
        name: 'first recommender (serving path)',
        perUser: await evaluateRecommender(served, { users }),
      },
    ];
    log(
      `asked the serving path for ${users.length} users in ${((performance.now() - asked) / 1000).toFixed(1)} s; ` +
        `degraded replies: ${[...degraded].map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none'}`,
    );
    if (unknownWithHistory.length > 0) {
      log(
        `${unknownWithHistory.length} users with training history had no features on the serving path, e.g. ` +
          unknownWithHistory
            .slice(0, 5)
            .map(
              (id) =>
                `${movieLensIds.user(id)} (${users.find((u) => u.userId === id)?.seen.size ?? 0} train ratings)`,
            )
            .join(', '),
      );
    }
    const warm = new Set(users.filter((u) => u.seen.size > 0).map((u) => u.userId));
    const warmOnly = results.map((r) => ({
      name: r.name,
      perUser: r.perUser.filter((u) => warm.has(u.userId)),
    }));
    return [
      'all users with test items (95% bootstrap intervals over users):',
      formatEvaluationTable(results, { metrics: defaultMetrics }),
      '',
      `users with training history only (${warm.size}):`,
      formatEvaluationTable(warmOnly, { metrics: defaultMetrics }),
    ].join('\n');
  } finally {
    await requests.close();
    await Promise.all([serving.stop(), features.stop()]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
