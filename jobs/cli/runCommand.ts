import { Command } from 'commander';

import { connectionConfigFromEnv, StreamJob } from '../../operators/index.js';
import { runJobProcess } from './jobProcess.js';
import { jobLogger, withJobProcessOptions, type JobProcessFlags } from './jobProcessOptions.js';
import { loadJobModule } from './userJobModule.js';

interface RunFlags extends JobProcessFlags {
  readonly stateDir?: string;
  readonly queryEndpoint?: string;
}

/**
 * `reelstream run <module>`: a user's job (a module whose default export is `defineJob({...})`)
 * as a process, exactly as our own jobs run: connection from the environment
 * (`REELSTREAM_BROKERS`, `REELSTREAM_REGISTRY_URL`, …), JSON logs, `/health` and `/metrics`,
 * riding through broker outages, a graceful stop on SIGTERM that commits what was processed,
 * and exit 1 when the job fails so a supervisor restarts it.
 */
export function runCommand(): Command {
  return withJobProcessOptions(new Command('run'))
    .description(
      'run a job module (its default export is defineJob({ applicationId, pipeline, … })) until SIGINT or SIGTERM',
    )
    .argument('<module>', 'the job module: a .js file, or a .ts file in a project with tsx')
    .option(
      '--state-dir <dir>',
      'directory of the job’s local state (default: the module’s, else ~/.cache/reelstream/state/<applicationId>)',
    )
    .option(
      '--query-endpoint <host:port>',
      'answer interactive queries here (default: the module’s, else none)',
    )
    .action(async (modulePath: string, flags: RunFlags) => {
      const { definition } = await loadJobModule(modulePath);
      const logger = jobLogger(flags);
      const job = new StreamJob({
        ...definition,
        ...(flags.stateDir === undefined ? {} : { stateDir: flags.stateDir }),
        ...(flags.queryEndpoint === undefined ? {} : { queryEndpoint: flags.queryEndpoint }),
        connection: connectionConfigFromEnv(),
        logger,
      });
      process.exitCode = await runJobProcess({
        job,
        logger,
        metricsEndpoint: flags.metricsEndpoint,
        graceMs: flags.grace * 1000,
        onStarted: ({ metricsEndpoint }) => {
          const queries =
            job.queryEndpoint === undefined ? '' : `, queries on ${job.queryEndpoint}`;
          process.stdout.write(
            `run: ${definition.applicationId} running${queries}, health and metrics on ${metricsEndpoint ?? '-'}\n`,
          );
        },
      });
    });
}
