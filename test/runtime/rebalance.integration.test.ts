import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';

import { Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import type { OutgoingRecord } from '../../operators/runtime/rawRecord.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { client, readRaw } from '../support/records.js';

const total = 60_000;
const partitions = 6;

test('a second instance started mid-stream takes over half the partitions and nothing is lost', async () => {
  const input = uniqueName('rebalance-in');
  const output = uniqueName('rebalance-out');
  await createTopics([input, output], { partitions });
  const pipeline = new Pipeline();
  const text = { key: stringSerde, value: stringSerde };
  pipeline
    .source(input, text)
    .mapValues((v) => `seen:${v}`)
    .to(output, text);
  const applicationId = uniqueName('rebalance-job');
  const instance = (name: string): StreamJob =>
    new StreamJob({
      pipeline,
      applicationId,
      connection,
      commitIntervalMs: 200,
      logger: pino({ name, level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
    });

  // Input keeps arriving while the second instance joins.
  const producer = await client.producer({ idempotent: true });
  const produceAll = (async () => {
    for (let start = 0; start < total; start += 2_000) {
      const batch: OutgoingRecord[] = [];
      for (let i = start; i < start + 2_000; i++) {
        batch.push({
          topic: input,
          key: Buffer.from(`k${i}`),
          value: Buffer.from(String(i)),
          timestamp: Date.now(),
          headers: {},
        });
      }
      await producer.send(batch);
      await sleep(100);
    }
  })();

  const first = instance('first');
  await first.start();
  await waitFor(
    () => first.stats().processed > total / 5,
    'the first instance to get going',
    30_000,
  );
  assert.equal(
    first.stats().tasks.length,
    partitions,
    'alone, the first instance owns every partition',
  );
  const second = instance('second');
  await second.start();
  try {
    await waitFor(
      () =>
        second.stats().tasks.length === partitions / 2 &&
        first.stats().tasks.length === partitions / 2,
      'the partitions to be split between the two instances',
      60_000,
    );
    const split = [...first.stats().tasks, ...second.stats().tasks].sort();
    assert.deepEqual(
      split,
      Array.from({ length: partitions }, (_, p) => `0_${p}`).sort(),
      'each partition owned once',
    );
    await produceAll;
    await producer.close();
    const out = await readRaw(output, total, {
      timeoutMs: 90_000,
      identity: (r) => Buffer.from(r.value ?? []).toString(),
    });
    const seen = new Set(out.map((r) => Buffer.from(r.value ?? []).toString()));
    for (let i = 0; i < total; i++) {
      assert.ok(seen.has(`seen:${i}`), `record ${i} was lost`);
    }
    const duplicates = out.length - seen.size;
    console.log(
      `  first: ${first.stats().processed} processed, second: ${second.stats().processed}; ${duplicates} duplicates (at-least-once replays after the rebalance)`,
    );
    assert.ok(second.stats().processed > 0, 'the second instance processed records');
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
});
