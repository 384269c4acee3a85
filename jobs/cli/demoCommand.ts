import { join } from 'node:path';

import { Command, Option } from 'commander';

import { LocalStack } from '../../deploy/local/stack/localStack.js';
import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { runRecommenderDemo } from '../demo/recommenderDemo.js';
import { integerBetween, positiveInt } from './argumentParsers.js';
import { youngGenerationNote } from './youngGeneration.js';

interface DemoFlags {
  readonly seconds: number;
  readonly rate: number;
  readonly requestRate: number;
  readonly requestTimeoutMs: number;
  readonly featureInstances: number;
  readonly batchNice: number;
  readonly userLookups: 'tables' | 'queries';
  readonly seed: number;
  readonly sample?: number;
  readonly warmUp?: number;
  readonly external?: boolean;
  readonly keepRunning?: boolean;
  readonly keepState?: boolean;
  readonly twoTower: boolean;
  readonly ranker: boolean;
  readonly candidates: number;
  readonly rankingBudgetMs?: number;
  readonly injectRankingDelayMs?: number;
  readonly injectAt: number;
  readonly injectFor: number;
}

/**
 * `reelstream demo`: start the local stack and run the whole recommender on generated traffic,
 * then stop what it started (the stack too, unless it was running before or `--keep-running`).
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'start the local stack, the feature and serving jobs and the traffic generator; ask for recommendations; print history beside recommendations, freshness, latency and lag',
    )
    .option('--seconds <n>', 'seconds of generated traffic', positiveInt, 60)
    .option('--rate <n>', 'generated events per second', positiveInt, 300)
    .option('--request-rate <n>', 'recommendation requests per second', positiveInt, 20)
    .option(
      '--request-timeout-ms <n>',
      'how long a request waits for its reply before it counts as failed (also its deadline at the server)',
      positiveInt,
      2_000,
    )
    .option(
      '--feature-instances <n>',
      'processes the feature job runs as (its tasks split among them; one core each)',
      positiveInt,
      1,
    )
    .option(
      '--batch-nice <n>',
      'nice value (0–19) of the feature job and the traffic generator: on the machine they share with serving, the serving process runs first when both are ready (0: all equal)',
      integerBetween(0, 19, 'a nice value'),
      10,
    )
    .addOption(
      new Option(
        '--user-lookups <how>',
        "how the serving job reads each request's user: its own tables of features.user and features.user-seen, or interactive queries of the feature job (50 ms deadline)",
      )
        .choices(['tables', 'queries'])
        .default('tables'),
    )
    .option('--seed <n>', 'random seed of the traffic', positiveInt, 42)
    .option(
      '--sample <seconds>',
      'print CPU, RSS, state size and consumer lag every this many seconds (load runs)',
      positiveInt,
    )
    .option(
      '--warm-up <seconds>',
      "with --sample: seconds the memory trend leaves out at the start (default 300), e.g. while bounded caches fill; the feature job's hour-long windows fill for 3600",
      positiveInt,
    )
    .option(
      '--external',
      'use the cluster and registry named by REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL instead of starting the local stack',
    )
    .option(
      '--no-two-tower',
      'no two-tower retrieval (by default the demo trains a model on generated traffic, or takes it from the cache, and serves it)',
    )
    .option(
      '--no-ranker',
      'no MMoE ranking (by default the demo trains the ranker on generated traffic, or takes it from the cache, and serves it)',
    )
    .option(
      '--candidates <n>',
      'candidates per request: asked of the two-tower retriever and scored by the ranker',
      positiveInt,
      1_000,
    )
    .option(
      '--ranking-budget-ms <ms>',
      "the ranking stage's P99 budget: over it the latency guard serves the simplified ranking",
      positiveInt,
    )
    .option(
      '--inject-ranking-delay-ms <ms>',
      'slow every ranking by this much during a window (--inject-at, --inject-for): the latency guard trips and recovers',
      positiveInt,
    )
    .option(
      '--inject-at <seconds>',
      'with --inject-ranking-delay-ms: seconds after the requests start',
      positiveInt,
      120,
    )
    .option(
      '--inject-for <seconds>',
      'with --inject-ranking-delay-ms: how long the slowdown lasts',
      positiveInt,
      30,
    )
    .option('--keep-running', 'leave the local stack running at the end')
    .option(
      '--keep-state',
      'keep what earlier demo runs left (topics, groups, state) instead of starting empty; always kept with --external',
    )
    .action(async (flags: DemoFlags) => {
      const settings = stackSettingsFromEnv();
      const log = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const note = youngGenerationNote();
      if (note !== undefined) {
        log(`demo: the serving job runs in this process, and ${note}`);
      }
      const stack = new LocalStack(settings);
      let started = false;
      if (flags.external !== true) {
        await stack.up((service, outcome) => {
          if (outcome !== 'starting') {
            log(`${service}: ${outcome}`);
          }
          started ||= outcome === 'started';
        });
      }
      try {
        await runRecommenderDemo({
          connection: connectionConfigFromEnv(),
          stateDir: join(settings.stateDir, 'demo-state'),
          seconds: flags.seconds,
          rate: flags.rate,
          requestRate: flags.requestRate,
          requestTimeoutMs: flags.requestTimeoutMs,
          featureInstances: flags.featureInstances,
          batchNice: flags.batchNice,
          userLookups: flags.userLookups,
          seed: flags.seed,
          twoTower: flags.twoTower,
          ranker: flags.ranker,
          candidates: flags.candidates,
          ...(flags.rankingBudgetMs === undefined
            ? {}
            : { rankingBudgetMs: flags.rankingBudgetMs }),
          ...(flags.injectRankingDelayMs === undefined
            ? {}
            : {
                rankingSlowdown: {
                  delayMs: flags.injectRankingDelayMs,
                  atSeconds: flags.injectAt,
                  forSeconds: flags.injectFor,
                },
              }),
          // Starting empty is safe only on the stack the demo runs itself.
          reset: flags.external !== true && flags.keepState !== true,
          ...(flags.sample === undefined ? {} : { sampleSeconds: flags.sample }),
          ...(flags.warmUp === undefined ? {} : { memoryWarmUpSeconds: flags.warmUp }),
          log,
        });
      } finally {
        if (started && flags.keepRunning !== true) {
          await stack.down((service, outcome) => log(`${service}: ${outcome}`));
        }
      }
    });
}
