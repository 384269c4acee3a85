import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  commandSerdes,
  commandTopic,
  randomVector,
  seededQueries,
  vectorPipeline,
  VectorModel,
  type VectorCommand,
} from '../../test/support/vectorCommands.js';
import { partitionId } from '../connectors/kafka/streamClient.js';
import { deadLetterPolicy } from '../runtime/failurePolicy.js';
import type { RawRecord } from '../runtime/rawRecord.js';
import { Task } from '../runtime/task.js';
import { TaskState } from '../runtime/taskState.js';
import { Topology } from '../runtime/topology.js';
import { CacheBudget } from '../state/caching/cacheBudget.js';
import { changelogTopic } from '../state/storeDefinition.js';
import { seededRandom } from '../support/seededRandom.js';
import { faissBindingAvailable } from './faissIndex.js';
import type { VectorHit, VectorSearchOptions, VectorStore } from './vectorStore.js';
import { vectorStore, type VectorStoreDefinition } from './vectorStoreSpec.js';

const skip = faissBindingAvailable()
  ? false
  : 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`';

const dimension = 8;
const applicationId = 'vectors-restore';

/**
 * One task of the vector pipeline with its state on RocksDB in `stateDir`, as the job runs it
 * (the test driver keeps stores in memory): process records, commit, close, open again.
 */
class OneTask {
  private offset = 0;
  private changelogOffset = 0;

  private constructor(
    readonly task: Task,
    readonly state: TaskState,
    private readonly vectors: () => VectorStore,
  ) {}

  static async open(definition: VectorStoreDefinition, stateDir: string): Promise<OneTask> {
    let store: VectorStore | undefined;
    const pipeline = vectorPipeline(definition, (s) => (store = s));
    const topology = new Topology(pipeline.graph, applicationId);
    const sub = topology.subTopologies[0];
    assert.ok(sub !== undefined);
    const { state } = await TaskState.open({
      applicationId,
      taskId: `${sub.id}_0`,
      partition: 0,
      specs: sub.stores,
      stateDir,
      budget: new CacheBudget(16 * 1024 * 1024),
    });
    const task = new Task({
      topology,
      subTopology: sub,
      partition: 0,
      policy: deadLetterPolicy,
      clock: () => 0,
      state,
    });
    await task.init();
    return new OneTask(task, state, () => {
      assert.ok(store !== undefined);
      return store;
    });
  }

  get store(): VectorStore {
    return this.vectors();
  }

  async process(commands: readonly VectorCommand[]): Promise<void> {
    const records: RawRecord[] = commands.map((command) => ({
      topic: commandTopic,
      partition: 0,
      offset: String(this.offset++),
      key: Buffer.from(command.id),
      value: commandSerdes.value.serialize(command, { topic: commandTopic, isKey: false }),
      timestamp: 0,
      headers: {},
    }));
    await this.task.processBatch(commandTopic, records);
  }

  /** Commits as the job does, the changelog "sent" at made-up offsets. */
  async commit(): Promise<void> {
    await this.task.flush();
    this.task.takeOutputs();
    const changelog = this.state.prepareCommit(0);
    const topic = changelogTopic(applicationId, this.store.name);
    await this.state.completeCommit(
      new Map([[partitionId(topic, 0), String(this.changelogOffset)]]),
    );
    this.changelogOffset += changelog.length;
  }

  close(): Promise<void> {
    return this.task.close();
  }
}

function commandsFor(model: VectorModel, seed: number): VectorCommand[] {
  const random = seededRandom(seed);
  const commands: VectorCommand[] = [];
  for (let id = 0; id < 300; id++) {
    commands.push({
      op: 'upsert',
      id: String(id),
      vector: randomVector(random, dimension),
      version: 'v1',
    });
  }
  for (let id = 0; id < 300; id += 4) {
    commands.push({
      op: 'upsert',
      id: String(id),
      vector: randomVector(random, dimension),
      version: 'v1',
    });
  }
  for (let id = 1; id < 300; id += 6) {
    commands.push({ op: 'delete', id: String(id) });
  }
  commands.forEach((command) => model.apply(command));
  return commands;
}

const queries = seededQueries(5, 25, dimension);

type SearchParams = Omit<VectorSearchOptions, 'version'>;

function searches(store: VectorStore, params: SearchParams): VectorHit[][] {
  return queries.map((query) => store.search(query, 10, { version: 'v1', ...params }));
}

function ids(results: VectorHit[][]): bigint[][] {
  return results.map((hits) => hits.map((hit) => hit.id));
}

/** The share of the exact nearest ids that the results hold. */
function recall(found: readonly bigint[][], exact: readonly bigint[][]): number {
  let hits = 0;
  let total = 0;
  exact.forEach((nearest, query) => {
    const results = new Set(found[query]);
    hits += nearest.filter((id) => results.has(id)).length;
    total += nearest.length;
  });
  return hits / total;
}

const cases: { index: string; params: SearchParams }[] = [
  { index: 'Flat', params: {} },
  { index: 'IVF4,Flat', params: { nprobe: 4 } },
  { index: 'HNSW16,Flat', params: { efSearch: 400 } },
];

for (const { index, params } of cases) {
  test(
    `vector store (${index}) on RocksDB: a re-created task has the same index, from its snapshot or rebuilt`,
    {
      skip,
    },
    async () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'vector-store-'));
      const definition = vectorStore({
        name: 'items',
        dimension,
        index,
        rebuildAtTombstoneFraction: 0.9,
      });
      const model = new VectorModel();
      try {
        const first = await OneTask.open(definition, stateDir);
        await first.process(commandsFor(model, 1));
        await first.commit();
        const before = searches(first.store, params);
        const { tombstones, indexType } = first.store.stats();
        assert.deepEqual(
          ids(before),
          queries.map((query) => model.nearest(query, 10)),
        );
        // Uncommitted writes at the close are not kept: neither in the store nor the index.
        await first.process([
          { op: 'upsert', id: '1000', vector: randomVector(Math.random, dimension), version: 'v1' },
          { op: 'delete', id: '0' },
        ]);
        await first.close();

        // The snapshot fits the checkpoint the close wrote: loaded, then repaired from the
        // store (the two uncommitted writes it still had).
        const second = await OneTask.open(definition, stateDir);
        let stats = second.store.stats();
        assert.equal(stats.openedFrom, 'snapshot');
        assert.equal(stats.repaired, 2);
        assert.equal(second.store.size, model.vectors.size);
        assert.equal(second.store.has(1000n), false);
        assert.deepEqual(searches(second.store, params), before);
        assert.equal(stats.rebuilds, 0, 'no rebuild');
        if (index.startsWith('IVF')) {
          assert.equal(stats.indexType, indexType, 'the trained IVF index, not its Flat stand-in');
        }
        if (index.startsWith('HNSW')) {
          assert.equal(stats.tombstones, tombstones + 2, 'the snapshot kept the tombstones');
        }
        await second.close();

        // A snapshot that cannot be read (torn, foreign): ignored, the index is rebuilt.
        const snapshotFile = second.state.derivedFile('items', 'faiss');
        assert.ok(snapshotFile !== undefined);
        writeFileSync(snapshotFile, 'not a snapshot');
        const third = await OneTask.open(definition, stateDir);
        stats = third.store.stats();
        assert.equal(stats.openedFrom, 'rebuild');
        assert.equal(stats.rebuilds, 1);
        assert.equal(stats.tombstones, 0, 'a rebuilt index holds only the stored vectors');
        if (index.startsWith('IVF')) {
          assert.equal(stats.indexType, 'IndexIVFFlat');
        }
        assert.equal(third.store.size, model.vectors.size);
        const rebuilt = searches(third.store, params);
        if (index.startsWith('HNSW')) {
          // A rebuilt HNSW index is another graph: FAISS inserts a batch from several threads
          // in the order they run, and HNSW's edge pruning can leave a vector that no search
          // reaches. Same vectors, near-exact answers; the same answers are for a snapshot.
          const exact = queries.map((query) => model.nearest(query, 10));
          assert.ok(recall(ids(rebuilt), exact) >= 0.95, `recall ${recall(ids(rebuilt), exact)}`);
        } else {
          assert.deepEqual(rebuilt, before);
        }
        await third.close();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  );
}

for (const { index, params } of cases) {
  test(
    `vector store (${index}): after a crash the index opens from the snapshot of a commit, repaired`,
    { skip },
    async () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'vector-store-'));
      // Interval 0: a snapshot at every commit.
      const definition = vectorStore({ name: 'items', dimension, index, snapshotIntervalMs: 0 });
      const model = new VectorModel();
      try {
        const first = await OneTask.open(definition, stateDir);
        await first.process(commandsFor(model, 4));
        await first.commit();
        assert.equal(first.store.stats().snapshots, 1);
        const before = searches(first.store, params);
        // Writes that reach the snapshot of the next commit's flush, but never the commit: the
        // process dies before it (the stores close as a crash leaves them, no close snapshot).
        const random = seededRandom(5);
        await first.process([
          { op: 'upsert', id: '7', vector: randomVector(random, dimension), version: 'v1' },
          { op: 'upsert', id: '9000', vector: randomVector(random, dimension), version: 'v1' },
          { op: 'delete', id: '8' },
        ]);
        await first.task.flush();
        assert.equal(first.store.stats().snapshots, 2);
        await first.state.close();
        first.store.dispose();

        const second = await OneTask.open(definition, stateDir);
        const stats = second.store.stats();
        assert.equal(stats.openedFrom, 'snapshot');
        assert.equal(stats.repaired, 3, 'the three uncommitted writes are taken back');
        assert.equal(stats.rebuilds, 0);
        assert.equal(second.store.has(9000n), false);
        assert.equal(second.store.has(8n), true);
        assert.equal(second.store.size, model.vectors.size);
        assert.deepEqual(searches(second.store, params), before);
        await second.close();
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    },
  );
}

test(
  'vector store: writes discarded after a failed commit leave the index too',
  { skip },
  async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vector-store-'));
    const definition = vectorStore({ name: 'items', dimension, index: 'HNSW16,Flat' });
    const model = new VectorModel();
    try {
      const one = await OneTask.open(definition, stateDir);
      await one.process(commandsFor(model, 2));
      await one.commit();
      const before = searches(one.store, { efSearch: 400 });
      const random = seededRandom(3);
      await one.process([
        { op: 'upsert', id: '2', vector: randomVector(random, dimension), version: 'v1' },
        { op: 'upsert', id: '5000', vector: randomVector(random, dimension), version: 'v1' },
        { op: 'delete', id: '3' },
      ]);
      assert.equal(one.store.has(5000n), true);
      one.state.discardUncommitted();
      await one.task.reloadDerivedState();
      assert.equal(one.store.has(5000n), false);
      assert.equal(one.store.has(3n), true);
      assert.equal(one.store.size, model.vectors.size);
      assert.deepEqual(searches(one.store, { efSearch: 400 }), before);
      await one.close();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  },
);
