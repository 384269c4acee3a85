import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import { train, trainerPython } from '../cli/trainCommand.js';
import { examplesToArrowFile } from '../training/arrowExamples.js';
import { generatedExamples } from '../training/generatedExamples.js';
import { procfsProcess, type MeasuredProcess } from './resourceSampler.js';

/**
 * The demo's two-tower model: a quick bootstrap on the demo's own kind of traffic. The traffic
 * generator with the demo's seed (so the same users `u-<i>` and catalogue videos `v-<i>`) runs
 * offline for {@link bootstrapEvents} events, from a fixed start time, through the
 * training-examples job on the TestDriver (no Kafka): each impression that a watch end follows
 * within 10 minutes is an example with the user's features just before it. The generator has no
 * stars, so a watch stands for them by how much of the video was watched (ratingOfWatch: 4★ or
 * more from 40 %, the trainer's positives). Then `reelstream train`'s code trains the two-tower
 * model (5 epochs, seed 19). Cached by the seed, the size and the code under
 * `~/.cache/reelstream/demo-two-tower/<key>/`; a later demo run reuses it.
 *
 * Videos uploaded during the demo are not in its vocabulary: the item tower gives them the
 * unknown item's embedding and their duration (the model has no other item input yet).
 */

/** Events of generated traffic the bootstrap model learns from. */
export const bootstrapEvents = 90_000;

/** Event rate of the bootstrap traffic (events per second of event time). */
const bootstrapRate = 300;

/** Its fixed start: the cache does not depend on the day. */
const bootstrapStart = Date.UTC(2026, 0, 5, 12);

/** Training epochs of the demo's model. */
const bootstrapEpochs = 5;

/** The stars a generated watch stands for: 5★ from 80 % watched, 4★ from 40 %, 3★, 2★ under 15 %. */
export function ratingOfWatch(watch: Pick<WatchEnd, 'watchedMs' | 'videoDurationMs'>): number {
  const ratio = watch.videoDurationMs > 0 ? watch.watchedMs / watch.videoDurationMs : 0;
  return ratio >= 0.8 ? 5 : ratio >= 0.4 ? 4 : ratio >= 0.15 ? 3 : 2;
}

export type DemoModel =
  | { readonly ok: true; readonly modelDir: string; readonly cached: boolean }
  | { readonly ok: false; readonly reason: string };

/** The demo's two-tower model, trained unless cached; or why there is none (no trainer). */
export async function demoTwoTowerModel(options: {
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
    join(
      process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'),
      'reelstream',
      'demo-two-tower',
    );
  const key = hashOf([
    String(options.seed),
    String(bootstrapEvents),
    String(bootstrapRate),
    String(bootstrapStart),
    String(bootstrapEpochs),
    ...codeFiles.map((path) => readFileSync(join(repositoryRoot(), path), 'utf8')),
  ]);
  const dir = join(root, `seed-${options.seed}-${key}`);
  const modelDir = join(dir, 'model', 'two-tower');
  if (existsSync(join(modelDir, 'manifest.json'))) {
    log(`two-tower: the demo's model from the cache (${modelDir})`);
    return { ok: true, modelDir, cached: true };
  }
  const started = performance.now();
  rmSync(dir, { recursive: true, force: true });
  const examples = await bootstrapExamples(options.seed);
  mkdirSync(join(dir, 'train'), { recursive: true });
  await writeFile(join(dir, 'train', 'examples.arrow'), examplesToArrowFile(examples));
  log(
    `two-tower: ${examples.length} training examples from ${bootstrapEvents} events of generated traffic (seed ${options.seed}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const trained = await train(
    {
      examples: join(dir, 'train'),
      out: join(dir, 'model.tmp'),
      epochs: bootstrapEpochs,
      model: 'two-tower',
      extraArgs: ['--seed', '19', '--validation-fraction', '0', '--threads', '2'],
    },
    (line) => log(`  ${line}`),
  );
  if (!trained.ok) {
    return { ok: false, reason: trained.reason };
  }
  renameSync(join(dir, 'model.tmp'), join(dir, 'model'));
  log(
    `two-tower: the demo's model trained in ${((performance.now() - started) / 1000).toFixed(1)} s in all (${modelDir})`,
  );
  return { ok: true, modelDir, cached: false };
}

/** The generated traffic through the training-examples job, in process (label join). */
async function bootstrapExamples(seed: number): Promise<TrainingExample[]> {
  return generatedExamples({
    seed,
    events: bootstrapEvents,
    rate: bootstrapRate,
    startTime: bootstrapStart,
    labels: { ratingOf: ratingOfWatch },
  });
}

const codeFiles = [
  'jobs/demo/demoTwoTower.ts',
  'jobs/generator/trafficGenerator.ts',
  'jobs/generator/builtInPopulation.ts',
  'jobs/training/arrowExamples.ts',
  'jobs/training/generatedExamples.ts',
  'pipelines/trainingExamples.ts',
  'pipelines/feedbackWindow.ts',
  'pipelines/userFeatures.ts',
  'jobs/training/trainer/train.py',
  'jobs/training/trainer/examples.py',
  'jobs/training/trainer/two_tower.py',
];

/** 16 hex digits of a SHA-256 over the parts' own hashes: a cache key. */
export function hashOf(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(createHash('sha256').update(part).digest());
  }
  return hash.digest('hex').slice(0, 16);
}

/** The checkout this code runs from (sources or dist/), found by the trainer's train.py. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'jobs', 'training', 'trainer', 'train.py'))) {
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('demoTwoTower: jobs/training/trainer/train.py not found');
}

/** How long the embedding jobs may take to start and open their query endpoint. */
const startTimeoutMs = 120_000;

/**
 * The item embedding jobs of the demo's model as a process of their own
 * (`jobs/embeddings/embeddingsProcess.ts`, as deployed): the item tower over `catalog.videos`
 * into `embeddings.items`, and that topic into vector shards answering searches on a loopback
 * endpoint. Logs to `logFile`; reports the shards' indexed count and, for videos with the
 * `freshPrefix`, the time from their upload event until they were searchable in their shard.
 */
export class EmbeddingsProcess {
  /** Upload event → searchable in its shard, ms, per video id with the fresh prefix. */
  readonly searchable = new Map<string, number>();
  #indexed = 0;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #running = true;

  private constructor(child: ChildProcess, exited: Promise<void>) {
    this.#child = child;
    this.#exited = exited.then(() => {
      this.#running = false;
    });
  }

  get indexed(): number {
    return this.#indexed;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The process for the demo's samples: CPU and RSS from procfs. */
  measured(name: string): MeasuredProcess {
    return procfsProcess(name, this.#child.pid);
  }

  static async start(options: {
    modelDir: string;
    stateDir: string;
    logFile: string;
    freshPrefix: string;
  }): Promise<{ process: EmbeddingsProcess; queryEndpoint: string }> {
    const here = fileURLToPath(import.meta.url);
    const script = join(dirname(here), '..', 'embeddings', `embeddingsProcess${extname(here)}`);
    const log = createWriteStream(options.logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        script,
        ...['--model-dir', options.modelDir, '--state-dir', options.stateDir],
        ...['--index', 'Flat', '--query-endpoint', '127.0.0.1:0'],
        ...['--report-searchable', options.freshPrefix],
      ],
      // An IPC channel only so that the child sees the demo go: killed alone, the demo left it
      // running (and holding its partitions) until someone found it.
      {
        env: { UV_THREADPOOL_SIZE: '8', ...process.env },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    child.stderr?.pipe(log);
    const exited = once(child, 'exit').then(() => undefined);
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    const instance = new EmbeddingsProcess(child, exited);
    const ready = new Promise<string>((resolveReady, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the embedding jobs did not start within ${startTimeoutMs / 1000} s`));
      }, startTimeoutMs);
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        const endpoint = /shards answer searches on (\S+)/.exec(line)?.[1];
        if (endpoint !== undefined) {
          clearTimeout(timer);
          resolveReady(endpoint);
          return;
        }
        const indexed = /^SHARDS_INDEXED (\d+)$/.exec(line);
        if (indexed !== null) {
          instance.#indexed = Number(indexed[1]);
          return;
        }
        const fresh = /^SEARCHABLE (\S+) (-?\d+)$/.exec(line);
        if (fresh !== null) {
          instance.searchable.set(fresh[1] ?? '', Number(fresh[2]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `the embedding jobs exited while starting (${signal ?? `code ${String(code)}`}); see ${options.logFile}`,
          ),
        );
      });
    });
    return { process: instance, queryEndpoint: await ready };
  }

  /** Stops both jobs gracefully (SIGTERM), killing the process after 60 s. */
  async stop(): Promise<void> {
    if (!this.#running) {
      return;
    }
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 60_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
