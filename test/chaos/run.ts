/**
 * The long form of the kill -9 harness (README.md):
 *
 *   node --import tsx test/chaos/run.ts [--events 2000000] [--kills 20] \
 *     [--guarantee exactly-once|at-least-once] [--seed 1] [--keep-topics]
 *
 * Connection settings come from REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL. Exit code 0 when
 * the run passes its guarantee, 1 when it does not, 2 when the harness itself failed.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { connectionConfigFromEnv } from '../../operators/index.js';
import { defaultJobFile, formatChaosReport, runChaos, type ChaosRunOptions } from './chaosRun.js';
import type { ChaosGuarantee } from './verifier.js';

interface RunFlags {
  readonly events: number;
  readonly kills: number;
  readonly guarantee: ChaosGuarantee;
  readonly seed: number;
  readonly keepTopics: boolean;
  readonly minUptime: number;
  readonly maxUptime: number;
  readonly settleTimeout: number;
  readonly job: string;
  readonly workDir?: string;
}

/** commander parser for a non-negative integer flag; accepts 2_000_000. */
function count(value: string): number {
  const parsed = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError('expected a non-negative integer');
  }
  return parsed;
}

async function main(): Promise<number> {
  const flags = new Command('run')
    .description('kill -9 the chaos job again and again, then verify its output record by record')
    .option('--events <n>', 'input events', count, 2_000_000)
    .option('--kills <n>', 'SIGKILLs (each followed by a restart)', count, 20)
    .addOption(
      new Option('--guarantee <mode>', 'processing guarantee of the job')
        .choices(['exactly-once', 'at-least-once'])
        .default('exactly-once'),
    )
    .option('--seed <n>', 'seed of the input and of the kill schedule', count, 1)
    .option(
      '--keep-topics',
      'keep topics, group and state for inspection (kept anyway when the run fails)',
      false,
    )
    .option(
      '--min-uptime <ms>',
      'shortest time between a (re)start and the next kill',
      count,
      2_000,
    )
    .option(
      '--max-uptime <ms>',
      'longest time between a (re)start and the next kill',
      count,
      20_000,
    )
    .option('--settle-timeout <s>', 'how long the last run may take to catch up', count, 1_800)
    .option('--job <file>', 'the job entry point', defaultJobFile)
    .option('--work-dir <dir>', 'state directory and job log (default: a new one in the temp dir)')
    .parse()
    .opts<RunFlags>();
  const runId = `${Date.now().toString(36)}.${randomBytes(2).toString('hex')}`;
  const prefix = `chaos.${flags.guarantee === 'exactly-once' ? 'eos' : 'alos'}.${runId}`;
  const workDir = flags.workDir ?? join(tmpdir(), prefix);
  const options: ChaosRunOptions = {
    connection: connectionConfigFromEnv(),
    applicationId: prefix,
    topics: {
      input: `${prefix}.input`,
      videoOutput: `${prefix}.video-views`,
      userOutput: `${prefix}.user-totals`,
      lateOutput: `${prefix}.late`,
    },
    guarantee: flags.guarantee,
    events: flags.events,
    kills: flags.kills,
    seed: flags.seed,
    workDir,
    jobFile: flags.job,
    minUptimeMs: flags.minUptime,
    maxUptimeMs: flags.maxUptime,
    settleTimeoutMs: flags.settleTimeout * 1000,
    keepTopics: flags.keepTopics,
    keepTopicsOnFailure: true,
  };
  console.log(`chaos: application ${prefix}; job log ${join(workDir, 'job.log')}`);
  const report = await runChaos(options);
  console.log('');
  for (const line of formatChaosReport(report, options)) {
    console.log(line);
  }
  return report.failures.length === 0 ? 0 : 1;
}

// A Ctrl-C must still take the job's process group down with the harness (jobProcess.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(2));
}
try {
  process.exitCode = await main();
} catch (error) {
  console.error(error);
  process.exitCode = 2;
}
