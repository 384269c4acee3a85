/**
 * What bench/ann asks each side to do (one JSON argument, the same for ours and for FAISS's
 * Python peer, bench/ann/faissPeer.py) and what each side reports on its `BENCH_RESULT` line.
 */

/** A search parameter: IVF's `nprobe` or HNSW's `efSearch`. */
export type AnnParam = 'nprobe' | 'efSearch';

/** One index to build and sweep. */
export interface AnnIndexJob {
  /** The short name on the command line and in the table: `ivf1024`. */
  readonly name: string;
  /** FAISS `index_factory` string, the same on both sides. */
  readonly factory: string;
  readonly param: AnnParam;
  readonly values: readonly number[];
  /** Train on the first `trainSize` base vectors (0: no training). */
  readonly trainSize: number;
}

/** The whole job of one side. */
export interface AnnJob {
  readonly vectorsFile: string;
  readonly truthFile: string;
  readonly size: number;
  readonly dimension: number;
  readonly queries: number;
  readonly k: number;
  readonly indexes: readonly AnnIndexJob[];
  /** OpenMP threads while training and adding. */
  readonly buildThreads: number;
  /** OpenMP threads of each search configuration (every value is swept). */
  readonly threads: readonly number[];
  /** Batch-1 queries searched, not timed, before each latency run. */
  readonly warmup: number;
  /**
   * Times the batched search of all queries is repeated, at least; the median is reported. It
   * is repeated until `batchMinSeconds` have passed too: one pass of 1,000 queries takes 25-50 ms
   * at small `nprobe`, too short for a stable median on a shared machine.
   */
  readonly batchRepeats: number;
  /** Seconds the batched repeats take at least, per configuration. */
  readonly batchMinSeconds: number;
  /** Queries per batch in the throughput run. */
  readonly batchSize: number;
}

/** The figures of one (threads, parameter value) configuration. */
export interface AnnConfigResult {
  readonly threads: number;
  readonly value: number;
  /** Mean over queries of |found ∩ exact top-k| / k, from the batched search. */
  readonly recall: number;
  /** Queries per second of the batched search (median of the repeats). */
  readonly batchQps: number;
  /** Batch-1, synchronous: one query per call, one after the other; milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Batch-1 through our `searchAsync`, awaited one at a time (ours only). */
  readonly asyncP50Ms?: number;
  readonly asyncP99Ms?: number;
}

/** The figures of one index on one side. */
export interface AnnIndexResult {
  readonly name: string;
  readonly factory: string;
  readonly indexType: string;
  readonly trainSeconds: number;
  readonly addSeconds: number;
  /** Growth of the process's resident set over train + add, MiB. */
  readonly rssGrowthMiB: number;
  /** The index serialized in FAISS's format (`write_index`), MiB. */
  readonly serializedMiB: number;
  readonly configs: readonly AnnConfigResult[];
}

/** One side's `BENCH_RESULT` line. */
export interface AnnSideReport {
  /** `reelstream binding (FAISS 1.7.3, Debian)` or `faiss-cpu 1.15.1 (PyPI)`. */
  readonly side: string;
  readonly faissVersion: string;
  /** BLAS, SIMD level, OpenMP: whatever the side can say about its build. */
  readonly build: string;
  /** Peak RSS (VmHWM) before the index is serialized, MiB. */
  readonly peakRssMiB: number;
  readonly indexes: readonly AnnIndexResult[];
}

/** The indexes `--indexes` may name; each with its factory string and its sweep. */
export const annIndexCatalogue: Readonly<Record<string, Omit<AnnIndexJob, 'name'>>> = {
  ivf1024: {
    factory: 'IVF1024,Flat',
    param: 'nprobe',
    values: [1, 2, 4, 8, 16, 32, 64],
    trainSize: 64 * 1024,
  },
  ivf4096: {
    factory: 'IVF4096,Flat',
    param: 'nprobe',
    values: [1, 2, 4, 8, 16, 32, 64, 128],
    trainSize: 64 * 4096,
  },
  hnsw32: {
    factory: 'HNSW32,Flat',
    param: 'efSearch',
    values: [100, 128, 256, 512],
    trainSize: 0,
  },
};

/** Percentile (0–100) of an ascending array, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A median of unsorted numbers. */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}
