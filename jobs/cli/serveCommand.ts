import { join } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv, JobMetrics } from '../../operators/index.js';
import { itemEmbeddingsTopic } from '../../pipelines/itemEmbeddingShards.js';
import type { Ranker } from '../../pipelines/recommender/ranking.js';
import { defaultLimits, type RecommenderLimits } from '../../pipelines/recommender/recommend.js';
import { RankingGuardMetrics } from '../serving/rankingGuardMetrics.js';
import { RerankingMetrics } from '../serving/rerankingMetrics.js';
import { servingJob } from '../serving/servingJob.js';
import { runJobProcess } from './jobProcess.js';
import { jobLogger, withJobProcessOptions, type JobProcessFlags } from './jobProcessOptions.js';
import { youngGenerationNote } from './youngGeneration.js';

interface ServeFlags extends JobProcessFlags {
  readonly stateDir: string;
  readonly featureEndpoints?: readonly string[];
  readonly twoTowerModel?: string;
  readonly shardEndpoints?: readonly string[];
  readonly mmoeModel?: string;
  readonly rankingBudgetMs?: number;
  readonly personalise: boolean;
}

/**
 * `reelstream serve`: the serving job (recommendations answered on `rec.requests`) in a process
 * of its own, until SIGINT or SIGTERM; it reads users' features from its own tables of the
 * feature job's user topics, or from the feature job's query endpoints when given. It rides through broker outages and exits 1 when the job fails (jobProcess.ts).
 */
export function serveCommand(): Command {
  return withJobProcessOptions(new Command('serve'))
    .description('run the serving job (recommendations over rec.requests) until SIGINT or SIGTERM')
    .option(
      '--feature-endpoints <host:port,...>',
      "ask the feature job for each request's user features and seen set at these query endpoints (`reelstream features` prints its own); without it, the job reads them from its own tables of features.user and features.user-seen",
      endpointList,
    )
    .option(
      '--state-dir <dir>',
      'directory of the job’s local state',
      join(stackSettingsFromEnv().stateDir, 'serving-state'),
    )
    .option(
      '--two-tower-model <dir>',
      "two-tower retrieval as a candidate source: the trainer's two-tower folder (its user tower runs here)",
    )
    .option(
      '--shard-endpoints <host:port,...>',
      'with --two-tower-model: query endpoints of the item shards job of the same model version',
      endpointList,
    )
    .option(
      '--mmoe-model <dir>',
      "learned ranking of the merged candidates: the trainer's mmoe folder (runs here, in worker threads)",
    )
    .option(
      '--ranking-budget-ms <ms>',
      "with --mmoe-model: the ranking stage's P99 budget; over it the simplified ranking is served until the model recovers",
      positiveNumber,
    )
    .option(
      '--no-personalise',
      'answer every request with the fallback (popular in region, seen videos left out), marked degraded "personalisation switched off"',
    )
    .action(async (flags: ServeFlags) => {
      const logger = jobLogger(flags);
      const note = youngGenerationNote();
      if (note !== undefined) {
        process.stdout.write(`serve: ${note}\n`);
      }
      if ((flags.twoTowerModel === undefined) !== (flags.shardEndpoints === undefined)) {
        throw new InvalidArgumentError('--two-tower-model and --shard-endpoints go together');
      }
      // Loaded only when asked for: onnxruntime-node is not installed everywhere the CLI is.
      const retriever =
        flags.twoTowerModel === undefined || flags.shardEndpoints === undefined
          ? undefined
          : await (
              await import('../serving/twoTowerRetriever.js')
            ).TwoTowerRetriever.open({
              modelDir: flags.twoTowerModel,
              endpoints: flags.shardEndpoints,
            });
      if (retriever !== undefined) {
        process.stdout.write(
          `serve: two-tower retrieval of model ${retriever.modelVersion} from shards at ${flags.shardEndpoints?.join(', ') ?? ''}\n`,
        );
      }
      const ranker: (Ranker & { close(): Promise<void> }) | undefined =
        flags.mmoeModel === undefined
          ? undefined
          : await (
              await import('../serving/mmoeRanker.js')
            ).MmoeRanker.open({ modelDir: flags.mmoeModel });
      if (ranker !== undefined) {
        process.stdout.write(`serve: ${ranker.name} ranking, model ${ranker.version}\n`);
      }
      const metrics = new JobMetrics();
      const rankingMetrics = new RankingGuardMetrics();
      rankingMetrics.registerIn(metrics.registry);
      const rerankingMetrics = new RerankingMetrics();
      rerankingMetrics.registerIn(metrics.registry);
      const job = servingJob({
        connection: connectionConfigFromEnv(),
        stateDir: flags.stateDir,
        ...(flags.featureEndpoints === undefined
          ? {}
          : { featureEndpoints: flags.featureEndpoints }),
        logger,
        ...(retriever === undefined ? {} : { retriever }),
        rerankingMetrics,
        // The shards read the embeddings topic, so it exists: MMR and up-next compare vectors.
        ...(retriever === undefined ? {} : { itemEmbeddingsTopic }),
        ...(ranker === undefined ? {} : { ranker, rankingMetrics }),
        ...(flags.rankingBudgetMs === undefined ? {} : { rankingBudgetMs: flags.rankingBudgetMs }),
        ...(flags.personalise ? {} : { limits: () => fallbackOnly }),
      });
      process.exitCode = await runJobProcess({
        job,
        logger,
        metricsEndpoint: flags.metricsEndpoint,
        graceMs: flags.grace * 1000,
        onStarted: ({ metricsEndpoint }) => {
          process.stdout.write(`serve: running, health and metrics on ${metricsEndpoint ?? '-'}\n`);
        },
        metrics,
      });
      await retriever?.close();
      await ranker?.close();
    });
}

const fallbackOnly: RecommenderLimits = { ...defaultLimits, personalise: false };

function positiveNumber(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`"${text}" is not a positive number`);
  }
  return value;
}

function endpointList(text: string): string[] {
  const endpoints = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const endpoint of endpoints) {
    if (!/^[^:\s]+:\d{1,5}$/.test(endpoint)) {
      throw new InvalidArgumentError(`"${endpoint}" is not host:port`);
    }
  }
  if (endpoints.length === 0) {
    throw new InvalidArgumentError('needs at least one host:port');
  }
  return endpoints;
}
