import type { Logger } from 'pino';

import { Pipeline, StreamJob, type ConnectionConfig } from '../../operators/index.js';
import { featurePipelines } from '../../pipelines/featurePipelines.js';

/** The feature job's application id: its consumer group, transactional ids and topic prefix. */
export const featuresApplicationId = 'reelstream-features';

/** The store the serving job reads a user's features from (interactive queries). */
export const userFeaturesStore = 'user-features';

/**
 * Every feature pipeline as one exactly-once job, answering interactive queries on
 * `queryEndpoint` (the serving job reads the requesting user's features there). Commits every
 * 200 ms: a watch or a dislike must reach the next recommendation within 2 s, and read_committed
 * consumers of the feature topics see an update only when its transaction commits.
 */
export function featuresJob(options: {
  connection: ConnectionConfig;
  stateDir: string;
  queryEndpoint: string;
  logger: Logger;
}): StreamJob {
  const pipeline = new Pipeline();
  featurePipelines(pipeline);
  return new StreamJob({
    pipeline,
    applicationId: featuresApplicationId,
    connection: options.connection,
    guarantee: 'exactly-once',
    commitIntervalMs: 1_000,
    stateDir: options.stateDir,
    queryEndpoint: options.queryEndpoint,
    logger: options.logger,
  });
}
