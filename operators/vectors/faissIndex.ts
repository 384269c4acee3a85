import { fromNativeError } from './errors.js';
import { loadNativeBinding } from './nativeBinding.js';
import type { NativeIndex, NativeSearchParams } from './nativeBinding.js';

export { FaissIndexError, faissErrorCodes } from './errors.js';
export type { FaissErrorCode } from './errors.js';

/**
 * How distances are measured: squared Euclidean (`l2`, smaller is nearer) or inner product
 * (`innerProduct`, larger is nearer; normalise the vectors first for cosine similarity).
 *
 * @category Vectors
 */
export type FaissMetric = 'l2' | 'innerProduct';

/** @category Vectors */
export interface FaissIndexOptions {
  /** The vectors' dimension, 1 or more. */
  readonly dimension: number;
  /**
   * A FAISS `index_factory` string: `Flat` (exact), `IVF1024,Flat` (inverted lists; needs
   * `train`), `HNSW32,Flat` (graph; cannot remove). Without `IDMap`: the binding keeps ids
   * itself. An IVF inside a transform or refinement (`PCA32,IVF64,Flat`) is not supported.
   */
  readonly description: string;
  /** Defaults to `l2`. */
  readonly metric?: FaissMetric;
}

/**
 * Per-call search parameters. Each applies to one family of index and is an error on any other:
 * `nprobe` (IVF: how many of the `nlist` inverted lists to scan; default 1) and `efSearch`
 * (HNSW: the size of the search's candidate list; default 16, at least k is useful).
 *
 * @category Vectors
 */
export interface FaissSearchParams {
  readonly nprobe?: number;
  readonly efSearch?: number;
}

/**
 * The k nearest neighbours of each query, query after query: entry `q * k + j` is the j-th
 * nearest of query q. Where fewer than k vectors were found, the id is `-1n` and the distance
 * FAISS's sentinel: the largest float (3.4e38) for L2, its negative for inner product.
 *
 * @category Vectors
 */
export interface FaissSearchResult {
  readonly distances: Float32Array;
  readonly ids: BigInt64Array;
}

/**
 * A FAISS index (Debian's libfaiss, through reelstream's own N-API addon) with 64-bit ids: an
 * `index_factory` index wrapped in an `IndexIDMap2`, except IVF indexes, which keep ids in their
 * inverted lists themselves (an id map around IVF shifts ids after a removal; see
 * docs/vectors.md). Vectors go in and come out as
 * `Float32Array`s, `dimension` floats per vector, one after the other; ids are `BigInt64Array`s
 * (every int64 id from 0 to 2^63 - 1; `-1n` marks a missing result), so no id ever loses
 * precision. An id may be in the index once: remove it before adding its new vector.
 *
 * Every failure throws (or rejects with) a {@link FaissIndexError}; none ends the process.
 *
 * **Concurrency.** The `…Async` methods run FAISS on libuv's thread pool and leave the event loop
 * free; they copy their inputs first, so the caller may reuse its arrays at once. While one runs,
 * the index is held: `searchAsync` holds it for reading (other searches, sync or async, and
 * `toBuffer` may run beside it), `trainAsync` and `addWithIdsAsync` hold it for writing (nothing
 * else may run, not even `ntotal`). A call that cannot get the index fails at once with
 * `ERR_FAISS_INDEX_BUSY` (`retriable`); nothing waits or queues. The holder is released just
 * before the promise settles, so the next call can be made from its continuation.
 *
 * @example
 * ```ts
 * const index = FaissIndex.create({ dimension: 2, description: 'Flat' });
 * index.addWithIds(new Float32Array([0, 0, 1, 1]), new BigInt64Array([10n, 20n]));
 * const { ids } = await index.searchAsync(new Float32Array([0.9, 0.9]), 1);
 * ids[0]; // 20n
 * ```
 * @category Vectors
 */
export class FaissIndex {
  readonly #native: NativeIndex;

  private constructor(native: NativeIndex) {
    this.#native = native;
  }

  /** A new, empty index. IVF indexes need {@link FaissIndex.train} before vectors are added. */
  static create(options: FaissIndexOptions): FaissIndex {
    const { NativeIndex: Native } = loadNativeBinding();
    return call(
      () =>
        new FaissIndex(
          new Native({
            dimension: options.dimension,
            description: options.description,
            metric: options.metric ?? 'l2',
          }),
        ),
    );
  }

  /** The index {@link FaissIndex.toBuffer} wrote (FAISS's own format, `read_index`). */
  static fromBuffer(buffer: Uint8Array): FaissIndex {
    const { NativeIndex: Native } = loadNativeBinding();
    return call(() => new FaissIndex(new Native({ buffer })));
  }

  /** The vectors' dimension. */
  get dimension(): number {
    return this.#native.dimension;
  }

  /** How many vectors the index holds. */
  get ntotal(): number {
    return call(() => this.#native.ntotal);
  }

  /** False for an IVF index until it is trained; always true for Flat and HNSW. */
  get isTrained(): boolean {
    return call(() => this.#native.isTrained);
  }

  /** The FAISS class inside the id map, such as `IndexIVFFlat` or `IndexHNSWFlat`. */
  get indexType(): string {
    return call(() => this.#native.indexType);
  }

  /** Whether an asynchronous call holds the index now. */
  get busy(): boolean {
    return this.#native.busy;
  }

  /** Trains the index on representative vectors (IVF: k-means of at least `nlist` of them). */
  train(vectors: Float32Array): void {
    call(() => this.#native.train(vectors));
  }

  /** {@link FaissIndex.train} on the thread pool. */
  async trainAsync(vectors: Float32Array): Promise<void> {
    return callAsync(() => this.#native.trainAsync(vectors));
  }

  /**
   * Adds `ids.length` vectors under the given ids. Throws when the index is not trained, when
   * the lengths disagree, or when an id is negative, repeated, or already in the index.
   */
  addWithIds(vectors: Float32Array, ids: BigInt64Array): void {
    call(() => this.#native.addWithIds(vectors, ids));
  }

  /** {@link FaissIndex.addWithIds} on the thread pool. */
  async addWithIdsAsync(vectors: Float32Array, ids: BigInt64Array): Promise<void> {
    return callAsync(() => this.#native.addWithIdsAsync(vectors, ids));
  }

  /**
   * Removes the vectors with these ids and returns how many were removed (ids not in the index
   * are ignored); the other vectors keep their ids. HNSW cannot remove: `ERR_FAISS_UNSUPPORTED`.
   */
  removeIds(ids: BigInt64Array): number {
    return call(() => this.#native.removeIds(ids));
  }

  /** The `k` nearest neighbours of each query (`queries.length / dimension` of them). */
  search(queries: Float32Array, k: number, params?: FaissSearchParams): FaissSearchResult {
    return call(() => this.#native.search(queries, k, nativeParams(params)));
  }

  /** {@link FaissIndex.search} on the thread pool. */
  async searchAsync(
    queries: Float32Array,
    k: number,
    params?: FaissSearchParams,
  ): Promise<FaissSearchResult> {
    return callAsync(() => this.#native.searchAsync(queries, k, nativeParams(params)));
  }

  /** The whole index, ids included, in FAISS's format (`write_index`). */
  toBuffer(): Buffer {
    return call(() => this.#native.toBuffer());
  }

  /**
   * Frees the index's memory now rather than at garbage collection; later calls throw
   * `ERR_FAISS_INDEX_DISPOSED`. Throws `ERR_FAISS_INDEX_BUSY` while an asynchronous call runs.
   */
  dispose(): void {
    call(() => this.#native.dispose());
  }
}

/**
 * Sets how many OpenMP threads each FAISS call uses, process-wide, for calls on the main thread
 * and on the thread pool alike (FAISS's `omp_set_num_threads`, applied at the start of every
 * call). One thread gives the best tail latency when many searches run side by side.
 *
 * @category Vectors
 */
export function setFaissThreads(threads: number): void {
  const binding = loadNativeBinding();
  call(() => binding.setThreads(threads));
}

/**
 * The OpenMP thread count FAISS calls use (OpenMP's default until {@link setFaissThreads}).
 *
 * @category Vectors
 */
export function faissThreads(): number {
  return loadNativeBinding().getThreads();
}

/**
 * Whether the native addon is built and loads; tests skip on false.
 *
 * @category Vectors
 */
export function faissBindingAvailable(): boolean {
  try {
    loadNativeBinding();
    return true;
  } catch {
    return false;
  }
}

/** The FAISS version the addon was compiled against, such as `1.7.3`. @category Vectors */
export function faissVersion(): string {
  return loadNativeBinding().faissVersion;
}

function nativeParams(params: FaissSearchParams | undefined): NativeSearchParams | undefined {
  if (params === undefined) return undefined;
  return {
    ...(params.nprobe === undefined ? {} : { nprobe: params.nprobe }),
    ...(params.efSearch === undefined ? {} : { efSearch: params.efSearch }),
  };
}

function call<TResult>(body: () => TResult): TResult {
  try {
    return body();
  } catch (error) {
    throw fromNativeError(error);
  }
}

async function callAsync<TResult>(body: () => Promise<TResult>): Promise<TResult> {
  try {
    return await body();
  } catch (error) {
    throw fromNativeError(error);
  }
}
