import { join } from 'node:path';

import type { EngineResult } from '../support/engine.js';
import { runMeasured } from '../support/measuredProcess.js';
import type { StatefulBenchJob } from './engine.js';

interface ReelstreamReport {
  readonly records: number;
  readonly produced: number;
  readonly firstToLastS: number;
  readonly launchToFirstS: number;
  readonly cpuSecondsFirstToLast: number;
}

function isReport(value: unknown): value is ReelstreamReport {
  return (
    typeof value === 'object' && value !== null && 'records' in value && 'firstToLastS' in value
  );
}

/**
 * Runs the bench computation on the reelstream runtime (bench/stateful/reelstreamMain.ts) in its
 * own Node process, measured like the other engines: one processing loop, RocksDB state under
 * `job.stateDir`, exactly-once or at-least-once as the engine's name says.
 * REELSTREAM_BENCH_PROFILE=<dir> writes a V8 CPU profile of the run there.
 */
export async function runReelstream(job: StatefulBenchJob): Promise<EngineResult> {
  const main = join(import.meta.dirname, 'reelstreamMain.ts');
  const profileDir = process.env['REELSTREAM_BENCH_PROFILE'];
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const run = await runMeasured(process.execPath, [...profile, '--import', 'tsx', main], {
    env: { ...process.env, REELSTREAM_BENCH_JOB: JSON.stringify(job) },
    timeoutSeconds: job.timeoutSeconds + 60,
  });
  if (run.exitCode !== 0 || !isReport(run.result)) {
    throw new Error(
      `reelstream: the process exited with ${run.exitCode ?? run.signal ?? '?'} and no result\n` +
        `${run.stdoutTail.slice(-1_500)}\n${run.stderrTail.slice(-1_500)}`,
    );
  }
  const report = run.result;
  return {
    engine: job.engine,
    records: report.records,
    processingSeconds: report.firstToLastS,
    endToEndSeconds: run.wallSeconds,
    threads: 1,
    cpuSeconds: report.cpuSecondsFirstToLast,
    ...(run.peakRssKb === undefined ? {} : { peakRssKb: run.peakRssKb }),
    details: {
      'output records': report.produced,
      'launch → first record (s)': Math.round(report.launchToFirstS * 1000) / 1000,
    },
  };
}
