import type { RepartitionOptions, Stream } from './stream.js';

/**
 * A stream whose records are partitioned by their key, so every record of one key is processed
 * by the same task: what aggregations, windows and tables are built on.
 *
 * @category DSL
 */
export class GroupedStream<TKey, TValue> {
  private readonly grouped: Stream<TKey, TValue>;
  /** @internal */ readonly options: RepartitionOptions<TKey, TValue>;

  /** @internal */
  constructor(grouped: Stream<TKey, TValue>, options: RepartitionOptions<TKey, TValue>) {
    this.grouped = grouped;
    this.options = options;
  }

  /** The key-partitioned records as a stream. */
  stream(): Stream<TKey, TValue> {
    return this.grouped;
  }
}
