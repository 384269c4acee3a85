import { join } from 'node:path';

import { stackSettingsFromEnv } from '../../deploy/local/stack/stackSettings.js';
import type { EngineResult } from '../support/engine.js';
import type { BenchReport } from '../support/measuredProcess.js';
import { benchReportOf, roundSeconds, runMeasured } from '../support/measuredProcess.js';
import { ensurePythonVenv } from '../support/pythonVenv.js';
import type { StatefulBenchJob } from './engine.js';
import { jobArgs } from './engine.js';

const quixDir = join(import.meta.dirname, '..', 'quix');
const requirementsFile = join(quixDir, 'requirements.txt');
const script = join(quixDir, 'statefulBench.py');

/** The virtual environment Quix Streams is installed into, under the download cache. */
export function quixVenvDir(): string {
  return join(stackSettingsFromEnv().cacheDir, 'quix-venv');
}

let installed: Promise<string> | undefined;

/**
 * Creates the venv and installs bench/quix/requirements.txt into it from PyPI, once per
 * requirements file (a copy of it in the venv marks a finished install). Resolves to the venv's
 * python; rejects with EngineUnavailableError, saying why, when python3 -m venv or pip fails.
 */
export function ensureQuixVenv(log: (line: string) => void): Promise<string> {
  installed ??= Promise.resolve().then(() => install(log));
  return installed;
}

function install(log: (line: string) => void): string {
  return ensurePythonVenv({
    venv: quixVenvDir(),
    requirementsFile,
    label: 'quix',
    what: 'Quix Streams',
    log,
  });
}

/** The line statefulBench.py prints when done. */
interface QuixReport extends BenchReport {
  readonly outputs: number;
  readonly launchToFirstS: number;
  readonly firstToClosedS: number;
  readonly cpuSecondsTotal: number;
  readonly quixVersion: string;
}

/**
 * Runs the windowed count on Quix Streams (bench/quix/statefulBench.py) in its own Python
 * process, RocksDB state under job.stateDir, and reports its figures.
 */
export async function runQuix(job: StatefulBenchJob): Promise<EngineResult> {
  const python = await ensureQuixVenv((line) => console.log(line));
  const { settings } = job;
  const args = [
    script,
    ...jobArgs(job),
    '--consumer-group',
    `bench-${job.engine}-${job.runId}`,
    '--guarantee',
    settings.processingGuarantee === 'exactly_once_v2' ? 'exactly-once' : 'at-least-once',
    '--commit-interval-ms',
    String(settings.commitIntervalMs),
    // The shared client settings, as librdkafka names them.
    '--producer-config',
    JSON.stringify({
      'linger.ms': settings.producer.lingerMs,
      'batch.size': settings.producer.batchSizeBytes,
      acks: settings.producer.acks,
      'compression.type': settings.producer.compression,
    }),
    '--consumer-config',
    JSON.stringify({
      'fetch.min.bytes': settings.consumer.fetchMinBytes,
      'fetch.wait.max.ms': settings.consumer.fetchMaxWaitMs,
      'max.partition.fetch.bytes': settings.consumer.maxPartitionFetchBytes,
      'fetch.max.bytes': settings.consumer.fetchMaxBytes,
    }),
  ];
  const run = await runMeasured(python, args, { timeoutSeconds: job.timeoutSeconds + 60 });
  const report = benchReportOf<QuixReport>(run, 'quix: the process');
  return {
    engine: `Quix Streams ${report.quixVersion}`,
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    threads: settings.threads,
    cpuSeconds: report.cpuSecondsFirstToLast,
    ...(run.peakRssKb === undefined ? {} : { peakRssKb: run.peakRssKb }),
    details: {
      'output records (its count)': report.outputs,
      'launch → first record (s)': roundSeconds(report.launchToFirstS),
      'first record → closed (s)': roundSeconds(report.firstToClosedS),
      'process CPU total (s)': roundSeconds(report.cpuSecondsTotal),
    },
  };
}
