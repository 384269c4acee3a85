/**
 * Issue 20, acceptance 5 (the retrieval part): while two-tower retrieval serves `--rate`
 * requests a second (default 50), the event-loop delay of the process that serves them, P99
 * against 20 ms.
 *
 *   node --import tsx jobs/embeddings/retrievalLoad.ts --model-dir ~/.cache/reelstream/.../two-tower \
 *     [--items 100000] [--rate 50] [--seconds 60] [--k 100] [--partitions 4] [--index Flat]
 *
 * What runs where:
 * - **the shards** (`shardsProcess.ts`, a process of its own, as deployed): a throwaway
 *   embeddings topic → vector shards, one per partition, answering searches on loopback;
 * - **this process, the one measured**: the {@link TwoTowerRetriever} as the serving job runs
 *   it (user tower in a worker pool, micro-batched; the search of every shard over interactive
 *   queries, merged there), asked at a fixed rate, open loop (a request is sent every
 *   1000/rate ms whether or not the earlier ones answered), with `monitorEventLoopDelay`
 *   (1 ms resolution) over the measured seconds, after a warm-up.
 *
 * It is not the whole serving job: no Kafka request/reply, no global tables, no blend; those
 * are measured by the demo's load run (docs/load.md). The items: the model's vocabulary through
 * its item tower (synthetic durations: the catalogue's are not kept with the model), then
 * random unit vectors up to `--items` so the shards search a catalogue of that size. Users: the
 * vocabulary's, with synthetic features (recent watches from the vocabulary, category
 * affinities), each request at the wall clock's time. Uses the cluster and registry of the
 * environment (REELSTREAM_BROKERS, REELSTREAM_REGISTRY_URL); its topics are deleted at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { Command } from 'commander';

import { createKafkaJs } from '../../operators/connectors/kafka/kafkajsClient.js';
import {
  avroSerde,
  connectionConfigFromEnv,
  nullable,
  seededRandom,
  stringSerde,
  TopicClient,
} from '../../operators/index.js';
import { itemEmbeddingSchema, type ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { TwoTowerRetriever } from '../serving/twoTowerRetriever.js';
import { ensureCompactedTopic } from './embeddingJobs.js';
import { OnnxItemTower } from './itemTower.js';
import type { TwoTowerVocabulary } from './userTower.js';

interface Flags {
  readonly modelDir: string;
  readonly items: string;
  readonly rate: string;
  readonly seconds: string;
  readonly warmup: string;
  readonly k: string;
  readonly partitions: string;
  readonly index: string;
  readonly workers: string;
  readonly searchTimeoutMs: string;
}

const flags = new Command('retrieval-load')
  .requiredOption('--model-dir <dir>', "the trainer's two-tower folder")
  .option('--items <n>', 'items in the shards (the vocabulary, then random unit vectors)', '100000')
  .option('--rate <n>', 'retrieval requests a second', '50')
  .option('--seconds <n>', 'measured seconds', '60')
  .option('--warmup <n>', 'seconds at the rate before measuring', '10')
  .option('--k <n>', 'candidates per request', '100')
  .option('--partitions <n>', 'shards', '4')
  .option('--index <factory>', 'FAISS index of the shards', 'Flat')
  .option('--workers <n>', 'user tower worker threads', '1')
  .option('--search-timeout-ms <ms>', "a search's budget over every shard", '50')
  .parse()
  .opts<Flags>();

const connection = connectionConfigFromEnv();
const run = `retrieval-load-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
const topic = `${run}.embeddings`;
const token = randomBytes(24).toString('hex');
const random = seededRandom(5);
const itemCount = Number(flags.items);
const partitions = Number(flags.partitions);
const vocabulary = JSON.parse(
  readFileSync(join(flags.modelDir, 'vocabulary.json'), 'utf8'),
) as TwoTowerVocabulary;

const itemTower = await OnnxItemTower.load({ modelDir: flags.modelDir });
const { version, dimension } = itemTower;
await ensureCompactedTopic(connection, topic, partitions);
const topics = await TopicClient.connect(connection);
const stateDir = mkdtempSync(join(tmpdir(), `${run}-`));
const shards = startShards();
/** Each retrieval's user tower and search times (reset with the measurement). */
const timings: { towerMs: number; searchMs: number }[] = [];
let retriever: TwoTowerRetriever | undefined;
try {
  const started = performance.now();
  await writeItems();
  console.log(
    `${itemCount} items written (${Math.min(itemCount, vocabulary.items.length)} through the item tower of model ${version}, dimension ${dimension}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await itemTower.close();
  const endpoint = await shards.ready;
  await shards.applied(itemCount);
  console.log(
    `shards (${partitions}, ${flags.index}) hold every item ${((performance.now() - started) / 1000).toFixed(1)} s after the first write; searches on ${endpoint}`,
  );
  retriever = await TwoTowerRetriever.open({
    onTiming: (timing) => timings.push(timing),
    modelDir: flags.modelDir,
    endpoints: [endpoint],
    access: { token },
    workers: Number(flags.workers),
    searchTimeoutMs: Number(flags.searchTimeoutMs),
  });
  await measure(retriever);
} finally {
  await retriever?.close();
  shards.stop();
  await shards.exited;
  await topics.close();
  const admin = createKafkaJs(connection, { clientId: 'retrieval-load' }).admin();
  await admin.connect();
  const created = (await admin.listTopics()).filter((t) => t.startsWith(run));
  await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
}

async function writeItems(): Promise<void> {
  const serdes = { key: stringSerde, value: nullable(avroSerde(itemEmbeddingSchema)) };
  let batch: { key: string; value: ItemEmbedding }[] = [];
  const now = Date.now();
  for (let i = 0; i < itemCount; i++) {
    const videoId = vocabulary.items[i] ?? `${run}-synthetic-${i}`;
    const vector =
      i < vocabulary.items.length
        ? await itemTower.embed({
            videoId,
            creatorId: 'c',
            durationMs: 60_000 + Math.floor(random() * 7_000_000),
            category: 'unknown',
            tags: [],
            region: 'eu-west',
            uploadTime: now,
            eventTime: now,
          })
        : unitVector();
    batch.push({
      key: videoId,
      value: {
        videoId,
        modelVersion: version,
        vector: [...vector],
        sourceTime: now,
        embeddedTime: now,
      },
    });
    if (batch.length === 5_000) {
      await topics.send(topic, serdes, batch);
      batch = [];
    }
  }
  await topics.send(topic, serdes, batch);
}

function unitVector(): Float32Array {
  const v = Float32Array.from({ length: dimension }, () => gaussian());
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function userFeatures(userId: string): UserFeatures {
  const watched = Array.from(
    { length: Math.floor(random() * 30) },
    () => vocabulary.items[Math.floor(random() * vocabulary.items.length)] ?? 'none',
  );
  const categories = vocabulary.categories.filter(() => random() < 0.3);
  return {
    userId,
    lastWatched: watched.map((videoId, i) => ({
      videoId,
      watchedMs: 60_000,
      watchRatio: random(),
      eventTime: Date.now() - i * 60_000,
    })),
    categoryAffinity: Object.fromEntries(
      categories.map((c) => [c, { score: random() * 5, updatedTime: Date.now() }]),
    ),
    creatorAffinity: {},
    affinityHalfLifeMs: 7 * 86_400_000,
    averageWatchRatio: random(),
    watchCount: watched.length * 4,
    recentNegatives: [],
    updatedTime: Date.now(),
  };
}

async function measure(serving: TwoTowerRetriever): Promise<void> {
  const rate = Number(flags.rate);
  const k = Number(flags.k);
  const users = vocabulary.users.length > 0 ? vocabulary.users : ['someone'];
  const people = users.slice(0, 500).map((userId) => ({ userId, features: userFeatures(userId) }));
  const latencies: number[] = [];
  const outcome = { answered: 0, degraded: 0, failed: 0, empty: 0, candidates: 0 };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const warmupMs = Number(flags.warmup) * 1_000;
  const measuredMs = Number(flags.seconds) * 1_000;
  let measuring = false;
  const inFlight = new Set<Promise<void>>();
  const intervalMs = 1_000 / rate;
  const begin = performance.now();
  delay.enable();
  for (let i = 0; ; i++) {
    const due = begin + i * intervalMs;
    const now = performance.now();
    if (!measuring && now - begin >= warmupMs) {
      measuring = true;
      delay.reset();
      latencies.length = 0;
      timings.length = 0;
      Object.assign(outcome, { answered: 0, degraded: 0, failed: 0, empty: 0, candidates: 0 });
    }
    if (now - begin >= warmupMs + measuredMs) {
      break;
    }
    if (due > now) {
      await sleep(due - now);
    }
    const person = people[i % people.length] ?? { userId: 'someone', features: null };
    const sent = performance.now();
    const request = serving
      .retrieve({
        userId: person.userId,
        features: person.features,
        atMs: Date.now(),
        count: k,
        exclude: person.features?.lastWatched.map((w) => w.videoId) ?? [],
      })
      .then(
        (answer) => {
          latencies.push(performance.now() - sent);
          outcome.answered += 1;
          outcome.degraded += answer.degraded ? 1 : 0;
          outcome.empty += answer.candidates.length === 0 ? 1 : 0;
          outcome.candidates += answer.candidates.length;
        },
        () => {
          outcome.failed += 1;
        },
      )
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  delay.disable();
  await Promise.all(inFlight);
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))] ?? NaN).toFixed(1);
  const stats = serving.tower.stats();
  const part = (pick: (t: { towerMs: number; searchMs: number }) => number, q: number): string => {
    const values = timings.map(pick).sort((a, b) => a - b);
    return (
      values[Math.min(values.length - 1, Math.floor((q / 100) * values.length))] ?? NaN
    ).toFixed(1);
  };
  console.log(
    `of which: user tower P50 ${part((t) => t.towerMs, 50)} ms, P99 ${part((t) => t.towerMs, 99)} ms; ` +
      `search of every shard P50 ${part((t) => t.searchMs, 50)} ms, P99 ${part((t) => t.searchMs, 99)} ms`,
  );
  console.log(
    `${outcome.answered} retrievals in ${flags.seconds} s at ${rate}/s (k ${k}, after ${flags.warmup} s of warm-up): ` +
      `latency P50 ${at(50)} ms, P99 ${at(99)} ms, max ${at(100)} ms; ` +
      `${outcome.degraded} degraded, ${outcome.empty} empty, ${outcome.failed} failed; ` +
      `${(outcome.candidates / Math.max(1, outcome.answered)).toFixed(1)} candidates each`,
  );
  console.log(
    `user tower: ${stats.rows} rows in ${stats.batches} batches (largest ${stats.largestBatch}); ` +
      `event-loop delay of this process: P50 ${ms(delay.percentile(50))} ms, P99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`,
  );
  const p99 = delay.percentile(99) / 1e6;
  const holds = p99 <= 20 && outcome.failed === 0;
  console.log(
    `verdict (issue 20, item 5, retrieval only — not the whole serving job): ${holds ? 'HOLDS' : 'DOES NOT HOLD'}: ` +
      `event-loop delay P99 ${p99.toFixed(1)} ms (≤ 20) at ${rate} retrievals/s` +
      (outcome.failed > 0 ? `, ${outcome.failed} failed` : ''),
  );
}

function startShards(): {
  ready: Promise<string>;
  applied: (count: number) => Promise<void>;
  stop: () => void;
  exited: Promise<void>;
} {
  const script = fileURLToPath(new URL('./shardsProcess.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      ...['--model-version', version, '--dimension', String(dimension), '--topic', topic],
      ...['--index', flags.index, '--state-dir', stateDir, '--app', run],
    ],
    { env: { ...process.env, REELSTREAM_QUERY_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let applied = 0;
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const endpoint = /SHARDS_READY (\S+)/.exec(output)?.[1];
      if (endpoint !== undefined) {
        resolve(endpoint);
      }
      for (const match of chunk.toString().matchAll(/SHARDS_APPLIED (\d+)/g)) {
        applied = Number(match[1]);
      }
    });
    child.stderr.on(
      'data',
      (chunk: Buffer) => (output = `${output}${chunk.toString()}`.slice(-20_000)),
    );
    child.once('exit', (code) =>
      reject(new Error(`the shards process exited (${code}): ${output.slice(-2_000)}`)),
    );
  });
  ready.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    applied: async (count) => {
      while (applied < count) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the shards process exited: ${output.slice(-2_000)}`);
        }
        await sleep(200);
      }
    },
    stop: () => child.kill('SIGTERM'),
    exited,
  };
}
