import type {
  BatchOperation,
  BytesKeyValueStore,
  ClearBounds,
  RangeBounds,
} from './keyValueStore.js';

/**
 * One store's share of a database that several stores use: every key is written behind the
 * store's prefix (its name and a zero byte), so each task keeps one RocksDB database for all its
 * stores. Closing a prefixed store does not close the database; its owner does.
 *
 * @category State
 */
export class PrefixedStore implements BytesKeyValueStore {
  private readonly db: BytesKeyValueStore;
  private readonly prefix: Buffer;
  /** The first key after every key of this prefix: the prefix with its last byte incremented. */
  private readonly end: Buffer;

  constructor(db: BytesKeyValueStore, name: string) {
    this.db = db;
    this.prefix = keyPrefix(name);
    this.end = keyPrefixEnd(name);
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.db.get(this.wrap(key));
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.db.put(this.wrap(key), value);
  }

  delete(key: Uint8Array): Promise<void> {
    return this.db.delete(this.wrap(key));
  }

  batch(operations: readonly BatchOperation[]): Promise<void> {
    return this.db.batch(
      operations.map((op) =>
        op.type === 'put'
          ? { type: 'put' as const, key: this.wrap(op.key), value: op.value }
          : { type: 'delete' as const, key: this.wrap(op.key) },
      ),
    );
  }

  async *range(bounds: RangeBounds = {}): AsyncIterable<readonly [Uint8Array, Uint8Array]> {
    const inner: RangeBounds = {
      gte: bounds.gte === undefined ? this.prefix : this.wrap(bounds.gte),
      lt: bounds.lt === undefined ? this.end : this.wrap(bounds.lt),
      ...(bounds.reverse === undefined ? {} : { reverse: bounds.reverse }),
      ...(bounds.limit === undefined ? {} : { limit: bounds.limit }),
    };
    for await (const [key, value] of this.db.range(inner)) {
      yield [key.subarray(this.prefix.length), value];
    }
  }

  clear(bounds: ClearBounds): Promise<void> {
    return this.db.clear({ gte: this.wrap(bounds.gte), lt: this.wrap(bounds.lt) });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private wrap(key: Uint8Array): Buffer {
    // Not Buffer.concat: its list, length sum and checks cost more than the copy itself, once
    // per key of every commit's batch (1.7% of the stateful bench's CPU).
    const wrapped = Buffer.allocUnsafe(this.prefix.length + key.length);
    this.prefix.copy(wrapped, 0);
    wrapped.set(key, this.prefix.length);
    return wrapped;
  }
}

/** What a store's keys are written behind in the shared database: its name and a zero byte. */
export function keyPrefix(name: string): Buffer {
  return Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0])]);
}

/** The first key after every key of a store's prefix: the prefix with its last byte incremented. */
export function keyPrefixEnd(name: string): Buffer {
  return Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([1])]);
}
