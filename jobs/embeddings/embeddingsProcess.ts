/**
 * The item embedding jobs of one trained model as a process: the item tower over
 * `catalog.videos` into `embeddings.items`, and that topic into vector shards (one per
 * partition), until SIGTERM or SIGINT (or, started with an IPC channel, until its parent goes);
 * exits 1 when either job fails.
 *
 *   node dist/jobs/embeddings/embeddingsProcess.js --model-dir DIR [--state-dir DIR] [--index HNSW32,Flat]
 *     [--query-endpoint 127.0.0.1:7072]
 *
 * With `--query-endpoint`, the shards answer vector searches there (the serving job's two-tower
 * retrieval), with the token and TLS of REELSTREAM_QUERY_TOKEN and REELSTREAM_QUERY_TLS_*.
 *
 * With `--report-searchable <prefix>`, prints `SEARCHABLE <videoId> <ms>` once each video whose
 * id starts with the prefix is in its shard's index: the ms from its upload event's time to
 * that moment (freshness.ts's measurement; the demo's load run reads these lines). Prints
 * `SHARDS_INDEXED <n>` each second the count of indexed embeddings changed.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';

import { connectionConfigFromEnv } from '../../operators/index.js';
import { embeddingJobs, ensureCompactedTopic } from './embeddingJobs.js';
import { OnnxItemTower } from './itemTower.js';

interface Flags {
  readonly modelDir: string;
  readonly stateDir: string;
  readonly index: string;
  readonly workers: string;
  readonly queryEndpoint?: string;
  readonly reportSearchable?: string;
}

const flags = new Command('embeddings')
  .requiredOption(
    '--model-dir <dir>',
    "the trainer's two-tower folder (manifest.json, item_tower.onnx)",
  )
  .option(
    '--state-dir <dir>',
    'state of both jobs',
    join(
      process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'),
      'reelstream',
      'embeddings-state',
    ),
  )
  .option('--index <factory>', 'FAISS index of the shards', 'HNSW32,Flat')
  .option('--workers <n>', 'item tower worker threads', '1')
  .option('--query-endpoint <host:port>', 'where the shards answer vector searches (port 0: any)')
  .option(
    '--report-searchable <prefix>',
    'print SEARCHABLE <videoId> <ms from its upload event> for videos with this id prefix',
  )
  .parse()
  .opts<Flags>();

const connection = connectionConfigFromEnv();
await ensureCompactedTopic(connection);
const tower = await OnnxItemTower.load({
  modelDir: flags.modelDir,
  workers: Number(flags.workers),
});
let indexed = 0;
const reported = new Set<string>();
const { embed, shards } = embeddingJobs({
  connection,
  tower,
  stateDir: flags.stateDir,
  index: flags.index,
  ...(flags.queryEndpoint === undefined ? {} : { shardsQueryEndpoint: flags.queryEndpoint }),
  onApplied: ({ videoId, indexed: added, sourceTime }) => {
    indexed += added ? 1 : 0;
    const prefix = flags.reportSearchable;
    if (
      added &&
      prefix !== undefined &&
      sourceTime !== undefined &&
      videoId.startsWith(prefix) &&
      !reported.has(videoId)
    ) {
      reported.add(videoId);
      console.log(`SEARCHABLE ${videoId} ${Date.now() - sourceTime}`);
    }
  },
});
for (const job of [embed, shards]) {
  job.stopOnSignals();
}
// Started by a parent with an IPC channel (the demo): stop, as on SIGTERM, when it goes away.
if (process.connected) {
  process.once('disconnect', () => {
    void embed.stop();
    void shards.stop();
  });
  // The channel alone must not keep the process alive once the jobs have stopped.
  process.channel?.unref();
}
await Promise.all([embed.start(), shards.start()]);
console.log(
  `item embeddings of model ${tower.version} (dimension ${tower.dimension}) running` +
    (shards.queryEndpoint === undefined
      ? ''
      : `; shards answer searches on ${shards.queryEndpoint}`),
);
let lastIndexed = -1;
const progress = setInterval(() => {
  if (indexed !== lastIndexed) {
    lastIndexed = indexed;
    console.log(`SHARDS_INDEXED ${indexed}`);
  }
}, 1_000);
const results = await Promise.allSettled([embed.whenStopped(), shards.whenStopped()]);
clearInterval(progress);
await Promise.allSettled([embed.stop(), shards.stop()]);
await tower.close();
process.exitCode = results.some((r) => r.status === 'rejected') ? 1 : 0;
