/**
 * The item vector shards of one model version alone, as a process: `embeddings.items` (or
 * `--topic`) → vector shards, one per partition, exactly-once, answering vector searches on
 * `--query-endpoint` (token and TLS from REELSTREAM_QUERY_TOKEN, REELSTREAM_QUERY_TLS_*), until
 * SIGTERM or SIGINT. The embedding job runs elsewhere (embeddingsProcess.ts runs both).
 *
 *   node dist/jobs/embeddings/shardsProcess.js --model-version V --dimension 32 \
 *     [--topic embeddings.items] [--index Flat] [--query-endpoint 127.0.0.1:0] [--state-dir DIR] [--app ID]
 *
 * Prints `SHARDS_READY <endpoint>` once consuming and `SHARDS_APPLIED <n>` each second the
 * count of indexed embeddings changed (retrievalLoad.ts waits on them).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';

import { connectionConfigFromEnv, Pipeline, StreamJob } from '../../operators/index.js';
import { setFaissThreads } from '../../operators/vectors/faissIndex.js';
import { itemEmbeddingsTopic, itemVectorShards } from '../../pipelines/itemEmbeddingShards.js';

interface Flags {
  readonly modelVersion: string;
  readonly dimension: string;
  readonly topic: string;
  readonly index: string;
  readonly queryEndpoint: string;
  readonly stateDir: string;
  readonly app?: string;
  readonly faissThreads: string;
}

const flags = new Command('item-shards')
  .requiredOption('--model-version <version>', 'the model version the shards hold')
  .requiredOption('--dimension <n>', 'floats per vector')
  .option('--topic <topic>', 'the embeddings topic', itemEmbeddingsTopic)
  .option('--index <factory>', 'FAISS index of the shards', 'Flat')
  .option('--query-endpoint <host:port>', 'where the shards answer searches', '127.0.0.1:0')
  .option(
    '--state-dir <dir>',
    'state of the job',
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reelstream', 'shards-state'),
  )
  .option('--app <id>', 'application id (default reelstream-items-shards-<version>)')
  .option(
    '--faiss-threads <n>',
    'OpenMP threads per FAISS call (one: better tails under load)',
    '1',
  )
  .parse()
  .opts<Flags>();

setFaissThreads(Number(flags.faissThreads));
let indexed = 0;
const pipeline = new Pipeline();
itemVectorShards(pipeline, {
  topic: flags.topic,
  modelVersion: flags.modelVersion,
  dimension: Number(flags.dimension),
  index: flags.index,
  onApplied: ({ indexed: added }) => {
    indexed += added ? 1 : 0;
  },
});
const job = new StreamJob({
  pipeline,
  applicationId:
    flags.app ?? `reelstream-items-shards-${flags.modelVersion.replace(/[^a-zA-Z0-9._-]/g, '_')}`,
  connection: connectionConfigFromEnv(),
  guarantee: 'exactly-once',
  commitIntervalMs: 200,
  stateDir: flags.stateDir,
  queryEndpoint: flags.queryEndpoint,
});
job.stopOnSignals();
await job.start();
console.log(`SHARDS_READY ${job.queryEndpoint ?? ''}`);
let reported = -1;
const progress = setInterval(() => {
  if (indexed !== reported) {
    reported = indexed;
    console.log(`SHARDS_APPLIED ${indexed}`);
  }
}, 1_000);
try {
  await job.whenStopped();
} finally {
  clearInterval(progress);
}
