import assert from 'node:assert/strict';
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
import { TestDriver } from '../testing/testDriver.js';
import { seededRandom } from '../support/seededRandom.js';
import { faissBindingAvailable } from './faissIndex.js';
import type { VectorSearchOptions, VectorStore } from './vectorStore.js';
import { vectorStoreErrorCodes } from './vectorStoreErrors.js';
import { vectorStore } from './vectorStoreSpec.js';

const skip = faissBindingAvailable()
  ? false
  : 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`';

const dimension = 8;

async function started(
  index: string,
  options: { rebuildAtTombstoneFraction?: number } = {},
): Promise<{ driver: TestDriver; store: () => VectorStore }> {
  let store: VectorStore | undefined;
  const definition = vectorStore({ name: 'items', dimension, index, ...options });
  const driver = await TestDriver.start(vectorPipeline(definition, (s) => (store = s)));
  return {
    driver,
    store: () => {
      assert.ok(store !== undefined, 'the operator received its vector store');
      return store;
    },
  };
}

async function pipe(driver: TestDriver, model: VectorModel, commands: VectorCommand[]) {
  commands.forEach((command) => model.apply(command));
  await driver
    .input(commandTopic, commandSerdes)
    .pipeMany(commands.map((value) => ({ key: value.id, value })));
}

function upserts(random: () => number, ids: number[], version = 'v1'): VectorCommand[] {
  return ids.map((id) => ({
    op: 'upsert',
    id: String(id),
    vector: randomVector(random, dimension),
    version,
  }));
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

/** Every query's k nearest from the store are the model's exact k nearest. */
function assertSearchesExact(
  store: VectorStore,
  model: VectorModel,
  params: Omit<VectorSearchOptions, 'version'> = {},
): void {
  for (const query of seededQueries(99, 20, dimension)) {
    const hits = store.search(query, 10, { version: 'v1', ...params });
    assert.deepEqual(
      hits.map((hit) => hit.id),
      model.nearest(query, 10),
    );
  }
  // Each stored vector finds itself first; a deleted or replaced vector is never found.
  for (const [id, vector] of model.vectors) {
    assert.equal(store.search(vector, 1, { version: 'v1', ...params })[0]?.id, id);
  }
}

const cases = [
  { index: 'Flat', params: {} },
  // nprobe = nlist: exact, so the results must equal brute force.
  { index: 'IVF4,Flat', params: { nprobe: 4 } },
  { index: 'HNSW16,Flat', params: { efSearch: 400 } },
] as const;

for (const { index, params } of cases) {
  test(
    `vector store (${index}): upserts, updates and deletes; searches see exactly the current vectors`,
    {
      skip,
    },
    async () => {
      const random = seededRandom(7);
      const model = new VectorModel();
      const { driver, store } = await started(index, { rebuildAtTombstoneFraction: 0.5 });
      try {
        await pipe(driver, model, upserts(random, range(0, 200)));
        assert.equal(store().size, 200);
        assertSearchesExact(store(), model, params);
        // Updates: same ids, new vectors.
        await pipe(
          driver,
          model,
          upserts(
            random,
            range(0, 200).filter((id) => id % 5 === 0),
          ),
        );
        // Deletes, and ids that were never there.
        await pipe(
          driver,
          model,
          range(0, 200)
            .filter((id) => id % 7 === 3)
            .concat([5000])
            .map((id) => ({ op: 'delete', id: String(id) })),
        );
        assert.equal(store().size, model.vectors.size);
        assertSearchesExact(store(), model, params);
        const stats = store().stats();
        if (index.startsWith('IVF')) {
          assert.equal(
            stats.indexType,
            'IndexIVFFlat',
            'trained once 39 × nlist vectors were stored',
          );
        }
        if (index.startsWith('HNSW')) {
          // 40 replaced + 29 deleted of 240 indexed: under the 0.5 fraction, still filtered.
          assert.equal(stats.tombstones, 40 + 29);
          assert.equal(stats.rebuilds, 1, 'only the first build');
        } else {
          assert.equal(stats.tombstones, 0, 'Flat and IVF remove');
        }
      } finally {
        await driver.close();
      }
    },
  );
}

test(
  'vector store (HNSW): tombstones past their fraction rebuild the index at the commit',
  {
    skip,
  },
  async () => {
    const random = seededRandom(11);
    const model = new VectorModel();
    const { driver, store } = await started('HNSW16,Flat', { rebuildAtTombstoneFraction: 0.25 });
    try {
      await pipe(driver, model, upserts(random, range(0, 100)));
      await pipe(
        driver,
        model,
        range(0, 20).map((id) => ({ op: 'delete', id: String(id) })),
      );
      assert.equal(store().stats().tombstones, 20, '20 of 100: kept and filtered');
      assertSearchesExact(store(), model, { efSearch: 200 });
      await pipe(
        driver,
        model,
        range(20, 30).map((id) => ({ op: 'delete', id: String(id) })),
      );
      const stats = store().stats();
      assert.equal(stats.tombstones, 0, '30 of 100 is past 0.25: rebuilt without them');
      assert.equal(stats.indexed, 70);
      assert.equal(stats.rebuilds, 2);
      assertSearchesExact(store(), model, { efSearch: 200 });
    } finally {
      await driver.close();
    }
  },
);

test(
  'vector store: one model version at a time; other versions are refused',
  { skip },
  async () => {
    const random = seededRandom(3);
    const model = new VectorModel();
    const { driver, store } = await started('Flat');
    try {
      assert.deepEqual(store().search(new Float32Array(dimension), 3, { version: 'v9' }), []);
      await pipe(driver, model, upserts(random, range(0, 10)));
      assert.equal(store().version, 'v1');
      const query = new Float32Array(dimension);
      assert.throws(
        () => store().search(query, 3, { version: 'v2' }),
        (error: Error & { code?: string }) => error.code === vectorStoreErrorCodes.versionMismatch,
      );
      assert.throws(
        () => store().upsert(3n, new Float32Array(dimension), 'v2'),
        (error: Error & { code?: string }) => error.code === vectorStoreErrorCodes.versionMismatch,
      );
      assert.equal(store().size, 10, 'the refused write changed nothing');
      assert.throws(() => store().upsert(-1n, new Float32Array(dimension), 'v1'), /0 to 2\^63/);
      assert.throws(() => store().upsert(1n, new Float32Array(dimension + 1), 'v1'), /8 floats/);
      // Emptied, the store takes a new version.
      await pipe(
        driver,
        model,
        range(0, 10).map((id) => ({ op: 'delete', id: String(id) })),
      );
      assert.equal(store().version, undefined);
      await pipe(driver, model, upserts(random, [1, 2], 'v2'));
      assert.equal(store().search(query, 5, { version: 'v2' }).length, 2);
      assert.deepEqual((await store().get(1n))?.version, 'v2');
    } finally {
      await driver.close();
    }
  },
);
