import assert from 'node:assert/strict';
import test from 'node:test';

import {
  decodePositioned,
  encodePositioned,
  includes,
  inputPositionOf,
  originHeader,
  originOf,
  withPosition,
  type PositionSource,
} from './appliedPositions.js';
import { CacheBudget } from './caching/cacheBudget.js';
import { InMemoryStore } from './memory/inMemoryStore.js';
import { TaskStore } from './taskStore.js';

const key = Buffer.from('video-1');

test('applied positions round-trip with the value, per input stream', () => {
  let applied = withPosition(undefined, { stream: 'events/0', offset: 41, index: 0 });
  applied = withPosition(applied, { stream: 'events/3', offset: 7, index: 2 });
  const { applied: decoded, value } = decodePositioned(
    encodePositioned(applied, Buffer.from('42')),
  );
  assert.equal(value.toString(), '42');
  assert.equal(includes(decoded, { stream: 'events/0', offset: 41, index: 0 }), true);
  assert.equal(includes(decoded, { stream: 'events/0', offset: 40, index: 5 }), true);
  assert.equal(includes(decoded, { stream: 'events/0', offset: 42, index: 0 }), false);
  assert.equal(includes(decoded, { stream: 'events/3', offset: 7, index: 2 }), true);
  assert.equal(includes(decoded, { stream: 'events/3', offset: 7, index: 3 }), false);
  assert.equal(includes(decoded, { stream: 'events/1', offset: 0, index: 0 }), false);
});

test('a repartitioned record is deduplicated by the origin its upstream task stamped', () => {
  const origin = originOf({ topic: 'events', partition: 3, offset: '17' }, 1);
  const position = inputPositionOf({
    topic: 'app-by-video-repartition',
    partition: 0,
    offset: '99',
    headers: { [originHeader]: Buffer.from(origin) },
  });
  assert.deepEqual(position, { stream: 'events/3', offset: 17, index: 1 });
  const plain = inputPositionOf({ topic: 'events', partition: 2, offset: '5', headers: {} });
  assert.deepEqual(plain, { stream: 'events/2', offset: 5, index: 0 });
});

test('a store that carries positions recognises a replay after its changelog is restored', async () => {
  const positions: PositionSource = { current: undefined };
  const budget = new CacheBudget(1 << 20);
  const store = new TaskStore({ name: 'counts', inner: new InMemoryStore(), budget, positions });
  positions.current = { stream: 'events/0', offset: 10, index: 0 };
  assert.equal(await store.get(key), undefined);
  assert.equal(store.applied(key), false);
  store.put(key, Buffer.from('1'));
  assert.equal(store.applied(key), true, 'the record that wrote the key is included');
  const changes = store.changes();
  assert.equal(changes.length, 1);
  assert.notEqual(changes[0]?.value?.toString(), '1', 'the changelog carries the positions');

  // A new owner restores from the changelog and replays the input from an older offset.
  const restored = new TaskStore({
    name: 'counts',
    inner: new InMemoryStore(),
    budget,
    positions,
  });
  await restored.restore(changes);
  positions.current = { stream: 'events/0', offset: 9, index: 0 };
  assert.equal((await restored.get(key))?.toString(), '1', 'reads strip the positions');
  assert.equal(restored.applied(key), true, 'offset 9 came before 10: already applied');
  positions.current = { stream: 'events/0', offset: 11, index: 0 };
  assert.equal(restored.applied(key), false, 'offset 11 is new');
  restored.put(key, Buffer.from('2'));
  const ranged = [];
  for await (const [, value] of restored.range()) {
    ranged.push(value.toString());
  }
  assert.deepEqual(ranged, ['2']);
});

test('a store without positions never reports a replay', async () => {
  const store = new TaskStore({
    name: 'counts',
    inner: new InMemoryStore(),
    budget: new CacheBudget(1 << 20),
  });
  store.put(key, Buffer.from('1'));
  assert.equal(store.applied(key), false);
  assert.equal((await store.get(key))?.toString(), '1');
  assert.equal(store.changes()[0]?.value?.toString(), '1');
});

test('a key read for an update keeps its positions until the commit, under cache pressure', async () => {
  const positions: PositionSource = { current: undefined };
  const budget = new CacheBudget(4_096); // a few dozen entries
  const inner = new InMemoryStore();
  const first = new TaskStore({ name: 'counts', inner, budget, positions });
  positions.current = { stream: 'events/0', offset: 10, index: 0 };
  first.put(key, Buffer.from('1'));
  await first.applyCommitted(first.changes());

  // A replay of offset 10 reads the key, then many other keys, then asks about the first.
  const store = new TaskStore({ name: 'counts', inner, budget: new CacheBudget(4_096), positions });
  assert.equal((await store.get(key))?.toString(), '1');
  for (let i = 0; i < 500; i++) {
    await store.get(Buffer.from(`other-${i}`));
  }
  assert.equal(store.applied(key), true, 'the key read for this record is still known');
  await store.applyCommitted(store.changes());
  for (let i = 0; i < 500; i++) {
    await store.get(Buffer.from(`more-${i}`));
  }
  assert.equal(store.peek(key), undefined, 'after the commit it may be evicted again');
});
