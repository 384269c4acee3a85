/**
 * The item-shards job as the kill -9 test runs it: `embeddings` topic → vector store, one
 * shard per input partition, exactly-once, state on RocksDB in `--state-dir`.
 *
 *   node --import tsx test/vectors/itemShardsProcess.ts --app a --topic t --state-dir d \
 *     --model-version m1 --dimension 16 --index IVF8,Flat --dump-file d/dump.json
 *
 * Lines it prints for the test (JSON after the marker):
 * - `SHARD_RESTORE {task, records, ms}`: a task's stores restored from their changelogs;
 * - `SHARD_OPEN {task, sinceStartMs, openedFrom, openMs, repaired, size, indexed, indexType}`: a task's
 *   shard is ready (its index made), `sinceStartMs` after the process started;
 * - `SHARD_DUMPED {file}`: on SIGUSR2, every shard was written to `--dump-file` (see
 *   {@link ShardDump}): what its key-value store holds and what its FAISS index answers.
 */
import { writeFileSync } from 'node:fs';

import { Command } from 'commander';

import {
  connectionConfigFromEnv,
  Pipeline,
  StreamJob,
  type VectorStore,
} from '../../operators/index.js';
import { itemVectorShards } from '../../pipelines/itemEmbeddingShards.js';

/** One shard as the dump writes it: ids as decimal strings, vectors as base64 float32 LE. */
export interface ShardDump {
  readonly task: string;
  readonly stats: ReturnType<VectorStore['stats']>;
  /** The key-value store's entries (the truth), each with the index's nearest neighbour. */
  readonly entries: readonly {
    readonly id: string;
    readonly version: string;
    readonly vector: string;
    readonly nearestId: string | null;
    readonly nearestDistance: number | null;
  }[];
  /** Every id an exhaustive search of the index returns (k = size). */
  readonly searchable: readonly string[];
}

interface Flags {
  readonly app: string;
  readonly topic: string;
  readonly stateDir: string;
  readonly modelVersion: string;
  readonly dimension: string;
  readonly index: string;
  readonly nprobe: string;
  readonly dumpFile: string;
  readonly snapshotIntervalMs: string;
}

const started = performance.now();
const flags = new Command('item-shards-process')
  .requiredOption('--app <id>')
  .requiredOption('--topic <topic>')
  .requiredOption('--state-dir <dir>')
  .requiredOption('--model-version <version>')
  .requiredOption('--dimension <n>')
  .option('--index <factory>', 'FAISS factory string', 'Flat')
  .option('--nprobe <n>', 'IVF lists searched by the dump (nlist: exact)', '1')
  .requiredOption('--dump-file <file>')
  .option('--snapshot-interval-ms <ms>', 'index snapshots at commits, at most this often', '30000')
  .parse()
  .opts<Flags>();

const shards = new Map<string, VectorStore>();
const pipeline = new Pipeline();
itemVectorShards(pipeline, {
  topic: flags.topic,
  modelVersion: flags.modelVersion,
  dimension: Number(flags.dimension),
  index: flags.index,
  snapshotIntervalMs: Number(flags.snapshotIntervalMs),
  onShardOpen: ({ taskId, vectors }) => {
    shards.set(taskId, vectors);
    const stats = vectors.stats();
    const line = {
      task: taskId,
      sinceStartMs: Math.round(performance.now() - started),
      openedFrom: stats.openedFrom,
      openMs: Math.round(stats.openMs),
      repaired: stats.repaired,
      size: stats.size,
      indexed: stats.indexed,
      indexType: stats.indexType,
    };
    console.log(`SHARD_OPEN ${JSON.stringify(line)}`);
  },
});

async function dumpShard(task: string, vectors: VectorStore): Promise<ShardDump> {
  const nprobe = Number(flags.nprobe);
  const params = (version: string): { version: string; nprobe?: number } =>
    vectors.stats().indexType.startsWith('IndexIVF') ? { version, nprobe } : { version };
  const entries: ShardDump['entries'][number][] = [];
  for await (const { id, vector, version } of vectors.entries()) {
    const [hit] = vectors.search(vector, 1, params(version));
    entries.push({
      id: String(id),
      version,
      vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'),
      nearestId: hit === undefined ? null : String(hit.id),
      nearestDistance: hit?.distance ?? null,
    });
  }
  const version = vectors.version;
  const searchable =
    version === undefined || vectors.size === 0
      ? []
      : vectors
          .search(new Float32Array(vectors.dimension), vectors.size, params(version))
          .map((hit) => String(hit.id));
  return { task, stats: vectors.stats(), entries, searchable };
}

const job = new StreamJob({
  pipeline,
  applicationId: flags.app,
  connection: connectionConfigFromEnv(),
  guarantee: 'exactly-once',
  stateDir: flags.stateDir,
  sessionTimeoutMs: 6_000,
  commitIntervalMs: 200,
  onRestore: (report) => {
    const line = { task: report.taskId, records: report.records, ms: Math.round(report.ms) };
    console.log(`SHARD_RESTORE ${JSON.stringify(line)}`);
  },
});
process.on('SIGUSR2', () => {
  void (async () => {
    const dumps: ShardDump[] = [];
    for (const [task, vectors] of [...shards].sort(([a], [b]) => a.localeCompare(b))) {
      dumps.push(await dumpShard(task, vectors));
    }
    writeFileSync(flags.dumpFile, JSON.stringify(dumps));
    console.log(`SHARD_DUMPED ${JSON.stringify({ file: flags.dumpFile })}`);
  })();
});
job.stopOnSignals();
await job.start();
await job.whenStopped();
