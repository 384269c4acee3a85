import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { connectionConfigFromEnv } from '../../index.js';
import { createKafkaJs } from './kafkajsClient.js';
import { KafkajsStreamClient } from './kafkajsStreamClient.js';

// Runs against the stack the test command starts (or REELSTREAM_BROKERS / _REGISTRY_URL).
const connection = connectionConfigFromEnv();
const dayMs = 86_400_000;

test('ensureRetention raises a short retention, keeps the other overrides, leaves long ones', async () => {
  const kafka = createKafkaJs(connection, { clientId: 'retention-test' });
  const client = new KafkajsStreamClient(kafka);
  const suffix = `${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
  const week = `test.retention.week.${suffix}`;
  const forever = `test.retention.forever.${suffix}`;
  await client.ensureTopics([
    {
      name: week,
      partitions: 1,
      config: {
        'cleanup.policy': 'delete',
        'retention.ms': String(7 * dayMs),
        'max.message.bytes': '2000000',
      },
    },
    { name: forever, partitions: 1, config: { 'retention.ms': '-1' } },
  ]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.deepEqual(await client.ensureRetention([week, forever], 30 * dayMs), [week]);
    // Long enough now: asking again changes nothing.
    assert.deepEqual(await client.ensureRetention([week, forever], 30 * dayMs), []);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: week },
        { type: 2, name: forever },
      ],
    });
    const config = (topic: string, name: string): string | undefined =>
      described.resources
        .find((r) => r.resourceName === topic)
        ?.configEntries.find((e) => e.configName === name)?.configValue;
    assert.equal(config(week, 'retention.ms'), String(30 * dayMs));
    assert.equal(config(week, 'max.message.bytes'), '2000000');
    assert.equal(config(week, 'cleanup.policy'), 'delete');
    assert.equal(config(forever, 'retention.ms'), '-1');
  } finally {
    await admin.deleteTopics({ topics: [week, forever] }).catch(() => undefined);
    await admin.disconnect();
  }
});
