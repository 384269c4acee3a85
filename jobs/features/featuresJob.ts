import type { Logger } from 'pino';

import { Pipeline, StreamJob, type ConnectionConfig } from '../../operators/index.js';
import { featurePipelines } from '../../pipelines/featurePipelines.js';
import type { PopularInRegionOptions } from '../../pipelines/popularInRegion.js';
import type { SeenBounds } from '../../pipelines/seenSet.js';
import type { UserFeaturesOptions } from '../../pipelines/userFeatures.js';
import { userSeenNames } from '../../pipelines/userSeen.js';

/** The feature job's application id: its consumer group, transactional ids and topic prefix. */
export const featuresApplicationId = 'reelstream-features';

/** The store the serving job reads a user's features from (interactive queries). */
export const userFeaturesStore = 'user-features';

/** The store the serving job reads a user's seen set from (interactive queries). */
export const userSeenStore = userSeenNames.store;

/**
 * Every feature pipeline as one exactly-once job, answering interactive queries on
 * `queryEndpoint` (the serving job reads the requesting user's features there). Each task
 * commits once a second: queries read a task's latest state, committed or not, so a watch or a
 * dislike reaches the next recommendation without waiting for a commit; the feature topics
 * (read_committed) follow within about a second per stage. Commits every 200 ms cost about a
 * quarter of the job's throughput on the 5,000 events/s load run, in transactions and
 * changelog records.
 *
 * `replay`: the inputs are written by a replay faster than real time (check-replay, evaluate).
 * While one of a task's inputs is empty, a record of another is taken only once a fetch that
 * started 200 ms after the record arrived has been delivered (`waitForWritersMs`): a replay
 * writes its topics one after another, a day of event time at once, and heartbeats read
 * before the watch ends written with them closed their sessions by inactivity first.
 */
export function featuresJob(options: {
  connection: ConnectionConfig;
  stateDir: string;
  queryEndpoint: string;
  logger: Logger;
  replay?: boolean;
  /** Bounds of the user features; the pipeline's defaults when absent. */
  userFeatures?: UserFeaturesOptions;
  /** Bounds of the users' seen sets; the pipeline's defaults when absent. */
  userSeen?: SeenBounds;
  /** Popular in region's half-life and list length; the pipeline's defaults when absent. */
  popular?: PopularInRegionOptions;
}): StreamJob {
  const pipeline = new Pipeline();
  featurePipelines(pipeline, {
    userFeatures: options.userFeatures ?? {},
    userSeen: options.userSeen ?? {},
    ...(options.popular === undefined ? {} : { popular: options.popular }),
  });
  return new StreamJob({
    pipeline,
    applicationId: featuresApplicationId,
    connection: options.connection,
    guarantee: 'exactly-once',
    commitIntervalMs: 1_000,
    // Up to 100 ms for 256 KiB of input: caught up, the job otherwise fetched a few records at
    // a time in a loop, each fetch a request and a round of batches through the tasks.
    fetchMinBytes: 256 * 1024,
    stateDir: options.stateDir,
    queryEndpoint: options.queryEndpoint,
    logger: options.logger,
    ...(options.replay === true ? { waitForWritersMs: 200 } : {}),
  });
}
