import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type * as Ort from 'onnxruntime-node';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import { train, trainerPython } from '../cli/trainCommand.js';
import type { MovieLensData, MovieLensRating } from '../replay/movieLensTypes.js';
import { examplesToArrowFile } from '../training/arrowExamples.js';
import { exportMovieLensExamples } from '../training/exportExamples.js';
import { movieIdOfVideo, userIdOfUser } from '../replay/movieLensIds.js';
import { rankUnseen, type Catalogue } from './itemScores.js';
import type { Recommender } from './recommender.js';

/**
 * The two-tower row of `reelstream evaluate`: the trainer's two-tower retrieval model
 * (jobs/training/trainer/, docs/training.md) trained on the training part alone and asked, like
 * every baseline, for 50 unseen movies per test user.
 *
 * 1. **Examples** (`reelstream export-examples`' code, `exportMovieLensExamples`): the training
 *    ratings replayed in-process through the training-examples job, plus one **virtual rating at
 *    the cut-off** for every MovieLens user, whose example carries the user's features as of just
 *    before the cut-off (the same job, the same computation as any training example: no
 *    train/serve skew). Only the examples before the cut-off are written to the training files;
 *    the virtual ones go to a file of their own. No Kafka: the job runs on the TestDriver.
 *    Cached by the data, the cut-off and the exporter's code, under
 *    `~/.cache/reelstream/evaluation-two-tower/<key>/`.
 * 2. **Training** (`reelstream train`'s code path, `train`): two-tower only, seed 19, every
 *    example of the training part (`--validation-fraction 0`: nothing is chosen on a validation
 *    split, so the model learns from the last weeks too, like the baselines after tuning).
 *    Cached beside the examples by the trainer's code and flags.
 * 3. **Scoring**: the virtual examples and the catalogue are encoded by the trainer's own code
 *    (`twoTowerInputs.py`), the ONNX user tower runs on every user and the item tower on every
 *    item in onnxruntime-node, and each user's movies are ranked by dot product with
 *    {@link rankTwoTower}: training movies out first, ties by training popularity then id,
 *    movies the model has no id for (never rated before the cut-off) last.
 *
 * A user unknown to the model (no rating before the cut-off: not in its vocabulary) gets what the
 * model gives for index 0, "unknown user", with no history and the dense features of a user
 * without features; not a baseline's list.
 */

/** The row's name in the table. */
export const twoTowerName = 'two-tower';

/** Epochs the row's model is trained for (`reelstream train`'s default). */
export const twoTowerEpochs = 5;

/** The trainer's seed (train.py's default, passed explicitly so the cache key names it). */
export const twoTowerSeed = 19;

export type TwoTowerRow =
  | { readonly ok: true; readonly recommender: Recommender }
  | { readonly ok: false; readonly reason: string };

export interface TwoTowerOptions {
  readonly data: MovieLensData;
  /** The training part: every rating strictly before `cutoffMs`. */
  readonly train: readonly MovieLensRating[];
  readonly cutoffMs: number;
  /** Popularity tie-break of the catalogue (itemScores.ts, `interactionsOf(train, …)`). */
  readonly catalogue: Catalogue;
  readonly tieRank: Int32Array;
  /** Default `~/.cache/reelstream/evaluation-two-tower` (`$XDG_CACHE_HOME` if set). */
  readonly cacheDir?: string;
  readonly log: (line: string) => void;
}

/** What training the model needs (no catalogue: that is for ranking). */
export type TwoTowerTrainingOptions = Omit<TwoTowerOptions, 'catalogue' | 'tieRank'>;

/** A model of the evaluation trained by the trainer, or why there is none. */
export type TrainedModel =
  | {
      readonly ok: true;
      /** The trainer's folder of the model (`two-tower` or `mmoe`: manifest.json, vocabulary.json, ONNX). */
      readonly modelDir: string;
      /** The examples' folder: `train/` and `at-cutoff/`. */
      readonly examplesDir: string;
      /** The trainer's Python. */
      readonly python: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The trainer's two-tower model trained on `train` (every rating before `cutoffMs`), exported
 * and trained unless the cache holds it (steps 1 and 2 above); or why there is none.
 */
export async function trainTwoTower(options: TwoTowerTrainingOptions): Promise<TrainedModel> {
  return trainOnTrainingPart(options, {
    model: 'two-tower',
    epochs: twoTowerEpochs,
    flags: ['--seed', String(twoTowerSeed), '--validation-fraction', '0', '--threads', '2'],
  });
}

/** Which of the trainer's models {@link trainOnTrainingPart} trains, and how. */
export interface TrainerRun {
  readonly model: 'two-tower' | 'mmoe';
  readonly epochs: number;
  /** Trainer flags (train.py); with the trainer's code, they key the model's cache. */
  readonly flags: readonly string[];
}

/**
 * One of the trainer's models trained on the examples of the training part (the same export,
 * cached once for every model), unless the cache holds it; or why there is none. `modelDir` is
 * the trainer's folder of that model (`two-tower` or `mmoe`).
 */
export async function trainOnTrainingPart(
  options: TwoTowerTrainingOptions,
  run: TrainerRun,
): Promise<TrainedModel> {
  const found = trainerPython();
  if ('missing' in found) {
    return { ok: false, reason: found.missing };
  }
  const late = options.train.find((r) => r.timestamp * 1000 >= options.cutoffMs);
  if (late !== undefined) {
    throw new RangeError(`${run.model}: the training part has a rating at or after the cut-off`);
  }
  const { log } = options;
  const root = options.cacheDir ?? defaultCacheDir();
  const key = examplesKey(options);
  const examplesDir = join(root, key);
  if (existsSync(join(examplesDir, 'complete'))) {
    log(`${run.model}: examples of the training part from the cache (${examplesDir})`);
  } else {
    await exportWithVirtualExamples({ ...options, dir: examplesDir });
  }
  const modelKey = hashOf([trainerCode(), run.model, String(run.epochs), ...run.flags]);
  const modelRoot = join(examplesDir, `${run.model}-${modelKey}`);
  const modelDir = join(modelRoot, run.model);
  if (existsSync(join(modelDir, 'manifest.json'))) {
    log(`${run.model}: model from the cache (${modelDir})`);
  } else {
    const started = performance.now();
    const trained = await train(
      {
        examples: join(examplesDir, 'train'),
        out: `${modelRoot}.tmp`,
        epochs: run.epochs,
        model: run.model,
        extraArgs: run.flags,
      },
      (line) => log(`  ${line}`),
    );
    if (!trained.ok) {
      return { ok: false, reason: trained.reason };
    }
    rmSync(modelRoot, { recursive: true, force: true });
    renameSync(`${modelRoot}.tmp`, modelRoot);
    log(
      `${run.model}: trained in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
        `(${run.epochs} epochs, ${run.flags.join(' ')}, every example before ${day(options.cutoffMs)})`,
    );
  }
  return { ok: true, modelDir, examplesDir, python: found.python };
}

/**
 * The two-tower recommender of the evaluation, or why there is none (no trainer environment, a
 * failed export or training): the evaluation then leaves the row out and prints the reason.
 * `model`: the model {@link trainTwoTower} gave for the same options, when already trained.
 */
export async function twoTowerRow(
  options: TwoTowerOptions,
  model?: TrainedModel,
): Promise<TwoTowerRow> {
  const trained = model ?? (await trainTwoTower(options));
  if (!trained.ok) {
    return trained;
  }
  const { log } = options;
  const { modelDir, examplesDir } = trained;
  log(
    `two-tower: ONNX digests: user_tower ${fileDigest(join(modelDir, 'user_tower.onnx'))}, ` +
      `item_tower ${fileDigest(join(modelDir, 'item_tower.onnx'))}`,
  );
  const inputs = encodeInputs(trained.python, {
    modelDir,
    examplesDir: join(examplesDir, 'train'),
    atCutoffDir: join(examplesDir, 'at-cutoff'),
  });
  if ('reason' in inputs) {
    return { ok: false, reason: inputs.reason };
  }
  const vectors = await towerVectors(modelDir, inputs);
  const known = vectors.userIndex.size;
  log(
    `two-tower: ${known} users' vectors at the cut-off (${vectors.unknownUsers} unknown to the model), ` +
      `${vectors.itemMovieIds.length} items`,
  );
  return {
    ok: true,
    recommender: (request) => {
      const row = vectors.userIndex.get(request.userId);
      if (row === undefined) {
        throw new Error(`two-tower: no virtual example at the cut-off for user ${request.userId}`);
      }
      return rankTwoTower({
        userVector: vectors.users.subarray(row * vectors.dim, (row + 1) * vectors.dim),
        itemVectors: vectors.items,
        itemMovieIds: vectors.itemMovieIds,
        catalogue: options.catalogue,
        tieRank: options.tieRank,
        seen: request.seen,
        count: request.count,
      });
    },
  };
}

/**
 * One user's list from the towers' outputs: each item's score is the dot product of the user's
 * vector with the item's (in float64, dimension by dimension in order), the user's `seen` movies
 * are left out first, the rest ranked best first with ties by `tieRank` (training popularity)
 * then movie id ({@link rankUnseen}, the baselines' rule). Catalogue movies with no row in
 * `itemVectors` (no id in the model) score −∞: they come last, in the tie order.
 *
 * `itemVectors` is row-major, one row of `userVector.length` per entry of `itemMovieIds`.
 */
export function rankTwoTower(options: {
  readonly userVector: Float32Array;
  readonly itemVectors: Float32Array;
  readonly itemMovieIds: readonly number[];
  readonly catalogue: Catalogue;
  readonly tieRank: Int32Array;
  readonly seen: ReadonlySet<number>;
  readonly count: number;
}): number[] {
  const { userVector, itemVectors, catalogue } = options;
  const dim = userVector.length;
  if (itemVectors.length !== options.itemMovieIds.length * dim) {
    throw new RangeError(
      `rankTwoTower: ${itemVectors.length} item values for ${options.itemMovieIds.length} items of dimension ${dim}`,
    );
  }
  const scores = new Float64Array(catalogue.ids.length).fill(-Infinity);
  options.itemMovieIds.forEach((movieId, row) => {
    const index = catalogue.indexOf.get(movieId);
    if (index === undefined) {
      return;
    }
    let dot = 0;
    for (let d = 0; d < dim; d++) {
      dot += (userVector[d] ?? 0) * (itemVectors[row * dim + d] ?? 0);
    }
    scores[index] = dot;
  });
  return rankUnseen(scores, {
    catalogue,
    tieRank: options.tieRank,
    seen: options.seen,
    count: options.count,
  });
}

/** The encoded inputs of the towers (twoTowerInputs.py's output). */
export interface TowerInputs {
  readonly userIds: readonly string[];
  readonly user: readonly number[];
  readonly history: readonly (readonly number[])[];
  readonly userDense: readonly (readonly number[])[];
  /** The vocabulary's items: item i has index i + 1. */
  readonly items: readonly string[];
  /** Row i is index i's dense features (row 0: unknown). */
  readonly itemDense: readonly (readonly number[])[];
}

/** Runs twoTowerInputs.py (the trainer's encoding) in the trainer's Python. */
export function encodeInputs(
  python: string,
  dirs: { modelDir: string; examplesDir: string; atCutoffDir: string },
): TowerInputs | { reason: string } {
  const out = join(dirs.modelDir, 'evaluation-inputs.json');
  const run = spawnSync(
    python,
    [
      join(moduleDir(), 'twoTowerInputs.py'),
      '--model',
      dirs.modelDir,
      '--examples',
      dirs.examplesDir,
      '--at-cutoff',
      dirs.atCutoffDir,
      '--out',
      out,
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (run.status !== 0) {
    const tail = run.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${String(run.status)}`;
    return { reason: `twoTowerInputs.py failed: ${tail}` };
  }
  return JSON.parse(readFileSync(out, 'utf8')) as TowerInputs;
}

/** Every user's and item's vector from the ONNX towers (onnxruntime-node). */
export async function towerVectors(
  modelDir: string,
  inputs: TowerInputs,
): Promise<{
  readonly dim: number;
  /** MovieLens user id → row of `users`. */
  readonly userIndex: ReadonlyMap<number, number>;
  readonly users: Float32Array;
  readonly unknownUsers: number;
  readonly itemMovieIds: readonly number[];
  readonly items: Float32Array;
}> {
  // Loaded here, not at import: onnxruntime-node is a development dependency, and the CLI that
  // imports this module also runs where it is not installed (an npm-installed reelstream).
  const ort = await import('onnxruntime-node');
  const int64Tensor = (values: readonly number[], dims: number[]): Ort.Tensor =>
    new ort.Tensor('int64', BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  const userSession = await ort.InferenceSession.create(join(modelDir, 'user_tower.onnx'));
  const itemSession = await ort.InferenceSession.create(join(modelDir, 'item_tower.onnx'));
  try {
    const n = inputs.user.length;
    const historyLength = inputs.history[0]?.length ?? 0;
    const denseWidth = inputs.userDense[0]?.length ?? 0;
    const userOut = await userSession.run({
      user: int64Tensor(inputs.user, [n]),
      history: int64Tensor(inputs.history.flat(), [n, historyLength]),
      user_dense: new ort.Tensor('float32', Float32Array.from(inputs.userDense.flat()), [
        n,
        denseWidth,
      ]),
    });
    const users = userOut['user_vector'];
    if (users === undefined) {
      throw new Error('user_tower.onnx has no output user_vector');
    }
    // Items: the vocabulary's, by index (i + 1); those that are not MovieLens movies are left out.
    const rows = inputs.items.flatMap((videoId, i) => {
      const movieId = movieIdOfVideo(videoId);
      return movieId === undefined ? [] : [{ movieId, index: i + 1 }];
    });
    const itemDenseWidth = inputs.itemDense[0]?.length ?? 0;
    const itemOut = await itemSession.run({
      item: int64Tensor(
        rows.map((r) => r.index),
        [rows.length],
      ),
      item_dense: new ort.Tensor(
        'float32',
        Float32Array.from(rows.flatMap((r) => inputs.itemDense[r.index] ?? [])),
        [rows.length, itemDenseWidth],
      ),
    });
    const items = itemOut['item_vector'];
    if (items === undefined) {
      throw new Error('item_tower.onnx has no output item_vector');
    }
    const userIndex = new Map<number, number>();
    inputs.userIds.forEach((userId, row) => {
      const id = userIdOfUser(userId);
      if (id !== undefined) {
        userIndex.set(id, row);
      }
    });
    return {
      dim: Number(users.dims[1]),
      userIndex,
      users: users.data as Float32Array,
      unknownUsers: inputs.user.filter((u) => u === 0).length,
      itemMovieIds: rows.map((r) => r.movieId),
      items: items.data as Float32Array,
    };
  } finally {
    await userSession.release();
    await itemSession.release();
  }
}

/**
 * The training part's examples (before the cut-off) in `<dir>/train/`, and one virtual example
 * per MovieLens user at the cut-off in `<dir>/at-cutoff/`: a 3★ rating of the first movie at the
 * first whole second at or after the cut-off, whose features are the user's as of just before
 * it. Nothing at or after the cut-off is replayed but these.
 */
async function exportWithVirtualExamples(
  options: TwoTowerTrainingOptions & { readonly dir: string },
): Promise<void> {
  const { log, data, dir } = options;
  const atSeconds = Math.ceil(options.cutoffMs / 1000);
  const firstMovie = Math.min(...data.movies.keys());
  const userIds = [...data.users.keys()].sort((a, b) => a - b);
  const virtual: MovieLensRating[] = userIds.map((userId) => ({
    userId,
    movieId: firstMovie,
    rating: 3,
    timestamp: atSeconds,
  }));
  const temporary = `${dir}.tmp`;
  rmSync(temporary, { recursive: true, force: true });
  const atCutoff: TrainingExample[] = [];
  log(
    `two-tower: exporting the ${options.train.length} training ratings through the training-examples job ` +
      `(in-process, no Kafka), with a virtual example at the cut-off for each of ${userIds.length} users`,
  );
  const summary = await exportMovieLensExamples({
    data: { ...data, ratings: [...options.train, ...virtual] },
    outDir: join(temporary, 'train'),
    writes: (example) => example.exampleTime < options.cutoffMs,
    onExamples: (examples) => {
      atCutoff.push(...examples.filter((e) => e.exampleTime >= options.cutoffMs));
    },
  });
  const users = new Set(atCutoff.map((e) => e.userId));
  if (atCutoff.length !== userIds.length || users.size !== userIds.length) {
    throw new Error(
      `two-tower: ${atCutoff.length} virtual examples for ${users.size} of ${userIds.length} users`,
    );
  }
  mkdirSync(join(temporary, 'at-cutoff'), { recursive: true });
  writeFileSync(
    join(temporary, 'at-cutoff', 'examples-at-cutoff.arrow'),
    examplesToArrowFile(
      atCutoff.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0)),
    ),
  );
  writeFileSync(join(temporary, 'complete'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(temporary, dir);
  log(
    `two-tower: ${summary.examples - atCutoff.length} training examples in ${summary.files.length} files ` +
      `and ${atCutoff.length} at the cut-off, ${summary.seconds.toFixed(1)} s`,
  );
}

/**
 * The cache key of the examples: the data (ratings of the training part, movies, users), the
 * cut-off, and the code that computes the examples.
 */
function examplesKey(options: TwoTowerTrainingOptions): string {
  const data = JSON.stringify({
    cutoffMs: options.cutoffMs,
    train: options.train.map((r) => [r.userId, r.movieId, r.rating, r.timestamp]),
    movies: [...options.data.movies.values()].sort((a, b) => a.movieId - b.movieId),
    users: [...options.data.users.keys()].sort((a, b) => a - b),
  });
  const code = exporterCode.map((path) => readFileSync(join(repositoryRoot(), path), 'utf8'));
  return `${new Date(options.cutoffMs).toISOString().slice(0, 10)}-${hashOf([virtualExamplesVersion, data, ...code])}`;
}

/** Bumped when the virtual examples at the cut-off change (exportWithVirtualExamples). */
const virtualExamplesVersion = '1';

/** The files whose change changes the examples (the cache key reads them). */
const exporterCode = [
  'jobs/training/exportExamples.ts',
  'jobs/training/arrowExamples.ts',
  'jobs/replay/ratingEvents.ts',
  'jobs/replay/replayPlan.ts',
  'jobs/replay/catalogEvents.ts',
  'pipelines/trainingExamples.ts',
  'pipelines/userFeatures.ts',
  'pipelines/watchSessions.ts',
];

function trainerCode(): string {
  return [
    'train.py',
    'examples.py',
    'two_tower.py',
    'mmoe.py',
    'fit.py',
    'calibration.py',
    'export.py',
  ]
    .map((name) => readFileSync(join(repositoryRoot(), 'jobs/training/trainer', name), 'utf8'))
    .join('\n');
}

function hashOf(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(createHash('sha256').update(part).digest());
  }
  return hash.digest('hex').slice(0, 16);
}

function fileDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function defaultCacheDir(): string {
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(cache, 'reelstream', 'evaluation-two-tower');
}

function moduleDir(): string {
  // twoTowerInputs.py sits beside this file in the source tree (dist/ has no .py files).
  const here = dirname(fileURLToPath(import.meta.url));
  return existsSync(join(here, 'twoTowerInputs.py'))
    ? here
    : join(repositoryRoot(), 'jobs', 'evaluation');
}

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'jobs', 'evaluation', 'twoTowerInputs.py'))) {
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('twoTower: jobs/evaluation/twoTowerInputs.py not found');
}
