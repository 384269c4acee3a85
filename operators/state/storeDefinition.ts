import type { Serde } from '../serdes/serde.js';

/**
 * A named state store an operator uses: its serdes, where it lives and whether it is
 * change-logged. Declared when the pipeline is built (each task then opens its own instance),
 * so the runtime knows every store before the first record: it creates the changelog topics and
 * restores the stores before processing starts.
 *
 * @category State
 */
export interface StoreDefinition<TKey, TValue> {
  /** Unique within the job; the changelog topic is `<applicationId>-<name>-changelog`. */
  readonly name: string;
  readonly key: Serde<TKey>;
  readonly value: Serde<TValue>;
  /** `rocksdb` (default): on local disk, restored from the changelog after its checkpoint. */
  readonly backend: StoreBackend;
  /** Whether every committed change goes to the changelog topic (default true). */
  readonly changelog: boolean;
}

/** @category State */
export type StoreBackend = 'rocksdb' | 'memory';

/** The runtime's view of a store: its name and how it is kept; the serdes are the operator's. */
export type StoreSpec = Pick<
  StoreDefinition<unknown, unknown>,
  'name' | 'backend' | 'changelog'
> & {
  /**
   * Set for state that expires by time without tombstones (windows past their grace, see
   * `TaskStore.expire`): the changelog topic is created `compact,delete` with this retention,
   * so what expired leaves it too. Unset: compacted only, kept until deleted.
   */
  readonly changelogRetentionMs?: number;
};

/**
 * Declares a key-value store for the processor API.
 *
 * @example
 * ```ts
 * import { float64Serde, keyValueStore, Pipeline, stringSerde } from 'reelstream';
 *
 * const lastSeen = keyValueStore({ name: 'last-seen', key: stringSerde, value: float64Serde });
 * const pipeline = new Pipeline();
 * pipeline.source('visits', { key: stringSerde, value: stringSerde }).process(
 *   () => ({
 *     process(record, ctx) {
 *       ctx.keyValueStore(lastSeen).put(record.key, record.timestamp);
 *     },
 *   }),
 *   { name: 'last-seen', stores: [lastSeen] },
 * );
 * ```
 * @category State
 */
export function keyValueStore<TKey, TValue>(options: {
  readonly name: string;
  readonly key: Serde<TKey>;
  readonly value: Serde<TValue>;
  readonly backend?: StoreBackend;
  readonly changelog?: boolean;
}): StoreDefinition<TKey, TValue> {
  if (!/^[A-Za-z0-9._-]+$/.test(options.name)) {
    throw new Error(
      `store name "${options.name}" may hold only letters, digits, '.', '_' and '-' (it names a topic)`,
    );
  }
  return {
    name: options.name,
    key: options.key,
    value: options.value,
    backend: options.backend ?? 'rocksdb',
    changelog: options.changelog ?? true,
  };
}

/** The changelog topic of a store. */
export function changelogTopic(applicationId: string, store: string): string {
  return `${applicationId}-${store}-changelog`;
}
