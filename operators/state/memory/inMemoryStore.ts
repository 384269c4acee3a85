import type {
  BatchOperation,
  BytesKeyValueStore,
  ClearBounds,
  RangeBounds,
} from '../keyValueStore.js';

/** Entries per chunk before it splits in two (see {@link InMemoryStore}). */
const MAX_CHUNK = 512;

/** One sorted run of entries; `keys[i]` holds `values[i]`. Never empty while it is in the store. */
interface Chunk {
  keys: Uint8Array[];
  values: Uint8Array[];
}

/** A position in the store: entry `index` of chunk `chunk`. */
interface Cursor {
  chunk: number;
  index: number;
}

/**
 * A {@link BytesKeyValueStore} in memory, ordered bytewise like RocksDB's default comparator
 * (`Buffer.compare`: unsigned bytes, a key sorts before every longer key it prefixes, so
 * `[0x01] < [0x01, 0x00] < [0x02]` and `0xff` sorts last). For tests, and for state that does
 * not need to survive a restart (it is rebuilt from the changelog).
 *
 * The entries live in a chunked sorted list: a sorted array of sorted chunks of at most 512
 * entries each (a two-level B-tree without the bookkeeping). With n entries and chunk size B:
 * `get` is O(log n) (a binary search over the chunks' first keys, then inside one chunk);
 * `put` and `delete` are O(log n + B) (the splice inside one chunk, plus an O(n / B) splice of
 * the chunk array when a chunk splits or empties); `range` costs O(log n) to seek plus O(1)
 * per entry; a batch of m operations is O(m (log n + B)).
 *
 * Semantics shared with `RocksDbStore`:
 * - Keys and values are copied in and out: callers may reuse or mutate their buffers, and
 *   mutating a returned buffer does not change the store. Results are `Buffer`s.
 * - Empty keys are rejected (the `rocksdb` package rejects them); empty values are fine.
 * - `batch` validates every operation before applying any, then applies them all within one
 *   synchronous step, so no reader ever sees part of a batch; later operations on the same key
 *   win. A rejected batch changes nothing.
 * - A negative `limit` means no limit, as in the `rocksdb` package; `limit: 0` yields nothing.
 * - After `close()` every operation rejects (closing twice is fine).
 *
 * One difference: a RocksDB iterator reads an implicit snapshot, while a `range` here reads the
 * live store. It never repeats or skips a key that exists throughout the scan (it re-seeks past
 * the last key it returned whenever the store changed shape), but it does see entries written
 * ahead of its position after it started.
 *
 * @example
 * ```ts
 * const store = new InMemoryStore();
 * await store.put(Buffer.from('video-1'), Buffer.from('42'));
 * for await (const [key, value] of store.range({ gte: Buffer.from('video-') })) { ... }
 * ```
 * @category State
 */
export class InMemoryStore implements BytesKeyValueStore {
  private chunks: Chunk[] = [];
  private count = 0;
  /** Bumped whenever entries move (insert, delete, split), which invalidates cursors. */
  private shape = 0;
  private closed = false;

  /** Number of entries. */
  get size(): number {
    return this.count;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return attempt(() => {
      this.checkOpen();
      checkKey(key);
      const found = this.find(key);
      return found === undefined ? undefined : copyOut(found);
    });
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return attempt(() => {
      this.checkOpen();
      checkKey(key);
      checkValue(value);
      this.insert(copyIn(key), copyIn(value));
    });
  }

  delete(key: Uint8Array): Promise<void> {
    return attempt(() => {
      this.checkOpen();
      checkKey(key);
      this.remove(key);
    });
  }

  batch(operations: readonly BatchOperation[]): Promise<void> {
    return attempt(() => {
      this.checkOpen();
      // Validate and copy everything first, so a bad operation rejects the batch untouched.
      const copied = operations.map((op): BatchOperation => {
        checkKey(op.key);
        if (op.type === 'put') {
          checkValue(op.value);
          return { type: 'put', key: copyIn(op.key), value: copyIn(op.value) };
        }
        return { type: 'delete', key: op.key };
      });
      for (const op of copied) {
        if (op.type === 'put') {
          this.insert(op.key, op.value);
        } else {
          this.remove(op.key);
        }
      }
    });
  }

  range(bounds: RangeBounds = {}): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    return this.scan(bounds);
  }

  clear(bounds: ClearBounds): Promise<void> {
    return attempt(() => {
      this.checkOpen();
      const doomed: Uint8Array[] = [];
      for (let at = this.seekFrom(bounds.gte, false); at !== undefined; at = this.next(at)) {
        const key = this.chunks[at.chunk]?.keys[at.index];
        if (key === undefined || Buffer.compare(key, bounds.lt) >= 0) {
          break;
        }
        doomed.push(key);
      }
      doomed.forEach((key) => this.remove(key));
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.chunks = [];
    this.count = 0;
    this.shape++;
    return Promise.resolve();
  }

  // Written as an async generator over synchronous steps so that the store may change between
  // two entries (the caller awaits in between), which the cursor handles by re-seeking.
  // eslint-disable-next-line @typescript-eslint/require-await
  private async *scan(bounds: RangeBounds): AsyncGenerator<readonly [Uint8Array, Uint8Array]> {
    this.checkOpen();
    const { gte, lt } = bounds;
    const reverse = bounds.reverse ?? false;
    const limit = bounds.limit === undefined || bounds.limit < 0 ? Infinity : bounds.limit;
    if (limit === 0 || (gte !== undefined && lt !== undefined && Buffer.compare(gte, lt) >= 0)) {
      return;
    }
    let cursor = reverse ? this.seekBefore(lt) : this.seekFrom(gte, false);
    let shape = this.shape;
    let last: Uint8Array | undefined;
    for (let yielded = 0; yielded < limit; yielded++) {
      this.checkOpen();
      if (shape !== this.shape && last !== undefined) {
        cursor = reverse ? this.seekBefore(last) : this.seekFrom(last, true);
        shape = this.shape;
      }
      const chunk = cursor === undefined ? undefined : this.chunks[cursor.chunk];
      const key = chunk?.keys[cursor?.index ?? -1];
      const value = chunk?.values[cursor?.index ?? -1];
      if (cursor === undefined || key === undefined || value === undefined) {
        return;
      }
      if (
        reverse
          ? gte !== undefined && Buffer.compare(key, gte) < 0
          : lt !== undefined && Buffer.compare(key, lt) >= 0
      ) {
        return;
      }
      last = key;
      cursor = reverse ? this.previous(cursor) : this.next(cursor);
      yield [copyOut(key), copyOut(value)];
    }
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new Error('InMemoryStore is closed');
    }
  }

  private find(key: Uint8Array): Uint8Array | undefined {
    const chunk = this.chunks[this.chunkFor(key, false)];
    if (chunk === undefined) {
      return undefined;
    }
    const index = lowerBound(chunk.keys, key);
    const found = chunk.keys[index];
    return found !== undefined && Buffer.compare(found, key) === 0
      ? chunk.values[index]
      : undefined;
  }

  private insert(key: Uint8Array, value: Uint8Array): void {
    const chunkIndex = Math.max(0, this.chunkFor(key, false));
    const chunk = this.chunks[chunkIndex];
    if (chunk === undefined) {
      this.chunks.push({ keys: [key], values: [value] });
      this.count++;
      this.shape++;
      return;
    }
    const index = lowerBound(chunk.keys, key);
    const found = chunk.keys[index];
    if (found !== undefined && Buffer.compare(found, key) === 0) {
      chunk.values[index] = value;
      return;
    }
    chunk.keys.splice(index, 0, key);
    chunk.values.splice(index, 0, value);
    this.count++;
    this.shape++;
    if (chunk.keys.length > MAX_CHUNK) {
      const half = chunk.keys.length >>> 1;
      const upper: Chunk = { keys: chunk.keys.splice(half), values: chunk.values.splice(half) };
      this.chunks.splice(chunkIndex + 1, 0, upper);
    }
  }

  private remove(key: Uint8Array): void {
    const chunkIndex = this.chunkFor(key, false);
    const chunk = this.chunks[chunkIndex];
    if (chunk === undefined) {
      return;
    }
    const index = lowerBound(chunk.keys, key);
    const found = chunk.keys[index];
    if (found === undefined || Buffer.compare(found, key) !== 0) {
      return;
    }
    chunk.keys.splice(index, 1);
    chunk.values.splice(index, 1);
    if (chunk.keys.length === 0) {
      this.chunks.splice(chunkIndex, 1);
    }
    this.count--;
    this.shape++;
  }

  /**
   * The last chunk whose first key is <= `key` (< `key` when `strict`); -1 when there is none.
   */
  private chunkFor(key: Uint8Array, strict: boolean): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const first = this.chunks[middle]?.keys[0];
      const order = first === undefined ? 1 : Buffer.compare(first, key);
      if (order < 0 || (order === 0 && !strict)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low - 1;
  }

  /** The first entry >= `key` (> `key` when `exclusive`), or the first entry when no key. */
  private seekFrom(key: Uint8Array | undefined, exclusive: boolean): Cursor | undefined {
    if (key === undefined) {
      return this.chunks.length === 0 ? undefined : { chunk: 0, index: 0 };
    }
    const chunkIndex = this.chunkFor(key, false);
    const chunk = this.chunks[chunkIndex];
    if (chunk === undefined) {
      return this.chunks.length === 0 ? undefined : { chunk: 0, index: 0 };
    }
    const index = exclusive ? upperBound(chunk.keys, key) : lowerBound(chunk.keys, key);
    if (index < chunk.keys.length) {
      return { chunk: chunkIndex, index };
    }
    return chunkIndex + 1 < this.chunks.length ? { chunk: chunkIndex + 1, index: 0 } : undefined;
  }

  /** The last entry < `key`, or the last entry when no key. */
  private seekBefore(key: Uint8Array | undefined): Cursor | undefined {
    if (key === undefined) {
      const chunk = this.chunks.length - 1;
      const length = this.chunks[chunk]?.keys.length ?? 0;
      return length === 0 ? undefined : { chunk, index: length - 1 };
    }
    const chunkIndex = this.chunkFor(key, true);
    const chunk = this.chunks[chunkIndex];
    // chunk.keys[0] < key, so the index is at least 0.
    return chunk === undefined
      ? undefined
      : { chunk: chunkIndex, index: lowerBound(chunk.keys, key) - 1 };
  }

  private next(cursor: Cursor): Cursor | undefined {
    const length = this.chunks[cursor.chunk]?.keys.length ?? 0;
    if (cursor.index + 1 < length) {
      return { chunk: cursor.chunk, index: cursor.index + 1 };
    }
    return cursor.chunk + 1 < this.chunks.length
      ? { chunk: cursor.chunk + 1, index: 0 }
      : undefined;
  }

  private previous(cursor: Cursor): Cursor | undefined {
    if (cursor.index > 0) {
      return { chunk: cursor.chunk, index: cursor.index - 1 };
    }
    const length = this.chunks[cursor.chunk - 1]?.keys.length ?? 0;
    return length === 0 ? undefined : { chunk: cursor.chunk - 1, index: length - 1 };
  }
}

/** The first index whose key is >= `key` (keys.length when none). */
function lowerBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = keys[middle];
    if (probe !== undefined && Buffer.compare(probe, key) < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/** The first index whose key is > `key` (keys.length when none). */
function upperBound(keys: readonly Uint8Array[], key: Uint8Array): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const probe = keys[middle];
    if (probe !== undefined && Buffer.compare(probe, key) <= 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw new TypeError('key must be a Uint8Array');
  }
  if (key.length === 0) {
    throw new Error('key cannot be empty');
  }
}

function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError('value must be a Uint8Array');
  }
}

/**
 * A private copy with its own ArrayBuffer (not a slice of Node's shared 8 KiB Buffer pool, which
 * a long-lived entry would pin after its neighbours are gone).
 */
function copyIn(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function copyOut(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

function attempt<T>(step: () => T): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
