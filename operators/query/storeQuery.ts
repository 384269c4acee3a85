import type { Serde, SerdeContext } from '../serdes/serde.js';
import type { KeyLocation, QueryService } from './queryService.js';
import { decodeBytes, encodeBytes, maxRangeLimit } from './wireFormat.js';
import { pagedEntries } from './pagedEntries.js';

/**
 * A store to query: its name and serdes, the same ones the pipeline's operator uses. A
 * {@link StoreDefinition} is one; for a DSL aggregation, `{ name: table.storeName, key, value }`.
 *
 * @category Queries
 */
export interface QueryableStore<TKey, TValue> {
  readonly name: string;
  readonly key: Serde<TKey>;
  readonly value: Serde<TValue>;
}

/**
 * Point and range lookups on one of a running job's key-value stores, across its instances:
 * a key of a partition this instance runs is read from the local task; any other is asked of
 * the instance that owns it (`queryEndpoint`), or fails with {@link KeyNotOwnedError} naming
 * the owner. Point lookups assume the store is keyed like its sub-topology's input (as
 * aggregations are): the key's partition is computed from it as Kafka's producer would.
 *
 * @example
 * ```ts
 * import { float64Serde, Pipeline, stringSerde, TestDriver } from 'reelstream';
 *
 * const text = { key: stringSerde, value: stringSerde };
 * const pipeline = new Pipeline();
 * pipeline
 *   .source('views', text)
 *   .groupByKey({ name: 'by-video', serdes: text })
 *   .count({ name: 'views-per-video' });
 * // A StreamJob's job.query(...) is the same query, on Kafka and across instances.
 * const job = await TestDriver.start(pipeline);
 * await job.input('views', text).pipeMany([{ key: 'video-42', value: 'view' }]);
 *
 * const counts = job.query({ name: 'views-per-video', key: stringSerde, value: float64Serde });
 * const views = await counts.get('video-42'); // 1
 * const firstTen = await counts.range({ from: 'video-', to: 'video.', limit: 10 });
 * for await (const [video, count] of counts.entries()) {
 *   console.log(video, count); // the whole store, page by page
 * }
 * await job.close();
 * ```
 * @category Queries
 */
export class StoreQuery<TKey, TValue> {
  readonly name: string;
  private readonly service: QueryService;
  private readonly store: QueryableStore<TKey, TValue>;
  private readonly storeKey: SerdeContext;
  private readonly storeValue: SerdeContext;
  private readonly routingKey: SerdeContext;
  private prepared: Promise<void> | undefined;

  /** @internal Created by `StreamJob.query`. */
  constructor(service: QueryService, store: QueryableStore<TKey, TValue>) {
    this.service = service;
    this.store = store;
    this.name = store.name;
    this.storeKey = { topic: store.name, isKey: true };
    this.storeValue = { topic: store.name, isKey: false };
    this.routingKey = { topic: service.storeInfo(store.name).routingTopic, isKey: true };
  }

  /** The key's value, wherever it lives; undefined when the owner has no such key. */
  async get(key: TKey): Promise<TValue | undefined> {
    const lookup = await this.lookupOf(key);
    const bytes = await this.service.get(lookup);
    return bytes === undefined ? undefined : this.store.value.deserialize(bytes, this.storeValue);
  }

  /**
   * Entries with keys in [from, to) in byte order of the serialized keys, from every partition
   * (this instance's and the other owners'): at most `limit`, or all of them, read a page at a
   * time ({@link entries}).
   */
  async range(bounds: { from?: TKey; to?: TKey; limit?: number } = {}): Promise<[TKey, TValue][]> {
    const found: [TKey, TValue][] = [];
    const limit = bounds.limit ?? Infinity;
    if (limit <= 0) {
      return found;
    }
    const pageSize = Math.min(limit, maxRangeLimit);
    for await (const entry of this.entries({ ...bounds, pageSize })) {
      found.push(entry);
      if (found.length >= limit) {
        break;
      }
    }
    return found;
  }

  /**
   * One page of a range: the first `limit` entries (default 1,000, at most 10,000) of
   * [from, to) after the cursor `after`; `next`, when entries remain, is the cursor of the
   * next page (the HTTP API's `next`, base64url of the last key's bytes).
   */
  async rangePage(
    bounds: { from?: TKey; to?: TKey; after?: string; limit?: number } = {},
  ): Promise<{ entries: [TKey, TValue][]; next: string | undefined }> {
    await this.prepare();
    const page = await this.service.range({
      store: this.name,
      ...(bounds.from === undefined ? {} : { gte: this.bytesOf(bounds.from, this.storeKey) }),
      ...(bounds.to === undefined ? {} : { lt: this.bytesOf(bounds.to, this.storeKey) }),
      ...(bounds.after === undefined ? {} : { after: decodeBytes(bounds.after) }),
      ...(bounds.limit === undefined ? {} : { limit: bounds.limit }),
    });
    return {
      entries: page.entries.map(([key, value]) => [
        this.store.key.deserialize(key, this.storeKey),
        this.store.value.deserialize(value, this.storeValue),
      ]),
      next: page.next === undefined ? undefined : encodeBytes(page.next),
    };
  }

  /**
   * Every entry of [from, to), in key order, a page of `pageSize` (default 1,000) at a time.
   * Not a snapshot: a key written between two pages shows up if it sorts after the page
   * already read; none shows up twice.
   */
  entries(
    bounds: { from?: TKey; to?: TKey; pageSize?: number } = {},
  ): AsyncGenerator<[TKey, TValue]> {
    return pagedEntries((page) => this.rangePage(page), bounds);
  }

  /** Which partition and task hold the key, and which instance owns them now. */
  async locate(key: TKey): Promise<KeyLocation> {
    return this.service.locate(await this.lookupOf(key));
  }

  private async lookupOf(key: TKey): Promise<{ store: string; key: Buffer; partition: number }> {
    await this.prepare();
    const routingBytes = this.bytesOf(key, this.routingKey);
    return {
      store: this.name,
      key: this.bytesOf(key, this.storeKey),
      partition: await this.service.partitionFor(this.name, routingBytes),
    };
  }

  private bytesOf(key: TKey, context: SerdeContext): Buffer {
    const bytes = this.store.key.serialize(key, context);
    if (bytes === null || bytes.length === 0) {
      throw new Error(`store ${this.name}: a key must serialize to at least one byte`);
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Serdes that register schemas (Avro) do it once per topic before serializing. */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      await this.store.key.prepareSerialize?.(this.storeKey);
      await this.store.key.prepareSerialize?.(this.routingKey);
    })().catch((error: unknown) => {
      this.prepared = undefined; // a registry that was down: try again on the next lookup
      throw error;
    });
    return this.prepared;
  }
}
