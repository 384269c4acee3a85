import { join } from 'node:path';

import type { Logger } from 'pino';

import type { ConnectionConfig } from '../../operators/index.js';
import type {
  CandidateRetriever,
  Retrieval,
  RetrievalRequest,
} from '../../pipelines/recommender/retrieval.js';
import { embeddingJobs, ensureCompactedTopic } from '../embeddings/embeddingJobs.js';
import { OnnxItemTower } from '../embeddings/itemTower.js';
import { TwoTowerRetriever } from '../serving/twoTowerRetriever.js';

/**
 * The retriever the evaluation's one serving job holds: it asks whichever two-tower retriever is
 * switched in ({@link SwitchableRetriever.use}), or none (no candidates, not degraded: the
 * recommender then ranks exactly as without a retriever, since only the retriever's candidates
 * carry the two-tower signal). So one running serving job answers the served row (none), the
 * validation rounds of the two-tower weight (the model trained before the validation window) and
 * the served two-tower row (the model trained on the whole training part).
 */
export class SwitchableRetriever implements CandidateRetriever {
  readonly name = 'two-tower';
  #current: CandidateRetriever | undefined;

  use(retriever: CandidateRetriever | undefined): void {
    this.#current = retriever;
  }

  retrieve(request: RetrievalRequest): Promise<Retrieval> {
    if (this.#current === undefined) {
      return Promise.resolve({
        candidates: [],
        degraded: false,
        unavailableShards: [],
        modelVersion: 'none',
      });
    }
    return this.#current.retrieve(request);
  }
}

/** One model's item embeddings served: its two jobs and a retriever asking its shards. */
export interface ServedTwoTower {
  readonly modelVersion: string;
  readonly retriever: TwoTowerRetriever;
  /** Embeddings indexed in the shards so far. */
  indexed(): number;
  stop(): Promise<void>;
}

/**
 * A trained two-tower model served as deployed, in this process: the embedding job (the item
 * tower over `catalog.videos`, as the replay writes it) into an embeddings topic of its own, the
 * shards job (one exact `Flat` shard per partition) answering vector searches on a loopback
 * query endpoint, and a {@link TwoTowerRetriever} asking those shards. Waits until `expected`
 * embeddings are indexed (or 180 s), so that every catalogue movie is searchable before the
 * first request. Both towers take one row per batch: the vectors then do not depend on which
 * rows happened to share a batch (the evaluation asks one user at a time anyway).
 */
export async function serveTwoTower(options: {
  readonly connection: ConnectionConfig;
  readonly modelDir: string;
  /** `validation` or `test`: names the topic, the jobs and their state. */
  readonly name: string;
  readonly workDir: string;
  readonly expected: number;
  /** The catalogue's topic; default `catalog.videos` (what the replay writes). */
  readonly catalogTopic?: string;
  readonly logger: Logger;
  readonly log: (line: string) => void;
}): Promise<ServedTwoTower> {
  const { connection, log } = options;
  const tower = await OnnxItemTower.load({ modelDir: options.modelDir, maxBatch: 1 });
  const topic = `evaluation.embeddings.${options.name}`;
  await ensureCompactedTopic(connection, topic);
  let indexed = 0;
  const jobs = embeddingJobs({
    connection,
    tower,
    stateDir: join(options.workDir, `embeddings-${options.name}`),
    index: 'Flat',
    embeddingsTopic: topic,
    ...(options.catalogTopic === undefined ? {} : { catalogTopic: options.catalogTopic }),
    applicationPrefix: `reelstream-evaluation-${options.name}`,
    logger: options.logger,
    shardsQueryEndpoint: '127.0.0.1:0',
    onApplied: ({ indexed: added }) => {
      indexed += added ? 1 : 0;
    },
  });
  const started = performance.now();
  await Promise.all([jobs.embed.start(), jobs.shards.start()]);
  let retriever: TwoTowerRetriever | undefined;
  try {
    const deadline = performance.now() + 180_000;
    while (indexed < options.expected && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    log(
      `two-tower (${options.name}): model ${tower.version}, ${indexed} of ${options.expected} catalogue embeddings ` +
        `in its shards (Flat, exact) ${((performance.now() - started) / 1000).toFixed(1)} s after the jobs started; ` +
        `searches on ${jobs.shards.queryEndpoint ?? '-'}`,
    );
    retriever = await TwoTowerRetriever.open({
      modelDir: options.modelDir,
      endpoints: [jobs.shards.queryEndpoint ?? ''],
      // Generous: a search that misses it makes the reply degraded (asked again, counted); the
      // budget is not what the evaluation measures.
      searchTimeoutMs: 2_000,
      maxBatch: 1,
    });
  } catch (error) {
    await Promise.allSettled([jobs.embed.stop(), jobs.shards.stop()]);
    await tower.close();
    throw error;
  }
  const opened = retriever;
  return {
    modelVersion: tower.version,
    retriever: opened,
    indexed: () => indexed,
    stop: async () => {
      await opened.close();
      await Promise.allSettled([jobs.embed.stop(), jobs.shards.stop()]);
      await tower.close();
    },
  };
}
