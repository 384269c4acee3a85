/**
 * bench/ann, our side: `node --import tsx bench/ann/oursMain.ts '<AnnJob as JSON>'`. Builds and
 * sweeps every index of the job with reelstream's FAISS binding (operators/vectors/faissIndex.ts)
 * and prints one `BENCH_RESULT {AnnSideReport}` line. Run by bench/ann/run.ts in its own process.
 */
import { readFileSync } from 'node:fs';

import { FaissIndex, faissVersion, setFaissThreads } from '../../operators/vectors/faissIndex.js';
import type { FaissSearchParams } from '../../operators/vectors/faissIndex.js';
import { nativeBindingBuild, nativeBindingPath } from '../../operators/vectors/nativeBinding.js';
import { resultMarker } from '../support/measuredProcess.js';
import { readFloat32File, readInt64File } from './dataset.js';
import type { AnnConfigResult, AnnIndexJob, AnnIndexResult, AnnJob, AnnSideReport } from './job.js';
import { median, percentile } from './job.js';

function statusKb(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync('/proc/self/status', 'utf8'),
  );
  return Number(match?.[1] ?? Number.NaN);
}

/** The BLAS library this process has mapped (the loader may have been given another one). */
function loadedBlas(): string {
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
  const paths = new Set(
    maps.map((line) => line.slice(line.indexOf('/'))).filter((path) => /blas/i.test(path)),
  );
  return [...paths].join(', ') || 'none mapped';
}

/** Which build of the addon this process loaded (run.ts's --ours-build), and from where. */
function addonBuild(): string {
  const path = nativeBindingPath() ?? '?';
  const build = nativeBindingBuild();
  if (build === undefined) {
    return `reelstream N-API addon from REELSTREAM_FAISS_BINDING (${path})`;
  }
  if (build === 'optimized') {
    return (
      'reelstream N-API addon, optimized build (deploy/local/setup/faissOptimized.sh: FAISS 1.7.3 ' +
      `built with FAISS_OPT_LEVEL=avx2, static libfaiss_avx2.a, Debian OpenBLAS; ${path})`
    );
  }
  return (
    'reelstream N-API addon, default build (deploy/local/setup/faissBinding.sh: Debian libfaiss-dev, ' +
    `static, generic x86-64 build, -lblas; ${path})`
  );
}

const seconds = (from: number): number => Math.round(performance.now() - from) / 1000;
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Mean recall@k of `found` (query after query, k ids each) against the exact `truth`. */
function recallOf(found: BigInt64Array, truth: BigInt64Array, k: number): number {
  const queries = truth.length / k;
  let hits = 0;
  for (let q = 0; q < queries; q++) {
    const exact = new Set<bigint>(truth.subarray(q * k, (q + 1) * k));
    for (const id of found.subarray(q * k, (q + 1) * k)) {
      if (exact.has(id)) hits++;
    }
  }
  return hits / (queries * k);
}

/** One built index and what its sweep needs. */
interface SweepInput {
  readonly job: AnnJob;
  readonly index: FaissIndex;
  readonly indexJob: AnnIndexJob;
  readonly queryVectors: Float32Array;
  readonly truth: BigInt64Array;
}

async function sweep({
  job,
  index,
  indexJob,
  queryVectors,
  truth,
}: SweepInput): Promise<AnnConfigResult[]> {
  const { dimension, queries, k } = job;
  const query = (q: number): Float32Array =>
    queryVectors.subarray(q * dimension, (q + 1) * dimension);
  const results: AnnConfigResult[] = [];
  for (const threads of job.threads) {
    setFaissThreads(threads);
    for (const value of indexJob.values) {
      const params: FaissSearchParams = { [indexJob.param]: value };
      // Batched: all queries in batches of batchSize, repeated (at least batchRepeats times and
      // batchMinSeconds); recall from the first repeat.
      const found = new BigInt64Array(queries * k);
      const batchSeconds: number[] = [];
      const sweepStarted = performance.now();
      for (
        let repeat = 0;
        repeat < job.batchRepeats || performance.now() - sweepStarted < job.batchMinSeconds * 1000;
        repeat++
      ) {
        const started = performance.now();
        for (let from = 0; from < queries; from += job.batchSize) {
          const count = Math.min(job.batchSize, queries - from);
          const { ids } = index.search(
            queryVectors.subarray(from * dimension, (from + count) * dimension),
            k,
            params,
          );
          if (repeat === 0) found.set(ids, from * k);
        }
        batchSeconds.push((performance.now() - started) / 1000);
      }
      // Batch-1, synchronous, then asynchronous: one query per call, one after the other.
      for (let q = 0; q < job.warmup; q++) index.search(query(q % queries), k, params);
      const sync: number[] = [];
      for (let q = 0; q < queries; q++) {
        const started = performance.now();
        index.search(query(q), k, params);
        sync.push(performance.now() - started);
      }
      for (let q = 0; q < job.warmup; q++) await index.searchAsync(query(q % queries), k, params);
      const async: number[] = [];
      for (let q = 0; q < queries; q++) {
        const started = performance.now();
        await index.searchAsync(query(q), k, params);
        async.push(performance.now() - started);
      }
      sync.sort((a, b) => a - b);
      async.sort((a, b) => a - b);
      const result: AnnConfigResult = {
        threads,
        value,
        recall: round3(recallOf(found, truth, k)),
        batchQps: Math.round(queries / median(batchSeconds)),
        p50Ms: round3(percentile(sync, 50)),
        p99Ms: round3(percentile(sync, 99)),
        meanMs: round3(sync.reduce((sum, ms) => sum + ms, 0) / sync.length),
        asyncP50Ms: round3(percentile(async, 50)),
        asyncP99Ms: round3(percentile(async, 99)),
      };
      console.error(`ours ${indexJob.name} ${JSON.stringify(result)}`);
      results.push(result);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as AnnJob;
  const { size, dimension, queries } = job;
  const all = readFloat32File(job.vectorsFile);
  const base = all.subarray(0, size * dimension);
  const queryVectors = all.subarray(size * dimension, (size + queries) * dimension);
  const truth = readInt64File(job.truthFile);
  const ids = BigInt64Array.from({ length: size }, (_, i) => BigInt(i));
  const indexes: AnnIndexResult[] = [];
  let peakRssMiB = 0;
  for (const indexJob of job.indexes) {
    const rssBefore = statusKb('VmRSS');
    setFaissThreads(job.buildThreads);
    const index = FaissIndex.create({ dimension, description: indexJob.factory });
    let started = performance.now();
    if (indexJob.trainSize > 0) {
      index.train(base.subarray(0, Math.min(indexJob.trainSize, size) * dimension));
    }
    const trainSeconds = seconds(started);
    started = performance.now();
    index.addWithIds(base, ids);
    const addSeconds = seconds(started);
    const rssGrowthMiB = Math.round((statusKb('VmRSS') - rssBefore) / 1024);
    console.error(
      `ours ${indexJob.name}: ${index.indexType}, train ${trainSeconds} s, add ${addSeconds} s`,
    );
    const configs = await sweep({ job, index, indexJob, queryVectors, truth });
    peakRssMiB = Math.max(peakRssMiB, Math.round(statusKb('VmHWM') / 1024));
    const serializedMiB = Math.round(index.toBuffer().byteLength / 2 ** 20);
    indexes.push({
      name: indexJob.name,
      factory: indexJob.factory,
      indexType: index.indexType,
      trainSeconds,
      addSeconds,
      rssGrowthMiB,
      serializedMiB,
      configs,
    });
    index.dispose();
  }
  const report: AnnSideReport = {
    side: 'ours',
    faissVersion: faissVersion(),
    build: `${addonBuild()}, libgomp; BLAS loaded: ${loadedBlas()}`,
    peakRssMiB,
    indexes,
  };
  console.log(`${resultMarker}${JSON.stringify(report)}`);
}

await main();
