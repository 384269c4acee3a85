/**
 * One memory budget for the write caches of every store in a process (Kafka Streams'
 * `statestore.cache.max.bytes`): a store that grows the total past the budget evicts.
 *
 * @category State
 */
export class CacheBudget {
  readonly maxBytes: number;
  private used = 0;
  /** Per store name (summed over tasks): entries cached, and of them known-missing keys. */
  private readonly counts = new Map<string, { values: number; missing: number }>();

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`a cache budget must be a non-negative integer, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  /** Entries cached per store name: values, and keys known to be missing. */
  entries(): Record<string, { readonly values: number; readonly missing: number }> {
    return Object.fromEntries([...this.counts].map(([store, count]) => [store, { ...count }]));
  }

  /** A store cached (`+1`) or dropped (`-1`) an entry; `missing`: a known-missing key. */
  countEntry(store: string, delta: 1 | -1, missing: boolean): void {
    let count = this.counts.get(store);
    if (count === undefined) {
      count = { values: 0, missing: 0 };
      this.counts.set(store, count);
    }
    if (missing) {
      count.missing += delta;
    } else {
      count.values += delta;
    }
  }

  add(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  isExceeded(): boolean {
    return this.used > this.maxBytes;
  }
}
