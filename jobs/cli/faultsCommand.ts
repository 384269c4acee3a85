import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { describeFault, describeOutcome, runFaults, type Fault } from '../faults/faultRun.js';

/** The faults of issue 17, in turn. */
const fullFaults: readonly Fault[] = [
  { kind: 'broker-kill', seconds: 20 },
  { kind: 'broker-kill', seconds: 120 },
  { kind: 'broker-pause', seconds: 30 },
  { kind: 'registry-down', seconds: 30 },
];

/** What CI runs: one broker kill -9, restarted after 20 s. */
const shortFaults: readonly Fault[] = [{ kind: 'broker-kill', seconds: 20 }];

interface FaultsFlags {
  readonly short: boolean;
  readonly dir?: string;
  readonly port: number;
}

/**
 * `reelstream faults`: the recommender as deployed (the feature job, the serving job and the
 * generator as processes, a request client) on a stack of its own, through the faults
 * production brings: a broker killed and restarted after 20 s and after 120 s, a broker paused
 * for 30 s, the registry down for 30 s. Exit 0 when every fault passes, 1 when one does not,
 * 2 when the run itself could not be made.
 */
export function faultsCommand(): Command {
  return new Command('faults')
    .description(
      'run the recommender on a stack of its own through broker kills, a broker pause and a registry outage; report recovery per fault',
    )
    .option('--short', 'only one broker kill -9, restarted after 20 s (what CI runs)', false)
    .option(
      '--dir <dir>',
      'work directory for the stack’s data and the job logs (default: new in the temp dir)',
    )
    .option(
      '--port <n>',
      'first of the loopback ports the run uses (broker, controller, registry, then +10..+12 for the jobs)',
      (text: string) => {
        const port = Number(text);
        if (!Number.isInteger(port) || port < 1024 || port > 65_000) {
          throw new InvalidArgumentError('expected a port between 1024 and 65000');
        }
        return port;
      },
      29_092,
    )
    .action(async (flags: FaultsFlags) => {
      const dir = flags.dir ?? join(tmpdir(), `reelstream-faults-${Date.now().toString(36)}`);
      const started = Date.now();
      const log = (line: string): void => {
        const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
        process.stdout.write(`[${seconds} s] ${line}\n`);
      };
      let report;
      try {
        report = await runFaults({
          dir,
          ports: { kafka: flags.port, controller: flags.port + 1, registry: flags.port + 2 },
          faults: flags.short ? shortFaults : fullFaults,
          warmUpSeconds: flags.short ? 45 : 90,
          settleSeconds: 30,
          eventsPerSecond: 200,
          requestsPerSecond: 10,
          log,
        });
      } catch (error) {
        process.stderr.write(
          `fault run failed: ${error instanceof Error ? error.message : String(error)}; logs in ${dir}\n`,
        );
        process.exitCode = 2;
        return;
      }
      process.stdout.write('\n');
      for (const outcome of report.outcomes) {
        process.stdout.write(`${describeFault(outcome.fault)}:\n  ${describeOutcome(outcome)}\n`);
      }
      const exits = Object.entries(report.finalExits)
        .map(
          ([name, code]) =>
            `${name} ${code === undefined ? 'KILLED after its grace' : `exit ${String(code)}`}`,
        )
        .join(', ');
      process.stdout.write(`final stop (SIGTERM): ${exits}\n`);
      for (const line of report.lingered) {
        process.stdout.write(`outlived its job: ${line}\n`);
      }
      process.stdout.write(`verdict ${report.pass ? 'PASS' : 'FAIL'}; logs in ${dir}\n`);
      process.exitCode = report.pass ? 0 : 1;
    });
}
