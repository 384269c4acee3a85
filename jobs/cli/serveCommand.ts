import { join } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv } from '../../operators/index.js';
import { servingJob } from '../serving/servingJob.js';
import { runJobProcess } from './jobProcess.js';

interface ServeFlags {
  readonly stateDir: string;
  readonly featureEndpoints: readonly string[];
  readonly metricsEndpoint: string;
  readonly logFile?: string;
  readonly grace: number;
}

/**
 * `reelstream serve`: the serving job (recommendations answered on `rec.requests`) in a process
 * of its own, until SIGINT or SIGTERM; it reads users' features from the feature job's query
 * endpoints. It rides through broker outages and exits 1 when the job fails (jobProcess.ts).
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the serving job (recommendations over rec.requests) until SIGINT or SIGTERM')
    .requiredOption(
      '--feature-endpoints <host:port,...>',
      'query endpoints of the feature job (`reelstream features` prints its own)',
      endpointList,
    )
    .option(
      '--state-dir <dir>',
      'directory of the job’s local state',
      join(stackSettingsFromEnv().stateDir, 'serving-state'),
    )
    .option(
      '--metrics-endpoint <host:port>',
      'where /health and /metrics are answered (port 0: any free port)',
      '127.0.0.1:0',
    )
    .option('--log-file <file>', 'write the job’s log here instead of standard output')
    .option(
      '--grace <seconds>',
      'how long a stop (SIGTERM) may take before the process exits anyway',
      (text: string) => {
        const value = Number(text);
        if (!Number.isFinite(value) || value <= 0) {
          throw new InvalidArgumentError(`"${text}" is not a positive number of seconds`);
        }
        return value;
      },
      30,
    )
    .action(async (flags: ServeFlags) => {
      const logger = pino(
        { level: process.env['REELSTREAM_LOG'] ?? 'info' },
        pino.destination({ dest: flags.logFile ?? 1, sync: false }),
      );
      const job = servingJob({
        connection: connectionConfigFromEnv(),
        stateDir: flags.stateDir,
        featureEndpoints: flags.featureEndpoints,
        logger,
      });
      process.exitCode = await runJobProcess({
        job,
        logger,
        metricsEndpoint: flags.metricsEndpoint,
        graceMs: flags.grace * 1000,
        onStarted: ({ metricsEndpoint }) => {
          process.stdout.write(`serve: running, health and metrics on ${metricsEndpoint ?? '-'}\n`);
        },
      });
    });
}

function endpointList(text: string): string[] {
  const endpoints = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const endpoint of endpoints) {
    if (!/^[^:\s]+:\d{1,5}$/.test(endpoint)) {
      throw new InvalidArgumentError(`"${endpoint}" is not host:port`);
    }
  }
  if (endpoints.length === 0) {
    throw new InvalidArgumentError('needs at least one host:port');
  }
  return endpoints;
}
