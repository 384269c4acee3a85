import { rmSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';

import type { StackSettings } from '../../deploy/local/stack/stackSettings.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { ConfigError, RequestClient, type ConnectionConfig } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { type RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { recommendationSerdes } from '../../pipelines/recommender/servingPipeline.js';
import { topics } from '../../schemas/topics.js';
import { featuresJob } from '../features/featuresJob.js';
import { waitUntilConsumed } from '../features/waitUntilConsumed.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { KafkaReplaySink } from '../replay/kafkaReplaySink.js';
import { loadMovieLens } from '../replay/movieLensLoader.js';
import { movieLensIds } from '../replay/movieLensIds.js';
import { runReplay } from '../replay/movieLensReplay.js';
import { planReplay, type ReplayPlan } from '../replay/replayPlan.js';
import { silentProgress } from '../replay/replayProgress.js';
import { MmoeRanker } from '../serving/mmoeRanker.js';
import { servingJob } from '../serving/servingJob.js';
import { defaultObjective, type Ranker } from '../../pipelines/recommender/ranking.js';
import type { StreamJob } from '../../operators/index.js';
import { defaultLimits, type RecommenderLimits } from '../../pipelines/recommender/recommend.js';
import { selectionMetric, tuneBaselines } from './baselines.js';
import { weekAlignedNow } from './evaluationClock.js';
import { waitForGlobalTables } from './globalTablesCaughtUp.js';
import { catalogueOf, interactionsOf } from './itemScores.js';
import { formatTables } from './offlineTables.js';
import type { CutoffRun } from './pooledTables.js';
import {
  compareRuns,
  compareServedReplies,
  loadServedReplies,
  type ServedReply,
  listsDigest,
  loadRunLists,
  saveRunLists,
  writeKeepingPrevious,
} from './listRecord.js';
import { withThrowawayStack } from './throwawayStack.js';
import { chooseWeights, servedPopularTopK, twoTowerWeightGrid } from './servedTuning.js';
import { chooseRankerBlend, servedFunnelName, trainRanker } from './servedFunnel.js';
import { serveTwoTower, SwitchableRetriever, type ServedTwoTower } from './servedTwoTower.js';
import { servingAsker } from './servingAsker.js';
import {
  defaultValidationDays,
  evaluationUsers,
  splitByTime,
  validationSplit,
  type EvaluationUser,
} from './timeSplit.js';
import {
  trainTwoTower,
  twoTowerName,
  twoTowerRow,
  type TrainedModel,
  type TwoTowerRow,
} from './twoTower.js';
import {
  collectLists,
  defaultMetrics,
  evaluateRecommender,
  listLength,
  metricValues,
  type UserList,
} from './userMetrics.js';

export interface OfflineEvaluationOptions {
  readonly dataDir: string;
  readonly cutoffMs: number;
  /** Days after the cut-off whose ratings are the test set; undefined: all of them. */
  readonly testDays?: number;
  /** Days at the end of the training part that the baselines are tuned on (default 14). */
  readonly validationDays?: number;
  /** The throwaway stack's ports and directories (kept apart from the default stack). */
  readonly stack: StackSettings;
  /** Where the jobs keep their RocksDB state and logs for the run. */
  readonly workDir: string;
  /**
   * Where every recommender's lists are kept; the previous run's file there is compared with
   * this run's lists before it is replaced (determinism, run to run).
   */
  readonly listsFile?: string;
  /** False: the in-process baselines only, no stack and no serving path. Default true. */
  readonly serving?: boolean;
  /**
   * False: no two-tower row. Default true: the trainer's two-tower model, trained on the
   * training part (twoTower.ts); left out, saying why, when the trainer's environment is missing.
   */
  readonly twoTower?: boolean;
  readonly log: (line: string) => void;
}

/** The serving path's row in the table. */
export const servedName = 'served recommender';

/** The serving path with the two-tower candidate source on (its own models, shards, retriever). */
export const servedTwoTowerName = 'served recommender + two-tower';

/**
 * The serving path's own fallback for the same users: personalisation switched off, so every
 * user gets what an unknown user or a failed read gets (the popular list, their seen movies
 * left out). What "the personalised path beats its fallback" is judged against.
 */
export const servedFallbackName = 'served fallback (popular list)';

/** A cut-off's evaluation: its printed tables, and what pooling over cut-offs needs. */
export interface OfflineEvaluationResult {
  readonly table: string;
  readonly run: CutoffRun;
}

/**
 * The paired differences beside those against the best baseline: the funnel against itself
 * without the ranking stage (the same candidates and blend), and every personalised row against
 * the fallback the same serving job gives the same users.
 */
export const servedPairs: readonly (readonly [string, string])[] = [
  [servedFunnelName, servedTwoTowerName],
  [servedName, servedFallbackName],
  [servedTwoTowerName, servedFallbackName],
  [servedFunnelName, servedFallbackName],
];

const dayMs = 86_400_000;
const weekMs = 7 * dayMs;

/**
 * The offline evaluation. The same protocol for every recommender: each is asked for the 50 best
 * movies for every test user, with the user's training movies to leave out **before** ranking;
 * the lists are masked afterwards only as a safety net, and what that catches is reported.
 *
 * - Baselines, in-process from the training part (baselines.ts): most-popular,
 *   recency-decayed popularity, EASE and ItemKNN, their hyperparameters and the best of them
 *   chosen on a validation window at the end of the training part; the test window chooses
 *   nothing.
 * - The served recommender, through the real system (unless `serving` is false): on a throwaway
 *   local stack of its own (so nothing else feeds the pipelines), the training ratings are
 *   replayed into the event topics, the feature job (every feature pipeline) and the serving job
 *   consume them, and each test user is asked for through `rec.requests` like any client would,
 *   at request time = the cut-off (on the replay's timeline).
 *
 * - Two-tower retrieval alone (twoTower.ts, unless `twoTower` is false): the trainer's model
 *   trained on the training part's exported examples, each user scored from their features at
 *   the cut-off; left out with a printed reason when the trainer's environment is missing.
 * - Through the real system too, with the trainer: the served recommender with the two-tower
 *   candidate source (servedTwoTower.ts), and the whole funnel, those candidates ranked by the
 *   MMoE (servedFunnel.ts), compared with the row before it as well as with the best baseline.
 * - The serving path's own fallback for every user (personalisation switched off), and each
 *   served row's paired difference against it.
 *
 * Every list is judged twice, with any test rating relevant and with only 4★ or more, over all
 * test users and over those with training history; differences are paired, against the best
 * baseline. Deterministic: the baselines break ties by popularity then id, the bootstrap has a
 * fixed seed (42), and the replay is shifted by whole weeks with requests at a fixed time; the
 * lists' digests are printed and compared with the previous run's.
 */
export async function runOfflineEvaluation(
  options: OfflineEvaluationOptions,
): Promise<OfflineEvaluationResult> {
  const { log } = options;
  const data = await loadMovieLens(options.dataDir);
  const split = splitByTime(data.ratings, {
    cutoffMs: options.cutoffMs,
    ...(options.testDays === undefined ? {} : { testDays: options.testDays }),
  });
  const users = evaluationUsers(split);
  const liked = evaluationUsers(split, { minRating: 4 });
  if (users.length === 0 || liked.length === 0) {
    const lastMs = data.ratings.reduce((max, r) => Math.max(max, r.timestamp * 1000), 0);
    throw new ConfigError(
      '--cutoff',
      `nothing to evaluate: no user has a test rating of an unseen movie from ${day(options.cutoffMs)} on ` +
        `(the data in ${options.dataDir} ends on ${day(lastMs)})`,
    );
  }
  const cold = users.filter((u) => u.seen.size === 0).length;
  log(
    `MovieLens-100K: train ${split.train.length} ratings before ${day(options.cutoffMs)}, ` +
      `test ${split.test.length}${options.testDays === undefined ? '' : ` in ${options.testDays} days`}; ` +
      `${users.length} users with test items (${cold} without training history), ` +
      `${liked.length} with a test rating of 4★ or more`,
  );

  const tuningStarted = performance.now();
  const tuning = await tuneBaselines({
    train: split.train,
    catalogue: data.movies.keys(),
    cutoffMs: options.cutoffMs,
    ...(options.validationDays === undefined ? {} : { validationDays: options.validationDays }),
  });
  tuning.report.forEach(log);
  const count = listLength(defaultMetrics);
  const lists = new Map<string, UserList[]>();
  for (const baseline of tuning.baselines) {
    lists.set(baseline.name, await collectLists(baseline.recommender, { users, count }));
  }
  log(
    `baselines tuned, fitted on the training part and asked for ${users.length} users in ` +
      `${((performance.now() - tuningStarted) / 1000).toFixed(1)} s`,
  );

  /** The two-tower models of the served two-tower row: before the validation window, and all. */
  let servedModels: { readonly validation: string; readonly test: string } | undefined;
  /** The served funnel row's MMoE rankers (their `mmoe` folders): before the window, and all. */
  let rankerModels: { readonly validation: string; readonly test: string } | undefined;
  const failed = (error: unknown): { ok: false; reason: string } => ({
    ok: false as const,
    reason: error instanceof Error ? error.message : String(error),
  });
  if (options.twoTower !== false) {
    const started = performance.now();
    const interactions = interactionsOf(split.train, catalogueOf(data.movies.keys()));
    // Every model of the evaluation learns from the whole training part (the two-tower model of
    // the served two-tower row's weight choice excepted, below).
    const trainingPart = { data, train: split.train, cutoffMs: options.cutoffMs, log };
    // Never fails the evaluation: without the trainer (or if it fails) the row is left out.
    const model: TrainedModel = await trainTwoTower(trainingPart).catch(failed);
    const row: TwoTowerRow = await twoTowerRow(
      {
        ...trainingPart,
        catalogue: interactions.catalogue,
        tieRank: interactions.tieRank,
      },
      model,
    ).catch(failed);
    if (options.serving !== false && model.ok) {
      // The served two-tower row's weight is chosen on the validation window, so it is asked of
      // a model that has not seen that window: the same training, on the ratings before it.
      const validationStartMs =
        options.cutoffMs - (options.validationDays ?? defaultValidationDays) * dayMs;
      const before: TrainedModel = await trainTwoTower({
        data,
        train: split.train.filter((r) => r.timestamp * 1000 < validationStartMs),
        cutoffMs: validationStartMs,
        log: (line) =>
          log(line.replace(/^two-tower:/, 'two-tower (before the validation window):')),
      }).catch(failed);
      if (before.ok) {
        servedModels = { validation: before.modelDir, test: model.modelDir };
        // The funnel's blend weight is chosen on the validation window too: a ranker trained
        // on the ratings before it, beside the one trained on the whole training part.
        const rankerBefore: TrainedModel = await trainRanker({
          data,
          train: split.train.filter((r) => r.timestamp * 1000 < validationStartMs),
          cutoffMs: validationStartMs,
          log: (line) => log(line.replace(/^mmoe:/, 'mmoe (before the validation window):')),
        }).catch(failed);
        const ranker: TrainedModel = rankerBefore.ok
          ? await trainRanker(trainingPart).catch(failed)
          : rankerBefore;
        if (rankerBefore.ok && ranker.ok) {
          rankerModels = { validation: rankerBefore.modelDir, test: ranker.modelDir };
        } else {
          log(`${servedFunnelName}: row left out: ${ranker.ok ? '' : ranker.reason}`);
        }
      } else {
        log(`${servedTwoTowerName}: row left out: ${before.reason}`);
      }
    } else if (options.serving !== false && !model.ok) {
      log(`${servedTwoTowerName}: row left out: ${model.reason}`);
    }
    if (row.ok) {
      lists.set(twoTowerName, await collectLists(row.recommender, { users, count }));
      log(
        `two-tower: asked for ${users.length} users; ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
      );
    } else {
      log(`two-tower: row left out: ${row.reason}`);
    }
  }

  if (options.serving !== false) {
    rmSync(options.workDir, { recursive: true, force: true });
    const served = await withThrowawayStack(
      options.stack,
      { name: 'evaluation', log },
      (connection) =>
        servedLists({
          ...options,
          connection,
          split,
          users,
          data,
          popularHalfLifeDays: tuning.popularityHalfLifeDays,
          ...(servedModels === undefined ? {} : { twoTowerModels: servedModels }),
          ...(rankerModels === undefined ? {} : { rankerModels }),
        }),
    );
    lists.set(servedName, served.served);
    reportSeenReturned(served.served, { users, count, log });
    lists.set(servedFallbackName, served.fallback);
    reportSeenReturned(served.fallback, { users, count, log });
    if (served.twoTower !== undefined) {
      lists.set(servedTwoTowerName, served.twoTower);
      reportSeenReturned(served.twoTower, { users, count, log });
    }
    if (served.funnel !== undefined) {
      lists.set(servedFunnelName, served.funnel);
      reportSeenReturned(served.funnel, { users, count, log });
    }
  }

  log("lists digests (SHA-256 of every user's list; equal digests, equal lists):");
  for (const [name, userLists] of lists) {
    log(`  ${name}: ${listsDigest(userLists)}`);
  }
  if (options.listsFile !== undefined) {
    const previous = loadRunLists(options.listsFile);
    if (previous === undefined) {
      log(`no previous run's lists in ${options.listsFile} to compare with`);
    } else {
      log(`against the previous run's lists (${options.listsFile}):`);
      compareRuns(lists, previous).forEach(log);
    }
    saveRunLists(options.listsFile, lists);
  }
  const table = formatTables(lists, {
    users,
    liked,
    reference: tuning.best,
    catalogueSize: data.movies.size,
    pairs: servedPairs,
  });
  return {
    table,
    run: { cutoffMs: options.cutoffMs, lists, users, liked, reference: tuning.best },
  };
}

/** The finding the safety-net mask makes: seen items the serving path returned. */
function reportSeenReturned(
  served: readonly UserList[],
  context: { users: readonly EvaluationUser[]; count: number; log: (line: string) => void },
): void {
  const warm = new Set(context.users.filter((u) => u.seen.size > 0).map((u) => u.userId));
  const warmLists = served.filter((l) => warm.has(l.userId));
  const withSeen = warmLists.filter((l) => l.seenReturned > 0);
  const total = warmLists.reduce((sum, l) => sum + l.seenReturned, 0);
  context.log(
    `seen (training) movies in the served lists: ${withSeen.length} of ${warmLists.length} users with history got some back, ` +
      `${total} in all (${(total / Math.max(1, warmLists.length)).toFixed(1)} of ${context.count} slots on average); ` +
      'masked afterwards, so those users’ lists are shorter (every baseline filters them before ranking)',
  );
}

async function servedLists(
  options: OfflineEvaluationOptions & {
    connection: ConnectionConfig;
    split: ReturnType<typeof splitByTime>;
    users: readonly EvaluationUser[];
    data: Awaited<ReturnType<typeof loadMovieLens>>;
    /** The popularity baseline's half-life, chosen on the validation window. */
    popularHalfLifeDays: number;
    /**
     * The served two-tower row's models (their `two-tower` folders): trained before the
     * validation window (its weight is chosen there) and on the whole training part (the test).
     */
    twoTowerModels?: { readonly validation: string; readonly test: string };
    /**
     * The served funnel row's rankers (their `mmoe` folders), trained before the validation
     * window (the blend weight beside the model is chosen there) and on the whole training
     * part; needs the two-tower models.
     */
    rankerModels?: { readonly validation: string; readonly test: string };
  },
): Promise<{
  served: UserList[];
  fallback: UserList[];
  twoTower?: UserList[];
  funnel?: UserList[];
}> {
  const { connection, log, users, data } = options;
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
    popular: { halfLifeMs: options.popularHalfLifeDays * dayMs, topK: servedPopularTopK },
  });
  await features.start();
  // Asked on every request: the validation tuning below tries weights with this one job.
  let limits: RecommenderLimits = defaultLimits;
  // With the served two-tower row: one serving job, its two-tower source switched in only for
  // that row's rounds (switched out, it proposes nothing and the ranking is the served row's).
  const retriever = options.twoTowerModels === undefined ? undefined : new SwitchableRetriever();
  const startServing = (ranker?: Ranker): StreamJob =>
    servingJob({
      connection,
      stateDir: join(options.workDir, 'serving'),
      featureEndpoints: [features.queryEndpoint ?? ''],
      logger,
      limits: () => limits,
      ...(retriever === undefined ? {} : { retriever }),
      // The guard's budget is not what the evaluation measures: a busy machine must not
      // switch a list to the simplified ranking.
      ...(ranker === undefined ? {} : { ranker, rankingBudgetMs: 60_000 }),
    });
  let serving = startServing();
  await serving.start();
  let ranker: MmoeRanker | undefined;
  const requests = await RequestClient.start<string, RecommendationRequest, RecommendationReply>({
    connection,
    requestTopic: topics.recommendationRequests,
    serdes: recommendationSerdes(),
  });
  const twoTowers: ServedTwoTower[] = [];
  let twoTowerWeights: RecommenderLimits['weights'] | undefined;
  let rankerBlendWeight = 0;
  try {
    // The training part in two segments, one timeline: up to the validation window (where the
    // blend is chosen), then the window itself (the catalogue only once, with the first).
    const validationDays = options.validationDays ?? defaultValidationDays;
    const validationStartMs = options.cutoffMs - validationDays * dayMs;
    const nowMs = weekAlignedNow(data.ratings);
    const before = planReplay(data, { mode: 'shifted', nowMs, untilMs: validationStartMs });
    const window = {
      ...planReplay(data, {
        mode: 'shifted',
        nowMs,
        fromMs: validationStartMs,
        untilMs: options.cutoffMs,
      }),
      movies: new Map(),
    };
    const sink = await KafkaReplaySink.open(connection, {
      topicPrefix: '',
      oldestRecordMs: before.catalogTimeMs,
      log,
    });
    const segment = { sink, connection, workDir: options.workDir, log };
    try {
      await replaySegment(before, {
        ...segment,
        what: 'the training part before the validation window',
      });
      const validation = validationSplit(options.split.train, {
        cutoffMs: options.cutoffMs,
        validationDays,
      });
      const validationUsers = evaluationUsers(validation, { minSeen: 1 });
      let round = 0;
      // The mean of the selection metric over the validation users, asked with `next` limits.
      const validationScore = async (next: RecommenderLimits): Promise<number> => {
        limits = next;
        round++;
        const asker = servingAsker(requests, {
          requestTime: validationStartMs + before.offsetMs,
          idPrefix: `val${round}`,
        });
        const perUser = await evaluateRecommender(asker.recommender, {
          users: validationUsers,
          metrics: [selectionMetric],
        });
        const values = metricValues(perUser, selectionMetric.name);
        return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
      };
      const chosen = await chooseWeights((weights) =>
        validationScore({ ...defaultLimits, weights }),
      );
      log(
        `served recommender chosen on the validation window (${validationUsers.length} users with history, ${selectionMetric.name}, asked at its start; the test window is not read): ` +
          `popular in region with the popularity baseline's half-life, ${options.popularHalfLifeDays} d, ${servedPopularTopK} videos`,
      );
      log(chosen.report);
      if (retriever !== undefined && options.twoTowerModels !== undefined) {
        // Both models' item embeddings into shards of their own, from the catalogue the first
        // segment wrote; the weight of the two-tower signal chosen with the model trained
        // before the validation window, the other weights as just chosen.
        for (const [name, modelDir] of [
          ['validation', options.twoTowerModels.validation],
          ['test', options.twoTowerModels.test],
        ] as const) {
          twoTowers.push(
            await serveTwoTower({
              connection,
              modelDir,
              name,
              workDir: options.workDir,
              expected: before.movies.size,
              logger,
              log,
            }),
          );
        }
        retriever.use(twoTowers[0]?.retriever);
        const withTwoTower = await chooseWeights(
          (weights) => validationScore({ ...defaultLimits, weights }),
          twoTowerWeightGrid(chosen.weights),
        );
        log(
          `${servedTwoTowerName} chosen on the validation window (the same users, with the model trained before it): the weight of the two-tower signal`,
        );
        log(withTwoTower.report);
        twoTowerWeights = withTwoTower.weights;
        if (options.rankerModels !== undefined) {
          // The funnel's weight of the blend beside the model, chosen the same way: the serving
          // job started again with the ranker trained before the window (it takes one at its
          // start), the two-tower model and weights as just chosen; then without it again.
          await serving.stop();
          const rankerBefore = await MmoeRanker.open({
            modelDir: options.rankerModels.validation,
          });
          try {
            serving = startServing(rankerBefore);
            await serving.start();
            await settle({ connection, workDir: options.workDir, log });
            const funnel = await chooseRankerBlend((blendWeight) =>
              validationScore({
                ...defaultLimits,
                weights: withTwoTower.weights,
                ranking: { ...defaultObjective, blendWeight },
              }),
            );
            log(
              `${servedFunnelName} chosen on the validation window (the same users, with a ranker trained before it, ${rankerBefore.version}): the weight of the blend beside the model`,
            );
            log(funnel.report);
            rankerBlendWeight = funnel.blendWeight;
          } finally {
            await serving.stop();
            await rankerBefore.close();
            serving = startServing();
            await serving.start();
          }
        }
        retriever.use(undefined);
        await twoTowers[0]?.stop();
      }
      limits = { ...defaultLimits, weights: chosen.weights };
      await replaySegment(window, { ...segment, what: 'the validation window' });
    } finally {
      await sink.close();
    }

    // Requests are made at the cut-off on the replay's timeline, not at the wall clock: the
    // serving path decays affinities and freshness to the request time.
    const requestTime = options.cutoffMs + before.offsetMs;
    const askRow = async (row: {
      name: string;
      idPrefix: string;
      repliesFile: string;
    }): Promise<{ lists: UserList[]; replies: readonly ServedReply[] }> => {
      const asker = servingAsker(requests, { requestTime, idPrefix: row.idPrefix });
      const asked = performance.now();
      const lists = await collectLists(asker.recommender, {
        users,
        count: listLength(defaultMetrics),
      });
      const count = (counts: Map<string, number>): string =>
        [...counts].map(([what, n]) => `${n} ${what}`).join(', ') || 'none';
      log(
        `${row.name}: asked the serving path for ${users.length} users in ${((performance.now() - asked) / 1000).toFixed(1)} s; ` +
          `ranking modes: ${count(asker.modes)}; degraded replies: ${count(asker.degraded)}; ` +
          `asked again after a missed deadline: ${count(asker.retried)}`,
      );
      if (options.listsFile !== undefined) {
        // Every reply with its items' scores and sources, beside the lists (the previous run's
        // kept as .previous): what to diff when two runs' served lists differ.
        const file = `${options.listsFile}.${row.repliesFile}`;
        const previous = loadServedReplies(file);
        log(
          previous === undefined
            ? `no previous run's ${row.name} replies in ${file} to compare with`
            : `against the previous run's ${row.name} replies (${file}):\n${compareServedReplies(asker.replies, previous)}`,
        );
        writeKeepingPrevious(file, asker.replies);
      }
      return { lists, replies: asker.replies };
    };
    const servedRow = await askRow({
      name: servedName,
      idPrefix: 'eval',
      repliesFile: 'served-replies.json',
    });
    // The same job, weights and state, personalisation switched off: the fallback each user
    // would get. It reads the user's seen set and the global tables only, which the served
    // row's impressions do not change (the popular and trending lists count playbacks).
    limits = { ...limits, personalise: false };
    const fallbackRow = await askRow({
      name: servedFallbackName,
      idPrefix: 'eval-fallback',
      repliesFile: 'served-fallback-replies.json',
    });
    limits = { ...limits, personalise: true };
    const unknownWithHistory = servedRow.replies
      .filter((r) => r.degraded?.startsWith('unknown user') === true)
      .map((r) => r.userId)
      .filter((id) => (users.find((u) => u.userId === id)?.seen.size ?? 0) > 0);
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
    const test = twoTowers[1];
    if (retriever === undefined || test === undefined || twoTowerWeights === undefined) {
      return { served: servedRow.lists, fallback: fallbackRow.lists };
    }
    // The served two-tower row: the same job and features, the two-tower source switched in
    // with the model trained on the whole training part and the weight chosen above. The
    // served row's requests logged impressions: wait until the feature job and the global
    // tables have taken them, so that this row starts from the same state in every run.
    await settle({ connection, workDir: options.workDir, log });
    retriever.use(test.retriever);
    limits = { ...defaultLimits, weights: twoTowerWeights };
    const twoTowerRow = await askRow({
      name: servedTwoTowerName,
      idPrefix: 'eval-two-tower',
      repliesFile: 'served-two-tower-replies.json',
    });
    const twoTowerItems = twoTowerRow.replies.map(
      (r) => r.items.filter(([, , sources]) => sources.includes('TWO_TOWER')).length,
    );
    log(
      `${servedTwoTowerName}: model ${test.modelVersion}; ${twoTowerItems.filter((n) => n > 0).length} replies hold TWO_TOWER items ` +
        `(${twoTowerItems.reduce((sum, n) => sum + n, 0)} items in all)`,
    );
    if (options.rankerModels === undefined) {
      return { served: servedRow.lists, fallback: fallbackRow.lists, twoTower: twoTowerRow.lists };
    }
    // The whole funnel: the same candidates and blend as the served two-tower row, ranked by
    // the MMoE. The serving job is started again with the ranker (it takes one at its start),
    // from the same state, once the feature job and the tables have taken the last requests.
    await serving.stop();
    ranker = await MmoeRanker.open({ modelDir: options.rankerModels.test });
    limits = {
      ...defaultLimits,
      weights: twoTowerWeights,
      ranking: { ...defaultObjective, blendWeight: rankerBlendWeight },
    };
    serving = startServing(ranker);
    await serving.start();
    await settle({ connection, workDir: options.workDir, log });
    log(
      `${servedFunnelName}: ranker ${ranker.version} (outputs ${ranker.outputs.join(', ')}); weight of the blend beside it ${rankerBlendWeight}`,
    );
    const funnelRow = await askRow({
      name: servedFunnelName,
      idPrefix: 'eval-funnel',
      repliesFile: 'served-funnel-replies.json',
    });
    return {
      served: servedRow.lists,
      fallback: fallbackRow.lists,
      twoTower: twoTowerRow.lists,
      funnel: funnelRow.lists,
    };
  } finally {
    retriever?.use(undefined);
    await requests.close();
    await Promise.all([serving.stop(), features.stop()]);
    await Promise.allSettled([...twoTowers.map((t) => t.stop()), ranker?.close()]);
  }
}

/**
 * Replays one segment of the training part at full speed, then waits until the feature job has
 * committed everything and the serving job's global tables are at the end of their topics.
 */
async function replaySegment(
  plan: ReplayPlan,
  context: {
    sink: KafkaReplaySink;
    connection: ConnectionConfig;
    workDir: string;
    what: string;
    log: (line: string) => void;
  },
): Promise<void> {
  const { log } = context;
  const replayed = await runReplay({
    plan,
    sink: context.sink,
    speed: 'max',
    progress: silentProgress,
  });
  log(
    `replayed ${context.what}: ${replayed.records} records for ${replayed.ratings} ratings in ${(replayed.elapsedMs / 1000).toFixed(1)} s ` +
      `(shifted by ${plan.offsetMs / weekMs} weeks)`,
  );
  await settle(context);
}

/**
 * Waits until the feature job has committed everything it reads and the serving job's global
 * tables are at the end of their topics.
 */
async function settle(context: {
  connection: ConnectionConfig;
  workDir: string;
  log: (line: string) => void;
}): Promise<void> {
  const { connection, log } = context;
  const started = performance.now();
  await waitUntilConsumed({ connection, log });
  log(
    `feature job caught up ${((performance.now() - started) / 1000).toFixed(1)} s after the replay`,
  );
  // The serving job's global tables follow the feature topics: wait until they have applied
  // them to the end (a fixed pause left some behind, one source of run-to-run differences).
  const tablesStarted = performance.now();
  const admin = createKafkaJs(connection, { clientId: 'reelstream-evaluation-tables' }).admin();
  await admin.connect();
  try {
    const caughtUp = await waitForGlobalTables({
      stateDir: join(context.workDir, 'serving'),
      topicEnds: async (topic) =>
        new Map(
          (await admin.fetchTopicOffsets(topic)).map((p) => [
            p.partition,
            { low: BigInt(p.low), high: BigInt(p.high) },
          ]),
        ),
      log,
    });
    if (caughtUp) {
      log(
        `the serving job's global tables were at the end of their topics ${((performance.now() - tablesStarted) / 1000).toFixed(1)} s later`,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
