import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../replay/movieLensLoader.js';
import { PartitionedExampleWriter } from './exampleFiles.js';
import { exportMovieLensExamples } from './exportExamples.js';
import { generatedExamples } from './generatedExamples.js';

/**
 * `reelstream export-examples`: MovieLens-100K replayed in-process through the training-examples
 * job, each rating written with the user's features as of just before it, as Arrow IPC files
 * partitioned by day (docs/training.md). Exit code 0 when written, 2 without the data.
 * With `--generated N`, N events of the traffic generator instead, every impression labelled
 * by its feedback window (clicked, watched ms): the ranker's data.
 */
export function exportExamplesCommand(): Command {
  return new Command('export-examples')
    .description(
      'replay MovieLens-100K in-process through the training-examples job and write each rating with the user features as of just before it, as Apache Arrow IPC files partitioned by time',
    )
    .option('--data <dir>', 'MovieLens-100K folder', defaultMovieLensDir)
    .option('--out <dir>', 'folder of the Arrow files', defaultExamplesDir())
    .option(
      '--from <time>',
      'first rating time replayed: an ISO 8601 date or time (UTC) or Unix epoch milliseconds',
      timeArgument,
    )
    .option('--until <time>', 'replay the ratings before this time (same forms)', timeArgument)
    .option('--partition-hours <n>', 'hours of example time per file', positiveInt, 24)
    .option(
      '--generated <events>',
      'export this many events of the traffic generator instead of MovieLens: every impression, labelled clicked and watched once its feedback window closed',
      positiveInt,
    )
    .option('--seed <n>', 'generator seed (--generated)', positiveInt, 7)
    .option(
      '--rate <events/s>',
      'generator events per second of event time (--generated): lower spreads the events over more time',
      positiveInt,
      40,
    )
    .option(
      '--feedback-window-minutes <n>',
      'a click or watch end this long after its impression still labels it (--generated)',
      positiveInt,
      10,
    )
    .action(async (flags: ExportFlags) => {
      process.exitCode =
        flags.generated === undefined
          ? await exportExamples(flags)
          : await exportGenerated({ ...flags, generated: flags.generated });
    });
}

interface ExportFlags {
  readonly data: string;
  readonly out: string;
  readonly from?: number;
  readonly until?: number;
  readonly partitionHours: number;
  readonly generated?: number;
  readonly seed: number;
  readonly rate: number;
  readonly feedbackWindowMinutes: number;
}

/** Fixed start of the generated traffic: the same flags give the same files whatever the day. */
const generatedStart = Date.UTC(2026, 0, 5, 6);

async function exportGenerated(
  flags: ExportFlags & { readonly generated: number },
): Promise<number> {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const started = performance.now();
  const outDir = resolve(flags.out);
  log(
    `generator: ${flags.generated} events, seed ${flags.seed}, ${flags.rate} events/s, feedback window ${flags.feedbackWindowMinutes} min; writing examples to ${outDir}`,
  );
  const examples = await generatedExamples({
    seed: flags.seed,
    events: flags.generated,
    rate: flags.rate,
    startTime: generatedStart,
    labels: { feedbackWindowMs: flags.feedbackWindowMinutes * 60_000 },
    log,
  });
  const writer = new PartitionedExampleWriter(outDir, {
    partitionMs: flags.partitionHours * 3_600_000,
  });
  writer.add(examples);
  const files = writer.close();
  const clicked = examples.filter((e) => e.clicked === true).length;
  const watched = examples.filter((e) => e.watchedMs > 0).length;
  log(
    `${examples.length} examples (${clicked} clicked, ${watched} watched) in ${files.length} files, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

async function exportExamples(flags: ExportFlags): Promise<number> {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if (!(await movieLensAvailable(flags.data))) {
    log(`MovieLens-100K is not in ${flags.data} (see ../shared/data/README.md); nothing written`);
    return 2;
  }
  const data = await loadMovieLens(flags.data);
  const outDir = resolve(flags.out);
  log(`MovieLens: ${data.ratings.length} ratings; writing examples to ${outDir}`);
  const summary = await exportMovieLensExamples({
    data,
    outDir,
    ...(flags.from === undefined ? {} : { fromMs: flags.from }),
    ...(flags.until === undefined ? {} : { untilMs: flags.until }),
    partitionMs: flags.partitionHours * 3_600_000,
    log,
  });
  log(
    `${summary.examples} examples of ${summary.ratings} ratings (${summary.records} records replayed) ` +
      `in ${summary.files.length} files, ${summary.seconds.toFixed(1)} s`,
  );
  return 0;
}

/** `$XDG_CACHE_HOME/reelstream/training-examples`, `~/.cache/...` by default. */
export function defaultExamplesDir(): string {
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(cache, 'reelstream', 'training-examples');
}

/** `YYYY-MM-DD` (midnight UTC), another ISO 8601 time, or epoch milliseconds. */
export function timeArgument(raw: string): number {
  if (/^\d+$/.test(raw)) {
    return Number(raw);
  }
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `"${raw}" is neither an ISO 8601 date or time (e.g. 1998-03-08) nor epoch milliseconds`,
    );
  }
  return ms;
}

function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}
