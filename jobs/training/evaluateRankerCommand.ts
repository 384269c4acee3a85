import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { defaultModelsDir, train } from '../cli/trainCommand.js';
import { PartitionedExampleWriter } from './exampleFiles.js';
import { generatedExamples } from './generatedExamples.js';
import { rankerReport, type RankerManifest } from './rankerReport.js';

interface EvaluateRankerFlags {
  readonly examples?: string;
  readonly out: string;
  readonly generated: number;
  readonly seed: number;
  readonly rate: number;
  readonly feedbackWindowMinutes: number;
  readonly epochs: number;
  readonly validationFraction: number;
  readonly testFraction: number;
}

/** Fixed start of the generated traffic (as export-examples --generated): the day does not matter. */
const generatedStart = Date.UTC(2026, 0, 5, 6);

/**
 * `reelstream evaluate-ranker`: the ranker's offline evaluation on the generator's data with a
 * time split (docs/training.md): generated traffic through the training-examples job with a
 * feedback window (or `--examples`), the MMoE trained on the first part, its calibration fitted
 * on the validation window, and on the test window click PR-AUC, watch-time RMSE and ECE (15
 * equal-width bins) before and after calibration, with a reliability diagram PNG per binary task.
 * Exit code 0 when the report was printed, 2 without the trainer's environment, 1 on failure.
 */
export function evaluateRankerCommand(): Command {
  return new Command('evaluate-ranker')
    .description(
      'train the MMoE ranker on generated traffic with a time split and report click PR-AUC, watch-time RMSE and ECE before/after calibration on the test window, with a reliability diagram PNG',
    )
    .option('--examples <dir>', 'Arrow examples to use instead of generating them')
    .option(
      '--out <dir>',
      'folder for the examples and the model',
      join(defaultModelsDir(), 'ranker-evaluation'),
    )
    .option('--generated <events>', 'generator events to export', positiveInt, 200_000)
    .option('--seed <n>', 'generator seed', positiveInt, 7)
    .option('--rate <events/s>', 'generator events per second of event time', positiveInt, 20)
    .option('--feedback-window-minutes <n>', 'the labels’ feedback window', positiveInt, 10)
    .option('--epochs <n>', 'training epochs', positiveInt, 3)
    .option(
      '--validation-fraction <x>',
      'share of examples (by time) for calibration',
      fraction,
      0.15,
    )
    .option(
      '--test-fraction <x>',
      'last share of examples (by time) for the report',
      fraction,
      0.15,
    )
    .action(async (flags: EvaluateRankerFlags) => {
      process.exitCode = await evaluateRanker(flags);
    });
}

async function evaluateRanker(flags: EvaluateRankerFlags): Promise<number> {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const out = resolve(flags.out);
  let examples = flags.examples === undefined ? undefined : resolve(flags.examples);
  if (examples === undefined) {
    examples = join(out, 'examples');
    if (existsSync(examples)) {
      // Files are written once per partition: a second export into the folder would fail.
      log(`examples: reusing ${examples} (delete it to generate again)`);
    } else {
      const started = performance.now();
      const generated = await generatedExamples({
        seed: flags.seed,
        events: flags.generated,
        rate: flags.rate,
        startTime: generatedStart,
        labels: { feedbackWindowMs: flags.feedbackWindowMinutes * 60_000 },
      });
      const writer = new PartitionedExampleWriter(examples, { partitionMs: 3_600_000 });
      writer.add(generated);
      writer.close();
      log(
        `examples: ${generated.length} from ${flags.generated} generated events (seed ${flags.seed}, feedback window ${flags.feedbackWindowMinutes} min; ${generated.filter((e) => e.clicked === true).length} clicked) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  }
  const result = await train(
    {
      examples,
      out: join(out, 'model'),
      epochs: flags.epochs,
      model: 'mmoe',
      extraArgs: [
        ...['--validation-fraction', String(flags.validationFraction)],
        ...['--test-fraction', String(flags.testFraction)],
      ],
    },
    (line) => log(`  ${line}`),
  );
  if (!result.ok) {
    process.stderr.write(`error: ${result.reason}\n`);
    return result.exitCode;
  }
  const manifestPath = join(out, 'model', 'mmoe', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as RankerManifest;
  for (const line of rankerReport(manifest).lines) {
    log(line);
  }
  log(`model and manifest (calibration included): ${manifestPath}`);
  return 0;
}

function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}

function fraction(raw: string): number {
  const value = Number(raw);
  if (!(value > 0 && value < 0.5)) {
    throw new InvalidArgumentError(`"${raw}" is not a fraction between 0 and 0.5`);
  }
  return value;
}
