import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';

import {
  avroSerde,
  Pipeline,
  seededRandom,
  stringSerde,
  StreamJob,
} from '../../operators/index.js';
import { faissBindingAvailable } from '../../operators/vectors/faissIndex.js';
import { itemEmbeddingSerdes, itemVectorShards } from '../../pipelines/itemEmbeddingShards.js';
import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { ItemEmbedding } from '../../schemas/generated/itemEmbedding.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { videoUploadSchema, type VideoUpload } from '../../schemas/generated/videoUpload.js';
import { connection, createTopics, uniqueName } from '../../test/support/integration.js';
import { produceAll } from '../../test/support/records.js';
import { OnnxItemTower } from '../embeddings/itemTower.js';
import { serveTwoTower, SwitchableRetriever } from '../evaluation/servedTwoTower.js';
import { examplesToArrowFile } from '../training/arrowExamples.js';
import { TwoTowerRetriever } from './twoTowerRetriever.js';

/**
 * Two-tower retrieval end to end, every part real: a tiny model made by the trainer
 * (tinyUserTower.py; skips without the trainer's Python), its item tower's vectors of the
 * catalogue written to an embeddings topic on the broker, an item-shards job (two shards,
 * FAISS) serving interactive queries, and the {@link TwoTowerRetriever} asking it for users'
 * candidates: each answer must be exactly the brute-force top K by cosine of the user's vector
 * with every video's, the user's seen videos left out, scores equal within 1e-5. With the
 * shards job gone, the answer is degraded and empty, not an error.
 */

const venv =
  process.env['REELSTREAM_TRAINER_VENV'] ??
  join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reelstream', 'trainer-venv');
const python = join(venv, 'bin', 'python');
const skip = !faissBindingAvailable()
  ? 'the FAISS binding is not built: run `bash deploy/local/setup/faissBinding.sh`'
  : !existsSync(python)
    ? `no trainer Python environment in ${venv} (deploy/local/setup/trainerDeps.sh makes it)`
    : false;

const day = Date.UTC(2026, 11, 1);
const random = seededRandom(31);
const catalogue: VideoUpload[] = Array.from({ length: 40 }, (_, i) => ({
  videoId: i < 30 ? `v-${i}` : `new-${i}`, // new-*: uploads the model has never seen
  creatorId: `c-${i % 4}`,
  durationMs: 5_000 + i * 3_100,
  category: `cat-${i % 3}`,
  tags: [],
  region: 'eu-west',
  uploadTime: day + i,
  eventTime: day + i,
}));
const known = catalogue.slice(0, 30).map((v) => v.videoId);
const token = randomBytes(32).toString('hex');
const count = 5;

function features(userId: string, watched: readonly string[]): UserFeatures {
  return {
    userId,
    lastWatched: watched.map((videoId, i) => ({
      videoId,
      watchedMs: 1_000,
      watchRatio: 0.5,
      eventTime: day - i * 1_000,
    })),
    categoryAffinity: { [`cat-${watched.length % 3}`]: { score: 1.5, updatedTime: day } },
    creatorAffinity: {},
    affinityHalfLifeMs: 86_400_000,
    averageWatchRatio: 0.4 + random() * 0.5,
    watchCount: watched.length * 3,
    recentNegatives: [],
    updatedTime: day,
  };
}

function example(userId: string, at: number, f: UserFeatures | null): TrainingExample {
  return {
    userId,
    videoId: known[Math.floor(random() * known.length)] ?? 'v-0',
    requestId: `r-${at}`,
    position: 0,
    exampleTime: at,
    labelTime: at + 1,
    watchedMs: 1_000,
    videoDurationMs: 10_000,
    rating: 4,
    positive: true,
    disliked: false,
    features: f,
  };
}

const watchedBy = (i: number): string[] =>
  Array.from({ length: i % 6 }, (_, j) => known[(i * 7 + j * 3) % known.length] ?? 'v-0');

/** The model: vocabulary of six users and the first 30 videos; every category kept. */
function tinyModel(dir: string): string {
  const training = Array.from({ length: 60 }, (_, i) =>
    example(`u-${i % 6}`, day + i * 1_000, features(`u-${i % 6}`, watchedBy(i))),
  );
  const serve = [example('u-0', day + 86_400_000, null)];
  for (const [name, rows] of [
    ['train', training],
    ['serve', serve],
  ] as const) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'examples.arrow'), examplesToArrowFile(rows));
  }
  const out = join(dir, 'model');
  const run = spawnSync(
    python,
    [
      join('jobs', 'embeddings', 'tinyUserTower.py'),
      ...['--examples', join(dir, 'train'), '--serve', join(dir, 'serve'), '--out', out],
      ...['--history', '4', '--max-categories', '8'],
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return out;
}

test(
  'two-tower retrieval: the user tower, every shard searched, exactly the brute-force top K by cosine',
  { skip, timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'two-tower-retrieval-'));
    const modelDir = tinyModel(dir);
    const itemTower = await OnnxItemTower.load({ modelDir });
    const vectors = new Map<string, Float32Array>();
    for (const video of catalogue) {
      vectors.set(video.videoId, await itemTower.embed(video));
    }
    await itemTower.close();
    const app = uniqueName('two-tower-retrieval');
    const topic = `${app}.embeddings`;
    await createTopics([topic], { partitions: 2, config: { 'cleanup.policy': 'compact' } });
    await produceAll<string, ItemEmbedding | null>({
      topic,
      serdes: itemEmbeddingSerdes,
      records: catalogue.map((video) => ({
        key: video.videoId,
        value: {
          videoId: video.videoId,
          modelVersion: itemTower.version,
          vector: [...(vectors.get(video.videoId) ?? [])],
          sourceTime: video.eventTime,
          embeddedTime: Date.now(),
        },
      })),
    });
    const pipeline = new Pipeline();
    itemVectorShards(pipeline, {
      topic,
      modelVersion: itemTower.version,
      dimension: itemTower.dimension,
    });
    const shards = new StreamJob({
      pipeline,
      applicationId: app,
      connection,
      stateDir: join(dir, 'state'),
      guarantee: 'exactly-once',
      commitIntervalMs: 200,
      queryEndpoint: '127.0.0.1:0',
      querySecurity: { tokens: [token] },
      logger: pino({ name: 'shards', level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
    });
    let retriever: TwoTowerRetriever | undefined;
    try {
      await shards.start();
      const probe = vectors.get('v-0') ?? new Float32Array();
      for (let tries = 0; ; tries++) {
        const all = await shards.searchVectors({
          store: 'item-vectors',
          vector: probe,
          k: catalogue.length,
          version: itemTower.version,
        });
        if (!all.degraded && all.hits.length === catalogue.length) {
          break;
        }
        assert.ok(tries < 200, `the shards hold ${all.hits.length} of ${catalogue.length}`);
        await sleep(100);
      }
      retriever = await TwoTowerRetriever.open({
        modelDir,
        endpoints: [shards.queryEndpoint ?? ''],
        access: { token },
        searchTimeoutMs: 2_000,
      });
      const users: { userId: string; features: UserFeatures | null }[] = [
        { userId: 'u-1', features: features('u-1', watchedBy(1)) },
        { userId: 'u-3', features: features('u-3', watchedBy(5)) },
        { userId: 'someone-new', features: null },
        { userId: 'someone-else', features: features('someone-else', ['new-33', 'v-2']) },
      ];
      const at = day + 3 * 86_400_000 + 5 * 3_600_000;
      const asking = retriever;
      const answers = await Promise.all(
        users.map((u) =>
          asking.retrieve({
            ...u,
            atMs: at,
            count,
            exclude: u.features?.lastWatched.map((w) => w.videoId) ?? [],
          }),
        ),
      );
      for (const [i, user] of users.entries()) {
        const answer = answers[i];
        assert.ok(answer !== undefined);
        const userVector = await retriever.tower.embed(user.userId, user.features, at);
        const seen = new Set(user.features?.lastWatched.map((w) => w.videoId) ?? []);
        const expected = [...vectors]
          .filter(([videoId]) => !seen.has(videoId))
          .map(([videoId, v]) => ({
            videoId,
            score: v.reduce((sum, x, d) => sum + x * (userVector[d] ?? 0), 0),
          }))
          .sort((a, b) => b.score - a.score)
          .slice(0, count);
        assert.equal(answer.degraded, false);
        assert.equal(answer.modelVersion, 'tiny-user-1');
        assert.deepEqual(
          answer.candidates.map((c) => c.videoId),
          expected.map((e) => e.videoId),
          `${user.userId}'s candidates`,
        );
        answer.candidates.forEach((c, j) =>
          assert.ok(Math.abs(c.score - (expected[j]?.score ?? NaN)) < 1e-5, `${c.videoId} score`),
        );
        assert.ok(answer.candidates.every((c) => !seen.has(c.videoId)));
      }
      console.log(
        `4 users retrieved exactly; user tower ${JSON.stringify(retriever.tower.stats())}`,
      );
      // The shards job gone: degraded and empty, not an error.
      await shards.stop();
      const alone = await retriever.retrieve({
        userId: 'u-1',
        features: null,
        atMs: at,
        count,
        exclude: [],
      });
      assert.equal(alone.degraded, true);
      assert.deepEqual(alone.candidates, []);
      assert.deepEqual(alone.unavailableShards, [0, 1]);
    } finally {
      await retriever?.close();
      await shards.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "the evaluation's served two-tower: the embedding jobs fill exact shards from the catalogue, the retriever answers the brute-force top K, switched out nothing",
  { skip, timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'served-two-tower-'));
    const modelDir = tinyModel(dir);
    const itemTower = await OnnxItemTower.load({ modelDir });
    const vectors = new Map<string, Float32Array>();
    for (const video of catalogue) {
      vectors.set(video.videoId, await itemTower.embed(video));
    }
    await itemTower.close();
    const name = uniqueName('served-two-tower');
    const catalogTopic = `${name}.catalog`;
    await createTopics([catalogTopic], { partitions: 2 });
    await produceAll<string, VideoUpload>({
      topic: catalogTopic,
      serdes: { key: stringSerde, value: avroSerde(videoUploadSchema) },
      records: catalogue.map((video) => ({ key: video.videoId, value: video })),
    });
    const lines: string[] = [];
    const served = await serveTwoTower({
      connection,
      modelDir,
      name,
      workDir: dir,
      expected: catalogue.length,
      catalogTopic,
      logger: pino({
        name: 'served-two-tower',
        level: process.env['REELSTREAM_TEST_LOG'] ?? 'error',
      }),
      log: (line) => lines.push(line),
    });
    try {
      // Every catalogue video embedded by the embedding job and in its shard before it returns.
      assert.equal(served.indexed(), catalogue.length, lines.join('\n'));
      assert.match(lines.join('\n'), /40 of 40 catalogue embeddings in its shards \(Flat, exact\)/);
      const switchable = new SwitchableRetriever();
      const at = day + 86_400_000;
      const user = features('u-2', watchedBy(2));
      const request = {
        userId: 'u-2',
        features: user,
        atMs: at,
        count,
        exclude: user.lastWatched.map((w) => w.videoId),
      };
      assert.deepEqual((await switchable.retrieve(request)).candidates, []);
      switchable.use(served.retriever);
      const answer = await switchable.retrieve(request);
      const userVector = await served.retriever.tower.embed('u-2', user, at);
      const seen = new Set(request.exclude);
      const expected = [...vectors]
        .filter(([videoId]) => !seen.has(videoId))
        .map(([videoId, v]) => ({
          videoId,
          score: v.reduce((sum, x, d) => sum + x * (userVector[d] ?? 0), 0),
        }))
        .sort((a, b) => b.score - a.score)
        .slice(0, count);
      assert.equal(answer.degraded, false);
      assert.equal(answer.modelVersion, served.modelVersion);
      assert.deepEqual(
        answer.candidates.map((c) => c.videoId),
        expected.map((e) => e.videoId),
      );
      answer.candidates.forEach((c, j) =>
        assert.ok(Math.abs(c.score - (expected[j]?.score ?? NaN)) < 1e-5, `${c.videoId} score`),
      );
      switchable.use(undefined);
      assert.deepEqual((await switchable.retrieve(request)).candidates, []);
    } finally {
      await served.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
