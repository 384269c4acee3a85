import {
  decodePositioned,
  encodePositioned,
  includes,
  withPosition,
  type AppliedPositions,
  type PositionSource,
} from './appliedPositions.js';
import type { CacheBudget } from './caching/cacheBudget.js';
import { KeyFilter } from './keyFilter.js';
import type {
  BatchOperation,
  BytesKeyValueStore,
  ClearBounds,
  RangeBounds,
} from './keyValueStore.js';
import { keyId, keyOfId } from './keyId.js';
import { ownedBytes, ownedCopy } from './ownedBytes.js';

/** One change of a store, as it goes to the changelog and then to the store underneath. */
export interface StoreChange {
  readonly key: Buffer;
  /** `null`: the key was deleted (a tombstone in the changelog). */
  readonly value: Buffer | null;
}

/**
 * A cached key's state. The key itself is the entry's id in the Map ({@link keyId}): a Buffer
 * of its own per entry (an ArrayBuffer and its backing store, about 160 bytes outside the heap
 * and a native allocation for every new key) only duplicated it; the few places that need the
 * bytes (a commit's changes, a range's overlay, the key filter) make them from the id.
 */
interface CacheEntry {
  /** `null`: deleted (dirty) or known to be missing (clean). */
  value: Buffer | null;
  /** The bytes as stored underneath and in the changelog: `value`, or positions + `value`. */
  stored: Buffer | null;
  /** The input positions applied to this key (stores that carry them, else undefined). */
  applied: AppliedPositions | undefined;
  dirty: boolean;
  /**
   * Dirty entries: the key is known to be absent from the committed store (underneath and in
   * the changelog), so deleting it again needs no tombstone. False when unknown.
   */
  absentUnderneath: boolean;
  bytes: number;
}

/** Counters of one store; the job sums them per store in `stats()`. */
export interface StoreMetrics {
  gets: number;
  cacheHits: number;
  /** Misses answered "absent" by the key filter, without reading RocksDB. */
  filteredMisses: number;
  /** Keys read ahead of their records ({@link TaskStore.prefetch}). */
  prefetched: number;
  puts: number;
  deletes: number;
  /** Keys dropped locally without a changelog record ({@link TaskStore.expire}). */
  expired: number;
  commits: number;
  changesCommitted: number;
}

/**
 * What a cached entry costs beyond its key and value bytes: the Map entry, the entry object and
 * its value's Buffer with its backing store. Measured by bench/state/cacheEntryCost.ts: 411
 * bytes for an entry of 73 (250 heap, 161 external; 634 while each entry also held its key in
 * a Buffer of its own). Counted as 64 bytes, the 64 MiB budget held five times that in heap,
 * and the feature job's RSS rose for half an hour as it filled (docs/load.md, memory over 30
 * minutes).
 */
const entryOverheadBytes = 340;

/**
 * Keys a new key filter is sized for at least (10 bits a key: 80 KiB). A store that outgrows
 * its filter rebuilds it at a commit from a scan of its keys, sized four times what it holds
 * then (a scan at 64k keys, another at about 256k, …). Sized for a million keys from the start,
 * every store held 1.25 MiB: the chaos job's 48 stores 60 MB, and a restart spent about 70 ms
 * of its restores faulting those pages in.
 */
const minFilterCapacity = 65_536;

/**
 * The state store one task's operators write to: the write cache, metrics and change capture
 * layered over a byte store (RocksDB or in-memory), as Kafka Streams layers caching over
 * change-logging over RocksDB.
 *
 * Why the layers look like this:
 * - Writes are synchronous and land in memory only. An aggregation that updates one key a
 *   thousand times between commits costs a thousand map writes, one changelog record and one
 *   RocksDB write. RocksDB is off the per-record path.
 * - Reads of cached keys are synchronous too ({@link peek}); only a miss goes to RocksDB.
 * - Nothing reaches the store underneath before the commit that makes it durable: at commit the
 *   runtime takes the dirty entries ({@link changes}), sends them to the changelog with the
 *   outputs and offsets (in one transaction under exactly-once), and only after that succeeds
 *   writes them to the store underneath ({@link applyCommitted}). So local state is always a
 *   committed state, and a crash never leaves uncommitted writes on disk.
 * - Dirty entries are never evicted (they are not durable anywhere yet); under memory pressure
 *   clean ones are, and {@link wantsCommit} asks the runtime to commit early.
 */
export class TaskStore {
  readonly name: string;
  readonly metrics: StoreMetrics = {
    gets: 0,
    cacheHits: 0,
    filteredMisses: 0,
    prefetched: 0,
    puts: 0,
    deletes: 0,
    expired: 0,
    commits: 0,
    changesCommitted: 0,
  };
  private readonly inner: BytesKeyValueStore;
  private readonly budget: CacheBudget;
  /** Map order is recency order for clean entries: a read moves the entry to the end. */
  private readonly entries = new Map<string, CacheEntry>();
  private dirtyCount = 0;
  /**
   * The dirty entries' keys in byte order, so that a range overlays the uncommitted writes in
   * its bounds without filtering and sorting the whole cache. Timer stores scan a range on
   * every record that makes a timer due (twice), and sorting the cache there took more than
   * half of the feature job's CPU. Held as key ids ({@link keyId}): latin1 strings, one code unit
   * per byte, so JavaScript's string order is the keys' byte order and a comparison costs no
   * call into Buffer.compare (which was 5% of the stateful bench's CPU here).
   *
   * Kept sorted lazily: a key that turns dirty is appended to {@link newDirtyKeys}, and a key
   * that turns clean stays listed; {@link sortedDirtyKeys} sorts the new ones, merges them in
   * and drops what is no longer dirty, only when a range or a commit needs the list. An insert
   * in place per write (a binary search and a splice into thousands of ids) was 4.5% of the
   * stateful bench's CPU, whose new window keys land all over the list.
   */
  private dirtyKeys: string[] = [];
  private newDirtyKeys: string[] = [];
  /** Keys {@link expire}d since the last commit that may be underneath: deleted at the commit. */
  private expiredKeys: Buffer[] = [];
  /** The last {@link changes} and their keys' ids, so that the commit need not rebuild them. */
  private lastChanges: { changes: readonly StoreChange[]; ids: readonly string[] } | undefined;
  /** Ranges {@link expireRange}d since the last commit: cleared underneath at the commit. */
  private expiredRanges: ClearBounds[] = [];
  private cachedBytes = 0;
  private closed = false;
  /**
   * Every key that may be in the store underneath without being cached (all its keys when the
   * task opened, plus every key evicted since). A key it rules out is absent: no RocksDB read.
   * Undefined until {@link trackKeys} built it; rebuilt when it has filled up.
   */
  private filter: KeyFilter | undefined;
  private filterFull = false;
  /**
   * Set under at-least-once: every stored value carries the input positions applied to it
   * (appliedPositions.ts), so a replayed record can be recognised with {@link applied}.
   */
  private readonly positions: PositionSource | undefined;
  /**
   * With positions: keys read since the last commit, kept cached until it. An aggregation reads
   * a key, then asks {@link applied} and writes it; if a read of another key evicted it in
   * between, the key's positions would be unknown and a replay counted twice.
   */
  private readonly pinned = new Set<string>();

  constructor(options: {
    name: string;
    inner: BytesKeyValueStore;
    budget: CacheBudget;
    positions?: PositionSource;
  }) {
    this.name = options.name;
    this.inner = options.inner;
    this.budget = options.budget;
    this.positions = options.positions;
  }

  /** Whether values carry applied input positions (at-least-once). */
  get carriesPositions(): boolean {
    return this.positions !== undefined;
  }

  /**
   * Whether the record being processed was already applied to `key` (a replay after a crash,
   * under at-least-once). Call it after reading the key ({@link peek} or {@link get}): it looks
   * only at the cache. Always false when the store does not carry positions.
   */
  applied(key: Uint8Array): boolean {
    const current = this.positions?.current;
    if (current === undefined) {
      return false;
    }
    return includes(this.entries.get(keyId(key))?.applied, current);
  }

  /**
   * The cached value of `key` without waiting: a Buffer, `null` when the key is known to be
   * absent, `undefined` when the cache does not know (call {@link get}).
   */
  peek(key: Uint8Array): Buffer | null | undefined {
    return this.peekId(keyId(key), key);
  }

  /**
   * {@link peek} by the key's id (`keyId`), when the caller has it without the bytes: an ASCII
   * string key is its own id. `key` only spares making the bytes again for the key filter.
   */
  peekId(id: string, key?: Uint8Array): Buffer | null | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      if (this.filterRulesOut(key ?? keyOfId(id))) {
        this.metrics.gets += 1;
        this.metrics.filteredMisses += 1;
        return null;
      }
      return undefined;
    }
    this.metrics.gets += 1;
    this.metrics.cacheHits += 1;
    if (!entry.dirty) {
      this.pin(id);
    }
    return entry.value;
  }

  async get(key: Uint8Array): Promise<Buffer | undefined> {
    this.assertOpen();
    const id = keyId(key);
    const entry = this.entries.get(id);
    this.metrics.gets += 1;
    if (entry !== undefined) {
      this.metrics.cacheHits += 1;
      if (!entry.dirty) {
        this.entries.delete(id);
        this.entries.set(id, entry);
        this.pin(id);
      }
      return entry.value ?? undefined;
    }
    // Known absent (never written, or deleted for good): no read, as in peek. A read is a
    // round trip through libuv's thread pool that the task's next record waits for; most
    // misses are keys seen for the first time (a new session, a new pair).
    if (this.filterRulesOut(key)) {
      this.metrics.filteredMisses += 1;
      return undefined;
    }
    const raw = await this.inner.get(key);
    const loaded = this.fromStored(raw === undefined ? null : ownedBytes(raw));
    // A write may have cached the key while the read was in flight: it is newer.
    if (!this.entries.has(id)) {
      this.remember(id, key, {
        value: loaded.value,
        stored: loaded.stored,
        applied: loaded.applied,
        dirty: false,
        absentUnderneath: loaded.value === null,
      });
      this.pin(id);
      this.evictIfNeeded();
    }
    return loaded.value ?? undefined;
  }

  /**
   * Reads the keys the cache does not hold and the key filter does not rule out, all at once,
   * into the cache, so that the gets that follow are hits: one trip through the thread pool for
   * a batch's misses instead of one per record. A failed read is left to the get that follows.
   */
  async prefetch(keys: readonly Uint8Array[]): Promise<void> {
    this.assertOpen();
    const reads: Promise<unknown>[] = [];
    const asked = new Set<string>();
    for (const key of keys) {
      const id = keyId(key);
      if (this.entries.has(id) || asked.has(id)) {
        continue;
      }
      if (this.filterRulesOut(key)) {
        continue;
      }
      asked.add(id);
      reads.push(this.get(key).catch(() => undefined));
    }
    if (reads.length > 0) {
      this.metrics.prefetched += reads.length;
      await Promise.all(reads);
    }
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.assertOpen();
    assertKey(key);
    this.metrics.puts += 1;
    const id = keyId(key);
    const absentUnderneath = this.absentUnderneath(key, this.entries.get(id));
    if (this.positions === undefined) {
      // A slab slice is fine while the entry is dirty (until the commit, at most a second or
      // two); the entry owns its bytes once it turns clean (ownValue).
      const copy = Buffer.from(value);
      this.remember(id, key, {
        value: copy,
        stored: copy,
        applied: undefined,
        dirty: true,
        absentUnderneath,
      });
    } else {
      const current = this.positions.current;
      const previous = this.entries.get(id)?.applied;
      // Outside of a record (a timer) the key keeps the positions it had.
      const applied = current === undefined ? previous : withPosition(previous, current);
      const stored = encodePositioned(applied, value);
      const view = stored.subarray(stored.length - value.length);
      this.remember(id, key, {
        value: view,
        stored,
        applied,
        dirty: true,
        absentUnderneath,
      });
    }
    this.evictIfNeeded();
  }

  delete(key: Uint8Array): void {
    this.assertOpen();
    assertKey(key);
    this.metrics.deletes += 1;
    const id = keyId(key);
    // A key that was never committed needs no tombstone: the delete only undoes the writes
    // since the last commit, and the entry leaves the cache (a read finds the key missing
    // underneath). A timer scheduled and fired (or cancelled) between two commits then costs
    // no changelog record, no RocksDB write and no cache entry at all. (Not under
    // at-least-once, whose stored values carry positions.)
    const absentBelow = this.absentUnderneath(key, this.entries.get(id));
    if (this.positions === undefined && absentBelow) {
      this.drop(id);
      return;
    }
    this.remember(id, key, {
      value: null,
      stored: null,
      applied: undefined,
      dirty: true,
      // What is committed underneath, not what this uncommitted tombstone says: claiming the
      // key absent here made a second delete (or a delete after put) of a committed key before
      // the next commit drop this tombstone, and the committed value stayed.
      absentUnderneath: absentBelow,
    });
    this.evictIfNeeded();
  }

  /**
   * Drops `key` from this task's copy of the state without a changelog record: out of the cache
   * now, out of the store underneath at the next commit. For state that expires by time and
   * whose changelog expires by retention (`cleanup.policy=compact,delete`; windows past their
   * grace): a tombstone per expired window was a third of the records the hopping-window bench
   * produced. A restore may bring the key back from the changelog until retention removes it,
   * so the caller must recognise it as expired again (the window operators sweep what their
   * restored stream time has closed when they open). Until that commit a read or range may
   * still find the committed value underneath: expire only keys the caller never reads again.
   */
  expire(key: Uint8Array): void {
    this.assertOpen();
    assertKey(key);
    this.metrics.expired += 1;
    const id = keyId(key);
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.untrack(entry);
      if (entry.dirty) {
        this.dirtyCount -= 1; // its id stays listed until sortedDirtyKeys drops it
      }
    }
    if (!this.absentUnderneath(key, entry)) {
      // Not added to the key filter here (hashing every expired window was 1.9% of the stateful
      // bench's CPU): until the commit a read may be told "absent", which is what expired means;
      // if the commit fails, discardUncommitted adds the keys, which are still underneath.
      this.expiredKeys.push(ownedCopy(key));
    }
  }

  /**
   * {@link expire} for every key in [gte, lt): out of the cache now, out of the store underneath
   * at the next commit, where the range is cleared in one call (RocksDB deletes its keys
   * natively: none comes into JavaScript). For keys laid out in time order that close together:
   * fixed windows, closed per advance. Reading each closed window back through {@link range}
   * and expiring it, then deleting it in the commit's batch, was about a fifth of the
   * hopping-window bench's CPU. The same rule as {@link expire}: only keys the caller never
   * reads again.
   */
  expireRange(gte: Uint8Array, lt: Uint8Array): void {
    this.assertOpen();
    const from = keyId(gte);
    const to = keyId(lt);
    if (from >= to) {
      return;
    }
    // The cache is not in key order: one pass over it, once per range (per advance of a
    // window operator's stream time), against a read and a delete per expired key.
    for (const [id, entry] of this.entries) {
      if (id >= from && id < to) {
        this.entries.delete(id);
        this.untrack(entry);
        if (entry.dirty) {
          this.dirtyCount -= 1; // its id stays listed until sortedDirtyKeys drops it
        }
        this.metrics.expired += 1;
      }
    }
    this.expiredRanges.push({ gte: ownedCopy(gte), lt: ownedCopy(lt) });
  }

  /** Whether the key filter says `key` was never written underneath (false: it may have been). */
  private filterRulesOut(key: Uint8Array): boolean {
    return this.filter !== undefined && !this.filter.mayContain(key);
  }

  /** Whether `key` is known to be absent from the committed store (false: unknown). */
  private absentUnderneath(key: Uint8Array, cached: CacheEntry | undefined): boolean {
    if (cached !== undefined) {
      return cached.dirty ? cached.absentUnderneath : cached.value === null;
    }
    return this.filterRulesOut(key);
  }

  /**
   * Entries with keys in [gte, lt) in key order (or reverse), at most `limit`: the store
   * underneath merged with the uncommitted writes in the cache, which win.
   */
  async *range(bounds: RangeBounds = {}): AsyncIterable<readonly [Buffer, Buffer]> {
    this.assertOpen();
    const { gte, lt, reverse = false, limit = Number.POSITIVE_INFINITY } = bounds;
    const direction = reverse ? -1 : 1;
    // The uncommitted writes in bounds, as they are now: writes between the steps of the scan
    // do not change what it yields (the store underneath is not written before a commit).
    const overlayIds = this.dirtyKeysInBounds(gte, lt);
    if (reverse) {
      overlayIds.reverse();
    }
    const overlay = overlayIds.map(keyOfId);
    // An overlaid key's current value: a tombstone or a key committed meanwhile yields nothing.
    const overlaid = (at: number): Buffer | null => {
      const entry = this.entries.get(overlayIds[at] ?? '');
      return entry?.dirty === true ? entry.value : null;
    };
    let next = 0;
    let emitted = 0;
    const innerBounds: RangeBounds = {
      ...(gte === undefined ? {} : { gte }),
      ...(lt === undefined ? {} : { lt }),
      reverse,
    };
    for await (const [rawKey, rawValue] of this.inner.range(innerBounds)) {
      const key = Buffer.from(rawKey);
      // Cached writes that sort before this stored key come first; one with the same key
      // overwrites (or deletes) it.
      let overwritten = false;
      while (next < overlay.length) {
        const cached = overlay[next] ?? Buffer.alloc(0);
        const order = direction * Buffer.compare(cached, key);
        if (order > 0) {
          break;
        }
        overwritten = order === 0;
        const value = overlaid(next);
        next += 1;
        if (value !== null) {
          if (emitted++ >= limit) return;
          yield [cached, value];
        }
      }
      if (overwritten) {
        continue;
      }
      if (emitted++ >= limit) return;
      const stored = Buffer.from(rawValue);
      yield [key, this.positions === undefined ? stored : decodePositioned(stored).value];
    }
    for (; next < overlay.length; next++) {
      const cached = overlay[next] ?? Buffer.alloc(0);
      const value = overlaid(next);
      if (value !== null) {
        if (emitted++ >= limit) return;
        yield [cached, value];
      }
    }
  }

  /** Whether uncommitted writes alone fill the cache budget: the runtime should commit soon. */
  wantsCommit(): boolean {
    return this.dirtyCount > 0 && this.budget.isExceeded();
  }

  /** The uncommitted writes, one per key (the last one), to send to the changelog. */
  changes(): StoreChange[] {
    if (this.dirtyCount === 0) {
      return [];
    }
    // Through the dirty keys, not the whole cache: a commit of a few keys must not walk the
    // tens of thousands of clean entries a warm cache holds.
    const changes: StoreChange[] = [];
    const ids: string[] = [];
    for (const id of this.sortedDirtyKeys()) {
      const entry = this.entries.get(id);
      if (entry?.dirty === true) {
        changes.push({ key: keyOfId(id), value: entry.stored });
        ids.push(id);
      }
    }
    this.lastChanges = { changes, ids };
    return changes;
  }

  /**
   * The commit that made `changes` durable succeeded: write them to the store underneath
   * in one batch and mark them clean. Nothing may write to the store between the two calls (the
   * task runs one batch or commit at a time).
   */
  async applyCommitted(changes: readonly StoreChange[]): Promise<void> {
    this.assertOpen();
    this.metrics.commits += 1;
    this.pinned.clear();
    const expired = this.expiredKeys;
    this.expiredKeys = [];
    const expiredRanges = this.expiredRanges;
    this.expiredRanges = [];
    // Before the batch: a key written again after its range expired keeps the new value.
    for (const range of mergedRanges(expiredRanges)) {
      await this.inner.clear(range);
    }
    if (changes.length === 0 && expired.length === 0) {
      this.evictIfNeeded();
      return;
    }
    // The expired keys first: a key written again after it expired keeps the new value.
    const operations: BatchOperation[] = expired.map((key) => ({ type: 'delete', key }));
    for (const change of changes) {
      operations.push(
        change.value === null
          ? { type: 'delete', key: change.key }
          : { type: 'put', key: change.key, value: change.value },
      );
    }
    await this.inner.batch(operations);
    const ids = this.lastChanges?.changes === changes ? this.lastChanges.ids : undefined;
    this.lastChanges = undefined;
    for (const [i, change] of changes.entries()) {
      const id = ids?.[i] ?? keyId(change.key);
      const entry = this.entries.get(id);
      if (entry?.dirty !== true) {
        continue;
      }
      if (entry.value === null) {
        // A committed delete leaves the cache: the key is gone underneath too, and most deleted
        // keys are never read again (fired timers, expired windows). Kept as "known missing",
        // they filled the cache for hours: 16k of the feature job's 40k entries 13 minutes in
        // were fired timers (docs/load.md, memory over 30 minutes).
        this.entries.delete(id);
        this.untrack(entry);
      } else {
        this.entries.set(id, ownValue(entry));
      }
      this.dirtyCount -= 1;
    }
    if (this.dirtyCount === 0) {
      this.dirtyKeys = [];
      this.newDirtyKeys = [];
    } else {
      this.sortedDirtyKeys();
    }
    this.metrics.changesCommitted += changes.length;
    this.evictIfNeeded();
    if (this.filterFull) {
      await this.trackKeys();
    }
  }

  /**
   * Builds the key filter from every key of the store underneath (after the restore), so
   * that from now on misses on new keys need no read. Sized for growth; when it fills up it is
   * rebuilt at a commit. `underneath`: those keys when the caller has read them already (the
   * task's restore reads them in bulk); otherwise they are read here.
   */
  async trackKeys(underneath?: readonly Buffer[]): Promise<void> {
    const keys: Buffer[] = [];
    if (underneath === undefined) {
      for await (const [key] of this.inner.range()) {
        keys.push(Buffer.from(key));
      }
    } else {
      for (const key of underneath) {
        keys.push(key);
      }
    }
    for (const id of this.entries.keys()) {
      keys.push(keyOfId(id));
    }
    const filter = new KeyFilter(Math.max(minFilterCapacity, keys.length * 4));
    keys.forEach((key) => filter.add(key));
    this.filter = filter;
    this.filterFull = false;
  }

  /** Writes restored changelog records straight to the store underneath (no cache, no log). */
  async restore(changes: readonly StoreChange[]): Promise<void> {
    await this.applyCommitted(changes);
    this.metrics.commits -= 1;
    this.metrics.changesCommitted -= changes.length;
  }

  /** Forgets every uncommitted write: the commit failed and the task starts again. */
  discardUncommitted(): void {
    this.pinned.clear();
    for (const [id, entry] of this.entries) {
      if (entry.dirty) {
        this.entries.delete(id);
        this.untrack(entry);
        // The write is gone, but an older committed value may be underneath.
        this.filter?.add(keyOfId(id));
      }
    }
    this.dirtyCount = 0;
    this.dirtyKeys = [];
    this.newDirtyKeys = [];
    // Not deleted underneath: the committed state still has them (the replay expires them
    // again), so reads must go there.
    for (const key of this.expiredKeys) {
      this.mayBeUnderneath(key);
    }
    this.expiredKeys = [];
    if (this.expiredRanges.length > 0) {
      // Their committed keys stay underneath, and those that were cached clean were never added
      // to the key filter (it holds the keys evicted, not the keys cached): until it is rebuilt
      // at the next commit, every miss reads RocksDB.
      this.expiredRanges = [];
      this.filter = undefined;
      this.filterFull = true;
    }
  }

  /** Closes the store underneath; uncommitted writes are dropped (commit first to keep them). */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const entry of this.entries.values()) {
      this.untrack(entry);
    }
    this.entries.clear();
    this.dirtyCount = 0;
    this.dirtyKeys = [];
    this.newDirtyKeys = [];
    await this.inner.close();
  }

  private remember(id: string, key: Uint8Array, entry: Omit<CacheEntry, 'bytes'>): void {
    const previous = this.entries.get(id);
    const bytes = key.length + (entry.stored?.length ?? 0) + entryOverheadBytes;
    if (previous?.dirty === true && entry.dirty) {
      // Written again before its commit (a counter, a window's next record, the stream time):
      // updated in place, without moving it in the Map or making a new entry. Its place in the
      // recency order is then its first write's since the last commit, and recency only
      // matters once it is clean.
      this.account(bytes - previous.bytes);
      if ((previous.value === null) !== (entry.value === null)) {
        this.budget.countEntry(this.name, -1, previous.value === null);
        this.budget.countEntry(this.name, 1, entry.value === null);
      }
      previous.value = entry.value;
      previous.stored = entry.stored;
      previous.applied = entry.applied;
      previous.absentUnderneath = entry.absentUnderneath;
      previous.bytes = bytes;
      return;
    }
    if (previous !== undefined) {
      this.entries.delete(id);
      this.untrack(previous);
      if (previous.dirty) {
        this.dirtyCount -= 1;
      }
    }
    this.entries.set(id, cacheEntry(entry, bytes));
    this.account(bytes);
    this.budget.countEntry(this.name, 1, entry.value === null);
    if (entry.dirty) {
      this.dirtyCount += 1;
      if (previous?.dirty !== true) {
        this.newDirtyKeys.push(id);
      }
    }
  }

  /** Forgets the cached entry of `id`, if any: only for a key that is absent underneath. */
  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      return;
    }
    this.entries.delete(id);
    this.untrack(entry);
    if (entry.dirty) {
      this.dirtyCount -= 1;
    }
  }

  /** The ids of the dirty entries in [gte, lt), in key order (a copy: writes may follow). */
  private dirtyKeysInBounds(gte: Uint8Array | undefined, lt: Uint8Array | undefined): string[] {
    const keys = this.sortedDirtyKeys();
    const from = gte === undefined ? 0 : lowerBound(keys, keyId(gte));
    const to = lt === undefined ? keys.length : lowerBound(keys, keyId(lt));
    return keys.slice(from, to);
  }

  /**
   * The ids of the dirty entries, sorted, each once: the new ones sorted and merged in, those no
   * longer dirty (committed, dropped) left out.
   */
  private sortedDirtyKeys(): string[] {
    const added = this.newDirtyKeys;
    const listed = this.dirtyKeys;
    if (added.length === 0 && listed.length === this.dirtyCount) {
      return listed; // nothing new, and every listed id still dirty
    }
    added.sort();
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    let last: string | undefined;
    while (i < listed.length || j < added.length) {
      const a = listed[i];
      const b = added[j];
      let id: string;
      if (b === undefined || (a !== undefined && a <= b)) {
        id = a ?? '';
        i += 1;
      } else {
        id = b;
        j += 1;
      }
      if (id !== last && this.entries.get(id)?.dirty === true) {
        merged.push(id);
      }
      last = id;
    }
    this.dirtyKeys = merged;
    this.newDirtyKeys = [];
    return merged;
  }

  private pin(id: string): void {
    if (this.positions !== undefined) {
      this.pinned.add(id);
    }
  }

  /** Splits bytes read from the store underneath into value and applied positions. */
  private fromStored(stored: Buffer | null): Pick<CacheEntry, 'value' | 'stored' | 'applied'> {
    if (stored === null || this.positions === undefined) {
      return { value: stored, stored, applied: undefined };
    }
    const { applied, value } = decodePositioned(stored);
    return { value, stored, applied };
  }

  /** An entry left the cache: its bytes and its count go back to the budget. */
  private untrack(entry: CacheEntry): void {
    this.account(-entry.bytes);
    this.budget.countEntry(this.name, -1, entry.value === null);
  }

  private account(bytes: number): void {
    this.cachedBytes += bytes;
    if (bytes >= 0) {
      this.budget.add(bytes);
    } else {
      this.budget.release(-bytes);
    }
  }

  /**
   * Over budget: drop least recently used clean entries until the budget has 5% to spare, or
   * half of this store's cache is gone. Stopping just under the budget made every next write
   * evict again, each time walking the Map from its oldest end; this method was 2.3% of the
   * hopping-window bench's CPU (self time), whose cache stays full.
   */
  private evictIfNeeded(): void {
    if (!this.budget.isExceeded() || this.entries.size === this.dirtyCount) {
      return;
    }
    const target = this.cachedBytes / 2;
    const spare = this.budget.maxBytes * 0.95;
    for (const [id, entry] of this.entries) {
      if (this.cachedBytes <= target || this.budget.usedBytes <= spare) {
        break;
      }
      if (!entry.dirty && !this.pinned.has(id)) {
        this.entries.delete(id);
        this.untrack(entry);
        this.forgetCached(id, entry);
      }
    }
  }

  /** A clean entry leaves the cache: its key may now be only underneath. */
  private forgetCached(id: string, entry: CacheEntry): void {
    if (entry.value !== null) {
      this.mayBeUnderneath(keyOfId(id));
    }
  }

  /** The key filter must answer "maybe" for `key` from now on. */
  private mayBeUnderneath(key: Buffer): void {
    if (this.filter === undefined) {
      return;
    }
    this.filter.add(key);
    if (this.filter.size > this.filter.capacity) {
      this.filterFull = true; // past its sizing false positives climb: rebuild at the commit
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error(`state store ${this.name} is closed`);
    }
  }
}

/** The ranges, overlapping or adjacent ones joined (a window operator's are consecutive). */
function mergedRanges(ranges: readonly ClearBounds[]): ClearBounds[] {
  const sorted = [...ranges].sort((a, b) => Buffer.compare(a.gte, b.gte));
  const merged: ClearBounds[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && Buffer.compare(range.gte, last.lt) <= 0) {
      if (Buffer.compare(range.lt, last.lt) > 0) {
        merged[merged.length - 1] = { gte: last.gte, lt: range.lt };
      }
    } else {
      merged.push(range);
    }
  }
  return merged;
}

/** The index of the first of the sorted key ids that is not below `id` (byte order). */
function lowerBound(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] ?? '') < id) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

function assertKey(key: Uint8Array): void {
  if (key.length === 0) {
    throw new Error('keys must not be empty');
  }
}

/** A committed entry, clean, with its value in bytes of its own (it may stay cached long). */
function ownValue(entry: CacheEntry): CacheEntry {
  entry.dirty = false;
  if (entry.stored === null || entry.value === null) {
    return entry;
  }
  const stored = ownedBytes(entry.stored);
  const value =
    entry.value === entry.stored ? stored : stored.subarray(stored.length - entry.value.length);
  const { applied, absentUnderneath } = entry;
  return cacheEntry({ value, stored, applied, dirty: false, absentUnderneath }, entry.bytes);
}

type EntryFields = Omit<CacheEntry, 'bytes'>;

/**
 * A cache entry as one object literal with its fields in one order, so that every entry shares
 * one hidden class. Entries built by spreading (`{ ...fields, bytes }`) each got a hidden class
 * of their own: 160k of them in a heap snapshot of the feature job, for as many entries.
 */
function cacheEntry(fields: EntryFields, bytes: number): CacheEntry {
  return {
    value: fields.value,
    stored: fields.stored,
    applied: fields.applied,
    dirty: fields.dirty,
    absentUnderneath: fields.absentUnderneath,
    bytes,
  };
}
