import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';

import { Command } from 'commander';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import { connectionConfigFromEnv, rocksDbNativeMemory } from '../../operators/index.js';
import { featuresJob } from '../features/featuresJob.js';
import { runJobProcess } from './jobProcess.js';
import { jobLogger, withJobProcessOptions, type JobProcessFlags } from './jobProcessOptions.js';
import type {
  FromFeaturesProcess,
  ToFeaturesProcess,
} from '../features/featuresProcessMessages.js';

interface FeaturesFlags extends JobProcessFlags {
  readonly stateDir: string;
  readonly queryEndpoint: string;
}

/**
 * `reelstream features`: the feature job (every feature pipeline, exactly-once) in a process of
 * its own, until SIGINT or SIGTERM. Each job is one process, as it would be deployed: the job
 * that computes features never shares an event loop with the job that answers requests, so a
 * burst of events cannot hold a reply back. Started by the demo, it also speaks the
 * featuresProcessMessages protocol over the IPC channel, and stops when its parent goes. It
 * rides through broker outages and exits 1 when the job fails (jobProcess.ts).
 */
export function featuresCommand(): Command {
  return withJobProcessOptions(new Command('features'))
    .description(
      'run the feature job (every feature pipeline, exactly-once, interactive queries) until SIGINT or SIGTERM',
    )
    .option(
      '--state-dir <dir>',
      'directory of the job’s local state (RocksDB)',
      join(stackSettingsFromEnv().stateDir, 'features-state'),
    )
    .option(
      '--query-endpoint <host:port>',
      'where interactive queries are answered (port 0: any free port)',
      '127.0.0.1:0',
    )
    .action(async (flags: FeaturesFlags) => {
      const logger = jobLogger(flags);
      const job = featuresJob({
        connection: connectionConfigFromEnv(),
        stateDir: flags.stateDir,
        queryEndpoint: flags.queryEndpoint,
        logger,
      });
      const stopRequested = new AbortController();
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const send = (message: FromFeaturesProcess): void => {
        if (process.connected) {
          process.send?.(message);
        }
      };
      process.on('message', (message: ToFeaturesProcess) => {
        if (message.kind === 'stop') {
          stopRequested.abort();
        } else {
          const cpu = process.cpuUsage();
          const memory = process.memoryUsage();
          const stats = job.stats();
          const rocksDb = rocksDbNativeMemory();
          send({
            kind: 'stats',
            processed: stats.processed,
            cacheBytes: stats.cacheBytes,
            cacheMaxBytes: stats.cacheMaxBytes,
            cpuMicros: cpu.user + cpu.system,
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            heapCommittedBytes: memory.heapTotal,
            externalBytes: memory.external,
            rocksDbBytes:
              rocksDb.tableReadersBytes + rocksDb.memtablesBytes + rocksDb.blockCacheBytes,
            eventLoopP99Ms: loopDelay.percentile(99) / 1e6,
          });
          loopDelay.reset();
        }
      });
      // A parent that dies must not leave a job behind holding its partitions.
      process.once('disconnect', () => stopRequested.abort());
      process.exitCode = await runJobProcess({
        job,
        logger,
        metricsEndpoint: flags.metricsEndpoint,
        graceMs: flags.grace * 1000,
        stopSignal: stopRequested.signal,
        onStarted: ({ metricsEndpoint }) => {
          const queryEndpoint = job.queryEndpoint ?? flags.queryEndpoint;
          if (process.send === undefined) {
            process.stdout.write(
              `features: running, queries on ${queryEndpoint}, health and metrics on ${metricsEndpoint ?? '-'}\n`,
            );
          }
          send({ kind: 'ready', queryEndpoint });
        },
      });
      if (process.connected) {
        process.disconnect?.();
      }
    });
}
