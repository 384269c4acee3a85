/**
 * bench/ann — approximate nearest-neighbour search, our FAISS binding vs FAISS itself.
 *
 *   node --import tsx bench/ann/run.ts [--size 1000000] [--indexes ivf1024] [--threads 1,2]
 *     [--ours-build auto|default|optimized]
 *
 * Generates (once, cached) clustered 64-d vectors and held-out queries, computes (once, cached)
 * the exact top-k of every query, then runs each side in its own process on the same file —
 * ours (bench/ann/oursMain.ts, operators/vectors/faissIndex.ts) and the peer (faiss-cpu from
 * PyPI, bench/ann/faissPeer.py) — with the same factory strings, training sample, parameters and
 * thread counts, and prints recall@k, batch-1 latency, batched throughput, build time and memory
 * for each, the ratios ours / FAISS, and the issue-20 verdict. See bench/README.md.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';

import { Option } from 'commander';
import { Command } from 'commander';

import { EngineUnavailableError } from '../support/engine.js';
import { positiveInt } from '../support/flags.js';
import { runMeasured } from '../support/measuredProcess.js';
import { engineListParser, loadLine, printTable } from '../support/report.js';
import { datasetFiles, ensureTruth, ensureVectors } from './dataset.js';
import type { DatasetSpec } from './dataset.js';
import type { AnnConfigResult, AnnIndexResult, AnnJob, AnnSideReport } from './job.js';
import { annIndexCatalogue } from './job.js';
import { ensureAnnVenv } from './peerVenv.js';

const sides = ['ours', 'faiss'] as const;
type Side = (typeof sides)[number];

/**
 * Our addon's builds (operators/vectors/nativeBinding.ts, `REELSTREAM_FAISS_BUILD`): `default`
 * from deploy/local/setup/faissBinding.sh, `optimized` from deploy/local/setup/faissOptimized.sh,
 * `auto` (what every reelstream process loads unless told) the optimized one where it is built.
 * The ours side's report names the one it loaded.
 */
const oursBuilds = ['auto', 'default', 'optimized'] as const;
type OursBuild = (typeof oursBuilds)[number];

/** The issue-20 acceptance targets. */
const target = { recall: 0.95, p99Ms: 5, throughputRatio: 0.9 } as const;

const positiveIntList = (value: string): number[] => value.split(',').map(positiveInt);

const command = new Command('bench-ann')
  .description('ANN search: reelstream FAISS binding vs faiss-cpu, same data, same run')
  .option('--size <n>', 'base vectors', positiveInt, 1_000_000)
  .option('--queries <n>', 'held-out queries', positiveInt, 1000)
  .option('--clusters <n>', 'Gaussian clusters', positiveInt, 2000)
  .option('--seed <n>', 'seed of the data', positiveInt, 20)
  .option('--k <n>', 'neighbours per query (recall@k)', positiveInt, 100)
  .addOption(
    new Option(
      '--indexes <list>',
      `indexes, comma-separated: ${Object.keys(annIndexCatalogue).join(', ')}`,
    )
      .default(['ivf1024'])
      .argParser(engineListParser(Object.keys(annIndexCatalogue))),
  )
  .option('--threads <list>', 'OpenMP threads of the searches, each swept', positiveIntList, [1, 2])
  .option('--build-threads <n>', 'OpenMP threads of train + add', positiveInt, cpus().length)
  .addOption(
    new Option('--sides <list>', 'sides to run: ours,faiss')
      .default([...sides])
      .argParser(engineListParser(sides)),
  )
  .option('--warmup <n>', 'untimed batch-1 queries before each latency run', positiveInt, 100)
  .option(
    '--batch-repeats <n>',
    'repeats of the batched run, at least (median reported)',
    positiveInt,
    3,
  )
  .option(
    '--batch-min-seconds <n>',
    'repeat the batched run until this many seconds have passed too',
    positiveInt,
    2,
  )
  .option('--timeout-s <n>', 'give up on a side after this long', positiveInt, 3600)
  .addOption(
    new Option(
      '--ours-build <build>',
      'our addon: optimized (faissOptimized.sh: AVX2, OpenBLAS), default (faissBinding.sh), or auto: the optimized build where set-up made it',
    )
      .choices(oursBuilds)
      .default('auto'),
  )
  .option(
    '--peer-python <path>',
    "python of the FAISS side, with faiss and numpy (default: bench/ann's venv, installed on first use)",
  );

interface Flags {
  readonly size: number;
  readonly queries: number;
  readonly clusters: number;
  readonly seed: number;
  readonly k: number;
  readonly indexes: string[];
  readonly threads: number[];
  readonly buildThreads: number;
  readonly sides: Side[];
  readonly warmup: number;
  readonly batchRepeats: number;
  readonly batchMinSeconds: number;
  readonly timeoutS: number;
  readonly oursBuild: OursBuild;
  readonly peerPython?: string;
}

const log = (line: string): void => console.log(line);

async function runSide(side: Side, job: AnnJob, flags: Flags): Promise<AnnSideReport> {
  const argument = JSON.stringify(job);
  let executable: string;
  let args: string[];
  let env: NodeJS.ProcessEnv | undefined;
  if (side === 'ours') {
    executable = process.execPath;
    args = ['--import', 'tsx', join(import.meta.dirname, 'oursMain.ts'), argument];
    env = { ...process.env, REELSTREAM_FAISS_BUILD: flags.oursBuild };
  } else {
    executable = flags.peerPython ?? ensureAnnVenv(log);
    args = [join(import.meta.dirname, 'faissPeer.py'), argument];
  }
  log(`${side}: running${side === 'ours' ? ` the ${flags.oursBuild} build` : ''} (${loadLine()})…`);
  const run = await runMeasured(executable, args, {
    timeoutSeconds: flags.timeoutS,
    ...(env === undefined ? {} : { env }),
  });
  const report = run.result as AnnSideReport | undefined;
  if (run.exitCode !== 0 || report === undefined) {
    throw new Error(
      `${side} exited with ${run.exitCode ?? run.signal ?? '?'} and no result\n` +
        `${run.stdoutTail.slice(-1_500)}\n${run.stderrTail.slice(-1_500)}`,
    );
  }
  log(
    `${side}: done in ${run.wallSeconds.toFixed(1)} s, ${(run.cpuSeconds ?? 0).toFixed(1)} CPU-s`,
  );
  return report;
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
const ratio = (ours: number | undefined, theirs: number | undefined): string =>
  ours === undefined || theirs === undefined || theirs === 0
    ? 'n/a'
    : `${(ours / theirs).toFixed(2)}×`;
const rate = (value: number | undefined): string =>
  value === undefined ? '—' : Math.round(value).toLocaleString('en-US');

function configOf(
  index: AnnIndexResult | undefined,
  threads: number,
  value: number,
): AnnConfigResult | undefined {
  return index?.configs.find((c) => c.threads === threads && c.value === value);
}

/** One index's figures from both sides. */
interface IndexPair {
  readonly name: string;
  readonly param: string;
  readonly ours: AnnIndexResult | undefined;
  readonly theirs: AnnIndexResult | undefined;
}

function printIndex({ name, param, ours, theirs }: IndexPair): void {
  const factory = ours?.factory ?? theirs?.factory ?? name;
  log('');
  log(`== ${factory} (${ours?.indexType ?? theirs?.indexType ?? '?'}) ==`);
  printTable(
    ['build', 'ours', 'FAISS', 'ours / FAISS'],
    [
      [
        'train (s)',
        fixed(ours?.trainSeconds, 2),
        fixed(theirs?.trainSeconds, 2),
        ratio(ours?.trainSeconds, theirs?.trainSeconds),
      ],
      [
        'add (s)',
        fixed(ours?.addSeconds, 2),
        fixed(theirs?.addSeconds, 2),
        ratio(ours?.addSeconds, theirs?.addSeconds),
      ],
      [
        'RSS growth at build (MiB)',
        fixed(ours?.rssGrowthMiB, 0),
        fixed(theirs?.rssGrowthMiB, 0),
        ratio(ours?.rssGrowthMiB, theirs?.rssGrowthMiB),
      ],
      [
        'serialized (MiB)',
        fixed(ours?.serializedMiB, 0),
        fixed(theirs?.serializedMiB, 0),
        ratio(ours?.serializedMiB, theirs?.serializedMiB),
      ],
    ],
    log,
  );
  log('');
  const configs = (ours ?? theirs)?.configs ?? [];
  printTable(
    [
      'thr',
      param,
      'recall ours',
      'recall FAISS',
      'P50 ms ours',
      'P50 FAISS',
      'P99 ms ours',
      'P99 FAISS',
      'P99 ratio',
      'async P50/P99 ours',
      'batch q/s ours',
      'batch q/s FAISS',
      'q/s ratio',
    ],
    configs.map(({ threads, value }) => {
      const a = configOf(ours, threads, value);
      const b = configOf(theirs, threads, value);
      return [
        String(threads),
        String(value),
        fixed(a?.recall, 3),
        fixed(b?.recall, 3),
        fixed(a?.p50Ms, 3),
        fixed(b?.p50Ms, 3),
        fixed(a?.p99Ms, 3),
        fixed(b?.p99Ms, 3),
        ratio(a?.p99Ms, b?.p99Ms),
        a?.asyncP50Ms === undefined ? '—' : `${fixed(a.asyncP50Ms, 3)} / ${fixed(a.asyncP99Ms, 3)}`,
        rate(a?.batchQps),
        rate(b?.batchQps),
        ratio(a?.batchQps, b?.batchQps),
      ];
    }),
    log,
  );
}

/**
 * One verdict line per index and thread count: the smallest parameter at which our recall@k
 * reaches the target, its batch-1 P99 (synchronous) against 5 ms, and our batched throughput
 * over FAISS's at that same configuration. Returns whether every target held.
 */
function verdict({ name, param, ours, theirs }: IndexPair, threads: number): boolean {
  const prefix = `verdict ${name} @ ${threads} thread(s):`;
  const first = ours?.configs.find((c) => c.threads === threads && c.recall >= target.recall);
  if (first === undefined) {
    log(`${prefix} FAILS: no ${param} reaches recall@100 ${target.recall}`);
    return false;
  }
  const peer = configOf(theirs, threads, first.value);
  const latencyOk = first.p99Ms <= target.p99Ms;
  const throughput = peer === undefined ? undefined : first.batchQps / peer.batchQps;
  const throughputOk = throughput !== undefined && throughput >= target.throughputRatio;
  const failed = [
    latencyOk ? undefined : `P99 over ${target.p99Ms} ms`,
    throughput === undefined ? 'no FAISS figure' : throughputOk ? undefined : 'throughput',
  ].filter((reason) => reason !== undefined);
  log(
    `${prefix} ${param} ${first.value}: recall@100 ${first.recall.toFixed(3)} (≥ ${target.recall}), ` +
      `batch-1 P99 ${first.p99Ms.toFixed(3)} ms (≤ ${target.p99Ms}), ` +
      `throughput ${rate(first.batchQps)} vs FAISS ${rate(peer?.batchQps)} q/s = ` +
      `${throughput === undefined ? 'n/a' : throughput.toFixed(2)}× (≥ ${target.throughputRatio}) → ` +
      (failed.length === 0 ? 'HOLDS' : `FAILS (${failed.join(', ')})`),
  );
  return failed.length === 0;
}

async function main(): Promise<void> {
  command.parse();
  const flags = command.opts<Flags>();
  const spec: DatasetSpec = {
    size: flags.size,
    dimension: 64,
    clusters: flags.clusters,
    queries: flags.queries,
    seed: flags.seed,
  };
  log(
    `bench/ann: ${flags.size.toLocaleString('en-US')} clustered ${spec.dimension}-d vectors ` +
      `(${spec.clusters} clusters, seed ${spec.seed}), ${spec.queries} held-out queries, ` +
      `recall@${flags.k}; search threads ${flags.threads.join(', ')}, build threads ${flags.buildThreads}; ` +
      `ours: the ${flags.oursBuild} build`,
  );
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${loadLine()}`);
  ensureVectors(spec, flags.k, log);
  const truth = ensureTruth(spec, { k: flags.k, threads: cpus().length }, log);
  const files = datasetFiles(spec, flags.k);
  const job: AnnJob = {
    vectorsFile: files.vectorsFile,
    truthFile: files.truthFile,
    size: spec.size,
    dimension: spec.dimension,
    queries: spec.queries,
    k: flags.k,
    indexes: flags.indexes.map((name) => {
      const entry = annIndexCatalogue[name];
      if (entry === undefined) throw new Error(`unknown index ${name}`);
      return { name, ...entry };
    }),
    buildThreads: flags.buildThreads,
    threads: flags.threads,
    warmup: flags.warmup,
    batchRepeats: flags.batchRepeats,
    batchMinSeconds: flags.batchMinSeconds,
    batchSize: 1000,
  };
  const reports: Partial<Record<Side, AnnSideReport>> = {};
  let failedSide = false;
  for (const side of flags.sides) {
    try {
      reports[side] = await runSide(side, job, flags);
    } catch (error) {
      if (error instanceof EngineUnavailableError) {
        log(`${side}: SKIPPED: ${error.message}`);
      } else {
        failedSide = true;
        log(`${side}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  log('');
  log(`ground truth: ${truth.method} (${truth.seconds} s, cached)`);
  for (const side of sides) {
    const report = reports[side];
    if (report !== undefined) {
      log(
        `${side}: FAISS ${report.faissVersion}; ${report.build}; peak RSS ${report.peakRssMiB} MiB`,
      );
    }
  }
  const pairs: IndexPair[] = job.indexes.map(({ name, param }) => ({
    name,
    param,
    ours: reports.ours?.indexes.find((i) => i.name === name),
    theirs: reports.faiss?.indexes.find((i) => i.name === name),
  }));
  for (const pair of pairs) printIndex(pair);
  log('');
  let holds = false;
  for (const pair of pairs) {
    let indexHolds = true;
    for (const threads of job.threads) {
      indexHolds = verdict(pair, threads) && indexHolds;
    }
    holds ||= indexHolds;
  }
  log(
    `verdict (issue 20, item 4; ${flags.size.toLocaleString('en-US')} vectors): ` +
      (holds
        ? 'HOLDS: an index meets recall, P99 and throughput at every thread count'
        : 'DOES NOT HOLD: no index meets recall, P99 and throughput at every thread count'),
  );
  process.exitCode = failedSide ? 1 : 0;
}

await main();
