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

const absent: Promise<undefined> = Promise.resolve(undefined);

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
  if (table.serdes.key.prepareSerialize !== undefined) {
    return lookupReading(store, table, key);
  }
  const keyBytes = table.serdes.key.serialize(key, { topic: table.topic, isKey: true });
  if (keyBytes === null || keyBytes.length === 0) {
    return absent;
  }
  const cached = store.peek(keyBytes);
  if (cached === null) {
    return absent;
  }
  if (cached !== undefined) {
    const decoded = decodedOf(table).get(cached);
    if (decoded !== undefined) {
      return Promise.resolve(decoded as TValue);
    }
    return decode(table, cached);
  }
  return store
    .get(keyBytes)
    .then((found) => (found === undefined ? undefined : decode(table, found)));
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

/**
 * Reads many keys of a global table at once: keys whose values are cached and decoded answer
 * in a loop, and only the others are awaited, so a handler that reads a thousand candidates'
 * features makes a few promises instead of thousands (each a microtask, and more with async
 * context tracking on).
 */
export function lookupGlobalAll<TKey, TValue>(
  store: ReadOnlyStore,
  table: GlobalTable<TKey, TValue>,
  keys: readonly TKey[],
): Promise<(TValue | undefined)[]> {
  if (table.serdes.key.prepareSerialize !== undefined) {
    return Promise.all(keys.map((key) => lookupReading(store, table, key)));
  }
  const decoded = decodedOf(table);
  const keyContext = { topic: table.topic, isKey: true };
  const values: (TValue | undefined)[] = keys.map(() => undefined);
  let misses: Promise<void>[] | undefined;
  // A string key of ASCII characters in the string serde is its own key id (its UTF-8 bytes
  // read as latin1): cached values are found without encoding the key.
  const byId = (table.serdes.key as unknown) === stringSerde && store.peekId !== undefined;
  keys.forEach((key, i) => {
    if (byId && typeof key === 'string' && Buffer.byteLength(key) === key.length) {
      const cached = store.peekId?.(key);
      const value = cached === undefined || cached === null ? undefined : decoded.get(cached);
      if (value !== undefined || cached === null) {
        values[i] = value as TValue | undefined;
        return;
      }
    }
    const keyBytes = table.serdes.key.serialize(key, keyContext);
    if (keyBytes === null || keyBytes.length === 0) {
      return;
    }
    const cached = store.peek(keyBytes);
    if (cached === null) {
      return;
    }
    const value = cached === undefined ? undefined : (decoded.get(cached) as TValue | undefined);
    if (value !== undefined) {
      values[i] = value;
      return;
    }
    (misses ??= []).push(
      (cached === undefined ? lookupGlobal(store, table, key) : decode(table, cached)).then(
        (found) => {
          values[i] = found;
        },
      ),
    );
  });
  return misses === undefined ? Promise.resolve(values) : Promise.all(misses).then(() => values);
}
