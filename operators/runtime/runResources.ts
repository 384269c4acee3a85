import type { Logger } from 'pino';

import type { StreamClient } from '../connectors/kafka/streamClient.js';
import type { CacheBudget } from '../state/caching/cacheBudget.js';
import type { FailurePolicy } from './failurePolicy.js';
import type { StreamJobOptions } from './streamJobOptions.js';
import type { Topology } from './topology.js';

/**
 * What a job's runs work with, from the `StreamJob` down to each task's creation: the
 * job's options and topology, its Kafka client, logger and failure policy, the process's cache
 * budget and the state directory.
 */
export interface RunResources {
  readonly options: StreamJobOptions;
  readonly topology: Topology;
  readonly client: StreamClient;
  readonly logger: Logger;
  readonly policy: FailurePolicy;
  readonly budget: CacheBudget;
  readonly stateDir: string;
}
