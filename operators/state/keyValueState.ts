import type { SerdeContext } from '../serdes/serde.js';
import type { StoreDefinition } from './storeDefinition.js';
import type { TaskStore } from './taskStore.js';

/**
 * A task's key-value store with the pipeline's types: what an operator of the processor API
 * reads and writes. Writes are synchronous (they land in the task's write cache and are made
 * durable at the next commit); reads are asynchronous unless the key is cached ({@link peek}).
 *
 * @example
 * ```ts
 * import { float64Serde, keyValueStore, stringSerde, type Operator } from 'reelstream';
 *
 * const viewsStore = keyValueStore({ name: 'views', key: stringSerde, value: float64Serde });
 * const countViews: Operator<string, string, string, number> = {
 *   async process(record, ctx) {
 *     const videoId = record.key;
 *     const views = ctx.keyValueStore(viewsStore);
 *     const seen = views.peek(videoId); // synchronous when cached
 *     const count = (seen === undefined ? await views.get(videoId) : seen.value) ?? 0;
 *     views.put(videoId, count + 1);
 *     ctx.forward(record.withValue(count + 1));
 *   },
 * };
 * ```
 * @category State
 */
export class KeyValueState<TKey, TValue> {
  readonly name: string;
  private readonly store: TaskStore;
  private readonly definition: StoreDefinition<TKey, TValue>;
  private readonly keyContext: SerdeContext;
  private readonly valueContext: SerdeContext;

  constructor(store: TaskStore, definition: StoreDefinition<TKey, TValue>) {
    this.name = definition.name;
    this.store = store;
    this.definition = definition;
    this.keyContext = { topic: definition.name, isKey: true };
    this.valueContext = { topic: definition.name, isKey: false };
  }

  /** The value when the cache knows it (`{ value: undefined }`: known absent); else undefined. */
  peek(key: TKey): { readonly value: TValue | undefined } | undefined {
    const bytes = this.store.peek(this.keyBytes(key));
    if (bytes === undefined) {
      return undefined;
    }
    return { value: bytes === null ? undefined : this.valueOf(bytes) };
  }

  async get(key: TKey): Promise<TValue | undefined> {
    const bytes = await this.store.get(this.keyBytes(key));
    return bytes === undefined ? undefined : this.valueOf(bytes);
  }

  put(key: TKey, value: TValue): void {
    const bytes = this.definition.value.serialize(value, this.valueContext);
    if (bytes === null) {
      this.store.delete(this.keyBytes(key));
    } else {
      this.store.put(this.keyBytes(key), bytes);
    }
  }

  delete(key: TKey): void {
    this.store.delete(this.keyBytes(key));
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
      yield [this.definition.key.deserialize(key, this.keyContext), this.valueOf(value)];
    }
  }

  private valueOf(bytes: Uint8Array): TValue {
    return this.definition.value.deserialize(bytes, this.valueContext);
  }

  private keyBytes(key: TKey): Uint8Array {
    const bytes = this.definition.key.serialize(key, this.keyContext);
    if (bytes === null || bytes.length === 0) {
      throw new Error(`store ${this.name}: a key must serialize to at least one byte`);
    }
    return bytes;
  }
}
