import type { SerdeContext } from '../serdes/serde.js';
import type { TaskStore } from '../state/taskStore.js';
import { FaissIndex, FaissIndexError, faissErrorCodes } from './faissIndex.js';
import { readSnapshotFile, writeSnapshotFile, type VectorSnapshot } from './vectorSnapshot.js';
import { VectorStoreError, vectorStoreErrorCodes } from './vectorStoreErrors.js';
import {
  assertVector,
  assertVectorId,
  storedVersion,
  vectorIdSerde,
  type StoredVector,
  type VectorIndexOptions,
  type VectorStoreDefinition,
} from './vectorStoreSpec.js';

/**
 * One hit of {@link VectorStore.search}: a stored vector's id and its distance to the query
 * (squared L2, smaller is nearer; or inner product, larger is nearer).
 *
 * @category Vectors
 */
export interface VectorHit {
  readonly id: bigint;
  readonly distance: number;
}

/**
 * Options of {@link VectorStore.search}.
 *
 * @category Vectors
 */
export interface VectorSearchOptions {
  /** The model version the query was embedded with; it must be the store's. */
  readonly version: string;
  /** IVF: inverted lists scanned (FAISS's default 1; nlist is exact). */
  readonly nprobe?: number;
  /** HNSW: candidate list size (default 16). */
  readonly efSearch?: number;
}

/**
 * What a vector store holds and how its index came to be: for tests and operators' metrics.
 *
 * @category Vectors
 */
export interface VectorStoreStats {
  /** Stored vectors (committed and uncommitted). */
  readonly size: number;
  /** Vectors in the FAISS index, the stale ones of an index that cannot remove included. */
  readonly indexed: number;
  /** `indexed - size`: replaced or deleted vectors still in an index that cannot remove. */
  readonly tombstones: number;
  /** The FAISS class answering searches (`IndexFlat` until an IVF index is trained). */
  readonly indexType: string;
  /** How the index was made when the task opened: read from its snapshot, or rebuilt. */
  readonly openedFrom: 'snapshot' | 'rebuild';
  /** Index rebuilds from the store since the task opened (the first one included). */
  readonly rebuilds: number;
  /** Vectors re-indexed because the store differed from the snapshot or index. */
  readonly repaired: number;
  /** How long making the index took when the task opened (snapshot read or rebuild, resync). */
  readonly openMs: number;
  /** Snapshots written at commits since the task opened. */
  readonly snapshots: number;
}

interface Entry {
  /** The vector's label in the FAISS index (a new one per write: HNSW cannot remove). */
  readonly label: bigint;
  /** Hash of the stored bytes: tells whether the index holds what the store holds. */
  readonly hash: number;
}

/**
 * A task's vector store: its key-value store (id → vector and model version), which is the
 * truth, and a FAISS index of the same vectors in memory, kept in step with every write.
 *
 * - **Exactly-once** comes from the key-value store: writes land in the task's store and reach
 *   its changelog with the task's commit; the index follows the store's current contents, its
 *   uncommitted writes included (as reads of a key-value store do). When uncommitted writes are
 *   discarded, or the task opens, the index is brought back to the store.
 * - **Deletions.** Indexes that can remove (Flat, IVF) remove; HNSW cannot, so the old vector
 *   stays in the index under a label no id maps to: searches ask FAISS for k plus that many
 *   and drop them, and the index is rebuilt at a commit once they exceed
 *   `rebuildAtTombstoneFraction` of it.
 * - **Versions.** A store holds the vectors of one model version; writing or searching another
 *   throws `ERR_VECTOR_VERSION_MISMATCH` (until the store is empty). A new model's vectors go to
 *   a new store, and the searches switch to it once it is complete: never two versions mixed.
 *
 * @category Vectors
 */
export class VectorStore {
  readonly name: string;
  readonly dimension: number;
  readonly #store: TaskStore;
  readonly #definition: VectorStoreDefinition;
  readonly #options: VectorIndexOptions;
  readonly #valueContext: SerdeContext;
  #index: FaissIndex;
  /** Whether {@link #index} is of the declared type (IVF: trained), not the Flat stand-in. */
  #trained: boolean;
  #entries = new Map<bigint, Entry>();
  #idOfLabel = new Map<bigint, bigint>();
  #nextLabel = 0n;
  #version: string | undefined;
  /** Whether the index can remove vectors; learned at the first removal. */
  #removes: boolean | undefined;
  #openedFrom: 'snapshot' | 'rebuild' = 'rebuild';
  #rebuilds = 0;
  #repaired = 0;
  #openMs = 0;
  /** Where the index's snapshot goes (undefined: a store kept in memory, no snapshots). */
  #snapshotFile: string | undefined;
  #snapshotAt = 0;
  #snapshots = 0;

  /** @internal */
  constructor(options: { store: TaskStore; definition: VectorStoreDefinition }) {
    this.#store = options.store;
    this.#definition = options.definition;
    this.#options = options.definition.vectors;
    this.name = options.definition.name;
    this.dimension = this.#options.dimension;
    this.#valueContext = { topic: this.name, isKey: false };
    this.#trained = this.#options.trainAt === 0;
    this.#index = this.#createIndex(this.#trained);
  }

  /** Stored vectors, committed and uncommitted. */
  get size(): number {
    return this.#entries.size;
  }

  /** How the index compares vectors: `l2` (smaller is nearer) or `innerProduct` (larger is nearer). */
  get metric(): VectorIndexOptions['metric'] {
    return this.#options.metric;
  }

  /** The model version of the stored vectors; undefined while the store is empty. */
  get version(): string | undefined {
    return this.#version;
  }

  /**
   * Every stored vector (committed and uncommitted), in id order: what the shard holds, for
   * checks and dumps. Reads the key-value store, not the index.
   */
  async *entries(): AsyncGenerator<{ id: bigint } & StoredVector> {
    for await (const [key, value] of this.#store.range()) {
      const { vector, version } = this.#definition.value.deserialize(value, this.#valueContext);
      yield { id: vectorIdSerde.deserialize(key, this.#valueContext), vector, version };
    }
  }

  /** Whether a vector is stored under `id`. */
  has(id: bigint): boolean {
    return this.#entries.has(id);
  }

  /** The stored vector and its version. */
  async get(id: bigint): Promise<StoredVector | undefined> {
    const bytes = await this.#store.get(idBytes(id));
    return bytes === undefined
      ? undefined
      : this.#definition.value.deserialize(bytes, this.#valueContext);
  }

  /**
   * Stores the vector under `id` (replacing the one there) and indexes it. `version` must be
   * the store's unless the store is empty, or holds only this id.
   */
  upsert(id: bigint, vector: Float32Array, version: string): void {
    assertVectorId(id);
    assertVector(vector, this.dimension);
    const current = this.#version;
    if (
      current !== undefined &&
      version !== current &&
      !(this.#entries.size === 1 && this.#entries.has(id))
    ) {
      throw new VectorStoreError(
        vectorStoreErrorCodes.versionMismatch,
        `holds version ${current}, not ${version}: write a new version to a new store`,
        { store: this.name },
      );
    }
    const bytes = this.#definition.value.serialize({ vector, version }, this.#valueContext);
    if (bytes === null) {
      throw new Error(`vector store ${this.name}: a vector serialized to null`);
    }
    this.#store.put(idBytes(id), bytes);
    this.#unindex(id);
    this.#indexOne(id, vector, hashBytes(bytes));
    this.#version = version;
  }

  /** Deletes the vector stored under `id`, if any. */
  delete(id: bigint): void {
    assertVectorId(id);
    this.#store.delete(idBytes(id));
    this.#unindex(id);
    if (this.#entries.size === 0) {
      this.#version = undefined;
    }
  }

  /**
   * The `k` stored vectors nearest to `query`, nearest first (fewer when fewer are stored):
   * exactly the store's current vectors, never a deleted or replaced one. Throws
   * `ERR_VECTOR_VERSION_MISMATCH` when the store holds another version than `options.version`.
   */
  search(query: Float32Array, k: number, options: VectorSearchOptions): VectorHit[] {
    if (!Number.isInteger(k) || k < 1) {
      throw new VectorStoreError(vectorStoreErrorCodes.invalidVector, `k must be ≥ 1, not ${k}`, {
        store: this.name,
      });
    }
    assertVector(query, this.dimension);
    if (this.#entries.size === 0) {
      return [];
    }
    if (options.version !== this.#version) {
      throw new VectorStoreError(
        vectorStoreErrorCodes.versionMismatch,
        `holds version ${String(this.#version)}; a query of version ${options.version} cannot search it`,
        { store: this.name },
      );
    }
    const indexed = this.#index.ntotal;
    const ask = Math.min(k + indexed - this.#entries.size, indexed);
    const { distances, ids } = this.#index.search(query, ask, this.#params(options));
    const hits: VectorHit[] = [];
    for (let i = 0; i < ask && hits.length < k; i++) {
      const id = this.#idOfLabel.get(ids[i] ?? -1n);
      if (id !== undefined) {
        hits.push({ id, distance: distances[i] ?? Number.NaN });
      }
    }
    return hits;
  }

  stats(): VectorStoreStats {
    const indexed = this.#index.ntotal;
    return {
      size: this.#entries.size,
      indexed,
      tombstones: indexed - this.#entries.size,
      indexType: this.#index.indexType,
      openedFrom: this.#openedFrom,
      rebuilds: this.#rebuilds,
      repaired: this.#repaired,
      openMs: this.#openMs,
      snapshots: this.#snapshots,
    };
  }

  /**
   * Makes the index when the task opens: from the snapshot in `snapshot.file` if it was
   * written for this store's index options, else from the store; either way then made equal
   * to the store (`resync`). The snapshot may be of any moment: the one a close wrote for
   * its checkpoint, or one a commit wrote before a crash, with writes the restored store does
   * not have yet or no longer has (uncommitted ones); the resync repairs what differs, so it
   * only decides how much work the open does, never what the index holds. @internal
   */
  async open(snapshot?: { readonly file: string; readonly tag: string }): Promise<void> {
    const started = performance.now();
    this.#snapshotFile = snapshot?.file;
    const read = snapshot === undefined ? undefined : readSnapshotFile(snapshot.file);
    if (read !== undefined && this.#fits(read)) {
      this.#load(read);
      this.#openedFrom = 'snapshot';
    }
    await this.resync();
    this.#snapshotAt = performance.now();
    this.#openMs = this.#snapshotAt - started;
  }

  /**
   * Makes the index hold exactly the store's current vectors: reads every stored vector, and
   * re-indexes those whose bytes differ from what the index holds, and removes the ids the
   * store no longer has. Used when the task opens (after its restore) and after its
   * uncommitted writes were discarded. An empty index is rebuilt in one go. @internal
   */
  async resync(): Promise<void> {
    if (this.#entries.size === 0 && this.#index.ntotal === 0) {
      await this.#rebuild();
      return;
    }
    const seen = new Set<bigint>();
    const changed: { id: bigint; bytes: Buffer; hash: number }[] = [];
    let version: string | undefined;
    for await (const [key, value] of this.#store.range()) {
      const id = vectorIdSerde.deserialize(key, this.#valueContext);
      version = this.#sameVersion(version, value);
      seen.add(id);
      const hash = hashBytes(value);
      if (this.#entries.get(id)?.hash !== hash) {
        changed.push({ id, bytes: value, hash });
      }
    }
    for (const id of [...this.#entries.keys()]) {
      if (!seen.has(id)) {
        this.#unindex(id);
        this.#repaired += 1;
      }
    }
    for (const { id, bytes, hash } of changed) {
      this.#unindex(id);
      this.#indexOne(id, this.#vectorOf(bytes), hash);
      this.#repaired += 1;
    }
    this.#version = version;
    await this.maintain();
  }

  /**
   * Before each commit of the task: trains an IVF index once enough vectors are stored, and
   * rebuilds an index that cannot remove once its tombstones exceed their fraction. Every
   * `snapshotIntervalMs` it also writes the index's snapshot, so that a task that crashes
   * (kill -9: no close, no snapshot of the close) reopens from it instead of rebuilding the
   * index (an HNSW graph of 100k vectors: 133 s of one core against under a second).
   * @internal
   */
  async maintain(): Promise<void> {
    const indexed = this.#index.ntotal;
    const tombstones = indexed - this.#entries.size;
    if (
      (!this.#trained && this.#entries.size >= this.#options.trainAt) ||
      (tombstones > 0 && tombstones > this.#options.rebuildAtTombstoneFraction * indexed)
    ) {
      await this.#rebuild();
    }
    const now = performance.now();
    if (
      this.#snapshotFile !== undefined &&
      this.#snapshotAt > 0 &&
      now - this.#snapshotAt >= this.#options.snapshotIntervalMs
    ) {
      this.#snapshotAt = now;
      try {
        this.writeSnapshot(this.#snapshotFile, 'commit');
        this.#snapshots += 1;
      } catch {
        // No snapshot this time (a full disk, say): a crash now costs the next open a rebuild.
      }
    }
  }

  /** Writes the index to `file` for the next open, tagged with the checkpoint. @internal */
  writeSnapshot(file: string, tag: string): void {
    const count = this.#entries.size;
    const ids = new BigInt64Array(count);
    const labels = new BigInt64Array(count);
    const hashes = new Float64Array(count);
    let i = 0;
    for (const [id, entry] of this.#entries) {
      ids[i] = id;
      labels[i] = entry.label;
      hashes[i] = entry.hash;
      i += 1;
    }
    const snapshot: VectorSnapshot = {
      tag,
      index: this.#options.index,
      dimension: this.dimension,
      metric: this.#options.metric,
      trained: this.#trained,
      version: this.#version,
      nextLabel: this.#nextLabel,
      ids,
      labels,
      hashes,
      faiss: this.#index.toBuffer(),
    };
    writeSnapshotFile(file, snapshot);
  }

  /** Frees the index. @internal */
  dispose(): void {
    this.#index.dispose();
  }

  /** Reads every stored vector into a fresh index, which then replaces the current one. */
  async #rebuild(): Promise<void> {
    const ids: bigint[] = [];
    const hashes: number[] = [];
    let vectors = new Float32Array(1024 * this.dimension);
    let version: string | undefined;
    for await (const [key, value] of this.#store.range()) {
      version = this.#sameVersion(version, value);
      if ((ids.length + 1) * this.dimension > vectors.length) {
        const grown = new Float32Array(vectors.length * 2);
        grown.set(vectors);
        vectors = grown;
      }
      vectors.set(this.#vectorOf(value), ids.length * this.dimension);
      ids.push(vectorIdSerde.deserialize(key, this.#valueContext));
      hashes.push(hashBytes(value));
    }
    const count = ids.length;
    const all = vectors.subarray(0, count * this.dimension);
    const trained = count >= this.#options.trainAt;
    const index = this.#createIndex(trained);
    try {
      if (trained && this.#options.trainAt > 0) {
        await index.trainAsync(all);
      }
      if (count > 0) {
        await index.addWithIdsAsync(
          all,
          BigInt64Array.from({ length: count }, (_, i) => BigInt(i)),
        );
      }
    } catch (error) {
      index.dispose();
      throw error;
    }
    this.#index.dispose();
    this.#index = index;
    this.#trained = trained;
    this.#entries = new Map();
    this.#idOfLabel = new Map();
    ids.forEach((id, i) => {
      const label = BigInt(i);
      this.#entries.set(id, { label, hash: hashes[i] ?? 0 });
      this.#idOfLabel.set(label, id);
    });
    this.#nextLabel = BigInt(count);
    this.#version = version;
    this.#rebuilds += 1;
  }

  #createIndex(trained: boolean): FaissIndex {
    return FaissIndex.create({
      dimension: this.dimension,
      description: trained ? this.#options.index : 'Flat',
      metric: this.#options.metric,
    });
  }

  #indexOne(id: bigint, vector: Float32Array, hash: number): void {
    const label = this.#nextLabel;
    this.#index.addWithIds(vector, BigInt64Array.of(label));
    this.#nextLabel += 1n;
    this.#entries.set(id, { label, hash });
    this.#idOfLabel.set(label, id);
  }

  /** Takes `id`'s vector out of the index, or out of its searches when the index cannot remove. */
  #unindex(id: bigint): void {
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      return;
    }
    this.#entries.delete(id);
    this.#idOfLabel.delete(entry.label);
    if (this.#removes === false) {
      return;
    }
    try {
      this.#index.removeIds(BigInt64Array.of(entry.label));
      this.#removes = true;
    } catch (error) {
      if (!(error instanceof FaissIndexError && error.code === faissErrorCodes.unsupported)) {
        throw error;
      }
      this.#removes = false; // HNSW: the vector stays, a tombstone no search returns
    }
  }

  #params(options: VectorSearchOptions): { nprobe?: number; efSearch?: number } | undefined {
    if (!this.#trained) {
      return undefined; // the exact Flat stand-in of an untrained IVF has no parameters
    }
    return {
      ...(options.nprobe === undefined ? {} : { nprobe: options.nprobe }),
      ...(options.efSearch === undefined ? {} : { efSearch: options.efSearch }),
    };
  }

  #vectorOf(bytes: Buffer): Float32Array {
    return this.#definition.value.deserialize(bytes, this.#valueContext).vector;
  }

  /** The version of `bytes`, which must be `previous` when there is one. */
  #sameVersion(previous: string | undefined, bytes: Buffer): string {
    const version = storedVersion(bytes);
    if (previous !== undefined && version !== previous) {
      throw new VectorStoreError(
        vectorStoreErrorCodes.mixedVersions,
        `holds vectors of versions ${previous} and ${version}`,
        { store: this.name },
      );
    }
    return version;
  }

  /** Whether a snapshot was written for this store's index (its tag names the moment). */
  #fits(snapshot: VectorSnapshot): boolean {
    return (
      snapshot.index === this.#options.index &&
      snapshot.dimension === this.dimension &&
      snapshot.metric === this.#options.metric &&
      (snapshot.trained || this.#options.trainAt > 0)
    );
  }

  #load(snapshot: VectorSnapshot): void {
    const index = FaissIndex.fromBuffer(snapshot.faiss);
    this.#index.dispose();
    this.#index = index;
    this.#trained = snapshot.trained;
    this.#entries = new Map();
    this.#idOfLabel = new Map();
    snapshot.ids.forEach((id, i) => {
      const label = snapshot.labels[i] ?? -1n;
      this.#entries.set(id, { label, hash: snapshot.hashes[i] ?? 0 });
      this.#idOfLabel.set(label, id);
    });
    this.#nextLabel = snapshot.nextLabel;
    this.#version = snapshot.version;
  }
}

function idBytes(id: bigint): Uint8Array {
  const bytes = vectorIdSerde.serialize(id, { topic: '', isKey: true });
  if (bytes === null) {
    throw new Error('a vector id serialized to null');
  }
  return bytes;
}

/** A 53-bit hash of the bytes (cyrb53): equal bytes, equal hashes; a collision is ~2^-53. */
export function hashBytes(bytes: Uint8Array): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (const byte of bytes) {
    h1 = Math.imul(h1 ^ byte, 2654435761);
    h2 = Math.imul(h2 ^ byte, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
