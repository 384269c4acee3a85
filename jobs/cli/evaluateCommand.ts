import { join } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { runOfflineEvaluation } from '../evaluation/offlineEvaluation.js';
import { defaultCutoffMs } from '../evaluation/timeSplit.js';
import { defaultMovieLensDir } from '../replay/movieLensLoader.js';

/**
 * `reelstream evaluate`: the offline table, co-visitation recommender (through the real
 * pipelines and serving path) against most-popular on the MovieLens-100K time split.
 */
export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description(
      'offline evaluation on MovieLens-100K: replay the training part through the feature pipelines on a throwaway local stack, ask the serving path for every test user, print Recall@10/50 and NDCG@10 with bootstrap intervals beside most-popular',
    )
    .option(
      '--data <dir>',
      'MovieLens-100K folder (u.data, u.item, u.user, u.genre)',
      defaultMovieLensDir,
    )
    .option('--cutoff <date>', 'train before this UTC date, test after', isoDate, defaultCutoffMs)
    .option('--test-days <n>', 'days after the cut-off to test on (default: all)', positiveInt)
    .option('--kafka-port <port>', 'port of the evaluation stack’s broker', positiveInt, 9192)
    .option('--registry-port <port>', 'port of the evaluation stack’s registry', positiveInt, 8181)
    .action(
      async (flags: {
        data: string;
        cutoff: number;
        testDays?: number;
        kafkaPort: number;
        registryPort: number;
      }) => {
        const settings = stackSettingsFromEnv();
        const home = join(settings.stateDir, '..');
        const log = (line: string): void => {
          process.stdout.write(`${line}\n`);
        };
        const table = await runOfflineEvaluation({
          dataDir: flags.data,
          cutoffMs: flags.cutoff,
          ...(flags.testDays === undefined ? {} : { testDays: flags.testDays }),
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
        log(table);
      },
    );
}

function isoDate(raw: string): number {
  const value = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(value)) {
    throw new InvalidArgumentError(`"${raw}" is not an ISO 8601 date (e.g. 1998-03-08)`);
  }
  return value;
}

function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}
