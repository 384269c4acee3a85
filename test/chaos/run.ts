/**
 * The long form of the kill -9 harness (README.md):
 *
 *   node --import tsx test/chaos/run.ts [--events 2000000] [--kills 20] \
 *     [--broker-kills 0] [--broker-pauses 0] \
 *     [--guarantee exactly-once|at-least-once] [--seed 1] [--keep-topics]
 *
 * Connection settings come from REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL, unless the run
 * has a stack of its own (the default with broker faults, or --own-stack). Exit code 0 when the
 * run passes its guarantee, 1 when it does not, 2 when the harness itself failed.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { FaultyStack, type FaultyStackPorts } from '../../deploy/local/stack/faultyStack.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { defaultJobFile, formatChaosReport, runChaos, type ChaosRunOptions } from './chaosRun.js';
import type { ChaosGuarantee } from './verifier.js';

interface RunFlags {
  readonly events: number;
  readonly kills: number;
  readonly brokerKills: number;
  readonly brokerPauses: number;
  readonly minOutage: number;
  readonly maxOutage: number;
  /** undefined: own a stack exactly when there are broker faults. */
  readonly ownStack?: boolean;
  readonly stackPorts: FaultyStackPorts;
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

/** commander parser for `--stack-ports kafka,controller,registry`. */
function ports(value: string): FaultyStackPorts {
  const [kafka, controller, registry, ...rest] = value.split(',').map((p) => Number(p.trim()));
  const valid = (port: number | undefined): port is number =>
    port !== undefined && Number.isInteger(port) && port > 0 && port < 65_536;
  if (!valid(kafka) || !valid(controller) || !valid(registry) || rest.length > 0) {
    throw new InvalidArgumentError('expected three ports: kafka,controller,registry');
  }
  return { kafka, controller, registry };
}

/** The stack this run started, stopped however the harness ends. */
let ownStack: FaultyStack | undefined;

async function main(): Promise<number> {
  const flags = new Command('run')
    .description('kill -9 the chaos job again and again, then verify its output record by record')
    .option('--events <n>', 'input events', count, 2_000_000)
    .option('--kills <n>', 'SIGKILLs (each followed by a restart)', count, 20)
    .option(
      '--broker-kills <n>',
      'broker SIGKILLs, each followed by a restart after an outage (the job is not restarted)',
      count,
      0,
    )
    .option(
      '--broker-pauses <n>',
      'broker SIGSTOPs, each followed by SIGCONT after an outage (the job is not restarted)',
      count,
      0,
    )
    .option('--min-outage <ms>', 'shortest broker outage (until restart or SIGCONT)', count, 5_000)
    .option('--max-outage <ms>', 'longest broker outage', count, 15_000)
    .option(
      '--own-stack',
      'run on a broker and registry of its own, started in the work dir (the default with broker faults)',
    )
    .option(
      '--no-own-stack',
      'run on the cluster REELSTREAM_BROKERS names (no broker faults then: the harness must own the broker to kill it)',
    )
    .addOption(
      new Option('--stack-ports <kafka,controller,registry>', 'loopback ports of its own stack')
        .argParser(ports)
        .default({ kafka: 39092, controller: 39093, registry: 39094 }, '39092,39093,39094'),
    )
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
  const brokerFaults = flags.brokerKills + flags.brokerPauses > 0;
  if (brokerFaults && flags.ownStack === false) {
    throw new InvalidArgumentError(
      '--broker-kills and --broker-pauses need a stack of its own: drop --no-own-stack',
    );
  }
  if (flags.ownStack ?? brokerFaults) {
    const { kafka, controller, registry } = flags.stackPorts;
    console.log(
      `chaos: starting a stack of its own (broker 127.0.0.1:${kafka}, controller :${controller}, ` +
        `registry :${registry}) in ${join(workDir, 'stack')}`,
    );
    ownStack = await FaultyStack.start(join(workDir, 'stack'), flags.stackPorts);
  }
  const options: ChaosRunOptions = {
    connection: connectionConfigFromEnv({ ...process.env, ...ownStack?.env }),
    applicationId: prefix,
    topics: {
      input: `${prefix}.input`,
      videoOutput: `${prefix}.video-views`,
      userOutput: `${prefix}.user-totals`,
      lateOutput: `${prefix}.late`,
      rows: `${prefix}.user-rows`,
      categoryOutput: `${prefix}.category-users`,
    },
    guarantee: flags.guarantee,
    events: flags.events,
    kills: flags.kills,
    brokerKills: flags.brokerKills,
    brokerPauses: flags.brokerPauses,
    minOutageMs: flags.minOutage,
    maxOutageMs: flags.maxOutage,
    ...(ownStack === undefined ? {} : { broker: ownStack }),
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

/** Stops the run's own stack (a paused broker is thawed first); its data stays in the work dir. */
async function stopOwnStack(): Promise<void> {
  const stack = ownStack;
  ownStack = undefined;
  await stack?.down().catch((error: unknown) => console.error('stopping the stack:', error));
}

// A Ctrl-C must still take the job's process group down with the harness (jobProcess.ts), and
// the run's own stack with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void stopOwnStack().finally(() => process.exit(2)));
}
try {
  process.exitCode = await main();
} catch (error) {
  console.error(error);
  process.exitCode = 2;
} finally {
  await stopOwnStack();
}
