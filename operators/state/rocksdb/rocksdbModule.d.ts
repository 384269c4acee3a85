// The subset of the `rocksdb` package (abstract-leveldown 7 API, callback style) that
// RocksDbStore uses. The package ships no types; this file is the only place that knows its shape.
declare module 'rocksdb' {
  type Callback<T = void> = (error: Error | undefined, result: T) => void;

  export interface RocksDbOpenOptions {
    createIfMissing?: boolean;
    errorIfExists?: boolean;
    compression?: boolean;
    cacheSize?: number;
    writeBufferSize?: number;
    maxOpenFiles?: number;
  }

  export interface RocksDbIterator {
    /** The entries fetched but not yet handed out: [..., value2, key2, value1, key1]. */
    cache?: Buffer[] | null;
    next(callback: (error: Error | undefined, key?: Buffer, value?: Buffer) => void): void;
    end(callback: (error: Error | undefined) => void): void;
  }

  /** The implementation of abstract-leveldown's chained batch, without its checks. */
  export interface RocksDbChainedBatch {
    _put(key: Buffer, value: Buffer): void;
    _del(key: Buffer): void;
    _write(options: Record<string, never>, callback: Callback): void;
    /** Empties the batch for reuse (its native buffer keeps its capacity). */
    _clear(): void;
  }

  export interface RocksDb {
    open(options: RocksDbOpenOptions, callback: Callback): void;
    close(callback: Callback): void;
    /** A RocksDB property (`rocksdb.…`), synchronously, as a string (`''` when unknown). */
    getProperty(property: string): string;
    get(key: Uint8Array, options: { asBuffer: true }, callback: Callback<Buffer>): void;
    put(key: Uint8Array, value: Uint8Array, callback: Callback): void;
    del(key: Uint8Array, callback: Callback): void;
    batch(
      operations: ReadonlyArray<
        { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }
      >,
      callback: Callback,
    ): void;
    /** The implementation behind `batch` (abstract-leveldown's contract), without its checks. */
    _batch(
      operations: ReadonlyArray<
        { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer }
      >,
      options: Record<string, never>,
      callback: Callback,
    ): void;
    /** A native write batch: operations are copied into it as they are added. */
    _chainedBatch(): RocksDbChainedBatch;
    /** Deletes every key in the range, natively (iterating and batching in the binding). */
    clear(options: { gte?: Uint8Array; lt?: Uint8Array }, callback: Callback): void;
    iterator(options: {
      gte?: Uint8Array;
      lt?: Uint8Array;
      reverse?: boolean;
      limit?: number;
      /** false: keys only (each value an empty buffer). */
      values?: boolean;
      /** Bytes the binding reads ahead per native call (default 16 KiB). */
      highWaterMark?: number;
      keyAsBuffer: true;
      valueAsBuffer: true;
    }): RocksDbIterator;
  }

  function rocksdb(location: string): RocksDb;
  export default rocksdb;
}
