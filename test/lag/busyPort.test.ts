import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';

import { reelstreamLagAsync } from './lagCli.js';

/**
 * `--prometheus` on a port something else holds is a configuration mistake: a clear message and
 * the documented usage exit code 5, not a stack trace and 1 (which --alert users read as WARN).
 */
test('--prometheus on a busy port: exit 5 with a clear message, no stack trace', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, resolve));
  const address = holder.address();
  assert.ok(address !== null && typeof address === 'object');
  try {
    const run = await reelstreamLagAsync([
      '--prometheus',
      String(address.port),
      '--no-state',
      '--brokers',
      '127.0.0.1:1',
    ]);
    assert.equal(run.status, 5, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^error: cannot serve metrics on port ${address.port}: the port is already in use`,
      ),
    );
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'a stack trace');
  } finally {
    holder.close();
  }
});
