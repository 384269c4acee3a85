import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Admin, Producer } from 'kafkajs';

import { avroSerde, seededRandom } from '../../operators/index.js';
import { RegistrySchemaCatalog } from '../../operators/serdes/avro/registrySchemaCatalog.js';
import { createRegistryClient } from '../../operators/serdes/registryClient.js';
import { faissBindingAvailable } from '../../operators/vectors/faissIndex.js';
import { itemEmbeddingSchema, type ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import { readCommitted } from '../chaos/committedReader.js';
import { JobProcess } from '../chaos/jobProcess.js';
import { connection, createTopics, testKafka, uniqueName } from '../support/integration.js';
import type { ShardDump } from './itemShardsProcess.js';
import {
  compareShard,
  expectedShards,
  formatComparison,
  isExact,
  type CommittedEmbedding,
  type ExpectedShard,
} from './shardExpectation.js';

/**
 * Issue 20, acceptance 3, short form: the job holding item vector shards (embeddings topic →
 * vector store on RocksDB with an IVF index, one shard per partition, exactly-once) is killed
 * with SIGKILL mid-stream, twice, while embeddings, updates, tombstones, embeddings of another
 * model version and aborted transactions are written; restarted each time; then killed once
 * more when caught up. After each of the last two restarts every shard must hold exactly what
 * the topic's committed records imply (read with read_committed), in its key-value store and in
 * its FAISS index; the restore time of every restart is printed. The job log of a failed run
 * stays in `<tmpdir>/<application id>/job.log`.
 */

const skip = faissBindingAvailable()
  ? false
  : 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`';

const modelVersion = 'm1';
const otherVersion = 'm0';
const dimension = 16;
const index = 'IVF4,Flat';
const partitions = 2;
const videos = 900;
const midStreamKills = 2;

test(
  'item shards under kill -9: each shard holds exactly the committed embeddings after restart',
  { skip, timeout: 110_000 },
  async () => {
    const app = uniqueName('item-shards');
    const topic = `${app}.embeddings`;
    const workDir = join(tmpdir(), app);
    mkdirSync(workDir, { recursive: true });
    await createTopics([topic], { partitions, config: { 'cleanup.policy': 'compact' } });
    const kafka = testKafka('item-shards-test');
    const admin = kafka.admin();
    await admin.connect();
    const serde = avroSerde(itemEmbeddingSchema);
    serde.configure?.({
      schemas: new RegistrySchemaCatalog(createRegistryClient(connection.registry)),
    });
    await serde.prepareSerialize?.({ topic, isKey: false });
    const producer = kafka.producer({
      transactionalId: `${app}-writer`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const runs = new Runs(app, topic, workDir);
    let failed = true;
    try {
      const written = { records: 0, aborted: 0 };
      const random = seededRandom(20);
      let writing = true;
      const writer = (async () => {
        let batch = 0;
        while (writing || batch < 30) {
          const aborted = random() < 1 / 6;
          const sent = await writeBatch({ producer, topic, serde, random }, aborted);
          written.records += sent;
          written.aborted += aborted ? sent : 0;
          batch += 1;
          await sleep(100);
        }
      })();
      // Mid-stream kills: each once the run has opened its shards and processed a while.
      for (let kill = 0; kill < midStreamKills; kill++) {
        const run = runs.start();
        await run.ready();
        await sleep(700 + random() * 1_500);
        await run.process.kill();
      }
      writing = false;
      await writer;
      const committed = await readTopic(kafka, topic, serde);
      const expected = expectedShards(committed.records, modelVersion);
      console.log(
        `wrote ${written.records} embedding records (${written.aborted} in aborted transactions); ` +
          `${committed.records.length} committed; ` +
          [...expected].map(([p, shard]) => `partition ${p}: ${shard.size} expected`).join(', '),
      );
      // Restart after the mid-stream kills: caught up, every shard exact.
      const afterKills = runs.start();
      await afterKills.ready();
      await caughtUp(admin, { groupId: app, topic }, committed.lastOffsets);
      const verdicts = [await verify(afterKills, expected, 'after the mid-stream kills')];
      // Killed when caught up, restarted: the whole state restored, and exact again.
      await afterKills.process.kill();
      const final = runs.start();
      await final.ready();
      await caughtUp(admin, { groupId: app, topic }, committed.lastOffsets);
      verdicts.push(await verify(final, expected, 'after a kill when caught up'));
      // Snapshots at commits: the crashed shards' indexes open from one, not rebuilt.
      const rebuilt = [...final.opened].filter(([, open]) => open.openedFrom !== 'snapshot');
      await final.process.terminate(15_000);
      for (const line of runs.restoreLines()) {
        console.log(line);
      }
      const exact = verdicts.every(Boolean);
      console.log(
        `verdict (issue 20, item 3): ${exact ? 'HOLDS' : 'DOES NOT HOLD'}: ` +
          `${runs.count - 1} kill -9 (${midStreamKills} mid-stream, 1 caught up); ` +
          `every shard exact after restart: ${exact ? 'yes' : 'no'}`,
      );
      assert.ok(exact, 'a shard differs from the committed embeddings (lines above)');
      assert.deepEqual(
        rebuilt.map(([task]) => task),
        [],
        'after a kill when caught up, every index opens from a commit snapshot',
      );
      failed = false;
    } finally {
      await runs.stopAll();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
      if (failed) {
        console.log(`job log: ${join(workDir, 'job.log')}`);
      } else {
        rmSync(workDir, { recursive: true, force: true });
      }
    }
  },
);

/** Writes one transaction of 40 records: new videos, updates, tombstones, another version. */
async function writeBatch(
  writer: {
    producer: Producer;
    topic: string;
    serde: ReturnType<typeof avroSerde<ItemEmbedding>>;
    random: () => number;
  },
  abort: boolean,
): Promise<number> {
  const { producer, topic, serde, random } = writer;
  const messages = Array.from({ length: 40 }, () => {
    const videoId = `v-${Math.floor(random() * videos)}`;
    const roll = random();
    if (roll < 0.15) {
      return { key: videoId, value: null };
    }
    const embedding: ItemEmbedding = {
      videoId,
      modelVersion: roll < 0.22 ? otherVersion : modelVersion,
      vector: Array.from({ length: dimension }, () => random() * 2 - 1),
      sourceTime: Date.now(),
      embeddedTime: Date.now(),
    };
    const value = serde.serialize(embedding, { topic, isKey: false });
    return { key: videoId, value: value === null ? null : Buffer.from(value) };
  });
  const transaction = await producer.transaction();
  await transaction.send({ topic, messages });
  await (abort ? transaction.abort() : transaction.commit());
  return messages.length;
}

/** The topic's committed records, decoded, and the last committed offset per partition. */
async function readTopic(
  kafka: ReturnType<typeof testKafka>,
  topic: string,
  serde: ReturnType<typeof avroSerde<ItemEmbedding>>,
): Promise<{ records: CommittedEmbedding[]; lastOffsets: Map<number, bigint> }> {
  const raw: { partition: number; offset: string; key: Buffer | null; value: Buffer | null }[] = [];
  const result = await readCommitted({
    kafka,
    topic,
    onBatch: (records) => {
      raw.push(...records);
    },
  });
  assert.deepEqual(result.blocked, [], 'an open transaction holds the topic');
  const context = { topic, isKey: false };
  await serde.prepareDeserialize?.(
    raw.map((r) => r.value),
    context,
  );
  raw.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const lastOffsets = new Map<number, bigint>();
  const records = raw.map((r) => {
    lastOffsets.set(r.partition, BigInt(r.offset));
    return {
      partition: r.partition,
      key: r.key?.toString('utf8') ?? '',
      value: r.value === null ? null : serde.deserialize(r.value, context),
    };
  });
  return { records, lastOffsets };
}

/** Waits until the job's group has committed past every committed record of the topic. */
async function caughtUp(
  admin: Admin,
  group: { groupId: string; topic: string },
  lastOffsets: ReadonlyMap<number, bigint>,
): Promise<void> {
  const { groupId, topic } = group;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const behind = [...lastOffsets].filter(([partition, last]) => {
      const at = offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      return BigInt(at) <= last;
    });
    if (behind.length === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the job did not catch up: partitions ${behind.map(([p]) => p).join(', ')}`);
    }
    await sleep(200);
  }
}

/** Dumps the run's shards and compares each with what the topic implies; prints each line. */
async function verify(
  run: Run,
  expected: ReadonlyMap<number, ExpectedShard>,
  when: string,
): Promise<boolean> {
  const dumps = await run.dump();
  let exact = true;
  for (let partition = 0; partition < partitions; partition++) {
    const dump = dumps.find((d) => d.task === `0_${partition}`);
    assert.ok(dump !== undefined, `no shard 0_${partition} in the dump`);
    const comparison = compareShard(dump, expected.get(partition) ?? (new Map() as ExpectedShard));
    console.log(`${when}: ${formatComparison(comparison)} (${dump.stats.indexType})`);
    exact &&= isExact(comparison);
  }
  return exact;
}

/** A `SHARD_OPEN` line of the job (itemShardsProcess.ts). */
interface ShardOpen {
  readonly sinceStartMs: number;
  readonly openedFrom: string;
  readonly openMs: number;
  readonly repaired: number;
  readonly size: number;
}

/** One run of the job process: its shard lines, its dump. */
class Run {
  readonly opened = new Map<string, ShardOpen>();
  readonly restored = new Map<string, { records: number; ms: number }>();
  readonly process: JobProcess;
  private readonly dumpFile: string;
  private dumped = 0;

  constructor(
    readonly number: number,
    options: { app: string; topic: string; workDir: string },
  ) {
    const dumpFile = join(options.workDir, 'dump.json');
    this.dumpFile = dumpFile;
    this.process = new JobProcess({
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        'test/vectors/itemShardsProcess.ts',
        '--app',
        options.app,
        '--topic',
        options.topic,
        '--state-dir',
        join(options.workDir, 'state'),
        '--model-version',
        modelVersion,
        '--dimension',
        String(dimension),
        '--index',
        index,
        '--nprobe',
        '4',
        '--dump-file',
        dumpFile,
        '--snapshot-interval-ms',
        '500',
      ],
      env: process.env,
      cwd: process.cwd(),
      logFile: join(options.workDir, 'job.log'),
      run: number,
      onRestore: () => undefined,
      onLine: (line) => this.line(line),
    });
  }

  /** Resolves when both shards are open. */
  async ready(): Promise<void> {
    const deadline = Date.now() + 40_000;
    while (this.opened.size < partitions) {
      if (!this.process.running || Date.now() > deadline) {
        throw new Error(
          `run ${this.number} did not open its shards:\n${this.process.outputTail()}`,
        );
      }
      await sleep(50);
    }
  }

  async dump(): Promise<ShardDump[]> {
    const before = this.dumped;
    rmSync(this.dumpFile, { force: true });
    this.process.signal('SIGUSR2');
    const deadline = Date.now() + 20_000;
    while (this.dumped === before || !existsSync(this.dumpFile)) {
      if (Date.now() > deadline) {
        throw new Error(`run ${this.number} wrote no dump:\n${this.process.outputTail()}`);
      }
      await sleep(50);
    }
    return JSON.parse(readFileSync(this.dumpFile, 'utf8')) as ShardDump[];
  }

  private line(line: string): void {
    const [marker, json] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (marker === 'SHARD_OPEN') {
      const open = JSON.parse(json) as ShardOpen & { task: string };
      this.opened.set(open.task, open);
    } else if (marker === 'SHARD_RESTORE') {
      const restore = JSON.parse(json) as { task: string; records: number; ms: number };
      this.restored.set(restore.task, restore);
    } else if (marker === 'SHARD_DUMPED') {
      this.dumped += 1;
    }
  }
}

/** The job's runs, one after another. */
class Runs {
  private readonly runs: Run[] = [];

  constructor(
    private readonly app: string,
    private readonly topic: string,
    private readonly workDir: string,
  ) {}

  get count(): number {
    return this.runs.length;
  }

  start(): Run {
    const run = new Run(this.runs.length + 1, {
      app: this.app,
      topic: this.topic,
      workDir: this.workDir,
    });
    this.runs.push(run);
    return run;
  }

  /** Per restart: how long until both shards were ready, and where the time went. */
  restoreLines(): string[] {
    return this.runs.slice(1).map((run) => {
      const shards = [...run.opened]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([task, open]) => {
          const restore = run.restored.get(task);
          return (
            `${task}: ${open.size} vectors, changelog restore ${restore?.records ?? 0} records in ` +
            `${restore?.ms ?? 0} ms, index from ${open.openedFrom} in ${open.openMs} ms` +
            (open.openedFrom === 'snapshot' ? ` (${open.repaired} repaired)` : '')
          );
        });
      const ready = Math.max(...[...run.opened.values()].map((o) => o.sinceStartMs));
      return `restart ${run.number - 1}: shards ready ${ready} ms after the process started (${shards.join('; ')})`;
    });
  }

  async stopAll(): Promise<void> {
    for (const run of this.runs) {
      if (run.process.running) {
        await run.process.kill();
      }
    }
  }
}
