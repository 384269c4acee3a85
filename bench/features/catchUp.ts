/**
 * How fast the feature job (every feature pipeline, exactly-once) catches up on a backlog: the
 * whole of MovieLens-100K is replayed into the event topics first, then the job starts and the
 * time until it has committed every replayed record is measured. Runs on the local stack
 * (`reelstream stack up`), which it empties of the demo's topics, groups and state first.
 *
 *   node --import tsx bench/features/catchUp.ts [--seconds N]   (stop after N s; default: all)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import pino from 'pino';

import { resetDemo } from '../../jobs/demo/demoReset.js';
import { featuresJob } from '../../jobs/features/featuresJob.js';
import { waitUntilConsumed } from '../../jobs/features/waitUntilConsumed.js';
import { provisionTopics } from '../../jobs/generator/provisionTopics.js';
import { KafkaReplaySink } from '../../jobs/replay/kafkaReplaySink.js';
import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../../jobs/replay/movieLensLoader.js';
import { runReplay } from '../../jobs/replay/movieLensReplay.js';
import { planReplay } from '../../jobs/replay/replayPlan.js';
import { silentProgress } from '../../jobs/replay/replayProgress.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import { KafkajsStreamClient } from '../../operators/connectors/kafka/kafkajsStreamClient.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
const log = (line: string): void => void process.stdout.write(`${line}\n`);
if (!(await movieLensAvailable(defaultMovieLensDir))) {
  log(`MovieLens-100K is not in ${defaultMovieLensDir}; skipped`);
  process.exit(0);
}
const connection = connectionConfigFromEnv();
const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-catch-up-'));
await resetDemo({ connection, stateDir, log });
const client = new KafkajsStreamClient(createKafkaJs(connection, { clientId: 'catch-up-bench' }));
await provisionTopics({
  client,
  schemas: new RegistrySchemaCatalog(createRegistryClient(connection.registry)),
});
const data = await loadMovieLens(defaultMovieLensDir);
const plan = planReplay(data, { mode: 'shifted', nowMs: Date.now() });
const sink = await KafkaReplaySink.open(connection, {
  topicPrefix: '',
  oldestRecordMs: plan.catalogTimeMs,
  log,
});
const replayed = await runReplay({ plan, sink, speed: 'max', progress: silentProgress }).finally(
  () => sink.close(),
);
log(`replayed ${replayed.records} records in ${(replayed.elapsedMs / 1000).toFixed(1)} s`);

const job = featuresJob({
  connection,
  stateDir,
  queryEndpoint: '127.0.0.1:0',
  logger: pino(
    { level: 'info' },
    pino.destination({ dest: join(stateDir, 'jobs.log'), mkdir: true }),
  ),
});
const started = performance.now();
const cpuStart = process.cpuUsage();
await job.start();
const limitMs =
  values.seconds === undefined ? Number.POSITIVE_INFINITY : Number(values.seconds) * 1000;
await Promise.race([
  waitUntilConsumed({ connection, log }),
  new Promise((resolve) => setTimeout(resolve, limitMs)),
]);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
const stats = job.stats();
log(
  `feature job: ${stats.processed} records (inputs and repartitions) in ${seconds.toFixed(1)} s: ` +
    `${(stats.processed / seconds).toFixed(0)} records/s, ` +
    `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
log(`log: ${join(stateDir, 'jobs.log')}`);
const tasks = job.stats().tasks.length;
const stopping = performance.now();
await job.stop();
log(`stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s with ${tasks} tasks`);
rmSync(stateDir, { recursive: true, force: true });
process.exit(0); // the lag poll of an unfinished catch-up is still waiting
