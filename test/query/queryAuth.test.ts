import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { RemoteStore, StoreQuery, StoreUnavailableError } from '../../operators/index.js';
import { QueryNotAuthorizedError } from '../../operators/query/errors.js';
import {
  agree,
  base64url,
  fill,
  instance,
  memberOf,
  partitionOf,
  store,
} from './queryInstances.js';

/**
 * Two instances of a job sharing a bearer token, on real HTTP servers: what a caller without
 * the token gets, and that the token travels with forwarded lookups and RemoteStore's.
 */
const token = randomBytes(32).toString('hex');
const keys = Array.from({ length: 40 }, (_, i) => `person-${String(i).padStart(2, '0')}`);
const first = instance('first', [0, 1], { tokens: [token] });
const second = instance('second', [2, 3], { tokens: [token] });
/** A key only the second instance holds: asking the first for it is forwarded. */
const remoteKey = keys.find((k) => second.owns.has(partitionOf(k))) ?? '';

before(async () => {
  await first.service.listen('127.0.0.1:0');
  await second.service.listen('127.0.0.1:0');
  fill([first, second], keys);
  agree([first, second]);
});

after(async () => {
  await first.service.close();
  await second.service.close();
});

const url = (path: string): string => `http://${first.service.endpoint ?? ''}${path}`;
const keyPath = `/stores/greetings/keys/${base64url(remoteKey)}`;

test('a query without a token is refused with 401, a Bearer challenge and a JSON reason', async () => {
  const refusedBefore = first.service.refusedRequests;
  for (const path of [keyPath, '/stores/greetings/range', '/no/such/route']) {
    const response = await fetch(url(path));
    assert.equal(response.status, 401, path);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="reelstream-query"');
    assert.equal(response.headers.get('content-type'), 'application/json');
    const body = (await response.json()) as { error: string; message: string };
    assert.equal(body.error, 'NOT_AUTHORIZED');
    assert.match(body.message, /Authorization: Bearer <token>/);
  }
  // Another scheme is no bearer token either.
  const basic = await fetch(url(keyPath), { headers: { authorization: `Basic ${token}` } });
  assert.equal(basic.status, 401);
  assert.equal(first.service.refusedRequests - refusedBefore, 4, 'each refusal is counted');
});

test('a wrong token is refused as invalid_token, and the answer never holds the data', async () => {
  // Same length as the real one, and one that differs only in its last character.
  const wrongs = [randomBytes(32).toString('hex'), `${token.slice(0, -1)}x`];
  for (const wrong of wrongs) {
    const response = await fetch(url(keyPath), { headers: { authorization: `Bearer ${wrong}` } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const text = await response.text();
    assert.match(text, /"error":"NOT_AUTHORIZED"/);
    assert.doesNotMatch(text, /hello/);
    assert.doesNotMatch(text, new RegExp(wrong), 'the offered token is not echoed');
  }
});

test('the right token is answered, and the first instance forwards it to the owner', async () => {
  const response = await fetch(url(keyPath), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { value: string; owner: string };
  assert.equal(Buffer.from(body.value, 'base64url').toString(), `hello ${remoteKey}`);
  assert.equal(body.owner, second.service.endpoint, 'the owner is the second instance');
  // Every key through either instance: half of them are forwarded with the token.
  for (const asked of [first, second]) {
    const query = new StoreQuery(asked.service, store);
    for (const key of keys) {
      assert.equal(await query.get(key), `hello ${key}`, `${asked.name} asked for ${key}`);
    }
    assert.equal((await query.range()).length, keys.length, 'ranges are forwarded too');
  }
});

test('an instance with another token is refused by its peer with a typed error', async () => {
  const stranger = instance('stranger', [0, 1], { tokens: [randomBytes(32).toString('hex')] });
  stranger.view = () => [memberOf(second)];
  await assert.rejects(new StoreQuery(stranger.service, store).get(remoteKey), (error: unknown) => {
    assert.ok(error instanceof QueryNotAuthorizedError);
    assert.equal(error.code, 'NOT_AUTHORIZED');
    assert.match(error.message, /refused the lookup: the bearer token is not accepted/);
    return true;
  });
  await stranger.service.close();
});

test('RemoteStore sends its token; without one every lookup fails as unavailable, saying why', async () => {
  const endpoints = [first.service.endpoint ?? ''];
  const allowed = new RemoteStore({ endpoints, store, timeoutMs: 2_000, access: { token } });
  assert.equal(await allowed.get(remoteKey), `hello ${remoteKey}`);
  assert.equal(await allowed.get('nobody'), undefined);
  allowed.close();

  const anonymous = new RemoteStore({ endpoints, store, timeoutMs: 2_000, access: {} });
  await assert.rejects(anonymous.get(remoteKey), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError);
    assert.ok(error.cause instanceof QueryNotAuthorizedError);
    assert.match(error.message, /refused the lookup/);
    return true;
  });
  anonymous.close();
});

test('during a rotation the server accepts both tokens', async () => {
  const next = randomBytes(32).toString('hex');
  const rotating = instance('first', [0, 1, 2, 3], { tokens: [token, next] });
  fill([rotating], keys);
  await rotating.service.listen('127.0.0.1:0');
  try {
    for (const offered of [token, next]) {
      const remote = new RemoteStore({
        endpoints: [rotating.service.endpoint ?? ''],
        store,
        timeoutMs: 2_000,
        access: { token: offered },
      });
      assert.equal(await remote.get(keys[0] ?? ''), `hello ${keys[0] ?? ''}`);
      remote.close();
    }
  } finally {
    await rotating.service.close();
  }
});
