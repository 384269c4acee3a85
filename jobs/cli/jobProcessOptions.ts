import { InvalidArgumentError, type Command } from 'commander';
import pino, { type Logger } from 'pino';

/** The flags every job process has (`reelstream features`, `reelstream serve`). */
export interface JobProcessFlags {
  readonly metricsEndpoint: string;
  readonly logFile?: string;
  readonly grace: number;
}

/** Adds the job process flags: where /health and /metrics answer, the log file, the grace. */
export function withJobProcessOptions(command: Command): Command {
  return command
    .option(
      '--metrics-endpoint <host:port>',
      'where /health and /metrics are answered (port 0: any free port)',
      '127.0.0.1:0',
    )
    .option('--log-file <file>', 'write the job’s log here instead of standard output')
    .option(
      '--grace <seconds>',
      'how long a stop (SIGTERM) may take before the process exits anyway',
      positiveSeconds,
      30,
    );
}

/** The job's logger: JSON lines to the log file or standard output, level from REELSTREAM_LOG. */
export function jobLogger(flags: JobProcessFlags): Logger {
  return pino(
    { level: process.env['REELSTREAM_LOG'] ?? 'info' },
    pino.destination({ dest: flags.logFile ?? 1, sync: false }),
  );
}

function positiveSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`"${text}" is not a positive number of seconds`);
  }
  return value;
}
