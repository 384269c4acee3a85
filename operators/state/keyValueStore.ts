/**
 * The byte-level store every state store is built on: RocksDB in production, a sorted in-memory
 * map in tests. Typed facades (serdes), caching, change-logging and metrics are layered on top,
 * as in Kafka Streams and Quix Streams. Keys order bytewise.
 *
 * @category State
 */
export interface BytesKeyValueStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  delete(key: Uint8Array): Promise<void>;
  /** Applies all operations atomically: all of them are visible after it resolves, or none. */
  batch(operations: readonly BatchOperation[]): Promise<void>;
  /** Entries with keys in [gte, lt), in key order (or reverse), at most `limit` of them. */
  range(bounds?: RangeBounds): AsyncIterable<readonly [Uint8Array, Uint8Array]>;
  /**
   * Deletes every key in [gte, lt). RocksDB does it natively, in batches, without a key
   * crossing into JavaScript; a read that overlaps it may see some of the keys gone, not others.
   */
  clear(bounds: ClearBounds): Promise<void>;
  close(): Promise<void>;
}

/** @category State */
export type BatchOperation =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array };

/** @category State */
export interface RangeBounds {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly reverse?: boolean;
  readonly limit?: number;
}

/** The keys a {@link BytesKeyValueStore.clear} deletes: gte inclusive, lt exclusive. */
export interface ClearBounds {
  readonly gte: Uint8Array;
  readonly lt: Uint8Array;
}
