import { join } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { runOfflineEvaluation, servedPairs } from '../evaluation/offlineEvaluation.js';
import { bestBaseline, formatPooledTables, type CutoffRun } from '../evaluation/pooledTables.js';
import { servedFunnelName } from '../evaluation/servedFunnel.js';
import { defaultCutoffMs, defaultValidationDays } from '../evaluation/timeSplit.js';
import { defaultMovieLensDir } from '../replay/movieLensLoader.js';
import { positiveInt } from './argumentParsers.js';

/**
 * `reelstream evaluate`: the offline table on the MovieLens-100K time split: the served
 * recommender (through the real pipelines and serving path) and four baselines tuned on a
 * validation window at the end of the training part (docs/evaluation.md).
 */
export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description(
      'offline evaluation on MovieLens-100K: tune most-popular, recency-decayed popularity, EASE and ItemKNN on a validation window at the end of the training part, replay the training part through the feature pipelines on a throwaway local stack (choosing the served blend on the validation window, asked at its start), ask the serving path for every test user, and print Recall@10/50, NDCG@10 and coverage@10 (any rating and 4★+ relevant) with bootstrap intervals and paired differences against the best baseline',
    )
    .option(
      '--data <dir>',
      'MovieLens-100K folder (u.data, u.item, u.user, u.genre)',
      defaultMovieLensDir,
    )
    .addOption(
      new Option(
        '--cutoff <time>',
        'train before this time, test after: an ISO 8601 date or time (UTC unless it says otherwise) or Unix epoch milliseconds; several (repeated or comma-separated): each evaluated in turn, then the paired differences of users with history pooled over them',
      )
        .argParser(cutoffTimes)
        .default(
          defaultCutoffs,
          `${new Date(defaultCutoffMs).toISOString().slice(0, 10)}, ${defaultCutoffMs} ms`,
        ),
    )
    .option('--test-days <n>', 'days after the cut-off to test on (default: all)', positiveInt)
    .option(
      '--validation-days <n>',
      'days at the end of the training part to tune the baselines on',
      positiveInt,
      defaultValidationDays,
    )
    .option(
      '--baselines-only',
      'the in-process rows only (baselines and two-tower): no stack, no serving path',
    )
    .option(
      '--no-two-tower',
      'leave out the two-tower row (trained on the training part; needs the trainer environment)',
    )
    .option(
      '--lists <file>',
      'where every recommender’s lists are kept and the previous run’s are compared with (default: under the evaluation state); with several cut-offs, a folder of one file per cut-off',
    )
    .option('--kafka-port <port>', 'port of the evaluation stack’s broker', positiveInt, 9192)
    .option('--registry-port <port>', 'port of the evaluation stack’s registry', positiveInt, 8181)
    .action(
      async (flags: {
        data: string;
        cutoff: readonly number[];
        testDays?: number;
        validationDays: number;
        baselinesOnly?: boolean;
        twoTower: boolean;
        lists?: string;
        kafkaPort: number;
        registryPort: number;
      }) => {
        const settings = stackSettingsFromEnv();
        const home = join(settings.stateDir, '..');
        const log = (line: string): void => {
          process.stdout.write(`${line}\n`);
        };
        const runs: CutoffRun[] = [];
        for (const [index, cutoffMs] of flags.cutoff.entries()) {
          if (flags.cutoff.length > 1) {
            log(
              `${index === 0 ? '' : '\n'}== cut-off ${index + 1} of ${flags.cutoff.length}: ${new Date(cutoffMs).toISOString().slice(0, 10)} ==`,
            );
          }
          const evaluation = await runOfflineEvaluation({
            dataDir: flags.data,
            cutoffMs,
            ...(flags.testDays === undefined ? {} : { testDays: flags.testDays }),
            validationDays: flags.validationDays,
            serving: flags.baselinesOnly !== true,
            twoTower: flags.twoTower,
            listsFile:
              flags.lists === undefined || flags.cutoff.length > 1
                ? join(
                    flags.lists === undefined ? join(home, 'evaluation-lists') : flags.lists,
                    `${cutoffMs}-${flags.testDays ?? 'all'}-${flags.validationDays}.json`,
                  )
                : flags.lists,
            stack: {
              ...settings,
              stateDir: join(home, 'evaluation-stack'),
              kafkaPort: flags.kafkaPort,
              controllerPort: flags.kafkaPort + 1,
              registryPort: flags.registryPort,
            },
            workDir: join(home, 'evaluation-state'),
            log,
          });
          log('');
          log(evaluation.table);
          runs.push(evaluation.run);
        }
        if (runs.length > 1) {
          log('');
          log(formatPooledTables(runs, pooledPairs));
        }
      },
    );
}

/** The pooled table's rows: the funnel against the best baseline, and the served pairs. */
const pooledPairs: readonly (readonly [string, string])[] = [
  [servedFunnelName, bestBaseline],
  ...servedPairs,
];

const defaultCutoffs: readonly number[] = [defaultCutoffMs];

/**
 * `--cutoff`'s parser: each use adds its cut-offs (comma-separated) to the ones before it, the
 * first use replacing the default. Refuses the same cut-off twice.
 */
export function cutoffTimes(raw: string, previous: readonly number[]): readonly number[] {
  const before = previous === defaultCutoffs ? [] : previous;
  const added = raw.split(',').map(cutoffTime);
  const all = [...before, ...added];
  const repeated = all.find((cutoff, index) => all.indexOf(cutoff) !== index);
  if (repeated !== undefined) {
    throw new InvalidArgumentError(
      `the cut-off ${new Date(repeated).toISOString()} is given twice`,
    );
  }
  return all;
}

/**
 * A cut-off as Unix epoch milliseconds: digits alone are milliseconds (what `--help` prints as
 * the default), `YYYY-MM-DD` is midnight UTC, and any other ISO 8601 time is parsed as written
 * (UTC when it names no zone).
 */
export function cutoffTime(raw: string): number {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text);
    if (!Number.isSafeInteger(ms)) {
      throw new InvalidArgumentError(`"${raw}" is too large for epoch milliseconds`);
    }
    return ms;
  }
  const isoDay = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const value =
    /^\d{4}-\d{2}-\d{2}T/.test(text) || isoDay
      ? Date.parse(isoDay ? `${text}T00:00:00Z` : zoned ? text : `${text}Z`)
      : NaN;
  if (Number.isNaN(value)) {
    throw new InvalidArgumentError(
      `"${raw}" is neither an ISO 8601 date or time (e.g. 1998-03-08, 1998-03-08T12:00:00Z) nor epoch milliseconds (e.g. ${defaultCutoffMs})`,
    );
  }
  return value;
}
