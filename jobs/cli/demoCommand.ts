import { Command, InvalidArgumentError } from 'commander';

import { runWatchCountDemo } from '../demo/watchCountDemo.js';
import { LocalStack } from '../../deploy/local/stack/localStack.js';
import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv } from '../../operators/index.js';

/** `reelstream demo`: start the local stack and run the largest end-to-end pipeline there is. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('start the local stack and run the end-to-end demo on generated traffic')
    .option('--events <n>', 'heartbeats to generate', positiveInt, 20_000)
    .option('--seed <n>', 'random seed of the traffic', positiveInt, 42)
    .option(
      '--external',
      'use the cluster and registry named by REELSTREAM_BROKERS / REELSTREAM_REGISTRY_URL instead of starting the local stack',
    )
    .action(
      async ({ external, ...options }: { events: number; seed: number; external?: boolean }) => {
        const settings = stackSettingsFromEnv();
        const log = (line: string): void => {
          process.stdout.write(`${line}\n`);
        };
        if (external !== true) {
          await new LocalStack(settings).up((service, outcome) => {
            if (outcome !== 'starting') {
              log(`${service}: ${outcome}`);
            }
          });
        }
        await runWatchCountDemo({
          connection: connectionConfigFromEnv(),
          settings,
          ...options,
          log,
        });
      },
    );
}

function positiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`"${raw}" is not a positive integer`);
  }
  return value;
}
