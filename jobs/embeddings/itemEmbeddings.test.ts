import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { avroSerde, nullable, Pipeline, stringSerde, TestDriver } from '../../operators/index.js';
import { TowerPool } from '../../operators/vectors/towerPool.js';
import { itemEmbeddingSerdes, itemEmbeddingsTopic } from '../../pipelines/itemEmbeddingShards.js';
import { itemEmbeddings } from '../../pipelines/itemEmbeddings.js';
import type { VideoUpload } from '../../schemas/generated/videoUpload.js';
import { videoUploadSchema } from '../../schemas/generated/videoUpload.js';
import { topics } from '../../schemas/topics.js';
import { OnnxItemTower } from './itemTower.js';

/**
 * The embedding operator with a real ONNX item tower: a tiny model made by the trainer's own
 * classes and exporter (tinyItemTower.py, in the trainer's Python environment; the test skips
 * without it), run by onnxruntime-node in worker threads; every vector must equal PyTorch's
 * within 1e-5.
 */

const venv =
  process.env['REELSTREAM_TRAINER_VENV'] ??
  join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reelstream', 'trainer-venv');
const python = join(venv, 'bin', 'python');

function pythonMissing(): string | false {
  if (!existsSync(python)) {
    return `no trainer Python environment in ${venv} (deploy/local/setup/trainerDeps.sh makes it)`;
  }
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0 ? false : `${python} cannot import torch`;
}

const skip = pythonMissing();

/** The vocabulary of the tiny model: v-0 … v-23; v-24 … v-29 are unknown to it (index 0). */
const vocabulary = Array.from({ length: 24 }, (_, i) => `v-${i}`);
const day = Date.UTC(2026, 11, 1);

function video(i: number, durationMs: number, tags: string[] = []): VideoUpload {
  return {
    videoId: `v-${i}`,
    creatorId: `c-${i % 5}`,
    durationMs,
    category: `cat-0${i % 3}`,
    tags,
    region: 'eu-west',
    uploadTime: day + i * 1_000,
    eventTime: day + i * 1_000 + durationMs,
  };
}

/** The trainer's encoding, written out here (examples.py): index i + 1, log1p(seconds) / 5. */
function expectedRow(v: VideoUpload): { item: number; dense: number } {
  const index = vocabulary.indexOf(v.videoId);
  return { item: index + 1, dense: Math.log1p(v.durationMs / 1000) / 5 };
}

/** Makes the model and PyTorch's vectors for `videos`, in order. */
function tinyModel(dir: string, videos: readonly VideoUpload[]): number[][] {
  const rows = videos.map(expectedRow);
  writeFileSync(
    join(dir, 'rows.json'),
    JSON.stringify({ item: rows.map((r) => r.item), item_dense: rows.map((r) => [r.dense]) }),
  );
  const run = spawnSync(
    python,
    [
      join('jobs', 'embeddings', 'tinyItemTower.py'),
      '--out',
      join(dir, 'model'),
      '--items',
      vocabulary.join(','),
      '--rows',
      join(dir, 'rows.json'),
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const reference = JSON.parse(readFileSync(join(dir, 'model', 'reference.json'), 'utf8')) as {
    outputs: { item_vector: { shape: number[]; data: number[] } };
  };
  const { shape, data } = reference.outputs.item_vector;
  const width = shape[1] ?? 0;
  return videos.map((_, i) => data.slice(i * width, (i + 1) * width));
}

function assertClose(actual: readonly number[], expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - (expected[i] ?? Number.NaN))));
  assert.ok(worst <= 1e-5, `${what}: differs from PyTorch by ${worst}`);
}

const catalogue = Array.from({ length: 30 }, (_, i) => video(i, 10_000 + i * 1_700));
const longer = video(3, 95_000); // v-3 re-cut: another duration, another vector
const retagged = video(5, catalogue[5]?.durationMs ?? 0, ['news']); // nothing the tower sees

test(
  'item tower in a worker pool: micro-batched, every row equal to PyTorch',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'item-tower-'));
    try {
      const reference = tinyModel(dir, catalogue);
      const tower = await OnnxItemTower.load({
        modelDir: join(dir, 'model'),
        workers: 2,
        maxBatch: 8,
      });
      try {
        const v7 = catalogue[7];
        assert.ok(v7 !== undefined);
        const { item, dense } = expectedRow(v7);
        assert.deepEqual(tower.row(v7), { item: [BigInt(item)], item_dense: [dense] });
        assert.equal(
          tower.row(video(27, 1_000)).item[0],
          0n,
          'an id outside the vocabulary is index 0',
        );
        // All at once: batches of up to 8 rows across the two workers.
        const vectors = await Promise.all(catalogue.map((v) => tower.embed(v)));
        vectors.forEach((vector, i) => assertClose([...vector], reference[i] ?? [], `video ${i}`));
        const stats = tower.stats();
        assert.equal(stats.rows, catalogue.length);
        assert.equal(stats.largestBatch, 8);
        assert.ok(stats.batches <= Math.ceil(catalogue.length / 8) + 1, `${stats.batches} batches`);
        // One by one: a batch of one each, the same vectors.
        const alone = await tower.embed(catalogue[0] ?? v7);
        assertClose([...alone], reference[0] ?? [], 'video 0 alone');
      } finally {
        await tower.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('tower pool: a model that does not load is an error at open, not at the first row', async () => {
  await assert.rejects(
    TowerPool.open({
      modelFile: join(tmpdir(), 'no-such-model.onnx'),
      inputs: [{ name: 'item', dtype: 'int64', width: 1, rank: 1 }],
      output: 'item_vector',
    }),
    /no-such-model/,
  );
});

test(
  'embedding operator: new and changed videos → embeddings.items with the model version; unchanged ones write nothing',
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'item-embeddings-'));
    try {
      const reference = tinyModel(dir, [...catalogue, longer]);
      const tower = await OnnxItemTower.load({ modelDir: join(dir, 'model') });
      const pipeline = new Pipeline();
      itemEmbeddings(pipeline, tower);
      const driver = await TestDriver.start(pipeline);
      try {
        const input = driver.input(topics.videoCatalog, {
          key: stringSerde,
          value: nullable(avroSerde(videoUploadSchema)),
        });
        const output = driver.output(itemEmbeddingsTopic, itemEmbeddingSerdes);
        await input.pipeMany(catalogue.map((v) => ({ key: v.videoId, value: v })));
        const first = await output.readKeyValues();
        assert.equal(first.length, catalogue.length, 'one embedding per new video');
        first.forEach(([key, embedding], i) => {
          assert.equal(key, catalogue[i]?.videoId);
          assert.ok(embedding !== null);
          assert.equal(embedding.modelVersion, 'tiny-1');
          assert.equal(embedding.sourceTime, catalogue[i]?.eventTime);
          assertClose(embedding.vector, reference[i] ?? [], `video ${i}`);
        });
        await input.pipe(retagged.videoId, retagged);
        assert.deepEqual(await output.readKeyValues(), [], 'new tags: nothing the tower sees');
        assert.equal(driver.counter('embeddingsUnchanged'), 1);
        await input.pipe(longer.videoId, longer);
        const [changed] = await output.readKeyValues();
        assert.equal(changed?.[0], 'v-3');
        assertClose(changed?.[1]?.vector ?? [], reference[catalogue.length] ?? [], 'v-3 re-cut');
        await input.pipe('v-9', null);
        assert.deepEqual(
          await output.readKeyValues(),
          [['v-9', null]],
          'a tombstone for a tombstone',
        );
        // v-9 comes back: embedded again (its inputs were forgotten with it).
        await input.pipe('v-9', catalogue[9] ?? null);
        assert.equal((await output.readKeyValues()).length, 1);
      } finally {
        await driver.close();
        await tower.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
