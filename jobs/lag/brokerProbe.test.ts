import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';

import { unreachableReason } from './brokerProbe.js';

test('a listening broker is reachable; a refused one says why', async () => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await unreachableReason([`127.0.0.1:${port}`, '127.0.0.1:1'], 1_000), undefined);
    assert.match(
      (await unreachableReason(['127.0.0.1:1'], 1_000)) ?? '',
      /127\.0\.0\.1:1: ECONNREFUSED/,
    );
  } finally {
    server.close();
  }
});
