import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { connectionConfigFromEnv } from '../../index.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import { kafkaSocketOrigin, SocketOwner } from './trackedSockets.js';

// Runs against the stack the test command starts (or REELSTREAM_BROKERS / _REGISTRY_URL).
const connection = connectionConfigFromEnv();

/** Where each broker connection this process still has open was opened. */
function openBrokerSockets(): string[] {
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  return handles
    .filter((handle): handle is Socket => handle instanceof Socket && !handle.destroyed)
    .map((socket) => kafkaSocketOrigin(socket))
    .filter((origin): origin is string => origin !== undefined);
}

// kafkajs retries a send by reconnecting a cluster it finds disconnected: a send still retrying
// when its producer was closed reopened a connection that nothing closed (a stopped job's
// process lived on with it). A send to a topic that does not exist retries for a while.
test('a producer closed while its send is retrying leaves no connection to the broker open', async () => {
  const client = new KafkajsStreamClient(createKafkaJs(connection, { clientId: 'close-test' }));
  const producer = await client.producer({ retries: 4 });
  const sending = producer.send([
    {
      topic: `test.absent.${randomBytes(4).toString('hex')}`,
      key: null,
      value: Buffer.from('x'),
      timestamp: Date.now(),
      headers: {},
    },
  ]);
  const failed = sending.then(
    () => false,
    () => true,
  );
  await delay(500);
  assert.ok(openBrokerSockets().length > 0, 'the producer is connected while it retries');
  await producer.close();
  assert.equal(await failed, true, 'the send to an absent topic fails');
  await delay(200);
  assert.deepEqual(openBrokerSockets(), []);
});

// Whatever kafkajs does after a client's close (a crashed consumer's batch in flight ends with
// a heartbeat; a retried send reconnects), the closed client's connections end, and it opens
// no new one.
test("a closed client's connections end, and kafkajs gets a refused connection after it", async () => {
  const kafka = createKafkaJs(connection, { clientId: 'close-test' });
  const owner = new SocketOwner('test admin');
  const admin = kafka.admin();
  await owner.run(() => admin.connect());
  assert.ok(owner.openSockets > 0);
  owner.close(); // kafkajs still holds the admin as connected
  await delay(50);
  assert.deepEqual(openBrokerSockets(), []);
  await assert.rejects(
    owner.run(() => kafka.admin().connect()),
    (error: Error) => /test admin is closed: no new connection to/.test(causeChain(error)),
  );
  assert.deepEqual(openBrokerSockets(), []);
  await admin.disconnect();
});

/** An error's message with those of its causes (kafkajs wraps the connection error). */
function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) {
    parts.push(e.message);
    const original = (e as { originalError?: unknown }).originalError;
    if (original instanceof Error) {
      parts.push(original.message);
    }
  }
  return parts.join(' <- ');
}

// A connection ended by the owner's close must be one kafkajs hears of: destroyed in silence,
// kafkajs waited for its own timeout (a timer that kept a stopped process alive). A broker that
// accepts connections and never answers holds kafkajs' first request open until then.
test('closing a client fails its request in flight at once, not at kafkajs’ timeout', async () => {
  const silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  try {
    const kafka = createKafkaJs(
      { ...connection, brokers: [`127.0.0.1:${String(port)}`] },
      { clientId: 'close-test' },
    );
    const owner = new SocketOwner('silent admin');
    const admin = kafka.admin({ retry: { retries: 0 } });
    const connecting = owner
      .run(() => admin.connect())
      .then(
        () => 'connected',
        (error: unknown) => causeChain(error),
      );
    await delay(300); // connected, its ApiVersions request waiting for an answer
    owner.close();
    // kafkajs' seed-broker retries (refused now: about 11 s of backoff) end well before its
    // 30 s request timeout, which a connection ended in silence waited for.
    const outcome = await Promise.race([connecting, delay(25_000, 'still waiting after 25 s')]);
    assert.match(outcome, /silent admin is closed/);
    await admin.disconnect();
  } finally {
    silent.close();
  }
});
