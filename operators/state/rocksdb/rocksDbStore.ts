import { mkdirSync } from 'node:fs';

import rocksdb, { type RocksDb, type RocksDbChainedBatch } from 'rocksdb';

import type {
  BatchOperation,
  BytesKeyValueStore,
  ClearBounds,
  RangeBounds,
} from '../keyValueStore.js';

/**
 * The native memory of one RocksDB database: its block cache, and its memtable (RocksDB keeps
 * up to two of `writeBufferBytes` while one flushes). Each task with persistent stores opens one
 * database, so a process holds about tasks × (blockCacheBytes + 2 × writeBufferBytes) beside
 * the index and filter blocks of its files.
 * @category State
 */
export interface RocksDbMemory {
  /** LRU cache of uncompressed data blocks. Default 1 MiB (the package's default is 8 MiB). */
  readonly blockCacheBytes?: number;
  /** Size of a memtable before it is flushed to a file. Default 2 MiB (package default 4 MiB). */
  readonly writeBufferBytes?: number;
}

/**
 * Small on purpose: reads are served first by the store's own cache (one budget per process,
 * `cacheMaxBytes`), so RocksDB's block cache only sees what that cache missed, and the
 * memtable only takes the batched writes of a commit. With the package's defaults (8 MiB + 2 ×
 * 4 MiB per database) the demo's feature job, 16 databases, grew its resident memory for 30
 * minutes while the caches filled (docs/load.md, "Memory over 30 minutes").
 */
export const rocksDbMemoryDefaults = {
  blockCacheBytes: 1024 * 1024,
  writeBufferBytes: 2 * 1024 * 1024,
} as const satisfies Required<RocksDbMemory>;

/**
 * What RocksDB holds in native memory, from its own estimates (`GetProperty`), in bytes:
 * outside the JavaScript heap, so a process's RSS grows by it without its heap doing so.
 * @category State
 */
export interface RocksDbNativeMemory {
  /** Open databases summed over. */
  readonly databases: number;
  /**
   * Index and filter blocks of the open files (`rocksdb.estimate-table-readers-mem`): not in the
   * block cache in this binding (`cache_index_and_filter_blocks` is off), so it grows with the
   * data on disk, about 10 bits of Bloom filter per key plus the index.
   */
  readonly tableReadersBytes: number;
  /** Memtables, active and being flushed (`rocksdb.size-all-mem-tables`). */
  readonly memtablesBytes: number;
  /** Blocks in the block caches (`rocksdb.block-cache-usage`), each at most `blockCacheBytes`. */
  readonly blockCacheBytes: number;
}

/** Every database this process has open: what {@link rocksDbNativeMemory} sums. */
const openDatabases = new Set<RocksDbStore>();

/**
 * Key and value bytes up to which a write goes through a reused chained batch (which keeps
 * the capacity it grew to); a larger one goes through a batch of its own, freed once written.
 * Writers of many records (a restore) slice their writes to this size.
 */
export const nativeBatchBytes = 256 * 1024;

/** Chained batches kept per database: one per write under way at once, rarely more than two. */
const maxIdleBatches = 2;

/** RocksDB's native memory in this process, summed over its open databases. */
export function rocksDbNativeMemory(): RocksDbNativeMemory {
  let tableReadersBytes = 0;
  let memtablesBytes = 0;
  let blockCacheBytes = 0;
  for (const store of openDatabases) {
    const memory = store.nativeMemory();
    tableReadersBytes += memory.tableReadersBytes;
    memtablesBytes += memory.memtablesBytes;
    blockCacheBytes += memory.blockCacheBytes;
  }
  return { databases: openDatabases.size, tableReadersBytes, memtablesBytes, blockCacheBytes };
}

/**
 * A {@link BytesKeyValueStore} on one on-disk RocksDB database, through the `rocksdb` npm
 * package (the user's choice; it bundles RocksDB 6.17 and is no longer maintained, which is why
 * nothing outside this folder imports it).
 *
 * @example
 * ```ts
 * const store = await RocksDbStore.open('/tmp/state/task-0');
 * await store.put(Buffer.from('video-1'), Buffer.from('42'));
 * await store.close();
 * ```
 * @category State
 */
export class RocksDbStore implements BytesKeyValueStore {
  readonly path: string;
  private readonly db: RocksDb;
  // The native binding crashes the process (SIGSEGV) on use after close: guard every call.
  private closed = false;
  /** Written chained batches, cleared, for the next {@link batch} (see there). */
  private readonly idleBatches: RocksDbChainedBatch[] = [];

  private constructor(path: string, db: RocksDb) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating when missing) the database in `path`. */
  static async open(path: string, memory: RocksDbMemory = {}): Promise<RocksDbStore> {
    mkdirSync(path, { recursive: true });
    const db = rocksdb(path);
    const options = {
      createIfMissing: true,
      compression: true,
      cacheSize: memory.blockCacheBytes ?? rocksDbMemoryDefaults.blockCacheBytes,
      writeBufferSize: memory.writeBufferBytes ?? rocksDbMemoryDefaults.writeBufferBytes,
    };
    await new Promise<void>((resolve, reject) => {
      db.open(options, (error) =>
        error === undefined || error === null ? resolve() : reject(error),
      );
    });
    const store = new RocksDbStore(path, db);
    openDatabases.add(store);
    return store;
  }

  /** This database's share of {@link rocksDbNativeMemory} (zeros once closed). */
  nativeMemory(): RocksDbNativeMemory {
    if (this.closed) {
      return { databases: 0, tableReadersBytes: 0, memtablesBytes: 0, blockCacheBytes: 0 };
    }
    const bytes = (property: string): number => {
      const value = Number(this.db.getProperty(property));
      return Number.isFinite(value) ? value : 0;
    };
    return {
      databases: 1,
      tableReadersBytes: bytes('rocksdb.estimate-table-readers-mem'),
      memtablesBytes: bytes('rocksdb.size-all-mem-tables'),
      blockCacheBytes: bytes('rocksdb.block-cache-usage'),
    };
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return new Promise((resolve, reject) => {
      this.db.get(asBuffer(key), { asBuffer: true }, (error, value) => {
        if (error === undefined || error === null) {
          resolve(value);
        } else if (/NotFound/i.test(error.message)) {
          resolve(undefined);
        } else {
          reject(error);
        }
      });
    });
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.assertOpen();
    return settle((done) => this.db.put(asBuffer(key), asBuffer(value), done));
  }

  async delete(key: Uint8Array): Promise<void> {
    this.assertOpen();
    return settle((done) => this.db.del(asBuffer(key), done));
  }

  async batch(operations: readonly BatchOperation[]): Promise<void> {
    this.assertOpen();
    if (operations.length === 0) {
      return;
    }
    let bytes = 0;
    for (const op of operations) {
      if (op.key.length === 0) {
        // What abstract-leveldown's check would say; the whole batch is refused.
        throw new Error('key cannot be an empty Buffer');
      }
      bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
    }
    if (bytes > nativeBatchBytes) {
      // The implementation's `_batch`, not `batch`: abstract-leveldown's `batch` checks and
      // copies every operation once more (`Object.assign`). Its native batch is freed as soon
      // as it is written.
      const native = operations.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, key: asBuffer(op.key), value: asBuffer(op.value) }
          : { type: 'del' as const, key: asBuffer(op.key) },
      );
      return settle((done) => this.db._batch(native, {}, done));
    }
    // A chained batch, each operation handed to the binding as two arguments, not an array of
    // operation objects, which the binding reads property by property (the type as a string,
    // the key, the value): 0.2–0.3 µs an operation on the event loop against about 0.9
    // (100,000 puts). The implementation's `_put`, `_del` and `_write`, not abstract-leveldown's
    // checked wrappers. A chained batch's native memory is freed only when the garbage
    // collector finalizes it, and the binding does not tell V8 its size: one new batch per
    // commit held the serving process 640 MB above its usual RSS. So batches are cleared and
    // reused, and only those of at most nativeBatchBytes, so what a kept one holds is bounded.
    const batch = this.idleBatches.pop() ?? this.db._chainedBatch();
    try {
      for (const op of operations) {
        if (op.type === 'put') {
          batch._put(asBuffer(op.key), asBuffer(op.value));
        } else {
          batch._del(asBuffer(op.key));
        }
      }
      await settle((done) => batch._write({}, done));
    } finally {
      batch._clear();
      if (!this.closed && this.idleBatches.length < maxIdleBatches) {
        this.idleBatches.push(batch);
      }
    }
  }

  async clear(bounds: ClearBounds): Promise<void> {
    this.assertOpen();
    // The binding reads an empty bound as none: an empty lt would clear to the end.
    if (bounds.lt.length === 0 || Buffer.compare(bounds.gte, bounds.lt) >= 0) {
      return;
    }
    // Natively: the binding iterates the range and deletes in write batches of 16 KiB of keys
    // on its worker thread; no key comes into JavaScript.
    return settle((done) =>
      this.db.clear({ gte: asBuffer(bounds.gte), lt: asBuffer(bounds.lt) }, done),
    );
  }

  async *range(bounds: RangeBounds = {}): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    this.assertOpen();
    // The binding treats an empty bound as no bound; no key is below the empty key.
    if (bounds.lt?.length === 0) {
      return;
    }
    const iterator = this.db.iterator({
      ...(bounds.gte === undefined ? {} : { gte: asBuffer(bounds.gte) }),
      ...(bounds.lt === undefined ? {} : { lt: asBuffer(bounds.lt) }),
      ...(bounds.limit === undefined ? {} : { limit: bounds.limit }),
      reverse: bounds.reverse ?? false,
      keyAsBuffer: true,
      valueAsBuffer: true,
    });
    try {
      for (;;) {
        const entry = await new Promise<readonly [Buffer, Buffer] | undefined>(
          (resolve, reject) => {
            iterator.next((error, key, value) => {
              if (error !== undefined && error !== null) {
                reject(error);
              } else {
                resolve(key === undefined || value === undefined ? undefined : [key, value]);
              }
            });
          },
        );
        if (entry === undefined) {
          return;
        }
        yield entry;
        // The binding reads entries ahead in chunks (16 KiB) into the iterator's
        // cache, and `next` hands out one per callback on its own tick: about 16 µs an entry
        // with the promise around it (0.8 s to build the key filter of 50,000 keys after a
        // restore). The rest of the chunk is taken from the cache here, in the order `next`
        // would (pairs popped from the end: key, then value); that layout is the `rocksdb`
        // 5.2.1 iterator's (iterator.js), which this folder pins.
        const cache = iterator.cache;
        while (cache !== null && cache !== undefined && cache.length >= 2) {
          const key = cache.pop() as Buffer;
          const value = cache.pop() as Buffer;
          yield [key, value];
        }
      }
    } finally {
      await settle((done) => iterator.end(done));
    }
  }

  /**
   * Every key in `[gte, lt)`, in order, without values: how a task builds its stores' key
   * filters after a restore. Read ahead 1 MiB per native call (a range reads 16 KiB), and taken
   * from the iterator's cache a chunk at a time as in {@link range}: while other tasks restore,
   * each native call waits for a thread of the pool behind their writes, and the scan of 3,400
   * keys took 1.2 s in 16 KiB chunks.
   */
  async keys(bounds: { readonly gte: Uint8Array; readonly lt: Uint8Array }): Promise<Buffer[]> {
    this.assertOpen();
    const iterator = this.db.iterator({
      gte: asBuffer(bounds.gte),
      lt: asBuffer(bounds.lt),
      values: false,
      highWaterMark: 1024 * 1024,
      keyAsBuffer: true,
      valueAsBuffer: true,
    });
    const keys: Buffer[] = [];
    try {
      for (;;) {
        const key = await new Promise<Buffer | undefined>((resolve, reject) => {
          iterator.next((error, next) => {
            if (error !== undefined && error !== null) {
              reject(error);
            } else {
              resolve(next);
            }
          });
        });
        if (key === undefined) {
          return keys;
        }
        keys.push(key);
        const cache = iterator.cache;
        while (cache !== null && cache !== undefined && cache.length >= 2) {
          keys.push(cache.pop() as Buffer);
          cache.pop(); // the value: empty, values were not read
        }
      }
    } finally {
      await settle((done) => iterator.end(done));
    }
  }

  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    this.idleBatches.length = 0;
    openDatabases.delete(this);
    return settle((done) => this.db.close(done));
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error(`RocksDB store ${this.path} is closed`);
    }
  }
}

/** The binding stringifies anything that is not a Buffer: wrap plain Uint8Arrays, no copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function settle(call: (done: (error: Error | undefined | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    call((error) => (error === undefined || error === null ? resolve() : reject(error)));
  });
}
