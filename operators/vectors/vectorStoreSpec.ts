import type { Serde } from '../serdes/serde.js';
import {
  keyValueStore,
  type StoreBackend,
  type StoreDefinition,
} from '../state/storeDefinition.js';
import { VectorStoreError, vectorStoreErrorCodes } from './vectorStoreErrors.js';

/**
 * How a vector store compares vectors: squared L2 distance (smaller is nearer) or inner product
 * (larger is nearer).
 *
 * @category Vectors
 */
export type VectorMetric = 'l2' | 'innerProduct';

/**
 * The index a vector store keeps in memory beside its key-value store.
 *
 * @category Vectors
 */
export interface VectorIndexOptions {
  /** Floats per vector; every vector stored must have exactly this many. */
  readonly dimension: number;
  /** A FAISS `index_factory` string: `Flat`, `HNSW32,Flat`, `IVF64,Flat`, … */
  readonly index: string;
  readonly metric: VectorMetric;
  /**
   * IVF only: the index is trained (k-means on every stored vector) once the store holds this
   * many vectors; until then an exact `Flat` index answers. Default 39 × nlist, FAISS's minimum
   * sample for a warning-free training; 0 for other indexes.
   */
  readonly trainAt: number;
  /**
   * Indexes that cannot remove (HNSW): the index is rebuilt from the store, at the task's next
   * commit, once deleted or replaced vectors still in it exceed this fraction of it. Default 0.2.
   */
  readonly rebuildAtTombstoneFraction: number;
  /**
   * How often, at most, the index is written to its snapshot file beside the task's state, at
   * a commit (it is also written when the task closes). After a crash the next open loads the
   * latest one and repairs it from the store instead of rebuilding the index. Default 30 s.
   */
  readonly snapshotIntervalMs: number;
}

/**
 * A stored vector: its floats and the version of the model that made it.
 *
 * @category Vectors
 */
export interface StoredVector {
  readonly vector: Float32Array;
  readonly version: string;
}

/**
 * A vector store declared in a pipeline: an ordinary key-value store (id → vector and model
 * version; change-logged, restored and committed like every store) whose tasks also keep a FAISS
 * index of its contents in memory (`ctx.vectorStore(definition)`).
 *
 * @category Vectors
 */
export interface VectorStoreDefinition extends StoreDefinition<bigint, StoredVector> {
  readonly vectors: VectorIndexOptions;
}

/**
 * Declares a vector store for the processor API: pass it in the `stores` of `process` and
 * reach it with `ctx.vectorStore(definition)`. Ids are `bigint`s from 0 to 2^63 − 1.
 *
 * @category Vectors
 */
export function vectorStore(options: {
  readonly name: string;
  readonly dimension: number;
  /** A FAISS `index_factory` string; default `Flat` (exact search). */
  readonly index?: string;
  /** Default `l2`. */
  readonly metric?: VectorMetric;
  /** `rocksdb` (default) or `memory`: where the store's truth (the key-value pairs) lives. */
  readonly backend?: StoreBackend;
  /** See {@link VectorIndexOptions.trainAt}. */
  readonly trainAt?: number;
  /** See {@link VectorIndexOptions.rebuildAtTombstoneFraction}. */
  readonly rebuildAtTombstoneFraction?: number;
  /** See {@link VectorIndexOptions.snapshotIntervalMs}. */
  readonly snapshotIntervalMs?: number;
}): VectorStoreDefinition {
  const { dimension } = options;
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new Error(`vector store ${options.name}: dimension must be a positive integer`);
  }
  const index = options.index ?? 'Flat';
  if (/IDMap/i.test(index)) {
    throw new Error(
      `vector store ${options.name}: the store keeps the ids; drop IDMap from "${index}"`,
    );
  }
  const nlist = ivfListCount(index);
  const fraction = options.rebuildAtTombstoneFraction ?? 0.2;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new Error(`vector store ${options.name}: rebuildAtTombstoneFraction must be in (0, 1]`);
  }
  const definition = keyValueStore({
    name: options.name,
    key: vectorIdSerde,
    value: storedVectorSerde(dimension),
    changelog: true,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
  });
  return {
    ...definition,
    vectors: {
      dimension,
      index,
      metric: options.metric ?? 'l2',
      trainAt: nlist === undefined ? 0 : Math.max(options.trainAt ?? 39 * nlist, nlist),
      rebuildAtTombstoneFraction: fraction,
      snapshotIntervalMs: options.snapshotIntervalMs ?? 30_000,
    },
  };
}

/** Whether a store definition is a vector store's. @internal */
export function isVectorStoreDefinition(
  definition: StoreDefinition<unknown, unknown> | { readonly name: string },
): definition is VectorStoreDefinition {
  return 'vectors' in definition && typeof definition.vectors === 'object';
}

/** nlist of an IVF factory string (`IVF64,Flat` → 64); undefined for other indexes. */
export function ivfListCount(index: string): number | undefined {
  const match = /(?:^|,)IVF(\d+)/.exec(index);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const maxId = (1n << 63n) - 1n;

/** A vector id as 8 big-endian bytes, so the store's byte order is the ids' order. */
export const vectorIdSerde: Serde<bigint> = {
  name: 'vectorId',
  serialize: (id) => {
    assertVectorId(id);
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(id);
    return bytes;
  },
  deserialize: (bytes) => {
    if (bytes?.length !== 8) {
      throw new Error('a vector id is 8 bytes');
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64BE();
  },
};

export function assertVectorId(id: bigint): void {
  if (typeof id !== 'bigint' || id < 0n || id > maxId) {
    throw new VectorStoreError(
      vectorStoreErrorCodes.invalidId,
      `a vector id is a bigint from 0 to 2^63 - 1, not ${String(id)}`,
    );
  }
}

/**
 * A stored vector's bytes: the version's length (2 bytes, big-endian), the version (UTF-8), then
 * the floats (4 bytes each, little-endian).
 */
export function storedVectorSerde(dimension: number): Serde<StoredVector> {
  return {
    name: `vector(${dimension})`,
    serialize: ({ vector, version }) => {
      assertVector(vector, dimension);
      const versionBytes = Buffer.from(version, 'utf8');
      if (version.length === 0 || versionBytes.length > 0xffff) {
        throw new VectorStoreError(
          vectorStoreErrorCodes.invalidVector,
          'a vector version is a non-empty string of at most 65535 bytes',
        );
      }
      const bytes = Buffer.alloc(2 + versionBytes.length + 4 * dimension);
      bytes.writeUInt16BE(versionBytes.length, 0);
      versionBytes.copy(bytes, 2);
      const offset = 2 + versionBytes.length;
      for (let i = 0; i < dimension; i++) {
        bytes.writeFloatLE(vector[i] ?? 0, offset + 4 * i);
      }
      return bytes;
    },
    deserialize: (bytes) => {
      if (bytes === null) {
        throw new Error('a stored vector is never null');
      }
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      const version = storedVersion(buffer);
      const offset = 2 + buffer.readUInt16BE(0);
      if (buffer.length !== offset + 4 * dimension) {
        throw new Error(
          `a stored vector of ${buffer.length} bytes is not ${dimension}-dimensional`,
        );
      }
      const vector = new Float32Array(dimension);
      for (let i = 0; i < dimension; i++) {
        vector[i] = buffer.readFloatLE(offset + 4 * i);
      }
      return { vector, version };
    },
  };
}

/** The version of a stored vector's bytes, without decoding its floats. */
export function storedVersion(bytes: Buffer): string {
  const length = bytes.readUInt16BE(0);
  return bytes.toString('utf8', 2, 2 + length);
}

export function assertVector(vector: Float32Array, dimension: number): void {
  if (!(vector instanceof Float32Array) || vector.length !== dimension) {
    throw new VectorStoreError(
      vectorStoreErrorCodes.invalidVector,
      `a vector is a Float32Array of ${dimension} floats`,
    );
  }
  if (!vector.every(Number.isFinite)) {
    throw new VectorStoreError(
      vectorStoreErrorCodes.invalidVector,
      'a vector holds only finite floats',
    );
  }
}
