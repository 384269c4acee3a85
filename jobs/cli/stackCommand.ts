import { Command } from 'commander';

import { LocalStack } from '../../deploy/local/stack/localStack.js';
import { ServiceStartError } from '../../deploy/local/stack/service.js';
import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';

/** `reelstream stack up | down | status`: the local Kafka + schema registry on loopback. */
export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'start, stop or inspect the local Kafka broker and schema registry (deploy/local/)',
  );

  stack
    .command('up')
    .description('start Kafka and the registry if they are not running; wait until both answer')
    .action(async () => {
      const local = new LocalStack(stackSettingsFromEnv());
      try {
        await local.up((service, outcome) => {
          if (outcome === 'starting') {
            process.stderr.write(`${service}: starting…\n`);
          } else {
            process.stdout.write(`${service}: ${outcome}\n`);
          }
        });
      } catch (error) {
        if (error instanceof ServiceStartError) {
          process.stderr.write(
            `error: ${error.message}\n--- last lines of its log ---\n${error.logTail}\n`,
          );
          process.exitCode = 1;
          return;
        }
        throw error;
      }
      for (const status of await local.status()) {
        process.stdout.write(`${status.name}: ${status.endpoint}\n`);
      }
    });

  stack
    .command('down')
    .description('stop the registry and Kafka; nothing of them is left running')
    .action(async () => {
      const local = new LocalStack(stackSettingsFromEnv());
      await local.down((service, outcome) => process.stdout.write(`${service}: ${outcome}\n`));
    });

  stack
    .command('status')
    .description('say what runs where; exit 0 when every service answers, 1 otherwise')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const statuses = await new LocalStack(stackSettingsFromEnv()).status();
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
      } else {
        for (const s of statuses) {
          const pid = s.pid === undefined ? '-' : String(s.pid);
          process.stdout.write(
            `${s.name.padEnd(16)} ${s.state.padEnd(14)} pid ${pid.padEnd(8)} ${s.endpoint}  log ${s.logFile}\n`,
          );
        }
      }
      process.exitCode = statuses.every((s) => s.state === 'running') ? 0 : 1;
    });

  return stack;
}
