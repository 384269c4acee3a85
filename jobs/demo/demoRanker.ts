import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { train, trainerPython } from '../cli/trainCommand.js';
import { examplesToArrowFile } from '../training/arrowExamples.js';
import { generatedExamples } from '../training/generatedExamples.js';
import type { MmoeRanker } from '../serving/mmoeRanker.js';
import { hashOf, repositoryRoot, type DemoModel } from './demoTwoTower.js';
import { SlowedRanker, type RankingSlowdown } from './rankingSlowdown.js';

/**
 * The demo's ranking model: the MMoE bootstrapped like the two-tower model (demoTwoTower.ts),
 * from the generator with the demo's seed run offline through the training-examples job, but
 * with a feedback window: every impression is an example once its window closed, labelled
 * `clicked` and `watchedMs`, so the model learns the generator's clicks and watch times (tasks
 * `click`, `watch_seconds`) and the position each was shown at. The trainer holds out the
 * last 10 % for validation (where it fits each binary task's calibration, shipped in the
 * manifest) and 10 % for its test report. Cached by the seed, the sizes and the code under
 * `~/.cache/reelstream/demo-ranker/<key>/`.
 */

/** Generated events the ranker learns from. */
const rankerEvents = 90_000;

/**
 * Events per second of event time: 90,000 events span 15 minutes, so with the 2-minute
 * window most impressions are labelled.
 */
const rankerRate = 100;

/** A click or watch end this long after its impression still labels it. */
const feedbackWindowMs = 2 * 60_000;

/** A fixed start: the cache does not depend on the day. */
const rankerStart = Date.UTC(2026, 0, 5, 12);

const rankerEpochs = 3;

const codeFiles = [
  'jobs/demo/demoRanker.ts',
  'jobs/generator/trafficGenerator.ts',
  'jobs/generator/builtInPopulation.ts',
  'jobs/training/arrowExamples.ts',
  'jobs/training/generatedExamples.ts',
  'pipelines/trainingExamples.ts',
  'pipelines/feedbackWindow.ts',
  'pipelines/userFeatures.ts',
  'jobs/training/trainer/train.py',
  'jobs/training/trainer/examples.py',
  'jobs/training/trainer/mmoe.py',
  'jobs/training/trainer/fit.py',
  'jobs/training/trainer/calibration.py',
  'jobs/training/trainer/export.py',
];

/** The demo's MMoE model folder, trained unless cached; or why there is none (no trainer). */
export async function demoRankerModel(options: {
  readonly seed: number;
  readonly cacheDir?: string;
  readonly log: (line: string) => void;
}): Promise<DemoModel> {
  const found = trainerPython();
  if ('missing' in found) {
    return { ok: false, reason: found.missing };
  }
  const { log } = options;
  const root =
    options.cacheDir ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'reelstream', 'demo-ranker');
  const key = hashOf([
    ...[options.seed, rankerEvents, rankerRate, feedbackWindowMs, rankerStart, rankerEpochs].map(
      String,
    ),
    ...codeFiles.map((path) => readFileSync(join(repositoryRoot(), path), 'utf8')),
  ]);
  const dir = join(root, `seed-${options.seed}-${key}`);
  const modelDir = join(dir, 'model', 'mmoe');
  if (existsSync(join(modelDir, 'manifest.json'))) {
    log(`ranker: the demo's MMoE model from the cache (${modelDir})`);
    return { ok: true, modelDir, cached: true };
  }
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  const examples = await generatedExamples({
    seed: options.seed,
    events: rankerEvents,
    rate: rankerRate,
    startTime: rankerStart,
    labels: { feedbackWindowMs },
  });
  mkdirSync(join(dir, 'train'), { recursive: true });
  await writeFile(join(dir, 'train', 'examples.arrow'), examplesToArrowFile(examples));
  log(
    `ranker: ${examples.length} impressions labelled within ${feedbackWindowMs / 60_000} min from ${rankerEvents} events of generated traffic in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const trained = await train(
    {
      examples: join(dir, 'train'),
      out: join(dir, 'model.tmp'),
      epochs: rankerEpochs,
      model: 'mmoe',
      extraArgs: [
        ...['--seed', '19', '--threads', '2'],
        ...['--validation-fraction', '0.1', '--test-fraction', '0.1'],
      ],
    },
    (line) => log(`  ${line}`),
  );
  if (!trained.ok) {
    return { ok: false, reason: trained.reason };
  }
  try {
    renameSync(join(dir, 'model.tmp'), join(dir, 'model'));
  } catch (error) {
    // Another demo run trained the same model meanwhile (the same key: the same model).
    if (!existsSync(join(modelDir, 'manifest.json'))) {
      throw error;
    }
    rmSync(join(dir, 'model.tmp'), { recursive: true, force: true });
  }
  log(
    `ranker: the demo's MMoE model trained in ${((performance.now() - started) / 1000).toFixed(1)} s in all (${modelDir})`,
  );
  return { ok: true, modelDir, cached: false };
}

/** The demo's ranking stage: its model loaded, wrapped to count candidates and inject a slowdown. */
export interface DemoRanking {
  readonly ranker: SlowedRanker;
  /** Lines for the summary: the rankings' width, the pool's batches. */
  summary(): string[];
  stop(): Promise<void>;
}

/**
 * The demo's MMoE ranker (trained on a bootstrap or from the cache) in a worker pool, or
 * undefined, saying why, when `enabled` is false or the trainer's environment is missing.
 */
export async function startDemoRanking(options: {
  readonly seed: number;
  readonly enabled: boolean;
  readonly slowdown?: RankingSlowdown;
  /** When the demo's requests started (performance.now()): the slowdown's clock. */
  readonly startedAt: () => number;
  readonly log: (line: string) => void;
}): Promise<DemoRanking | undefined> {
  const { log } = options;
  if (!options.enabled) {
    log('ranker: off (--no-ranker): the blend ranks');
    return undefined;
  }
  const model = await demoRankerModel({ seed: options.seed, log }).catch((error: unknown) => ({
    ok: false as const,
    reason: error instanceof Error ? error.message : String(error),
  }));
  if (!model.ok) {
    log(`ranker: off, the blend ranks: ${model.reason}`);
    return undefined;
  }
  // Loaded only here: onnxruntime-node is not installed everywhere the CLI is.
  const { MmoeRanker: Mmoe } = await import('../serving/mmoeRanker.js');
  const mmoe: MmoeRanker = await Mmoe.open({ modelDir: model.modelDir });
  const ranker = new SlowedRanker(mmoe, options.slowdown, options.startedAt);
  const manifest = JSON.parse(readFileSync(join(model.modelDir, 'manifest.json'), 'utf8')) as {
    calibration?: Record<string, { method: string }>;
  };
  const calibrated = Object.entries(manifest.calibration ?? {})
    .map(([output, c]) => `${output} ${c.method}`)
    .join(', ');
  log(
    `ranker: MMoE ${mmoe.version} (outputs ${mmoe.outputs.join(', ')}; calibrated: ${calibrated || 'none'}) in a worker pool` +
      (options.slowdown === undefined
        ? ''
        : `; ${options.slowdown.delayMs} ms more per ranking from ${options.slowdown.atSeconds} s for ${options.slowdown.forSeconds} s of requests`),
  );
  return {
    ranker,
    summary: () => {
      const counts = ranker.counts();
      const pool = mmoe.stats();
      return [
        `  ranker                   ${counts.rankings} rankings (probes included) of ${counts.meanCandidates.toFixed(0)} candidates on average, at most ${counts.mostCandidates}; ` +
          `${pool.blocks} requests in ${pool.batches} ONNX runs (at most ${pool.largestBatchBlocks} requests merged in one)`,
      ];
    },
    stop: () => mmoe.close(),
  };
}
