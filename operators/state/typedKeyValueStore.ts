import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { BytesKeyValueStore } from './keyValueStore.js';

/**
 * The typed face of a state store: keys and values of the pipeline's types, turned into bytes
 * by serdes at this one layer, so everything underneath (cache, change-logging, RocksDB) works
 * on bytes. Key bytes must order as the keys should (range scans are bytewise).
 *
 * @example
 * ```ts
 * const views = new TypedKeyValueStore({ store, name: 'video-views', key: stringSerde, value: jsonSerde<number>() });
 * await views.put('video-1', ((await views.get('video-1')) ?? 0) + 1);
 * ```
 * @category State
 */
export class TypedKeyValueStore<TKey, TValue> {
  readonly name: string;
  private readonly store: BytesKeyValueStore;
  private readonly keySerde: Serde<TKey>;
  private readonly valueSerde: Serde<TValue>;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;

  constructor(options: {
    store: BytesKeyValueStore;
    /** The store's name; serdes see it as the topic (the changelog is named after it). */
    name: string;
    key: Serde<TKey>;
    value: Serde<TValue>;
  }) {
    this.name = options.name;
    this.store = options.store;
    this.keySerde = options.key;
    this.valueSerde = options.value;
    this.keyContext = { topic: options.name, isKey: true };
    this.valueContext = { topic: options.name, isKey: false };
  }

  async get(key: TKey): Promise<TValue | undefined> {
    const bytes = await this.store.get(this.keyBytes(key));
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes, this.valueContext);
  }

  async put(key: TKey, value: TValue): Promise<void> {
    const bytes = this.valueSerde.serialize(value, this.valueContext);
    if (bytes === null) {
      return this.store.delete(this.keyBytes(key));
    }
    return this.store.put(this.keyBytes(key), bytes);
  }

  async delete(key: TKey): Promise<void> {
    return this.store.delete(this.keyBytes(key));
  }

  /** Entries with keys in [from, to), in byte order of the serialized keys. */
  async *range(
    bounds: { from?: TKey; to?: TKey; reverse?: boolean; limit?: number } = {},
  ): AsyncIterable<readonly [TKey, TValue]> {
    const iterable = this.store.range({
      ...(bounds.from === undefined ? {} : { gte: this.keyBytes(bounds.from) }),
      ...(bounds.to === undefined ? {} : { lt: this.keyBytes(bounds.to) }),
      ...(bounds.reverse === undefined ? {} : { reverse: bounds.reverse }),
      ...(bounds.limit === undefined ? {} : { limit: bounds.limit }),
    });
    for await (const [key, value] of iterable) {
      yield [
        this.keySerde.deserialize(key, this.keyContext),
        this.valueSerde.deserialize(value, this.valueContext),
      ];
    }
  }

  private keyBytes(key: TKey): Uint8Array {
    const bytes = this.keySerde.serialize(key, this.keyContext);
    if (bytes === null || bytes.length === 0) {
      throw new Error(`store ${this.name}: a key must serialize to at least one byte`);
    }
    return bytes;
  }
}
