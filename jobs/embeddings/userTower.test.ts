import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { seededRandom } from '../../operators/index.js';
import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { examplesToArrowFile } from '../training/arrowExamples.js';
import { OnnxUserTower, UserTowerEncoder } from './userTower.js';

/**
 * The user tower as serving runs it, against the trainer itself: a tiny model whose vocabulary
 * the trainer's `build_vocabulary` made from training examples, and whose --serve rows its
 * `encode` encoded (tinyUserTower.py, in the trainer's Python environment; the test skips
 * without it). Every row {@link UserTowerEncoder} computes from the same features must be the
 * trainer's (indices equal, floats equal as float32), and every vector the ONNX user tower
 * gives in the worker pool, micro-batched, must be PyTorch's within 1e-5.
 */

const venv =
  process.env['REELSTREAM_TRAINER_VENV'] ??
  join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reelstream', 'trainer-venv');
const python = join(venv, 'bin', 'python');

function pythonMissing(): string | false {
  if (!existsSync(python)) {
    return `no trainer Python environment in ${venv} (deploy/local/setup/trainerDeps.sh makes it)`;
  }
  const probe = spawnSync(python, ['-c', 'import torch, pyarrow'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return probe.status === 0 ? false : `${python} cannot import torch and pyarrow`;
}

const skip = pythonMissing();
const day = Date.UTC(2026, 11, 1);
const random = seededRandom(23);
const pick = <T>(values: readonly T[]): T => {
  const value = values[Math.floor(random() * values.length)];
  if (value === undefined) {
    throw new RangeError('pick from nothing');
  }
  return value;
};

/** Features with `watches` recent videos and affinities for `categories`. */
function features(userId: string, watches: readonly string[], categories: readonly string[]) {
  const affinity = Object.fromEntries(
    categories.map((c) => [c, { score: random() * 3, updatedTime: day - 60_000 }]),
  );
  const value: UserFeatures = {
    userId,
    lastWatched: watches.map((videoId, i) => ({
      videoId,
      watchedMs: 1_000 + i,
      watchRatio: random(),
      eventTime: day - i * 1_000,
    })),
    categoryAffinity: affinity,
    creatorAffinity: {},
    affinityHalfLifeMs: 86_400_000,
    averageWatchRatio: random() * 1.3,
    watchCount: Math.floor(random() * 500),
    recentNegatives: [],
    updatedTime: day - 1_000,
  };
  return value;
}

function example(
  userId: string,
  exampleTime: number,
  userFeatures: UserFeatures | null,
): TrainingExample {
  return {
    userId,
    videoId: pick(videos),
    requestId: `r-${exampleTime}`,
    position: 0,
    exampleTime,
    labelTime: exampleTime + 1_000,
    watchedMs: 5_000,
    videoDurationMs: 20_000,
    rating: 4,
    positive: true,
    disliked: false,
    features: userFeatures,
  };
}

const videos = Array.from({ length: 20 }, (_, i) => `v-${i}`);
const categories = ['c-a', 'c-a', 'c-a', 'c-b', 'c-b', 'c-c', 'c-c', 'c-d', 'c-e'];

/** Training rows: six users; c-a, c-b and c-c the most frequent categories (three kept). */
const training = Array.from({ length: 40 }, (_, i) => {
  const userId = `u-${i % 6}`;
  const watched = Array.from({ length: i % 7 }, () => pick(videos));
  const cats = [...new Set(Array.from({ length: 1 + (i % 3) }, () => pick(categories)))];
  return example(userId, day + i * 60_000, i % 9 === 0 ? null : features(userId, watched, cats));
});

/** Rows to serve: known and unknown users, unknown videos and categories, every hour of a week. */
const serving = Array.from({ length: 48 }, (_, i) => {
  const userId = i % 5 === 0 ? `u-new-${i}` : `u-${i % 6}`;
  const watched = Array.from({ length: i % 9 }, () =>
    random() < 0.2 ? `v-unknown-${i}` : pick(videos),
  );
  const cats = [
    ...new Set(Array.from({ length: i % 4 }, () => pick([...categories, 'c-unknown']))),
  ];
  // 3.5 hours apart: every hour of the day and every weekday come up.
  return example(
    userId,
    day + 7 * 86_400_000 + i * 12_600_000,
    i % 7 === 3 ? null : features(userId, watched, cats),
  );
});

interface Encoded {
  readonly user: number[];
  readonly history: number[][];
  readonly userDense: number[][];
}

function tinyModel(dir: string): { encoded: Encoded; reference: number[][] } {
  for (const [name, rows] of [
    ['train', training],
    ['serve', serving],
  ] as const) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'examples.arrow'), examplesToArrowFile(rows));
  }
  const run = spawnSync(
    python,
    [
      join('jobs', 'embeddings', 'tinyUserTower.py'),
      '--examples',
      join(dir, 'train'),
      '--serve',
      join(dir, 'serve'),
      '--out',
      join(dir, 'model'),
      '--history',
      '4',
      '--max-categories',
      '3',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  const encoded = JSON.parse(readFileSync(join(dir, 'model', 'encoded.json'), 'utf8')) as Encoded;
  const reference = JSON.parse(readFileSync(join(dir, 'model', 'reference.json'), 'utf8')) as {
    models: { outputs: { user_vector?: { shape: number[]; data: number[] } } }[];
  };
  const user = reference.models[0]?.outputs.user_vector;
  assert.ok(user !== undefined, 'reference.json has the user tower first');
  const width = user.shape[1] ?? 0;
  return {
    encoded,
    reference: serving.map((_, i) => user.data.slice(i * width, (i + 1) * width)),
  };
}

test(
  'user tower: the trainer encoding of every row, and PyTorch vectors from the worker pool, micro-batched',
  { skip, timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-tower-'));
    try {
      const { encoded, reference } = tinyModel(dir);
      // The trainer orders rows by (exampleTime, userId, videoId): the serving rows' times increase.
      assert.equal(encoded.user.length, serving.length);
      const tower = await OnnxUserTower.load({ modelDir: join(dir, 'model'), maxBatch: 16 });
      try {
        assert.equal(tower.version, 'tiny-user-1');
        let logSteps = 0;
        serving.forEach((row, i) => {
          const mine = tower.encoder.row(row.userId, row.features, row.exampleTime);
          const what = `row ${i} (${row.userId}, features ${row.features === null ? 'none' : 'yes'})`;
          assert.deepEqual(mine.user.map(Number), [encoded.user[i]], `${what}: user`);
          assert.deepEqual(mine.history.map(Number), encoded.history[i], `${what}: history`);
          // log1p(watchCount): numpy's float32 log1p (the C library's log1pf) and the float32
          // nearest to Math.log1p may be one float32 step apart; every other value is equal.
          const theirs = encoded.userDense[i] ?? [];
          const [mineLog = NaN, ...mineRest] = mine.user_dense;
          const [theirLog = NaN, ...theirRest] = theirs;
          assert.deepEqual(mineRest, theirRest, `${what}: user_dense`);
          assert.ok(
            Math.abs(mineLog - theirLog) <= float32Step(theirLog),
            `${what}: log1p_watch_count ${mineLog} vs ${theirLog}`,
          );
          logSteps += mineLog === theirLog ? 0 : 1;
        });
        // Unknown users are index 0, unknown videos are dropped from the history, not kept.
        assert.ok(encoded.user.some((u) => u === 0));
        // All rows at once: micro-batched, each vector PyTorch's.
        const vectors = await Promise.all(
          serving.map((row) => tower.embed(row.userId, row.features, row.exampleTime)),
        );
        vectors.forEach((vector, i) => {
          const expected = reference[i] ?? [];
          const worst = Math.max(...[...vector].map((v, d) => Math.abs(v - (expected[d] ?? NaN))));
          assert.ok(worst <= 1e-5, `row ${i}: differs from PyTorch by ${worst}`);
        });
        const stats = tower.stats();
        assert.equal(stats.rows, serving.length);
        assert.equal(stats.largestBatch, 16);
        assert.ok(stats.batches <= 4, `${stats.batches} batches for ${serving.length} rows`);
        console.log(
          `${serving.length} rows equal to the trainer's encoding (log1p_watch_count one float32 step apart in ${logSteps}); vectors within 1e-5 of PyTorch in ${stats.batches} batches`,
        );
      } finally {
        await tower.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** The distance from `value` to the next float32 away from zero. */
function float32Step(value: number): number {
  const bits = new Uint32Array(Float32Array.of(value).buffer);
  bits[0] = (bits[0] ?? 0) + 1;
  return Math.abs(new Float32Array(bits.buffer)[0] ?? NaN) - Math.abs(value);
}

test('user tower encoder: a model whose dense features differ from those computed here is refused', () => {
  const vocabulary = { users: ['u-1'], items: ['v-1'], categories: ['c-a'] };
  assert.throws(
    () =>
      new UserTowerEncoder({
        vocabulary,
        historyLength: 4,
        userDenseFeatures: ['log1p_watch_count', 'category_affinity:c-a'],
      }),
    /dense features/,
  );
  const encoder = new UserTowerEncoder({
    vocabulary,
    historyLength: 2,
    userDenseFeatures: [
      'log1p_watch_count',
      'average_watch_ratio',
      'has_features',
      'hour_sin',
      'hour_cos',
      'weekday_sin',
      'weekday_cos',
      'category_affinity:c-a',
    ],
  });
  // No features: index 0 for an unknown user, empty history, zeros but the time of day.
  const row = encoder.row('u-2', null, Date.UTC(2026, 11, 6, 6)); // a Sunday (weekday 0), 06:00 UTC
  assert.deepEqual(row.user, [0n]);
  assert.deepEqual(row.history, [0n, 0n]);
  assert.deepEqual(row.user_dense, [
    ...Float32Array.from([0, 0, 0, 1, Math.cos(Math.PI / 2), 0, 1, 0]),
  ]);
});
