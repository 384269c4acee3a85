import type { Logger } from 'pino';

import {
  JobMetrics,
  MonitoringServer,
  ReelstreamError,
  type StreamJob,
} from '../../operators/index.js';

/** How a job process ends: 0 after a requested stop, 1 when its job failed or a stop overran. */
export const jobExitCodes = { stopped: 0, failed: 1 } as const;

/**
 * Runs a job as a process should (`reelstream features`, `reelstream serve`): a monitoring
 * endpoint (`/health`, `/metrics`), the job started and left to ride through broker outages by
 * itself, and an end that a supervisor can act on:
 * - SIGTERM or SIGINT (or `stopSignal`) stops it gracefully; a stop that outlasts `graceMs`
 *   exits 1 anyway, so the process never lingers;
 * - a job that fails (a fatal error, or an outage past its `recovery.maxOutageMs`) exits 1 at
 *   once: it has already left its group, and a supervisor restarts it.
 * Resolves with the exit code once the job has stopped; `onStarted` runs once it is consuming.
 */
export async function runJobProcess(options: {
  job: StreamJob;
  logger: Logger;
  /** `host:port` of the monitoring endpoint; none when undefined. */
  metricsEndpoint?: string;
  graceMs: number;
  stopSignal?: AbortSignal;
  onStarted?: (started: { metricsEndpoint: string | undefined }) => void;
  /** The process's metrics, when the caller registers metrics of its own in its registry. */
  metrics?: JobMetrics;
}): Promise<number> {
  const { job, logger } = options;
  const metrics = options.metrics ?? new JobMetrics();
  metrics.add(job);
  const monitoring =
    options.metricsEndpoint === undefined
      ? undefined
      : await MonitoringServer.listen(options.metricsEndpoint, metrics);
  let stopTimer: NodeJS.Timeout | undefined;
  const stop = (why: string): void => {
    if (stopTimer !== undefined) {
      return;
    }
    logger.info(`${why}: stopping (grace ${options.graceMs} ms)`);
    stopTimer = setTimeout(() => {
      logger.error(`the stop took longer than its grace of ${options.graceMs} ms: exiting`);
      logger.flush();
      process.exit(jobExitCodes.failed);
    }, options.graceMs);
    stopTimer.unref();
    void job.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(`${signal} received`);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  options.stopSignal?.addEventListener('abort', () => stop('stop requested'), { once: true });
  try {
    const stopped = job.whenStopped();
    // start() resolves once consuming, retrying through an outage; a fatal error rejects it.
    await Promise.race([job.start(), stopped]);
    if (job.state !== 'stopped' && job.state !== 'failed') {
      options.onStarted?.({ metricsEndpoint: monitoring?.endpoint });
    }
    await stopped;
    return jobExitCodes.stopped;
  } catch (error) {
    if (error instanceof ReelstreamError && !error.retriable) {
      throw error; // a configuration mistake: the CLI prints one line and exits 2
    }
    logger.error(
      { err: error },
      'job failed: exiting with status 1 for the supervisor to restart it',
    );
    await job.whenStopped().catch(() => undefined);
    return jobExitCodes.failed;
  } finally {
    clearTimeout(stopTimer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await monitoring?.close();
    logger.flush();
  }
}
