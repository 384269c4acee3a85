/**
 * A byte-level store an operator may read but not write: a global table, which every instance
 * holds in full and which only the topic it is read from changes.
 *
 * @category State
 */
export interface ReadOnlyStore {
  readonly name: string;
  /**
   * The cached value of `key` without waiting: a Buffer, `null` when the key is known to be
   * absent, `undefined` when the cache does not know (call {@link get}).
   */
  peek(key: Uint8Array): Buffer | null | undefined;
  /** {@link peek} by the key's id (its bytes read as latin1, `keyId`), when the caller has it. */
  peekId?(id: string): Buffer | null | undefined;
  get(key: Uint8Array): Promise<Buffer | undefined>;
}

/** Where a task finds the global stores of its job, by name. */
export interface GlobalStores {
  store(name: string): ReadOnlyStore;
}
