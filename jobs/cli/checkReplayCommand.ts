import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { Command } from 'commander';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { runReplayPointChecks } from '../evaluation/replayPointChecks.js';
import { withThrowawayStack } from '../evaluation/throwawayStack.js';
import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../replay/movieLensLoader.js';
import { positiveInt } from './argumentParsers.js';

/**
 * `reelstream check-replay`: MovieLens replayed at full speed through every feature pipeline on
 * a throwaway stack, with user features compared with a batch computation at random (user,
 * time) points. Exit code 0 when every point is equal, 1 when one is not, 2 without the data.
 */
export function checkReplayCommand(): Command {
  return new Command('check-replay')
    .description(
      'replay MovieLens-100K at full speed through every feature pipeline on a throwaway local stack; at random (user, time) points compare the user features the job holds with a batch computation over the same events',
    )
    .option('--data <dir>', 'MovieLens-100K folder', defaultMovieLensDir)
    .option('--points <n>', 'random (user, time) points to check', positiveInt, 20)
    .option('--seed <n>', 'seed of the points', positiveInt, 7)
    .option('--kafka-port <port>', 'port of the throwaway stack’s broker', positiveInt, 9192)
    .option('--registry-port <port>', 'port of the throwaway stack’s registry', positiveInt, 8181)
    .action(async (flags: CheckReplayFlags) => {
      process.exitCode = await checkReplay(flags);
    });
}

interface CheckReplayFlags {
  readonly data: string;
  readonly points: number;
  readonly seed: number;
  readonly kafkaPort: number;
  readonly registryPort: number;
}

async function checkReplay(flags: CheckReplayFlags): Promise<number> {
  const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  if (!(await movieLensAvailable(flags.data))) {
    log(`MovieLens-100K is not in ${flags.data} (see ../shared/data/README.md); nothing checked`);
    return 2;
  }
  const data = await loadMovieLens(flags.data);
  log(
    `MovieLens: ${data.ratings.length} ratings, ${data.users.size} users, ${data.movies.size} movies`,
  );
  const settings = stackSettingsFromEnv();
  const home = join(settings.stateDir, '..');
  const workDir = join(home, 'point-check-state');
  rmSync(workDir, { recursive: true, force: true });
  const stack = {
    ...settings,
    stateDir: join(home, 'point-check-stack'),
    kafkaPort: flags.kafkaPort,
    controllerPort: flags.kafkaPort + 1,
    registryPort: flags.registryPort,
  };
  const summary = await withThrowawayStack(stack, { name: 'point-check', log }, (connection) =>
    runReplayPointChecks({
      connection,
      data,
      points: flags.points,
      seed: flags.seed,
      workDir,
      log,
    }),
  );
  const equal = summary.points.filter((p) => p.differences.length === 0).length;
  log('');
  log(
    `replay        ${summary.records} records written in ${summary.replaySeconds.toFixed(1)} s ` +
      `(${Math.round(summary.records / summary.replaySeconds)} records/s)`,
  );
  log(
    `feature job   caught up ${summary.catchUpSeconds.toFixed(1)} s after the writes (summed over the points and the end); ` +
      `${Math.round(summary.records / (summary.replaySeconds + summary.catchUpSeconds))} records/s end to end`,
  );
  log(
    `points        ${equal} of ${summary.points.length} equal the batch computation ` +
      `(creator bound raised to ${summary.creatorLimit} on both sides: every movie is its own creator)`,
  );
  return equal === summary.points.length ? 0 : 1;
}
