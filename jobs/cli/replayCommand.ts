import { Command, InvalidArgumentError, Option } from 'commander';

import { connectionConfigFromEnv } from '../../operators/index.js';
import { KafkaReplaySink } from '../replay/kafkaReplaySink.js';
import { defaultMovieLensDir, loadMovieLens } from '../replay/movieLensLoader.js';
import { runReplay, type ReplaySummary } from '../replay/movieLensReplay.js';
import type { TimestampMode } from '../replay/replayClock.js';
import { replayEventKinds, replayTopics } from '../replay/replayEvent.js';
import { parseSpeed, type ReplaySpeed } from '../replay/replayPacer.js';
import { planReplay } from '../replay/replayPlan.js';
import { progressBar, silentProgress } from '../replay/replayProgress.js';
import { CountingSink, type ReplaySink } from '../replay/replaySink.js';

interface ReplayFlags {
  data: string;
  speed: ReplaySpeed;
  from?: number;
  until?: number;
  timestamps: TimestampMode;
  dryRun?: boolean;
  topicPrefix?: string;
  progress: boolean;
}

/**
 * `reelstream replay`: MovieLens-100K replayed into the event topics, in time order, as
 * docs/replay.md describes (the rule from ratings to events, the order, the time shift).
 */
export function replayCommand(): Command {
  return new Command('replay')
    .description('replay MovieLens-100K ratings into the event topics, in timestamp order')
    .option(
      '--data <dir>',
      'MovieLens-100K folder (u.data, u.item, u.user, u.genre)',
      defaultMovieLensDir,
    )
    .option(
      '--speed <factor>',
      'data-set seconds per second, or "max"',
      speed,
      'max' as ReplaySpeed,
    )
    .option('--from <date>', 'only ratings at or after this UTC date/time (ISO 8601)', isoTime)
    .option('--until <date>', 'only ratings before this UTC date/time (ISO 8601)', isoTime)
    .addOption(
      new Option('--timestamps <mode>', 'record times: shifted to end about a day ago, or original')
        .choices(['shifted', 'original'])
        .default('shifted'),
    )
    .option('--dry-run', 'read, order and map the data set, count the records, write nothing')
    .option('--topic-prefix <prefix>', 'write to <prefix><topic> instead of the live topics')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: ReplayFlags) => {
      const log = (line: string): void => {
        process.stdout.write(`${line}\n`);
      };
      const data = await loadMovieLens(flags.data);
      const range: { fromMs?: number; untilMs?: number } = {};
      if (flags.from !== undefined) {
        range.fromMs = flags.from;
      }
      if (flags.until !== undefined) {
        range.untilMs = flags.until;
      }
      const plan = planReplay(data, { mode: flags.timestamps, nowMs: Date.now(), ...range });
      log(
        `MovieLens: ${data.ratings.length} ratings, ${data.movies.size} movies, ${data.users.size} users in ${flags.data}; replaying ${plan.ratings.length} ratings at speed ${String(flags.speed)}`,
      );
      if (plan.offsetMs !== 0) {
        log(`times shifted by ${plan.offsetMs / 86_400_000} days`);
      }
      const sink: ReplaySink =
        flags.dryRun === true
          ? new CountingSink()
          : await KafkaReplaySink.open(connectionConfigFromEnv(), {
              topicPrefix: flags.topicPrefix ?? '',
              oldestRecordMs: plan.catalogTimeMs,
              log,
            });
      try {
        const summary = await runReplay({
          plan,
          sink,
          speed: flags.speed,
          progress: flags.progress ? progressBar() : silentProgress,
        });
        printSummary(summary, {
          log,
          dryRun: flags.dryRun === true,
          topicPrefix: flags.topicPrefix ?? '',
        });
      } finally {
        await sink.close();
      }
    });
}

function printSummary(
  summary: ReplaySummary,
  options: { log: (line: string) => void; dryRun: boolean; topicPrefix: string },
): void {
  const { log } = options;
  const seconds = summary.elapsedMs / 1000;
  log(
    `${options.dryRun ? 'mapped (dry run, nothing written)' : 'wrote'} ${summary.records} records for ${summary.ratings} ratings in ${seconds.toFixed(1)} s (${Math.round(summary.records / Math.max(seconds, 0.001))} records/s)`,
  );
  for (const kind of replayEventKinds) {
    log(
      `  ${(options.topicPrefix + replayTopics[kind].name).padEnd(32)} ${summary.recordsByKind.get(kind) ?? 0}`,
    );
  }
  if (summary.firstEventTimeMs !== undefined && summary.lastEventTimeMs !== undefined) {
    log(
      `ratings' record times: ${new Date(summary.firstEventTimeMs).toISOString()} .. ${new Date(summary.lastEventTimeMs).toISOString()}`,
    );
  }
}

function speed(raw: string): ReplaySpeed {
  const value = parseSpeed(raw);
  if (value === undefined) {
    throw new InvalidArgumentError(`"${raw}" is neither a positive number nor "max"`);
  }
  return value;
}

function isoTime(raw: string): number {
  const value = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(value)) {
    throw new InvalidArgumentError(`"${raw}" is not an ISO 8601 date (e.g. 1998-03-08)`);
  }
  return value;
}
