import { mkdirSync } from 'node:fs';

import rocksdb, { type RocksDb } from 'rocksdb';

import type { BatchOperation, BytesKeyValueStore, RangeBounds } from '../keyValueStore.js';

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

  private constructor(path: string, db: RocksDb) {
    this.path = path;
    this.db = db;
  }

  /** Opens (creating when missing) the database in `path`. */
  static async open(path: string): Promise<RocksDbStore> {
    mkdirSync(path, { recursive: true });
    const db = rocksdb(path);
    await new Promise<void>((resolve, reject) => {
      db.open({ createIfMissing: true, compression: true }, (error) =>
        error === undefined || error === null ? resolve() : reject(error),
      );
    });
    return new RocksDbStore(path, db);
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(key, { asBuffer: true }, (error, value) => {
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

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return settle((done) => this.db.put(key, value, done));
  }

  delete(key: Uint8Array): Promise<void> {
    return settle((done) => this.db.del(key, done));
  }

  batch(operations: readonly BatchOperation[]): Promise<void> {
    const native = operations.map((op) =>
      op.type === 'put'
        ? { type: 'put' as const, key: op.key, value: op.value }
        : { type: 'del' as const, key: op.key },
    );
    return settle((done) => this.db.batch(native, done));
  }

  async *range(bounds: RangeBounds = {}): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    const iterator = this.db.iterator({
      ...(bounds.gte === undefined ? {} : { gte: bounds.gte }),
      ...(bounds.lt === undefined ? {} : { lt: bounds.lt }),
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
      }
    } finally {
      await settle((done) => iterator.end(done));
    }
  }

  close(): Promise<void> {
    return settle((done) => this.db.close(done));
  }
}

function settle(call: (done: (error: Error | undefined | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    call((error) => (error === undefined || error === null ? resolve() : reject(error)));
  });
}
