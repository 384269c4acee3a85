import type { GlobalTable } from '../dsl/globalTable.js';
import { stringSerde } from '../serdes/basicSerdes.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';

/**
 * Each table's decoded values by the stored bytes they were decoded from. A global store keeps
 * one Buffer per cached key until the topic changes it (a new Buffer) or the cache evicts it
 * (then the entry goes with it): a hit on the same Buffer is the same value, decoded once. A
 * request handler reads the features of a thousand candidates; decoding each on every request
 * was most of its time.
 */
const decodedByTable = new WeakMap<object, WeakMap<Buffer, unknown>>();

function decodedOf(table: object): WeakMap<Buffer, unknown> {
  let decoded = decodedByTable.get(table);
  if (decoded === undefined) {
    decoded = new WeakMap();
    decodedByTable.set(table, decoded);
  }
  return decoded;
}

/**
 * Reads one key of a global table with the table's serdes. The store holds the topic's bytes as
 * written, so the key is serialized as a producer of that topic would, and a value loaded
 * before this process started may carry a writer schema the serde must learn first.
 *
 * A value decoded before is returned again while its bytes are unchanged, without a second
 * decode: lookups share values, which callers read and never change.
 */
export function lookupGlobal<TKey, TValue>(
  store: ReadOnlyStore,
  table: GlobalTable<TKey, TValue>,
  key: TKey,
): Promise<TValue | undefined> {
  const found = lookupNow({ store, table, decoded: decodedOf(table) }, key);
  return found instanceof Promise ? found : Promise.resolve(found.value);
}

/**
 * Reads many keys of a global table at once: keys whose values are cached and decoded answer
 * in a loop, and only the others are awaited, so a handler that reads a thousand candidates'
 * features makes a few promises instead of thousands (each a microtask).
 */
export function lookupGlobalAll<TKey, TValue>(
  store: ReadOnlyStore,
  table: GlobalTable<TKey, TValue>,
  keys: readonly TKey[],
): Promise<(TValue | undefined)[]> {
  const values: (TValue | undefined)[] = keys.map(() => undefined);
  let misses: Promise<void>[] | undefined;
  // Once per call, not per key: a thousand WeakMap lookups a request were a measurable share.
  const reader = { store, table, decoded: decodedOf(table) };
  keys.forEach((key, i) => {
    const found = lookupNow(reader, key);
    if (found instanceof Promise) {
      (misses ??= []).push(
        found.then((value) => {
          values[i] = value;
        }),
      );
    } else {
      values[i] = found.value;
    }
  });
  return misses === undefined ? Promise.resolve(values) : Promise.all(misses).then(() => values);
}

/**
 * One key's value from the caches when they answer it (the store's bytes, decoded before, or
 * known absent), without a promise; else a promise of it (a read, a decode, or a key serde that
 * must prepare first).
 */
function lookupNow<TKey, TValue>(
  reader: {
    readonly store: ReadOnlyStore;
    readonly table: GlobalTable<TKey, TValue>;
    /** The table's decoded values ({@link decodedOf}). */
    readonly decoded: WeakMap<Buffer, unknown>;
  },
  key: TKey,
): { readonly value: TValue | undefined } | Promise<TValue | undefined> {
  const { store, table, decoded } = reader;
  if (table.serdes.key.prepareSerialize !== undefined) {
    return lookupReading(store, table, key);
  }
  // A string key of ASCII characters in the string serde is its own key id (its UTF-8 bytes
  // read as latin1): a cached value is found without encoding the key.
  if (
    (table.serdes.key as unknown) === stringSerde &&
    store.peekId !== undefined &&
    typeof key === 'string' &&
    Buffer.byteLength(key) === key.length
  ) {
    const cached = store.peekId(key);
    if (cached === null) {
      return { value: undefined };
    }
    if (cached !== undefined) {
      const value = decoded.get(cached) as TValue | undefined;
      return value !== undefined ? { value } : decode(table, cached);
    }
  }
  const keyBytes = table.serdes.key.serialize(key, { topic: table.topic, isKey: true });
  if (keyBytes === null || keyBytes.length === 0) {
    return { value: undefined };
  }
  const cached = store.peek(keyBytes);
  if (cached === null) {
    return { value: undefined };
  }
  if (cached === undefined) {
    return store
      .get(keyBytes)
      .then((found) => (found === undefined ? undefined : decode(table, found)));
  }
  const value = decoded.get(cached) as TValue | undefined;
  return value !== undefined ? { value } : decode(table, cached);
}

/** The general path: a key serde that must prepare (a schema lookup), then the read. */
async function lookupReading<TKey, TValue>(
  store: ReadOnlyStore,
  table: GlobalTable<TKey, TValue>,
  key: TKey,
): Promise<TValue | undefined> {
  const keyContext = { topic: table.topic, isKey: true };
  await table.serdes.key.prepareSerialize?.(keyContext);
  const keyBytes = table.serdes.key.serialize(key, keyContext);
  if (keyBytes === null || keyBytes.length === 0) {
    return undefined;
  }
  const cached = store.peek(keyBytes);
  const found = cached === undefined ? await store.get(keyBytes) : (cached ?? undefined);
  if (found === undefined) {
    return undefined;
  }
  return (decodedOf(table).get(found) as TValue | undefined) ?? decode(table, found);
}

/** Decodes stored bytes (learning their writer schema first if need be), remembering the value. */
async function decode<TKey, TValue>(
  table: GlobalTable<TKey, TValue>,
  bytes: Buffer,
): Promise<TValue> {
  const valueContext = { topic: table.topic, isKey: false };
  await table.serdes.value.prepareDeserialize?.([bytes], valueContext);
  const value = table.serdes.value.deserialize(bytes, valueContext);
  if (value !== undefined && value !== null) {
    decodedOf(table).set(bytes, value);
  }
  return value;
}
