/**
 * One instance of an item-shards job serving interactive queries, as a process of its own, so
 * the vector-search test can kill it with SIGKILL (its endpoint then refuses connections while
 * the consumer group still names it the owner of its shards, until its session times out).
 *
 *   node --import tsx test/query/vectorShardsInstance.ts --app a --topic t --state-dir d \
 *     --model-version m1 --dimension 8
 *
 * Reads its query token from REELSTREAM_QUERY_TOKEN. Prints `INSTANCE_READY <endpoint>` once
 * consuming.
 */
import { Command } from 'commander';
import pino from 'pino';

import { connectionConfigFromEnv, Pipeline, StreamJob } from '../../operators/index.js';
import { itemVectorShards } from '../../pipelines/itemEmbeddingShards.js';

interface Flags {
  readonly app: string;
  readonly topic: string;
  readonly stateDir: string;
  readonly modelVersion: string;
  readonly dimension: string;
}

const flags = new Command('vector-shards-instance')
  .requiredOption('--app <id>')
  .requiredOption('--topic <topic>')
  .requiredOption('--state-dir <dir>')
  .requiredOption('--model-version <version>')
  .requiredOption('--dimension <n>')
  .parse()
  .opts<Flags>();

const pipeline = new Pipeline();
itemVectorShards(pipeline, {
  topic: flags.topic,
  modelVersion: flags.modelVersion,
  dimension: Number(flags.dimension),
});
const job = new StreamJob({
  pipeline,
  applicationId: flags.app,
  connection: connectionConfigFromEnv(),
  stateDir: flags.stateDir,
  guarantee: 'exactly-once',
  commitIntervalMs: 200,
  queryEndpoint: '127.0.0.1:0',
  logger: pino({ name: 'shards-instance', level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
});
job.stopOnSignals();
await job.start();
console.log(`INSTANCE_READY ${job.queryEndpoint ?? ''}`);
await job.whenStopped();
