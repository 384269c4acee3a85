import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { binarySearchType, encodeBinarySearch } from './binarySearchBody.js';
import { RemoteVectorSearch } from './remoteVectorSearch.js';
import { searchResultBody, type VectorSearchResult } from './vectorSearch.js';

/**
 * The client's side of the two answer formats, against plain HTTP servers standing in for
 * instances of other versions (the real server's side is in
 * test/query/vectorSearch.integration.test.ts): it asks for binary, reads JSON from an instance
 * that answers JSON, and takes a malformed binary answer as that endpoint failing.
 */

const result: VectorSearchResult = {
  metric: 'l2',
  partitions: 2,
  searched: [0, 1],
  unavailable: [],
  degraded: false,
  hits: [
    { id: 11n, distance: 0.5, partition: 1, value: Buffer.from('v-11') },
    { id: 3n, distance: 0.75, partition: 0 },
  ],
};

async function serve(
  answer: (accept: string | undefined) => { type: string; body: Buffer },
): Promise<{ server: Server; endpoint: string; accepts: (string | undefined)[] }> {
  const accepts: (string | undefined)[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      accepts.push(request.headers.accept);
      const { type, body } = answer(request.headers.accept);
      response.writeHead(200, { 'content-type': type, 'content-length': body.length });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, accepts };
}

const search = (endpoints: string[]): Promise<VectorSearchResult> => {
  const client = new RemoteVectorSearch({ endpoints, store: 'items', timeoutMs: 2_000 });
  return client
    .search({ vector: Float32Array.of(1, 2), k: 2, version: 'm1' })
    .finally(() => client.close());
};

test('an instance that answers only JSON is still read, hits and values alike', async () => {
  const json = await serve(() => ({
    type: 'application/json',
    body: Buffer.from(JSON.stringify(searchResultBody(result))),
  }));
  try {
    assert.deepEqual(await search([json.endpoint]), result);
    // It asked for binary, with JSON still acceptable (errors are JSON).
    assert.match(json.accepts[0] ?? '', /application\/vnd\.reelstream\.search-hits/);
    assert.match(json.accepts[0] ?? '', /application\/json;q=0\.5/);
  } finally {
    json.server.close();
  }
});

test('a malformed binary answer counts as that endpoint failing; the next one answers', async () => {
  const good = encodeBinarySearch(
    { metric: 'l2', partitions: 2, searched: [0, 1], unavailable: [], degraded: false },
    [result.hits],
  );
  const broken = await serve(() => ({
    type: binarySearchType,
    body: good.subarray(0, good.length - 3),
  }));
  const healthy = await serve(() => ({ type: binarySearchType, body: good }));
  try {
    assert.deepEqual(await search([broken.endpoint, healthy.endpoint]), result);
    const alone = await search([broken.endpoint]);
    assert.equal(alone.degraded, true);
    assert.equal(alone.hits.length, 0);
    assert.match(alone.unavailable[0]?.reason ?? '', /cut short/);
  } finally {
    broken.server.close();
    healthy.server.close();
  }
});
