import type { Logger } from 'pino';

import { Pipeline, StreamJob, type ConnectionConfig } from '../../operators/index.js';
import {
  calibrationMonitor,
  type CalibrationMonitorOptions,
} from '../../pipelines/calibrationMonitor.js';

/** The monitor's application id: its consumer group, state and internal topics. */
export const calibrationApplicationId = 'reelstream-calibration';

/** The calibration monitor (pipelines/calibrationMonitor.ts) as a pipeline of its own. */
export function calibrationPipeline(options: CalibrationMonitorOptions = {}): Pipeline {
  const pipeline = new Pipeline();
  calibrationMonitor(pipeline, options);
  return pipeline;
}

/**
 * The monitor as a Kafka job. At-least-once: a window replayed after a crash is written twice
 * with the same figures (its key and window identify it; the CLI keeps the later record).
 */
export function calibrationJob(options: {
  readonly connection: ConnectionConfig;
  readonly stateDir: string;
  readonly logger?: Logger;
  readonly applicationId?: string;
  readonly monitor?: CalibrationMonitorOptions;
}): StreamJob {
  return new StreamJob({
    pipeline: calibrationPipeline(options.monitor),
    applicationId: options.applicationId ?? calibrationApplicationId,
    connection: options.connection,
    guarantee: 'at-least-once',
    commitIntervalMs: 1_000,
    stateDir: options.stateDir,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
