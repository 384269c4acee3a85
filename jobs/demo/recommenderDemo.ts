import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import pino from 'pino';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import {
  avroSerde,
  RemoteStore,
  RequestClient,
  stringSerde,
  TopicClient,
  untilReachable,
  type ConnectionConfig,
} from '../../operators/index.js';
import { featureStateFillsForMs } from '../../pipelines/featurePipelines.js';
import { itemEmbeddingsTopic } from '../../pipelines/itemEmbeddingShards.js';
import { defaultExplorationShare } from '../../pipelines/recommender/exploration.js';
import { defaultMmrLambda } from '../../pipelines/recommender/mmr.js';
import type { GuardSwitch } from '../../pipelines/recommender/latencyGuard.js';
import { defaultLimits } from '../../pipelines/recommender/recommend.js';
import type { CandidateRetriever } from '../../pipelines/recommender/retrieval.js';
import { videoUploadSchema, type VideoUpload } from '../../schemas/generated/videoUpload.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { type RecommendationReply } from '../../schemas/generated/recommendationReply.js';
import type { RecommendationRequest } from '../../schemas/generated/recommendationRequest.js';
import { recommendationSerdes } from '../../pipelines/recommender/servingPipeline.js';
import { userFeaturesStateSerde } from '../../pipelines/userFeatures.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { topics } from '../../schemas/topics.js';
import { featuresApplicationId, userFeaturesStore } from '../features/featuresJob.js';
import { FeatureInstances } from '../features/featureInstances.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { TrafficGenerator } from '../generator/trafficGenerator.js';
import { RerankingMetrics } from '../serving/rerankingMetrics.js';
import { servingApplicationId, servingJob } from '../serving/servingJob.js';
import type { TwoTowerRetriever } from '../serving/twoTowerRetriever.js';
import { resetDemo } from './demoReset.js';
import { startDemoRanking } from './demoRanker.js';
import { demoTwoTowerModel, EmbeddingsProcess } from './demoTwoTower.js';
import { GeneratorProcess } from './generatorProcess.js';
import { FunnelReport } from './funnelReport.js';
import type { RankingSlowdown } from './rankingSlowdown.js';
import { freshnessProbe } from './freshnessProbe.js';
import { formatLag, jobLag, lagSampleFile } from './jobLag.js';
import { LagTracker } from './lagTracker.js';
import { LatencyRecorder } from './latencyRecorder.js';
import { RequestLoad } from './requestLoad.js';
import { ResourceSampler, thisProcess, type MeasuredProcess } from './resourceSampler.js';
import { percentileOf, SampleColumn } from './sampleColumn.js';
import { upNextProbe } from './upNextProbe.js';

/** The demo's two consumer groups, as a `reelstream lag --group` pattern. */
const demoGroups = 'reelstream-(features|serving)';
/** How often the demo looks at its groups' lag to judge whether they keep up. */
const lagLookIntervalMs = 5_000;

export interface RecommenderDemoOptions {
  readonly connection: ConnectionConfig;
  readonly stateDir: string;
  /** Seconds of generated traffic (event time runs at wall-clock speed). */
  readonly seconds: number;
  /** Generated events per second. */
  readonly rate: number;
  /** Recommendation requests per second. */
  readonly requestRate: number;
  /**
   * How long the request load waits for a reply before counting the request as failed (default
   * 2,000 ms, a device's patience). It is also the request's deadline, past which the serving
   * job answers with an error instead of working on it.
   */
  readonly requestTimeoutMs?: number;
  /** Processes the feature job runs as (instances of one application). Default 1. */
  readonly featureInstances?: number;
  /**
   * The nice value of the feature job's processes and the generator's (default 0 here; the
   * `reelstream demo` command's default is 10, docs/ranking.md says why). On one
   * machine with the serving process, a positive value lets serving run first when both are
   * ready, as a cluster scheduler ranks latency-critical work above throughput work; on
   * machines of their own it changes nothing. The embedding shards answer searches on the
   * request path and keep the serving process's priority.
   */
  readonly batchNice?: number;
  /**
   * How the serving job reads each request's user (docs/ranking.md, "The user's state"):
   * `tables` (default), its own tables of `features.user` and `features.user-seen`; `queries`,
   * interactive queries of the feature job with a 50 ms deadline.
   */
  readonly userLookups?: 'tables' | 'queries';
  readonly seed: number;
  /** Empty the demo's topics, groups and state first (what `resetDemo` does); default false. */
  readonly reset?: boolean;
  /** Print CPU, RSS, state size and lag every this many seconds (0: never). */
  readonly sampleSeconds?: number;
  /** Seconds the memory trend leaves out as warm-up (default: 5 minutes). */
  readonly memoryWarmUpSeconds?: number;
  /**
   * Two-tower retrieval as a candidate source (default true): the demo's model (demoTwoTower.ts,
   * trained on a bootstrap of generated traffic, or from the cache), its item embedding jobs in
   * a process of their own, and the serving job's retriever. Without the trainer's environment
   * the demo says so and runs without it.
   */
  readonly twoTower?: boolean;
  /** New uploads written during the run whose upload → searchable time is measured (default 100). */
  readonly freshUploads?: number;
  /**
   * The MMoE ranker (default true): the demo's model (demoRanker.ts, bootstrapped like the
   * two-tower model, or from the cache) scores every merged candidate; without the trainer's
   * environment the blend ranks.
   */
  readonly ranker?: boolean;
  /** Candidates per request: asked of the two-tower retriever and scored by the ranker (default 1,000). */
  readonly candidates?: number;
  /** The ranking stage's P99 budget of the latency guard (default 100 ms). */
  readonly rankingBudgetMs?: number;
  /** A slowdown of the ranker injected for a window, to show the latency guard (issue 23). */
  readonly rankingSlowdown?: RankingSlowdown;
  readonly log: (line: string) => void;
}

type Requests = RequestClient<string, RecommendationRequest, RecommendationReply>;

/**
 * The whole system on the local stack: the traffic generator writes user events and uploads;
 * the feature job (every feature pipeline, exactly-once) turns them into features; the serving
 * job answers recommendation requests over Kafka request/reply; a client asks for users while
 * traffic flows. Prints a few users' history beside their recommendations, a freshness probe
 * (a watch and a dislike change the next reply), and a summary with latency and consumer lag.
 */
export async function runRecommenderDemo(options: RecommenderDemoOptions): Promise<void> {
  const { connection, log } = options;
  if (options.reset === true) {
    await resetDemo({ connection, stateDir: options.stateDir, log });
  }
  // The jobs log to files: the terminal is for the demo's own story.
  const logFile = join(options.stateDir, 'jobs.log');
  const featureInstances = options.featureInstances ?? 1;
  const batchNice = options.batchNice ?? 0;
  const featuresLogFile = (instance: number): string =>
    join(options.stateDir, featureInstances === 1 ? 'features.log' : `features-${instance}.log`);
  mkdirSync(options.stateDir, { recursive: true });
  const logger = pino(
    { level: process.env['REELSTREAM_LOG'] ?? 'info' },
    pino.destination({ dest: logFile, sync: false }),
  );
  log(`job logs: ${featuresLogFile(0)} (features), ${logFile} (serving)`);
  const client = new KafkajsStreamClient(
    createKafkaJs(connection, { clientId: 'reelstream-demo' }),
  );
  const schemas = new RegistrySchemaCatalog(createRegistryClient(connection.registry));
  const provisioned = await provisionTopics({ client, schemas });
  log(`topics ready (${provisioned.topics}); value schemas registered (${provisioned.schemas})`);

  // The feature job runs in a process of its own, as deployed: a burst of events it works
  // through never holds back the serving job's replies, which run here.
  const features = await FeatureInstances.start({
    count: featureInstances,
    stateDir: join(options.stateDir, 'features'),
    logFile: featuresLogFile,
    nice: batchNice,
  });
  const endpoints = features.queryEndpoints;
  const twoTower = await startTwoTower(options);
  // The funnel's per-stage split and ranking modes as the client sees them; its clock starts
  // with the requests (the injected slowdown's window is counted from there).
  const funnel = new FunnelReport();
  const ranking = await startDemoRanking({
    seed: options.seed,
    enabled: options.ranker !== false,
    ...(options.rankingSlowdown === undefined ? {} : { slowdown: options.rankingSlowdown }),
    startedAt: () => funnel.startedAt,
    log,
  });
  const candidates = options.candidates ?? 1_000;
  // Each reply's intra-list diversity and explored positions, counted by the serving job.
  const reranking = new RerankingMetrics();
  const serving = servingJob({
    rerankingMetrics: reranking,
    // The embedding job (two-tower on) writes the item vectors MMR and up-next compare.
    ...(twoTower === undefined ? {} : { itemEmbeddingsTopic }),
    connection,
    stateDir: join(options.stateDir, 'serving'),
    // By default no query endpoints: the serving job reads users' features and seen sets from
    // its own tables of the feature job's user topics, so no request waits on the feature
    // job's process (which runs at a lower priority here, and is often busy).
    ...(options.userLookups === 'queries' ? { featureEndpoints: endpoints } : {}),
    logger,
    ...(twoTower === undefined ? {} : { retriever: twoTower.retriever }),
    // The seed's funnel: about 1,000 candidates merged, every one scored.
    limits: () => ({
      ...defaultLimits,
      retrievedCandidates: candidates,
      rankedCandidates: candidates,
    }),
    ...(ranking === undefined
      ? {}
      : {
          ranker: ranking.ranker,
          ...(options.rankingBudgetMs === undefined
            ? {}
            : { rankingBudgetMs: options.rankingBudgetMs }),
          onRankingSwitch: (event: GuardSwitch) => {
            funnel.switched(event);
            log(
              `ranking: ${event.to} at ${funnel.secondsNow().toFixed(1)} s of requests (${event.to === 'SIMPLIFIED' ? `P99 ${event.p99Ms.toFixed(1)} ms over ${event.budgetMs} ms` : `${event.samples} probes within ${event.budgetMs} ms`})`,
            );
          },
        }),
  });
  try {
    await serving.start();
  } catch (error) {
    await twoTower?.stop();
    await ranking?.stop();
    throw error;
  }
  log(
    `jobs running: ${featuresApplicationId} (${featureInstances === 1 ? 'queries' : `${featureInstances} instances, queries`} on ${endpoints.join(', ')}${batchNice === 0 ? '' : `; at nice ${batchNice}, as the generator`}), ${servingApplicationId}`,
  );

  const generatorSettings = {
    seed: options.seed,
    rate: options.rate,
    scale: 0.001,
    startTime: Date.now(),
    seconds: options.seconds,
  };
  // The population the generator process draws its traffic from, made alike here: the users
  // the client asks for, the videos the demo prints.
  const traffic = new TrafficGenerator(generatorSettings);
  const stopTraffic = new AbortController();
  const lagTracker = new LagTracker(connection, {
    groups: new RegExp(demoGroups),
    intervalMs: lagLookIntervalMs,
  });
  lagTracker.start();
  // In a process of its own: users' devices are not part of the serving deployment, and the
  // serving process's event loop is what is measured below.
  const generator = GeneratorProcess.start(
    generatorSettings,
    (line) => log(`generator: ${line}`),
    batchNice,
  );
  const producing = generator.done();
  const requests: Requests = await RequestClient.start({
    connection,
    requestTopic: topics.recommendationRequests,
    serdes: recommendationSerdes(),
  });
  const userStore = new RemoteStore({
    endpoints,
    store: { name: userFeaturesStore, key: stringSerde, value: userFeaturesStateSerde },
    timeoutMs: 1_000,
  });
  const users = traffic.population.users;
  const latency = new LatencyRecorder();
  let personalisedReplies = 0;
  let twoTowerReplies = 0;
  // The serving job runs in this process: its event loop's delay while retrieval serves,
  // measured over the traffic (1 ms resolution).
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  // Measured after a warm-up: the start (the catalogue's burst, the first connections) is not
  // the steady state the load run asks about.
  const loopWarmUpMs = Math.min(30_000, (options.seconds * 1_000) / 5);
  const loopWarmUp = setTimeout(() => loopDelay.reset(), loopWarmUpMs);
  let sequence = 0;
  const ask = (userId: string, region: string): Promise<RecommendationReply> =>
    requests.request(
      {
        requestId: `demo-${++sequence}`,
        userId,
        region,
        surface: 'HOME_FEED',
        count: 10,
        requestTime: Date.now(),
        context: null,
      },
      { key: userId, timeoutMs: 2_000 },
    );
  funnel.begin();
  // A process of its own: the devices' side of the funnel, not the serving job's.
  const load = await RequestLoad.start(
    {
      connection,
      ratePerSecond: options.requestRate,
      users: users.map((user) => ({ id: user.id, region: user.region })),
      timeoutMs: options.requestTimeoutMs ?? 2_000,
    },
    {
      reply: (reply, endToEndMs, receivedAtMs) => {
        latency.record(endToEndMs, outcomeOf(reply));
        funnel.record(reply, endToEndMs, receivedAtMs);
        if (!reply.degraded) {
          personalisedReplies += 1;
        }
        if (reply.items.some((item) => item.sources.includes('TWO_TOWER'))) {
          twoTowerReplies += 1;
        }
      },
      failure: (reason, sentAtSeconds) => latency.fail(reason, sentAtSeconds),
    },
  );
  const asking = producing.then(
    () => load.stop(),
    () => load.stop(),
  );
  // Awaited after the traffic; until then a failure must not end the process as unhandled.
  asking.catch(() => undefined);
  const uploading =
    twoTower === undefined
      ? Promise.resolve()
      : uploadFresh({
          connection,
          count: options.freshUploads ?? 100,
          // Spread over the middle of the run: the first fifth is the catalogue's embedding.
          startMs: (options.seconds * 1_000) / 5,
          // Not before the starting catalogue is in the shards: uploads would queue behind it.
          ready: () => twoTower.indexed() >= traffic.population.videos.length,
          intervalMs: Math.min(
            1_000,
            (options.seconds * 1_000 * 0.6) / (options.freshUploads ?? 100),
          ),
          creatorId: traffic.population.creators[0]?.id ?? 'c-0',
          category: traffic.population.categories[0] ?? 'cat',
          signal: stopTraffic.signal,
          log,
        });
  // Awaited after the traffic; until then a failure must not end the process as unhandled.
  uploading.catch(() => undefined);
  const sampler = new ResourceSampler({
    stateDir: options.stateDir,
    groups: demoGroups,
    processes: [
      ...features.processes.map((instance, i) => ({
        name: featureInstances === 1 ? 'features' : `features-${i}`,
        usage: () => instance.stats(),
        stateFillsForSeconds: featureStateFillsForMs / 1_000,
      })),
      thisProcess('serving'),
      generator.measured('generator'),
      load.measured('requests'),
      ...(twoTower === undefined ? [] : [twoTower.measured]),
    ],
    intervalMs: (options.sampleSeconds ?? 0) * 1_000,
    ...(options.memoryWarmUpSeconds === undefined
      ? {}
      : { warmUpSeconds: options.memoryWarmUpSeconds }),
    log,
  });
  if ((options.sampleSeconds ?? 0) > 0) {
    sampler.start();
  }
  try {
    await sleep((options.seconds * 1_000) / 2);
    await freshnessProbe({
      users,
      video: (videoId) => traffic.video(videoId),
      categoryOf: (video) => traffic.population.categories[video.categoryIndex] ?? '',
      userStore,
      ask,
      connection,
      schemas,
      log,
    });
    const summary = await producing;
    // Judged while traffic flowed: once the generator stops, every job catches up.
    await lagTracker.stop();
    await asking;
    loopDelay.disable();
    clearTimeout(loopWarmUp);
    await uploading;
    await sampler.stop();
    log(`generator: produced ${summary.produced} events (${summary.byKind})`);
    const categoryOf = (videoId: string): string => {
      const video = traffic.video(videoId);
      return video === undefined
        ? '?'
        : (traffic.population.categories[video.categoryIndex] ?? '?');
    };
    await printUsers({ users, userStore, ask, categoryOf, log });
    await upNextProbe({
      users,
      userStore,
      request: (fields) =>
        requests.request(
          { ...fields, requestId: `demo-${++sequence}`, count: 10, requestTime: Date.now() },
          { key: fields.userId, timeoutMs: 2_000 },
        ),
      categoryOf,
      log,
    });
    log('');
    log('summary');
    log(`  events produced          ${summary.produced} in ${summary.seconds.toFixed(0)} s`);
    const processed = await features.processed();
    log(`  feature job processed    ${processed} records (inputs and repartitions)`);
    log(
      `  serving job processed    ${serving.stats().processed} records (requests, and its tables of users' features and seen sets)`,
    );
    log(`  ${latency.describe()}`);
    log(
      `  two-tower candidates     ${twoTower === undefined ? 'off' : `${twoTowerReplies} of ${personalisedReplies} personalised replies hold TWO_TOWER items`}`,
    );
    if (twoTower !== undefined) {
      twoTower.summary().forEach((line) => log(line));
    }
    const ms = (ns: number): string => (ns / 1e6).toFixed(1);
    const p99 = loopDelay.percentile(99) / 1e6;
    log(
      `  event-loop delay of the serving process (serving job; the request load in a process of its own) over the traffic after ${(loopWarmUpMs / 1000).toFixed(0)} s, ` +
        `${options.requestRate} requests/s${twoTower === undefined ? ', no retrieval' : ', each retrieving'}: ` +
        `P50 ${ms(loopDelay.percentile(50))} ms, P99 ${p99.toFixed(1)} ms, max ${ms(loopDelay.max)} ms`,
    );
    if (twoTower !== undefined) {
      log(
        `  verdict (issue 20, item 5): ${p99 <= 20 ? 'HOLDS' : 'DOES NOT HOLD'}: event-loop delay P99 ${p99.toFixed(1)} ms (≤ 20) while retrieval serves ${options.requestRate} requests/s`,
      );
      twoTower.freshness(options.freshUploads ?? 100).forEach((line) => log(line));
    }
    // Re-ranking and the exploration slot (issue 23), as the serving job counted them.
    const reranked = reranking.totals();
    log(
      `  re-ranking (MMR λ ${defaultMmrLambda})     intra-list diversity ${reranked.meanDiversity.toFixed(3)}, mean over ${reranked.replies} replies of two items or more (1 − cosine of item vectors${twoTower === undefined ? '; none here: category/creator similarity' : ', category/creator where a video has none'})`,
    );
    log(
      `  exploration slot         ${reranked.explored} of ${reranked.positions} positions explored: ${reranked.positions === 0 ? '-' : ((100 * reranked.explored) / reranked.positions).toFixed(2)}% (target ${(100 * defaultExplorationShare).toFixed(0)}%; Thompson sampling over fresh uploads, marked explored)`,
    );
    funnel
      .summary(serving.stats().arrivalDelays[topics.recommendationRequests])
      .forEach((line) => log(line));
    ranking?.summary().forEach((line) => log(line));
    sampler.summary().forEach((line) => log(line));
    lagTracker.summary().forEach((line) => log(line));
    log(await lagLines(options.stateDir));
    log('');
    await fallbackProbe({
      stopFeatures: () => features.stop(),
      users,
      ask,
      log,
      userLookups: options.userLookups ?? 'tables',
    });
  } finally {
    await lagTracker.stop();
    await sampler.stop();
    stopTraffic.abort();
    await load.stop().catch(() => undefined);
    await generator.stop();
    await producing.catch(() => undefined);
    await requests.close();
    await Promise.all([serving.stop(), features.stop()]);
    await twoTower?.stop();
    await ranking?.stop();
  }
}

/** The demo's two-tower retrieval: its model, embedding jobs and retriever. */
interface DemoTwoTower {
  readonly retriever: CandidateRetriever;
  /** Embeddings in the shards so far. */
  indexed(): number;
  /** Lines for the summary: the retrievals' count and latency, the shards' size. */
  summary(): string[];
  /** The fresh uploads' upload → searchable times, with the verdict (issue 20, item 2). */
  freshness(expected: number): string[];
  /** The embedding jobs' process, for the demo's samples. */
  readonly measured: MeasuredProcess;
  stop(): Promise<void>;
}

/** Id prefix of the uploads the demo writes to measure freshness. */
const freshPrefix = 'fresh-';

/**
 * The demo's model (trained on a bootstrap or from the cache), its embedding jobs started as a
 * process of their own, and a retriever asking their shards; undefined, saying why, without
 * the trainer's environment or when `twoTower` is false.
 */
async function startTwoTower(options: RecommenderDemoOptions): Promise<DemoTwoTower | undefined> {
  const { log } = options;
  if (options.twoTower === false) {
    log('two-tower: off (--no-two-tower)');
    return undefined;
  }
  const model = await demoTwoTowerModel({ seed: options.seed, log }).catch((error: unknown) => ({
    ok: false as const,
    reason: error instanceof Error ? error.message : String(error),
  }));
  if (!model.ok) {
    log(`two-tower: off, the demo runs without it: ${model.reason}`);
    return undefined;
  }
  const logFile = join(options.stateDir, 'embeddings.log');
  const { process: embeddings, queryEndpoint } = await EmbeddingsProcess.start({
    modelDir: model.modelDir,
    stateDir: join(options.stateDir, 'embeddings'),
    logFile,
    freshPrefix,
  });
  const towerMs = new SampleColumn();
  const searchMs = new SampleColumn();
  const retrievalMs = new SampleColumn();
  let retriever: TwoTowerRetriever;
  try {
    // Loaded only here: onnxruntime-node is not installed everywhere the CLI is.
    const retrievers = await import('../serving/twoTowerRetriever.js');
    retriever = await retrievers.TwoTowerRetriever.open({
      modelDir: model.modelDir,
      endpoints: [queryEndpoint],
      onTiming: (timing) => {
        towerMs.push(timing.towerMs);
        searchMs.push(timing.searchMs);
        retrievalMs.push(timing.towerMs + timing.searchMs);
      },
    });
  } catch (error) {
    await embeddings.stop();
    throw error;
  }
  log(
    `two-tower: model ${retriever.modelVersion}; item embedding jobs (a process of their own, log ${logFile}) ` +
      `answer searches on ${queryEndpoint}; the serving job retrieves from them`,
  );
  return {
    retriever,
    indexed: () => embeddings.indexed,
    measured: embeddings.measured('embeddings'),
    summary: () => {
      const total = retrievalMs.sorted();
      return [
        `  two-tower retrievals     ${total.length}: P50 ${percentileOf(total, 50).toFixed(1)} ms, P99 ${percentileOf(total, 99).toFixed(1)} ms ` +
          `(user tower P50 ${percentileOf(towerMs.sorted(), 50).toFixed(1)} ms, ` +
          `search of every shard P50 ${percentileOf(searchMs.sorted(), 50).toFixed(1)} ms); ` +
          `${embeddings.indexed} embeddings in the shards`,
      ];
    },
    freshness: (expected) => {
      const times = [...embeddings.searchable.values()];
      const missing = expected - times.length;
      const sorted = [...times].sort((a, b) => a - b);
      const percentile = (p: number): number => percentileOf(sorted, p);
      const p99 = percentile(99);
      return [
        `  freshness of uploads     ${times.length} of ${expected} new uploads searchable in their shard: upload event → searchable ` +
          `P50 ${percentile(50)} ms, P95 ${percentile(95)} ms, P99 ${p99} ms, max ${Math.max(...times)} ms`,
        `  verdict (issue 20, item 2): ${missing === 0 && p99 <= 5_000 ? 'HOLDS' : 'DOES NOT HOLD'}: P99 ${p99} ms (≤ 5000) under the demo's load` +
          (missing > 0 ? `, ${missing} never searchable` : ''),
      ];
    },
    stop: async () => {
      await retriever.close();
      await embeddings.stop();
    },
  };
}

/**
 * Writes `count` new uploads to `catalog.videos`, one every `intervalMs` from `startMs` on,
 * each stamped with the wall clock when written (their upload event's time).
 */
async function uploadFresh(options: {
  connection: ConnectionConfig;
  count: number;
  startMs: number;
  /** Also waited for (at most until half the run has passed): the catalogue is embedded. */
  ready: () => boolean;
  intervalMs: number;
  creatorId: string;
  category: string;
  signal: AbortSignal;
  log: (line: string) => void;
}): Promise<void> {
  await sleep(options.startMs);
  const deadline = Date.now() + options.startMs * 1.5;
  while (!options.ready() && Date.now() < deadline && !options.signal.aborted) {
    await sleep(200);
  }
  // A broker outage mid-run (the fault a user may try on the demo) holds the uploads back,
  // saying so, instead of failing the demo.
  const retrying = {
    signal: options.signal,
    onRetry: ({ outageMs, cause }: { outageMs: number; cause: string }) =>
      options.log(
        `fresh uploads: broker unreachable for ${(outageMs / 1000).toFixed(0)} s (${cause}), retrying`,
      ),
  };
  const serdes = { key: stringSerde, value: avroSerde(videoUploadSchema) };
  let client = await untilReachable(() => TopicClient.connect(options.connection), retrying);
  // A producer whose broker was killed keeps failing after the broker is back (its
  // connection is not re-established): a failed send closes it, and the next try connects anew.
  let broken = false;
  const send = async (video: VideoUpload): Promise<void> => {
    if (broken) {
      client = await TopicClient.connect(options.connection);
      broken = false;
    }
    try {
      await client.send(topics.videoCatalog, serdes, [{ key: video.videoId, value: video }]);
    } catch (error) {
      broken = true;
      await client.close().catch(() => undefined);
      throw error;
    }
  };
  const run = Date.now().toString(36);
  try {
    for (let i = 0; i < options.count && !options.signal.aborted; i++) {
      const now = Date.now();
      const video: VideoUpload = {
        videoId: `${freshPrefix}${run}-${i}`,
        creatorId: options.creatorId,
        durationMs: 8_000 + ((i * 7_919) % 52_000),
        category: options.category,
        tags: [],
        region: 'eu-west',
        uploadTime: now,
        eventTime: now,
      };
      await untilReachable(() => send(video), retrying);
      await sleep(options.intervalMs);
    }
    options.log(
      `fresh uploads: ${options.count} new videos written to ${topics.videoCatalog}, one every ${options.intervalMs.toFixed(0)} ms`,
    );
    // Time for the last ones to reach their shard before the summary reads the times.
    await sleep(5_000);
  } finally {
    if (!broken) {
      await client.close();
    }
  }
}

/** A few users' recent history beside what the recommender gives them now. */
async function printUsers(options: {
  users: readonly { id: string; region: string }[];
  userStore: RemoteStore<string, UserFeatures>;
  ask: (userId: string, region: string) => Promise<RecommendationReply>;
  /** The category of a video, printed beside it so the link to the user's interests shows. */
  categoryOf: (videoId: string) => string;
  log: (line: string) => void;
}): Promise<void> {
  const { log, categoryOf } = options;
  let shown = 0;
  for (const user of options.users) {
    if (shown >= 3) {
      break;
    }
    const features = await options.userStore.get(user.id).catch(() => undefined);
    if (features === undefined || features.lastWatched.length < 3) {
      continue;
    }
    shown += 1;
    const reply = await options.ask(user.id, user.region);
    log('');
    log(`user ${user.id} (region ${user.region})`);
    const categories = Object.entries(features.categoryAffinity)
      .sort(([, a], [, b]) => b.score - a.score)
      .slice(0, 3)
      .map(([category, a]) => `${category} ${a.score.toFixed(2)}`);
    log(`  strongest categories: ${categories.join(', ')}`);
    const history = features.lastWatched.slice(0, 8);
    const items = reply.items.slice(0, 8);
    log(
      `  ${'recently watched (category, ratio)'.padEnd(38)}recommended (category, score, sources)`,
    );
    for (let i = 0; i < Math.max(history.length, items.length); i++) {
      const watched = history[i];
      const item = items[i];
      const left =
        watched === undefined
          ? ''
          : `${watched.videoId} ${categoryOf(watched.videoId)} ${watched.watchRatio.toFixed(2)}`;
      const right =
        item === undefined
          ? ''
          : `${item.videoId} ${categoryOf(item.videoId)} ${item.score.toFixed(3)} ${item.sources.join('+')}`;
      log(`  ${left.padEnd(38)}${right}`);
    }
    if (reply.degraded) {
      log(`  (degraded: ${reply.degradedReason ?? ''})`);
    }
  }
  if (shown === 0) {
    log('no user has three watches yet: run the demo longer (--seconds)');
  }
}

/**
 * Stops the feature job, then asks for users who have features: every reply must still come,
 * well within the funnel's 200 ms. With its own tables of the users' features and seen sets the
 * serving job stays personalised from what the feature job published last; with queries of the
 * feature job it answers popular-in-region, marked degraded.
 */
async function fallbackProbe(options: {
  stopFeatures: () => Promise<void>;
  users: readonly { id: string; region: string }[];
  ask: (userId: string, region: string) => Promise<RecommendationReply>;
  log: (line: string) => void;
  userLookups: 'tables' | 'queries';
}): Promise<void> {
  const { log } = options;
  log(
    options.userLookups === 'tables'
      ? 'fallback: stopping the feature job (the serving job reads users from its own tables of what the feature job published)'
      : 'fallback: stopping the feature job (its store can no longer be read)',
  );
  await options.stopFeatures();
  const latencies: number[] = [];
  const reasons = new Map<string, number>();
  for (const user of options.users.slice(0, 20)) {
    const started = performance.now();
    const reply = await options.ask(user.id, user.region);
    latencies.push(performance.now() - started);
    const outcome = outcomeOf(reply);
    reasons.set(outcome, (reasons.get(outcome) ?? 0) + 1);
  }
  const slowest = Math.max(...latencies);
  const outcomes = [...reasons].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
  log(
    `fallback: ${latencies.length} requests answered, slowest ${slowest.toFixed(0)} ms: ${outcomes}`,
  );
}

/** Consumer lag of the two jobs, from the lag CLI (`reelstream lag --json`). */
async function lagLines(stateDir: string): Promise<string> {
  try {
    const groups = await jobLag(demoGroups, lagSampleFile(stateDir));
    return ['  consumer lag (reelstream lag):', ...formatLag(groups)].join('\n');
  } catch (error) {
    return `  consumer lag: the lag CLI failed (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** What a reply was, for the summary: personalised, or degraded with its reason. */
function outcomeOf(reply: RecommendationReply): string {
  return reply.degraded ? `degraded (${reply.degradedReason ?? 'no reason'})` : 'personalised';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
