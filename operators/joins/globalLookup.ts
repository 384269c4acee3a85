import type { GlobalTable } from '../dsl/globalTable.js';
import type { ReadOnlyStore } from '../state/readOnlyStore.js';

/**
 * Reads one key of a global table with the table's serdes. The store holds the topic's bytes as
 * written, so the key is serialized as a producer of that topic would, and a value loaded
 * before this process started may carry a writer schema the serde must learn first.
 */
export async function lookupGlobal<TKey, TValue>(
  store: ReadOnlyStore,
  table: GlobalTable<TKey, TValue>,
  key: TKey,
): Promise<TValue | undefined> {
  const keyContext = { topic: table.topic, isKey: true };
  const valueContext = { topic: table.topic, isKey: false };
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
  await table.serdes.value.prepareDeserialize?.([found], valueContext);
  return table.serdes.value.deserialize(found, valueContext);
}
