import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  ConfigError,
  keyValueStore,
  KeyNotOwnedError,
  StoreQuery,
  StoreUnavailableError,
  stringSerde,
} from '../../operators/index.js';
import { agree, fill, instance, memberOf, partitionOf, store } from './queryInstances.js';

/** Two query services over HTTP: routing, forwarding and the errors, without a broker. */
const keys = Array.from({ length: 40 }, (_, i) => `person-${String(i).padStart(2, '0')}`);
const first = instance('first', [0, 1]);
const second = instance('second', [2, 3]);

before(async () => {
  await first.service.listen('127.0.0.1:0');
  await second.service.listen('127.0.0.1:0');
  fill([first, second], keys);
  assert.ok(
    keys.some((k) => first.owns.has(partitionOf(k))) &&
      keys.some((k) => second.owns.has(partitionOf(k))),
    'both instances own some keys',
  );
});

after(async () => {
  await first.service.close();
  await second.service.close();
});

function reset(): void {
  agree([first, second]);
}

test('each instance answers point lookups for every key, forwarding those the other owns', async () => {
  reset();
  for (const asked of [first, second]) {
    const query = new StoreQuery(asked.service, store);
    for (const key of keys) {
      assert.equal(await query.get(key), `hello ${key}`, `${asked.name} asked for ${key}`);
      const location = await query.locate(key);
      assert.equal(location.partition, partitionOf(key));
      assert.equal(location.local, asked.owns.has(location.partition));
    }
    assert.equal(await query.get('nobody'), undefined, 'a missing key is undefined');
  }
});

test('range lookups merge every partition in key order, with a limit', async () => {
  reset();
  const query = new StoreQuery(first.service, store);
  const all = await query.range();
  assert.deepEqual(
    all.map(([key]) => key),
    [...keys].sort(),
  );
  const some = await query.range({ from: 'person-10', to: 'person-20', limit: 5 });
  assert.deepEqual(some, [
    ['person-10', 'hello person-10'],
    ['person-11', 'hello person-11'],
    ['person-12', 'hello person-12'],
    ['person-13', 'hello person-13'],
    ['person-14', 'hello person-14'],
  ]);
});

test('without an owner endpoint the error names the instance that owns the key', async () => {
  reset();
  second.advertise = false;
  const query = new StoreQuery(first.service, store);
  const remoteKey = keys.find((k) => second.owns.has(partitionOf(k))) ?? '';
  await assert.rejects(query.get(remoteKey), (error: unknown) => {
    assert.ok(error instanceof KeyNotOwnedError);
    assert.equal(error.code, 'KEY_NOT_OWNED');
    assert.equal(error.partition, partitionOf(remoteKey));
    assert.equal(error.owner.memberId, 'second-member');
    assert.equal(error.owner.clientHost, '/10.0.0.2');
    assert.equal(error.owner.queryEndpoint, undefined);
    assert.match(error.message, /owned by member second-member at \/10\.0\.0\.2/);
    return true;
  });
  await assert.rejects(query.range(), KeyNotOwnedError);
});

test('the HTTP API answers any key at either instance and says who owns it', async () => {
  reset();
  const remoteKey = keys.find((k) => second.owns.has(partitionOf(k))) ?? '';
  const encoded = Buffer.from(remoteKey).toString('base64url');
  const response = await fetch(`http://${first.service.endpoint}/stores/greetings/keys/${encoded}`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { value: string; partition: number };
  assert.equal(Buffer.from(body.value, 'base64url').toString(), `hello ${remoteKey}`);
  assert.equal(body.partition, partitionOf(remoteKey));

  const owners = await fetch(`http://${first.service.endpoint}/stores/greetings/owners/${encoded}`);
  const location = (await owners.json()) as { local: boolean; owner: { queryEndpoint: string } };
  assert.equal(location.local, false);
  assert.equal(location.owner.queryEndpoint, second.service.endpoint);

  const missing = await fetch(
    `http://${first.service.endpoint}/stores/greetings/keys/${Buffer.from('nobody').toString('base64url')}`,
  );
  assert.equal(missing.status, 404);
  const unknown = await fetch(`http://${first.service.endpoint}/stores/nope/keys/${encoded}`);
  assert.equal(unknown.status, 400);
  assert.equal(((await unknown.json()) as { error: string }).error, 'INVALID_CONFIG');

  const range = await fetch(`http://${second.service.endpoint}/stores/greetings/range?limit=3`);
  const entries = ((await range.json()) as { entries: [string, string][] }).entries;
  assert.deepEqual(
    entries.map(([key]) => Buffer.from(key, 'base64url').toString()),
    [...keys].sort().slice(0, 3),
  );
});

test('a lookup is forwarded once: views of the group that disagree end in an error, not a loop', async () => {
  reset();
  // The group moved partition 2 from the second instance to the first, which has not created
  // the task yet; the first instance still has the old view of the group.
  const key = keys.find((k) => partitionOf(k) === 2) ?? '';
  const moved = second.stores.get('0_2');
  second.stores.delete('0_2');
  first.view = () => [memberOf(first), memberOf(second)];
  second.view = () => [
    { ...memberOf(first), assignment: new Map([['people', [0, 1, 2]]]) },
    { ...memberOf(second), assignment: new Map([['people', [3]]]) },
  ];
  try {
    await assert.rejects(new StoreQuery(first.service, store).get(key), (error: unknown) => {
      assert.ok(error instanceof KeyNotOwnedError);
      assert.equal(error.owner.memberId, 'first-member', 'the second instance names the new owner');
      return true;
    });
  } finally {
    if (moved !== undefined) {
      second.stores.set('0_2', moved);
    }
  }
});

test('a task assigned here but still restoring is unavailable, and retriable', async () => {
  reset();
  const key = keys.find((k) => partitionOf(k) === 0) ?? '';
  const restored = first.stores.get('0_0');
  first.stores.delete('0_0');
  first.restoring.add('0_0');
  try {
    await assert.rejects(new StoreQuery(first.service, store).get(key), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.retriable, true);
      assert.equal(error.partition, 0);
      return true;
    });
    // Asked through the other instance, the same answer comes back over HTTP.
    await assert.rejects(new StoreQuery(second.service, store).get(key), StoreUnavailableError);
  } finally {
    first.restoring.delete('0_0');
    if (restored !== undefined) {
      first.stores.set('0_0', restored);
    }
  }
});

test('querying a store the job does not have is a configuration error', () => {
  assert.throws(
    () =>
      new StoreQuery(
        first.service,
        keyValueStore({ name: 'nope', key: stringSerde, value: stringSerde }),
      ),
    (error: unknown) => error instanceof ConfigError && /its stores: greet/.test(error.message),
  );
});
