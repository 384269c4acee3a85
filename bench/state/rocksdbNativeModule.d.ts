// The subset of `rocksdb-native` (holepunchto, 3.x; CommonJS, promise API) that
// bench/state/storeBench.ts uses. The package ships no types; this describes only those calls.
declare module 'rocksdb-native' {
  export interface RocksDbNativeOptions {
    /** Memtable size in bytes (default 64 MiB). */
    writeBufferSize?: number;
    createIfMissing?: boolean;
    readOnly?: boolean;
  }

  /** A batch of writes applied atomically by `flush()`. */
  export interface RocksDbNativeWriteBatch {
    tryPut(key: Uint8Array, value: Uint8Array): void;
    tryDelete(key: Uint8Array): void;
    flush(): Promise<void>;
    destroy(): void;
  }

  export interface RocksDbNativeRange {
    gt?: Uint8Array;
    gte?: Uint8Array;
    lt?: Uint8Array;
    lte?: Uint8Array;
  }

  export interface RocksDbNativeIteratorOptions {
    reverse?: boolean;
    limit?: number;
    /** Entries fetched per native call (default 8). */
    capacity?: number;
  }

  export default class RocksDB {
    constructor(path: string, options?: RocksDbNativeOptions);
    ready(): Promise<void>;
    close(): Promise<void>;
    /** null when the key is missing. */
    get(key: Uint8Array): Promise<Buffer | null>;
    put(key: Uint8Array, value: Uint8Array): Promise<void>;
    delete(key: Uint8Array): Promise<void>;
    write(options?: { capacity?: number; autoDestroy?: boolean }): RocksDbNativeWriteBatch;
    iterator(
      range?: RocksDbNativeRange,
      options?: RocksDbNativeIteratorOptions,
    ): AsyncIterable<{ key: Buffer; value: Buffer }>;
    /** A session reading one consistent snapshot; close it when done. */
    snapshot(): RocksDB;
  }
}
