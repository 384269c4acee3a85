import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';

import { reelstreamLagAsync } from './lagCli.js';

/**
 * A broker that accepts TCP connections and never answers (a SIGSTOPped JVM looks the same from
 * outside: the kernel completes the handshake, nobody reads). Cron and Nagios read only the exit
 * code, so every mode must end with 4 within --timeout and say why on stderr, never exit 0.
 */
let server: Server;
let address: string;
const sockets: Socket[] = [];
let firstConnectionAt: number | undefined;

before(async () => {
  server = createServer((socket) => {
    firstConnectionAt ??= performance.now();
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  assert.ok(bound !== null && typeof bound === 'object');
  address = `127.0.0.1:${bound.port}`;
});

after(async () => {
  sockets.forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
});

for (const mode of [['--alert'], ['--alert', '--json'], []]) {
  test(`a broker that never answers: exit 4 within --timeout (${mode.join(' ') || 'table'})`, async () => {
    firstConnectionAt = undefined;
    const spawned = performance.now();
    const run = await reelstreamLagAsync([
      ...mode,
      '--no-state',
      '--brokers',
      address,
      '--timeout',
      '2',
    ]);
    assert.equal(run.status, 4, `exit ${run.status}, stderr: ${run.stderr}`);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`no answer from Kafka at ${address} within 2 s`));
    assert.ok(firstConnectionAt !== undefined, 'the CLI never connected to the silent listener');
    // From its first connection: --timeout plus a bounded close, never kafkajs's 30 s request
    // timeout. (Measured from there because the process's start-up is slow on a loaded machine.)
    const sinceConnect = spawned + run.elapsedMs - firstConnectionAt;
    assert.ok(sinceConnect < 4_500, `exited ${Math.round(sinceConnect)} ms after connecting`);
  });
}
