import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { Command, Option } from 'commander';

import { defaultExamplesDir } from '../training/exportExamplesCommand.js';
import { positiveInt } from './argumentParsers.js';

/** Which models `reelstream train` trains. */
export type TrainModel = 'two-tower' | 'mmoe' | 'both';

export interface TrainOptions {
  /** Folder of the Arrow example files (`reelstream export-examples`). */
  readonly examples: string;
  /** Folder the models go to: `<out>/two-tower/`, `<out>/mmoe/`. */
  readonly out: string;
  readonly epochs: number;
  readonly model: TrainModel;
  /** More trainer flags, passed as they are (`--dim 8`, `--seed 7`...: `train.py --help`). */
  readonly extraArgs?: readonly string[];
}

/** The trainer's last stdout line: what it trained, where, how well and how fast. */
export interface TrainSummary {
  readonly version: string;
  readonly trainingSeconds: number;
  readonly models: Readonly<
    Record<
      string,
      {
        readonly dir: string;
        readonly trainingSeconds: number;
        readonly metrics: Readonly<Record<string, number | null>>;
      }
    >
  >;
}

export type TrainResult =
  | { readonly ok: true; readonly summary: TrainSummary }
  | {
      readonly ok: false;
      /** 2: the trainer's Python environment is missing; 1: the trainer failed. */
      readonly exitCode: 1 | 2;
      readonly reason: string;
    };

/**
 * `reelstream train`: trains the two-tower retrieval model and the MMoE ranker from the
 * exported examples in the trainer's Python (jobs/training/trainer/, docs/training.md) and
 * writes each as ONNX with a manifest. Exit code 0 when trained, 2 without the trainer's
 * Python environment, 1 when the trainer fails.
 */
export function trainCommand(): Command {
  return new Command('train')
    .description(
      'train the two-tower retrieval model and the MMoE ranker from the exported Arrow examples (PyTorch on CPU) and write them as ONNX with a manifest',
    )
    .option('--examples <dir>', 'folder of the Arrow example files', defaultExamplesDir())
    .option('--out <dir>', 'folder for the models', defaultModelsDir())
    .option('--epochs <n>', 'passes over the training examples', positiveInt, 5)
    .addOption(
      new Option('--model <model>', 'which models to train')
        .choices(['two-tower', 'mmoe', 'both'])
        .default('both'),
    )
    .argument('[trainerArgs...]', 'more trainer flags after --, e.g. -- --dim 16 --seed 7')
    .action(async (trainerArgs: string[], flags: TrainFlags) => {
      const log = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const result = await train(
        {
          examples: resolve(flags.examples),
          out: resolve(flags.out),
          epochs: flags.epochs,
          model: flags.model,
          extraArgs: trainerArgs,
        },
        log,
      );
      if (!result.ok) {
        process.stderr.write(`error: ${result.reason}\n`);
        process.exitCode = result.exitCode;
        return;
      }
      for (const line of summaryLines(result.summary)) {
        log(line);
      }
    });
}

interface TrainFlags {
  readonly examples: string;
  readonly out: string;
  readonly epochs: number;
  readonly model: TrainModel;
}

/** `$XDG_CACHE_HOME/reelstream/models`, `~/.cache/...` by default. */
export function defaultModelsDir(): string {
  return join(cacheDir(), 'reelstream', 'models');
}

function cacheDir(): string {
  return process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
}

/** The repository root: jobs/cli/ is two levels down (three from dist/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'jobs', 'training', 'trainer', 'train.py'))) {
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('trainCommand: jobs/training/trainer/train.py not found');
}

const setupHint =
  'set it up with `bash deploy/local/setup/trainerDeps.sh` (Debian python3-torch and a venv with pyarrow; part of `npm run demo` / `npm test` set-up)';

/**
 * The trainer's python (deploy/local/setup/trainerDeps.sh's venv, `$REELSTREAM_TRAINER_VENV`
 * if set), or why it cannot be used. Looks only: installing is the set-up's job.
 */
export function trainerPython(): { readonly python: string } | { readonly missing: string } {
  const venv =
    process.env['REELSTREAM_TRAINER_VENV'] ?? join(cacheDir(), 'reelstream', 'trainer-venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    return { missing: `the trainer's Python environment is not in ${venv}; ${setupHint}` };
  }
  const probe = spawnSync(python, ['-c', 'import torch, numpy, pyarrow'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.status !== 0) {
    const why = probe.stderr.trim().split('\n').pop() ?? `exit ${String(probe.status)}`;
    return { missing: `${python} cannot import torch, numpy and pyarrow (${why}); ${setupHint}` };
  }
  return { python };
}

/**
 * Runs the trainer, passing each progress line to `log` as it comes, and returns its summary
 * (the last stdout line, JSON). Its stderr is passed on too: a Python traceback is the reason
 * the run failed.
 */
export async function train(
  options: TrainOptions,
  log: (line: string) => void,
): Promise<TrainResult> {
  const found = trainerPython();
  if ('missing' in found) {
    return { ok: false, exitCode: 2, reason: found.missing };
  }
  const script = join(repositoryRoot(), 'jobs', 'training', 'trainer', 'train.py');
  const args = [
    script,
    '--examples',
    options.examples,
    '--out',
    options.out,
    '--epochs',
    String(options.epochs),
    '--model',
    options.model,
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(found.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let last = '';
  const stderr: string[] = [];
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (last !== '') {
      log(last);
    }
    last = line;
  });
  const errors = createInterface({ input: child.stderr });
  errors.on('line', (line) => {
    stderr.push(line);
    log(line);
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  if (code !== 0) {
    if (last !== '') {
      log(last);
    }
    const tail = stderr.slice(-1)[0] ?? '';
    return { ok: false, exitCode: 1, reason: `the trainer exited with ${String(code)}: ${tail}` };
  }
  try {
    return { ok: true, summary: JSON.parse(last) as TrainSummary };
  } catch {
    return {
      ok: false,
      exitCode: 1,
      reason: `the trainer's last line is not its summary: ${last}`,
    };
  }
}

/** Training time and metrics, one line each model. */
export function summaryLines(summary: TrainSummary): string[] {
  const lines = [`trained in ${summary.trainingSeconds.toFixed(1)} s (version ${summary.version})`];
  for (const [name, model] of Object.entries(summary.models)) {
    const metrics = Object.entries(model.metrics)
      .map(([key, value]) => `${key} ${value === null ? 'n/a' : formatMetric(value)}`)
      .join(', ');
    lines.push(`${name}: ${model.trainingSeconds.toFixed(1)} s, ${metrics}; in ${model.dir}`);
  }
  return lines;
}

function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
