import type { Logger } from 'pino';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import {
  Pipeline,
  StreamJob,
  type ConnectionConfig,
  type VectorStore,
} from '../../operators/index.js';
import { itemVectorShards, itemEmbeddingsTopic } from '../../pipelines/itemEmbeddingShards.js';
import { itemEmbeddings, type ItemTower } from '../../pipelines/itemEmbeddings.js';
import { defaultPartitions, topics } from '../../schemas/topics.js';

export interface EmbeddingJobsOptions {
  readonly connection: ConnectionConfig;
  readonly tower: ItemTower;
  /** State of both jobs: `<stateDir>/embed` and `<stateDir>/shards`. */
  readonly stateDir: string;
  readonly logger?: Logger;
  /** FAISS factory string of the shards; default `Flat`. */
  readonly index?: string;
  readonly catalogTopic?: string;
  readonly embeddingsTopic?: string;
  /** Application ids get this prefix and the model version: `<prefix>-embed-<version>`. */
  readonly applicationPrefix?: string;
  /** Each shard's vector store, as its task opens (retrieval and probes search it). */
  readonly onShardOpen?: (shard: { taskId: string; vectors: VectorStore }) => void;
  /** After each embedding record a shard applied: freshness is measured here. */
  readonly onApplied?: (event: { videoId: string; indexed: boolean; sourceTime?: number }) => void;
  /**
   * `host:port` where the shards job answers interactive queries, vector searches included
   * (retrieval: `jobs/serving/twoTowerRetriever.ts`); none by default.
   */
  readonly shardsQueryEndpoint?: string;
}

/**
 * The item embedding jobs of one model version: `embed` runs the item tower over the
 * catalogue into the embeddings topic, `shards` reads that topic into vector shards (one per
 * partition). Two jobs, not one: the tower's work and the shards' scale and restart apart,
 * and a new model version gets both anew (its own application ids: the catalogue read from the
 * start, shards filled beside the old version's) while the old ones keep serving. Both are
 * exactly-once; each commits every 200 ms, since embeddings are searchable only once the
 * embedding job's transaction is committed (the shards read committed).
 */
export function embeddingJobs(options: EmbeddingJobsOptions): {
  embed: StreamJob;
  shards: StreamJob;
} {
  const prefix = options.applicationPrefix ?? 'reelstream-items';
  const version = options.tower.version.replace(/[^a-zA-Z0-9._-]/g, '_');
  const embeddingsTopic = options.embeddingsTopic ?? itemEmbeddingsTopic;
  const embedPipeline = new Pipeline();
  itemEmbeddings(embedPipeline, options.tower, {
    catalogTopic: options.catalogTopic ?? topics.videoCatalog,
    outputTopic: embeddingsTopic,
  });
  const shardPipeline = new Pipeline();
  itemVectorShards(shardPipeline, {
    topic: embeddingsTopic,
    modelVersion: options.tower.version,
    dimension: options.tower.dimension,
    ...(options.index === undefined ? {} : { index: options.index }),
    ...(options.onShardOpen === undefined ? {} : { onShardOpen: options.onShardOpen }),
    ...(options.onApplied === undefined ? {} : { onApplied: options.onApplied }),
  });
  const common = {
    connection: options.connection,
    guarantee: 'exactly-once' as const,
    commitIntervalMs: 200,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
  return {
    embed: new StreamJob({
      ...common,
      pipeline: embedPipeline,
      applicationId: `${prefix}-embed-${version}`,
      stateDir: `${options.stateDir}/embed`,
    }),
    shards: new StreamJob({
      ...common,
      pipeline: shardPipeline,
      applicationId: `${prefix}-shards-${version}`,
      stateDir: `${options.stateDir}/shards`,
      ...(options.shardsQueryEndpoint === undefined
        ? {}
        : { queryEndpoint: options.shardsQueryEndpoint }),
    }),
  };
}

/**
 * Creates a compacted topic (the embeddings topic: the jobs write and read it, but create only
 * their internal topics) when it does not exist.
 */
export async function ensureCompactedTopic(
  connection: ConnectionConfig,
  topic: string = itemEmbeddingsTopic,
  partitions: number = defaultPartitions,
): Promise<void> {
  const admin = createKafkaJs(connection, { clientId: 'reelstream-embeddings' }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}
