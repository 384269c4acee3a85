import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { connectionConfigFromEnv } from '../../index.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';
import { kafkaSocketOrigin } from './trackedSockets.js';

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
