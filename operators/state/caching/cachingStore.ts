import type { BatchOperation, BytesKeyValueStore, RangeBounds } from '../keyValueStore.js';
import type { CacheBudget } from './cacheBudget.js';

interface CacheEntry {
  readonly key: Buffer;
  /** `null`: deleted (dirty) or known missing (clean). */
  readonly value: Buffer | null;
  dirty: boolean;
  readonly bytes: number;
}

/** Bookkeeping overhead per cached entry, so many tiny entries still count against the budget. */
const entryOverheadBytes = 64;

/**
 * A write cache in front of a byte store: reads are served from memory when possible, writes
 * stay in memory until `flush()` (a commit) writes them to the store underneath in one batch.
 * Repeated updates of one key (an aggregation's counter) reach RocksDB once per commit instead
 * of once per record. When the shared {@link CacheBudget} is exceeded the store flushes its
 * dirty entries and evicts the least recently used ones.
 *
 * Range scans first flush, then scan the store underneath, so they see every write made before
 * they started (and, like a RocksDB iterator, none made after).
 *
 * @example
 * ```ts
 * const budget = new CacheBudget(64 * 1024 * 1024);
 * const store = new CachingStore(await RocksDbStore.open(dir), budget);
 * await store.put(key, value); // in memory
 * await store.flush(); // one RocksDB batch
 * ```
 * @category State
 */
export class CachingStore implements BytesKeyValueStore {
  private readonly inner: BytesKeyValueStore;
  private readonly budget: CacheBudget;
  /** Map order is recency order: an access moves the entry to the end. */
  private readonly entries = new Map<string, CacheEntry>();
  private cachedBytes = 0;
  private closed = false;

  constructor(inner: BytesKeyValueStore, budget: CacheBudget) {
    this.inner = inner;
    this.budget = budget;
  }

  /** Entries that would be written by the next flush. */
  dirtyCount(): number {
    let count = 0;
    for (const entry of this.entries.values()) {
      if (entry.dirty) {
        count += 1;
      }
    }
    return count;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const id = idOf(key);
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, entry);
      return entry.value === null ? undefined : Buffer.from(entry.value);
    }
    const stored = await this.inner.get(key);
    // Another write may have cached the key while the read was in flight: it is newer.
    if (!this.entries.has(id)) {
      this.remember(id, {
        key: Buffer.from(key),
        value: stored === undefined ? null : Buffer.from(stored),
        dirty: false,
      });
      await this.evictIfNeeded();
    }
    return stored === undefined ? undefined : Buffer.from(stored);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.assertOpen();
    assertKey(key);
    this.remember(idOf(key), { key: Buffer.from(key), value: Buffer.from(value), dirty: true });
    await this.evictIfNeeded();
  }

  async delete(key: Uint8Array): Promise<void> {
    this.assertOpen();
    assertKey(key);
    this.remember(idOf(key), { key: Buffer.from(key), value: null, dirty: true });
    await this.evictIfNeeded();
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.assertOpen();
    operations.forEach((op) => assertKey(op.key));
    for (const op of operations) {
      this.remember(idOf(op.key), {
        key: Buffer.from(op.key),
        value: op.type === 'put' ? Buffer.from(op.value) : null,
        dirty: true,
      });
    }
    await this.evictIfNeeded();
  }

  async *range(bounds: RangeBounds = {}): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    this.assertOpen();
    await this.flush();
    yield* this.inner.range(bounds);
  }

  /** Writes every dirty entry to the store underneath in one batch; they stay cached, clean. */
  async flush(): Promise<void> {
    this.assertOpen();
    const dirty = [...this.entries.values()].filter((entry) => entry.dirty);
    if (dirty.length === 0) {
      return;
    }
    await this.inner.batch(
      dirty.map((entry) =>
        entry.value === null
          ? { type: 'delete' as const, key: entry.key }
          : { type: 'put' as const, key: entry.key, value: entry.value },
      ),
    );
    for (const entry of dirty) {
      entry.dirty = false;
    }
  }

  /** Flushes, then closes the store underneath and gives the cache's memory back. */
  async close(): Promise<void> {
    this.assertOpen();
    await this.flush();
    this.closed = true;
    this.budget.release(this.cachedBytes);
    this.cachedBytes = 0;
    this.entries.clear();
    await this.inner.close();
  }

  private remember(id: string, entry: Omit<CacheEntry, 'bytes'>): void {
    const previous = this.entries.get(id);
    if (previous !== undefined) {
      this.entries.delete(id);
      this.account(-previous.bytes);
    }
    const bytes = entry.key.length + (entry.value?.length ?? 0) + entryOverheadBytes;
    this.entries.set(id, { ...entry, bytes });
    this.account(bytes);
  }

  private account(bytes: number): void {
    this.cachedBytes += bytes;
    if (bytes >= 0) {
      this.budget.add(bytes);
    } else {
      this.budget.release(-bytes);
    }
  }

  /** Over budget: flush, then drop least recently used entries until half the cache is gone. */
  private async evictIfNeeded(): Promise<void> {
    if (!this.budget.isExceeded() || this.entries.size === 0) {
      return;
    }
    await this.flush();
    const target = this.cachedBytes / 2;
    for (const [id, entry] of this.entries) {
      if (this.cachedBytes <= target || !this.budget.isExceeded()) {
        break;
      }
      if (!entry.dirty) {
        this.entries.delete(id);
        this.account(-entry.bytes);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('the caching store is closed');
    }
  }
}

/** Map key of a byte key: latin1 maps each byte to one code unit, so it is exact. */
function idOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function assertKey(key: Uint8Array): void {
  if (key.length === 0) {
    throw new Error('keys must not be empty');
  }
}
