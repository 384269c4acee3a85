import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ConfigError, RemoteStore, StoreQuery } from '../../operators/index.js';
import { agree, base64url, fill, instance, store } from './queryInstances.js';

/**
 * Range pages over two instances on real HTTP servers: a page never holds more than the cap,
 * and following `next` visits every key exactly once.
 */
const keys = Array.from({ length: 2_345 }, (_, i) => `person-${String(i).padStart(5, '0')}`);
const first = instance('first', [0, 1]);
const second = instance('second', [2, 3]);

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

interface Page {
  entries: [string, string][];
  more: boolean;
  next?: string;
}

async function page(query: string): Promise<{ status: number; body: Page }> {
  const response = await fetch(
    `http://${first.service.endpoint ?? ''}/stores/greetings/range${query}`,
  );
  return { status: response.status, body: (await response.json()) as Page };
}

const text = (encoded: string): string => Buffer.from(encoded, 'base64url').toString();

test('a range without a limit answers the first 1,000 keys and says more remain', async () => {
  const { status, body } = await page('');
  assert.equal(status, 200);
  assert.equal(body.entries.length, 1_000);
  assert.equal(body.more, true);
  assert.deepEqual(
    body.entries.map(([key]) => text(key)),
    keys.slice(0, 1_000),
  );
  assert.equal(text(body.next ?? ''), keys[999]);
});

test('a limit over the cap, or under 1, is refused with 400', async () => {
  for (const limit of ['10001', '1000000', '0']) {
    const { status, body } = await page(`?limit=${limit}`);
    assert.equal(status, 400, limit);
    assert.match(JSON.stringify(body), /a range limit is 1\.\.10000 entries a page/);
  }
  const { status, body } = await page('?limit=10000');
  assert.equal(status, 200);
  assert.equal(body.entries.length, keys.length);
  assert.equal(body.more, false);
  assert.equal(body.next, undefined);
});

test('following next over HTTP visits every key exactly once, within bounds', async () => {
  const bounds = `&from=${base64url('person-00100')}&to=${base64url('person-02000')}`;
  const seen: string[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const cursor = after === undefined ? '' : `&after=${after}`;
    const { body } = await page(`?limit=97${bounds}${cursor}`);
    assert.ok(body.entries.length <= 97);
    seen.push(...body.entries.map(([key]) => text(key)));
    after = body.more ? body.next : undefined;
    pages += 1;
  } while (after !== undefined);
  assert.deepEqual(seen, keys.slice(100, 2_000));
  assert.equal(pages, Math.ceil(1_900 / 97));
});

test('StoreQuery and RemoteStore page through the whole store the same way', async () => {
  const query = new StoreQuery(second.service, store);
  const viaQuery: string[] = [];
  for await (const [key, value] of query.entries({ pageSize: 250 })) {
    assert.equal(value, `hello ${key}`);
    viaQuery.push(key);
  }
  assert.deepEqual(viaQuery, keys);
  assert.equal((await query.range()).length, keys.length, 'range() without a limit pages on');
  assert.deepEqual(
    (await query.range({ from: 'person-00010', limit: 3 })).map(([key]) => key),
    keys.slice(10, 13),
  );
  const firstPage = await query.rangePage({ limit: 2 });
  const secondPage = await query.rangePage({ limit: 2, after: firstPage.next ?? '' });
  assert.deepEqual(
    [...firstPage.entries, ...secondPage.entries].map(([key]) => key),
    keys.slice(0, 4),
  );
  await assert.rejects(query.rangePage({ limit: 10_001 }), ConfigError);

  const remote = new RemoteStore({ endpoints: [second.service.endpoint ?? ''], store, access: {} });
  const viaRemote: string[] = [];
  for await (const [key] of remote.entries({ pageSize: 333, to: 'person-02200' })) {
    viaRemote.push(key);
  }
  assert.deepEqual(viaRemote, keys.slice(0, 2_200));
  remote.close();
});
