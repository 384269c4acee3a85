import { join } from 'node:path';

import { FeaturesProcess } from './featuresProcess.js';

/**
 * The feature job as `count` instances of one application, each a process of its own: the
 * consumer group splits the tasks among them, as it splits them among Kafka Streams' stream
 * threads. A process runs its records on one JavaScript thread, so a second instance is how the
 * job uses a second core. Each has its own state directory and query endpoint, and any of them
 * answers a lookup of any key (forwarding it to the owner).
 */
export class FeatureInstances {
  private constructor(readonly processes: readonly FeaturesProcess[]) {}

  /**
   * Starts every instance at once, so the group forms in one rebalance instead of one per
   * joining instance, and resolves when all are running. One that fails to start stops the
   * others.
   */
  static async start(options: {
    count: number;
    stateDir: string;
    logFile: (instance: number) => string;
    /** Every instance's nice value (default 0). */
    nice?: number;
  }): Promise<FeatureInstances> {
    const started = await Promise.allSettled(
      Array.from({ length: options.count }, (_, instance) =>
        FeaturesProcess.start({
          stateDir:
            options.count === 1 ? options.stateDir : join(options.stateDir, `instance-${instance}`),
          logFile: options.logFile(instance),
          ...(options.nice === undefined ? {} : { nice: options.nice }),
        }),
      ),
    );
    const running = started.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(running.map((instance) => instance.stop()));
      throw failed.reason;
    }
    return new FeatureInstances(running);
  }

  get queryEndpoints(): string[] {
    return this.processes.map((instance) => instance.queryEndpoint);
  }

  /** Records processed by all instances (inputs and repartitions). */
  async processed(): Promise<number> {
    const stats = await Promise.all(this.processes.map((instance) => instance.stats()));
    return stats.reduce((sum, s) => sum + (s?.processed ?? 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((instance) => instance.stop()));
  }
}
