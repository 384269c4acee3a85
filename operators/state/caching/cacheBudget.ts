/**
 * One memory budget for the write caches of every store in a process (Kafka Streams'
 * `statestore.cache.max.bytes`): a store that grows the total past the budget evicts.
 *
 * @category State
 */
export class CacheBudget {
  readonly maxBytes: number;
  private used = 0;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`a cache budget must be a non-negative integer, got ${maxBytes}`);
    }
    this.maxBytes = maxBytes;
  }

  get usedBytes(): number {
    return this.used;
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
