/**
 * What the demo and a feature job it started as a child process (`reelstream features`) say to
 * each other over the IPC channel.
 */

/** Parent → feature process. */
export type ToFeaturesProcess = { readonly kind: 'stats' } | { readonly kind: 'stop' };

/** What the feature process measures of itself, for the demo's samples and summary. */
export interface FeaturesProcessStats {
  /** Records processed (inputs and repartitions). */
  readonly processed: number;
  /** CPU time used by the process so far (user + system), in microseconds. */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  /** The JavaScript heap in use (the rest of RSS: RocksDB, buffers, code). */
  readonly heapUsedBytes: number;
  /** The heap V8 has taken from the system (its used part plus what it keeps free). */
  readonly heapCommittedBytes: number;
  /** Memory outside the heap that JavaScript objects hold: Buffers' and ArrayBuffers' bytes. */
  readonly externalBytes: number;
  /**
   * The 99th percentile of the event loop's delay since the last stats, in ms: how long an
   * interactive query (or any callback) waited for the records being processed.
   */
  readonly eventLoopP99Ms: number;
  /** Bytes in the stores' write caches, and the budget they are counted against. */
  readonly cacheBytes: number;
  readonly cacheMaxBytes: number;
  /** RocksDB's native memory (table readers, memtables, block caches), by its own estimates. */
  readonly rocksDbBytes: number;
}

/** Feature process → parent. */
export type FromFeaturesProcess =
  | { readonly kind: 'ready'; readonly queryEndpoint: string }
  | ({ readonly kind: 'stats' } & FeaturesProcessStats);
