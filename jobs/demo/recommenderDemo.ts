import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import pino from 'pino';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import {
  avroSerde,
  RemoteStore,
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
import { userFeaturesStateSerde } from '../../pipelines/userFeatures.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { topicCatalog, topics } from '../../schemas/topics.js';
import { featuresApplicationId, userFeaturesStore } from '../features/featuresJob.js';
import { FeatureInstances } from '../features/featureInstances.js';
import { provisionTopics } from '../generator/provisionTopics.js';
import { TrafficGenerator } from '../generator/trafficGenerator.js';
import { produceTraffic } from '../generator/trafficJob.js';
import { servingApplicationId, servingJob } from '../serving/servingJob.js';
import { resetDemo } from './demoReset.js';
import { freshnessProbe } from './freshnessProbe.js';
import { formatLag, jobLag, lagSampleFile } from './jobLag.js';
import { LagTracker } from './lagTracker.js';
import { LatencyRecorder } from './latencyRecorder.js';
import { ResourceSampler, thisProcess } from './resourceSampler.js';

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
  /** Processes the feature job runs as (instances of one application). Default 1. */
  readonly featureInstances?: number;
  readonly seed: number;
  /** Empty the demo's topics, groups and state first (what `resetDemo` does); default false. */
  readonly reset?: boolean;
  /** Print CPU, RSS, state size and lag every this many seconds (0: never). */
  readonly sampleSeconds?: number;
  /** Seconds the memory trend leaves out as warm-up (default: 5 minutes). */
  readonly memoryWarmUpSeconds?: number;
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
  });
  const endpoints = features.queryEndpoints;
  const serving = servingJob({
    connection,
    stateDir: join(options.stateDir, 'serving'),
    featureEndpoints: endpoints,
    logger,
  });
  await serving.start();
  log(
    `jobs running: ${featuresApplicationId} (${featureInstances === 1 ? 'queries' : `${featureInstances} instances, queries`} on ${endpoints.join(', ')}), ${servingApplicationId}`,
  );

  const traffic = new TrafficGenerator({
    seed: options.seed,
    rate: options.rate,
    scale: 0.001,
    startTime: Date.now(),
  });
  const stopTraffic = new AbortController();
  const lagTracker = new LagTracker(connection, {
    groups: new RegExp(demoGroups),
    intervalMs: lagLookIntervalMs,
  });
  lagTracker.start();
  const producing = produceTraffic({
    connection,
    traffic,
    limits: { durationMs: options.seconds * 1_000 },
    speed: 1,
    catalog: true,
    progressIntervalMs: 10_000,
    log: (line) => log(`generator: ${line}`),
    signal: stopTraffic.signal,
  });
  const requests: Requests = await RequestClient.start({
    connection,
    requestTopic: topics.recommendationRequests,
    serdes: {
      key: stringSerde,
      request: avroSerde(topicCatalog.recommendationRequests.value),
      reply: avroSerde(recommendationReplySchema),
    },
  });
  const userStore = new RemoteStore({
    endpoints,
    store: { name: userFeaturesStore, key: stringSerde, value: userFeaturesStateSerde },
    timeoutMs: 1_000,
  });
  const users = traffic.population.users;
  const latency = new LatencyRecorder();
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
  const asking = latency.drive({
    ratePerSecond: options.requestRate,
    until: producing,
    request: async () => {
      const user = users[Math.floor(Math.random() * users.length)];
      if (user === undefined) {
        return 'no user';
      }
      return outcomeOf(await ask(user.id, user.region));
    },
  });
  const sampler = new ResourceSampler({
    stateDir: options.stateDir,
    groups: demoGroups,
    processes: [
      ...features.processes.map((instance, i) => ({
        name: featureInstances === 1 ? 'features' : `features-${i}`,
        usage: () => instance.stats(),
      })),
      thisProcess('serving+generator'),
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
    await sampler.stop();
    log(`generator: produced ${summary.produced} events (${summary.byKind})`);
    const categoryOf = (videoId: string): string => {
      const video = traffic.video(videoId);
      return video === undefined
        ? '?'
        : (traffic.population.categories[video.categoryIndex] ?? '?');
    };
    await printUsers({ users, userStore, ask, categoryOf, log });
    log('');
    log('summary');
    log(`  events produced          ${summary.produced} in ${summary.seconds.toFixed(0)} s`);
    const processed = await features.processed();
    log(`  feature job processed    ${processed} records (inputs and repartitions)`);
    log(`  serving job answered     ${serving.stats().processed} requests`);
    log(`  ${latency.describe()}`);
    sampler.summary().forEach((line) => log(line));
    lagTracker.summary().forEach((line) => log(line));
    log(await lagLines(options.stateDir));
    log('');
    await fallbackProbe({ stopFeatures: () => features.stop(), users, ask, log });
  } finally {
    await lagTracker.stop();
    await sampler.stop();
    stopTraffic.abort();
    await producing.catch(() => undefined);
    await requests.close();
    await Promise.all([serving.stop(), features.stop()]);
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
 * popular-in-region and marked degraded, well within the funnel's 200 ms.
 */
async function fallbackProbe(options: {
  stopFeatures: () => Promise<void>;
  users: readonly { id: string; region: string }[];
  ask: (userId: string, region: string) => Promise<RecommendationReply>;
  log: (line: string) => void;
}): Promise<void> {
  const { log } = options;
  log('fallback: stopping the feature job (its store can no longer be read)');
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
