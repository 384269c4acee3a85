import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CacheBudget } from './caching/cacheBudget.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TaskStore } from './taskStore.js';

const b = (text: string): Buffer => Buffer.from(text);

async function entries(store: TaskStore, bounds = {}): Promise<string[]> {
  const seen: string[] = [];
  for await (const [key, value] of store.range(bounds)) {
    seen.push(`${key.toString()}=${value.toString()}`);
  }
  return seen;
}

function storeOver(inner: InMemoryStore, budgetBytes = 1 << 20): TaskStore {
  return new TaskStore({ name: 's', inner, budget: new CacheBudget(budgetBytes) });
}

test('TaskStore: writes stay in the cache until applyCommitted writes them underneath', async () => {
  const inner = new InMemoryStore();
  const store = storeOver(inner);
  store.put(b('a'), b('1'));
  store.delete(b('b'));
  assert.equal(await inner.get(b('a')), undefined, 'nothing reaches the store before the commit');
  const changes = store.changes();
  assert.deepEqual(
    changes.map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [
      ['a', '1'],
      ['b', null],
    ],
  );
  await store.applyCommitted(changes);
  assert.equal(Buffer.from((await inner.get(b('a'))) ?? []).toString(), '1');
  assert.deepEqual(store.changes(), [], 'committed entries are clean');
});

test('TaskStore: range merges uncommitted writes over the store underneath, in order', async () => {
  const inner = new InMemoryStore();
  await inner.batch([
    { type: 'put', key: b('a'), value: b('old') },
    { type: 'put', key: b('c'), value: b('3') },
    { type: 'put', key: b('e'), value: b('5') },
  ]);
  const store = storeOver(inner);
  store.put(b('a'), b('new'));
  store.put(b('b'), b('2'));
  store.delete(b('c'));
  store.put(b('f'), b('6'));
  assert.deepEqual(await entries(store), ['a=new', 'b=2', 'e=5', 'f=6']);
  assert.deepEqual(await entries(store, { reverse: true, limit: 3 }), ['f=6', 'e=5', 'b=2']);
  assert.deepEqual(await entries(store, { gte: b('b'), lt: b('f') }), ['b=2', 'e=5']);
});

test('TaskStore: discarding uncommitted writes brings back the committed values', async () => {
  const inner = new InMemoryStore();
  const store = storeOver(inner);
  store.put(b('k'), b('committed'));
  await store.applyCommitted(store.changes());
  await store.trackKeys();
  store.put(b('k'), b('uncommitted'));
  store.put(b('new'), b('x'));
  store.discardUncommitted();
  assert.equal(store.peek(b('k')), undefined, 'not cached any more, and maybe underneath');
  assert.equal((await store.get(b('k')))?.toString(), 'committed');
  assert.equal(await store.get(b('new')), undefined);
});

test('TaskStore: the key filter answers misses on never-written keys without a read', async () => {
  const inner = new InMemoryStore();
  await inner.put(b('stored'), b('1'));
  const store = storeOver(inner, 200);
  await store.trackKeys();
  assert.equal(store.peek(b('never-written')), null, 'known absent');
  assert.equal(store.peek(b('stored')), undefined, 'may be underneath: ask the store');
  // By the key's id (an ASCII key is its own id): the same answers, the filter included.
  assert.equal(store.peekId('never-written'), null);
  assert.equal(store.peekId('stored'), undefined);
  store.put(b('cached'), b('2'));
  assert.equal(store.peekId('cached')?.toString(), '2');
  assert.equal(store.peekId('cached'), store.peek(b('cached')));
  // Entries evicted under memory pressure go back into the filter.
  for (let i = 0; i < 20; i++) {
    store.put(b(`key-${i}`), b('value'));
    await store.applyCommitted(store.changes());
  }
  assert.ok(store.metrics.filteredMisses >= 1);
  for (let i = 0; i < 20; i++) {
    const cached = store.peek(b(`key-${i}`));
    const value = cached === undefined ? await store.get(b(`key-${i}`)) : cached;
    assert.equal(value?.toString(), 'value', `key-${i} survives eviction`);
  }
});

test('TaskStore: get answers a never-written key from the key filter, without a read', async () => {
  const inner = new InMemoryStore();
  await inner.put(b('stored'), b('1'));
  let reads = 0;
  const read = inner.get.bind(inner);
  inner.get = (key) => {
    reads += 1;
    return read(key);
  };
  const store = storeOver(inner);
  await store.trackKeys();
  assert.equal(await store.get(b('never-written')), undefined);
  assert.equal(reads, 0, 'a key the filter has never seen is not read');
  assert.equal((await store.get(b('stored')))?.toString(), '1');
  assert.equal(reads, 1, 'a key that may be underneath is read');
  store.put(b('written'), b('2'));
  await store.applyCommitted(store.changes());
  store.discardUncommitted();
  assert.equal((await store.get(b('written')))?.toString(), '2', 'committed writes are found');
});

test('TaskStore: prefetch reads the missing keys at once, and the gets that follow are hits', async () => {
  const inner = new InMemoryStore();
  for (let i = 0; i < 10; i++) {
    await inner.put(b(`stored-${i}`), b(`v${i}`));
  }
  let reads = 0;
  let inFlight = 0;
  let mostInFlight = 0;
  const read = inner.get.bind(inner);
  inner.get = async (key) => {
    reads += 1;
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    return read(key);
  };
  const store = storeOver(inner);
  await store.trackKeys();
  store.put(b('stored-0'), b('cached'));
  const keys = [...Array.from({ length: 10 }, (_, i) => b(`stored-${i}`)), b('stored-3'), b('new')];
  await store.prefetch(keys);
  assert.equal(reads, 9, 'the cached key, the repeated key and the never-written key are not read');
  assert.equal(mostInFlight, 9, 'all reads at once');
  for (let i = 0; i < 10; i++) {
    assert.equal(store.peek(b(`stored-${i}`))?.toString(), i === 0 ? 'cached' : `v${i}`);
  }
  assert.equal(store.metrics.prefetched, 9);
  inner.get = () => Promise.reject(new Error('disk gone'));
  const unfiltered = storeOver(inner); // no key filter: every miss is read
  await unfiltered.prefetch([b('stored-5')]); // a failed read is no failure of the prefetch
  await assert.rejects(unfiltered.get(b('stored-5')), /disk gone/, 'the get reports it');
});

test('TaskStore: a key filter that fills up is rebuilt larger and still finds every key', async () => {
  const inner = new InMemoryStore();
  const store = storeOver(inner, 4_096); // a small cache: nearly every key is evicted
  await store.trackKeys();
  const count = 150_000; // past the smallest filter's 65,536 keys, then past its rebuild
  for (let from = 0; from < count; from += 10_000) {
    for (let i = from; i < from + 10_000; i++) {
      store.put(b(`key-${i}`), b(`v${i}`));
    }
    await store.applyCommitted(store.changes());
  }
  for (let i = 0; i < count; i += 7) {
    const cached = store.peek(b(`key-${i}`));
    const value = cached === undefined ? await store.get(b(`key-${i}`)) : cached;
    assert.equal(value?.toString(), `v${i}`, `key-${i} found`);
  }
  const before = store.metrics.filteredMisses;
  for (let i = 0; i < 1_000; i++) {
    if (store.peek(b(`absent-${i}`)) !== null) {
      assert.equal(await store.get(b(`absent-${i}`)), undefined); // a false positive: read
    }
  }
  // At 10 bits a key the filter answers nearly all of them; overfull, it would answer few.
  assert.ok(
    store.metrics.filteredMisses - before > 950,
    `${store.metrics.filteredMisses - before}`,
  );
});

test('TaskStore: deleting a key that was never committed leaves no tombstone; a committed one does', async () => {
  const inner = new InMemoryStore();
  await inner.batch([{ type: 'put', key: b('old'), value: b('1') }]);
  const store = storeOver(inner);
  await store.trackKeys(); // the filter knows every key underneath: "new" is not one
  store.put(b('new'), b('x'));
  store.delete(b('new')); // a timer scheduled and fired between two commits
  store.put(b('old'), b('2'));
  store.delete(b('old'));
  assert.deepEqual(
    store.changes().map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [['old', null]],
  );
  assert.deepEqual(await entries(store), [], 'both read as deleted');
  assert.equal(await store.get(b('new')), undefined);
  // Written again after the elided delete: a normal write, committed once.
  store.put(b('new'), b('y'));
  assert.deepEqual(
    store.changes().map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [
      ['new', 'y'],
      ['old', null],
    ],
  );
  await store.applyCommitted(store.changes());
  assert.deepEqual(await entries(store), ['new=y']);
  // Committed now: its delete needs a tombstone.
  store.delete(b('new'));
  assert.deepEqual(
    store.changes().map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [['new', null]],
  );
});

test('TaskStore: without the key filter a delete of an unknown key keeps its tombstone', () => {
  const store = storeOver(new InMemoryStore());
  store.put(b('k'), b('v'));
  store.delete(b('k'));
  assert.deepEqual(
    store.changes().map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [['k', null]],
  );
});

test('TaskStore: cached keys hold no buffer, committed values own their memory, never a shared pool slab', async () => {
  const inner = new InMemoryStore();
  const store = storeOver(inner);
  // Buffer.from of a short string is a slice of Node's shared 8 KiB pool.
  const key = Buffer.from('user-42');
  const value = Buffer.from('features');
  assert.ok(key.buffer.byteLength > key.byteLength, 'the inputs are pool slices');
  store.put(key, value);
  await store.applyCommitted(store.changes());
  const cached = store.peek(key);
  assert.ok(cached instanceof Buffer);
  assert.equal(cached.toString(), 'features');
  assert.equal(cached.buffer.byteLength, cached.byteLength, 'the committed value owns its bytes');
  const [storedKey] = [...(await entries(store))];
  assert.equal(storedKey, 'user-42=features');
  await store.get(b('missing'));
  // A cached key is held as its id (a string), not as the caller's buffer or a slice of it:
  // reusing that buffer changes nothing cached, and no pool slab is kept alive by a key.
  const reused = Buffer.from('other');
  store.put(reused, b('x'));
  reused.write('OTHER');
  const [change] = store.changes();
  assert.equal(change?.key.toString(), 'other');
});

test('TaskStore: deleted keys leave the cache once the delete is committed or elided', async () => {
  const inner = new InMemoryStore();
  const budget = new CacheBudget(1 << 20);
  const store = new TaskStore({ name: 'timers', inner, budget });
  await store.trackKeys();
  for (let i = 0; i < 100; i++) {
    store.put(b(`due-${i}`), b('timer'));
  }
  await store.applyCommitted(store.changes());
  assert.deepEqual(budget.entries(), { timers: { values: 100, missing: 0 } });
  // Fired: committed deletes. Scheduled and fired between two commits: elided deletes.
  for (let i = 0; i < 100; i++) {
    store.delete(b(`due-${i}`));
    store.put(b(`short-${i}`), b('timer'));
    store.delete(b(`short-${i}`));
  }
  assert.equal(store.changes().length, 100, 'a tombstone for each committed key only');
  await store.applyCommitted(store.changes());
  assert.deepEqual(budget.entries(), { timers: { values: 0, missing: 0 } });
  assert.equal(budget.usedBytes, 0, 'nothing left counted against the budget');
  // Still read as deleted, and written again normally.
  assert.equal(store.peek(b('short-7')), null, 'the filter knows it was never underneath');
  assert.equal(await store.get(b('due-7')), undefined);
  assert.deepEqual(await entries(store), []);
  store.put(b('due-7'), b('again'));
  await store.applyCommitted(store.changes());
  assert.deepEqual(await entries(store), ['due-7=again']);
  store.delete(b('due-7'));
  store.delete(b('due-7'));
  assert.deepEqual(
    store.changes().map((c) => [c.key.toString(), c.value?.toString() ?? null]),
    [['due-7', null]],
    'a committed key deleted twice before the commit keeps its tombstone',
  );
});
