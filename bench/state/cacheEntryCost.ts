/**
 * What one entry of a task store's write cache really costs in memory, against what the cache
 * budget counts for it (bench/state/README.md):
 *
 *   node --expose-gc --import tsx bench/state/cacheEntryCost.ts [--entries 200000] [--value-bytes 60]
 *
 * The budget counts key and value bytes plus `entryOverheadBytes` per entry (taskStore.ts);
 * the rest (the Map entry, the entry object, two or three Buffer objects and their backing
 * stores) is measured here as heap and external growth after full collections.
 */
import { parseArgs } from 'node:util';

import { CacheBudget } from '../../operators/state/caching/cacheBudget.js';
import { InMemoryStore } from '../../operators/state/memory/inMemoryStore.js';
import { TaskStore } from '../../operators/state/taskStore.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '200000' },
    'value-bytes': { type: 'string', default: '60' },
  },
});
const entries = Number(values.entries);
const valueBytes = Number(values['value-bytes']);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined || !Number.isInteger(entries) || entries <= 0) {
  process.stderr.write(
    'usage: node --expose-gc --import tsx bench/state/cacheEntryCost.ts [--entries N]\n',
  );
  process.exit(5);
}
const budget = new CacheBudget(2 ** 40);
const store = new TaskStore({ name: 'cost', inner: new InMemoryStore(), budget });
gc();
gc();
const before = process.memoryUsage();
let keyBytes = 0;
for (let i = 0; i < entries; i++) {
  const key = Buffer.from(`user-${String(i).padStart(8, '0')}`);
  keyBytes += key.length;
  store.put(key, Buffer.alloc(valueBytes, i % 251));
}
gc();
gc();
const after = process.memoryUsage();
const heap = (after.heapUsed - before.heapUsed) / entries;
const external =
  (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / entries;
const data = keyBytes / entries + valueBytes;
process.stdout.write(
  `${entries} entries of ${data.toFixed(0)} bytes (key and value), in ${store.name}:\n` +
    `  measured per entry: ${heap.toFixed(0)} B heap + ${external.toFixed(0)} B external = ${(heap + external).toFixed(0)} B\n` +
    `  counted by the budget per entry: ${(budget.usedBytes / entries).toFixed(0)} B ` +
    `(ratio measured/counted ${((heap + external) / (budget.usedBytes / entries)).toFixed(2)})\n`,
);
