import type { BytesKeyValueStore } from '../state/keyValueStore.js';
import { keyId } from '../state/keyId.js';
import { ownedBytes } from '../state/ownedBytes.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';
import type { StoreChange } from '../state/taskStore.js';

/** Bytes of recently read keys each global store keeps in memory (values and known misses). */
const defaultCacheMaxBytes = 16 * 1024 * 1024;
/** Per entry beyond key and value bytes, as the task stores count it (taskStore.ts). */
const entryOverheadBytes = 560;

/**
 * A global table's store as operators see it: read-only, with a cache of recently read keys so
 * repeated lookups (the same video's metadata for every heartbeat) answer without waiting.
 * Updates come only from the topic, through {@link apply}, which keeps cached keys current.
 */
export class GlobalStore implements ReadOnlyStore {
  readonly name: string;
  private readonly inner: BytesKeyValueStore;
  /**
   * Recently read keys (`bytes` null: known absent), evicted by CLOCK (second chance): a hit
   * only marks its entry `used`; eviction walks from the oldest entry, gives a used one another
   * round at the end, and drops the first unused one. Moving each hit to the end instead (a
   * delete and a set) cost twice the lookup itself once the cache was over half full, and the
   * serving job looks up a thousand candidates a request.
   */
  private readonly cache = new Map<string, CachedValue>();
  private cachedBytes = 0;
  /** Bumped around every write, so a read that overlapped one does not cache what it read. */
  private generation = 0;
  /** The cache's budget: its keys, values and per-entry overhead together. */
  private readonly cacheMaxBytes: number;

  constructor(
    name: string,
    inner: BytesKeyValueStore,
    options: { readonly cacheMaxBytes?: number } = {},
  ) {
    this.name = name;
    this.inner = inner;
    this.cacheMaxBytes = options.cacheMaxBytes ?? defaultCacheMaxBytes;
  }

  peek(key: Uint8Array): Buffer | null | undefined {
    return this.peekId(keyId(key));
  }

  peekId(id: string): Buffer | null | undefined {
    const entry = this.cache.get(id);
    if (entry === undefined) {
      return undefined;
    }
    entry.used = true;
    return entry.bytes;
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    const generation = this.generation;
    const stored = await this.inner.get(key);
    const value = stored === undefined ? null : ownedBytes(stored);
    if (generation === this.generation) {
      this.remember(keyId(key), value);
    }
    return value ?? undefined;
  }

  /** Writes changes read from the topic (null value: delete) in one batch. */
  async apply(changes: readonly StoreChange[]): Promise<void> {
    if (changes.length === 0) {
      return;
    }
    this.generation += 1;
    try {
      await this.inner.batch(
        changes.map((change) =>
          change.value === null
            ? { type: 'delete' as const, key: change.key }
            : { type: 'put' as const, key: change.key, value: change.value },
        ),
      );
    } finally {
      this.generation += 1;
    }
    for (const change of changes) {
      const id = keyId(change.key);
      if (this.cache.has(id)) {
        // A fetched value is a slice of its whole fetch response: cache a copy of its own.
        this.remember(id, change.value === null ? null : ownedBytes(change.value));
      }
    }
  }

  /** Deletes every key (local state that cannot be trusted). */
  async clear(): Promise<void> {
    const changes: StoreChange[] = [];
    for await (const [key] of this.inner.range()) {
      changes.push({ key: Buffer.from(key), value: null });
    }
    await this.apply(changes);
    this.cache.clear();
    this.cachedBytes = 0;
  }

  close(): Promise<void> {
    this.cache.clear();
    this.cachedBytes = 0;
    return this.inner.close();
  }

  private remember(id: string, value: Buffer | null): void {
    const previous = this.cache.get(id);
    if (previous !== undefined) {
      this.cachedBytes += sizeOf(id, value) - sizeOf(id, previous.bytes);
      previous.bytes = value;
    } else {
      this.cache.set(id, { bytes: value, used: false });
      this.cachedBytes += sizeOf(id, value);
    }
    this.evict();
  }

  /** Drops entries, oldest unused first, until the cache is within its budget. */
  private evict(): void {
    while (this.cachedBytes > this.cacheMaxBytes) {
      const oldest = this.cache.entries().next();
      if (oldest.done === true) {
        return;
      }
      const [id, entry] = oldest.value;
      this.cache.delete(id);
      if (entry.used) {
        // Read since its last round: a second chance, at the end.
        entry.used = false;
        this.cache.set(id, entry);
      } else {
        this.cachedBytes -= sizeOf(id, entry.bytes);
      }
    }
  }
}

/** A cached value of a global store, and whether it was read since eviction last passed it. */
interface CachedValue {
  bytes: Buffer | null;
  used: boolean;
}

function sizeOf(id: string, value: Buffer | null): number {
  return id.length + (value?.length ?? 0) + entryOverheadBytes;
}
