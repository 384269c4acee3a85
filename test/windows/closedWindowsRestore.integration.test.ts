import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import kafkajs from 'kafkajs';
import pino from 'pino';

import { Pipeline, StreamJob, stringSerde, tumblingWindows } from '../../operators/index.js';
import { changelogTopic } from '../../operators/state/storeDefinition.js';
import {
  connection,
  createTopics,
  testKafka,
  uniqueName,
  waitFor,
} from '../support/integration.js';
import { produceAll, readRaw } from '../support/records.js';

const { ConfigResourceTypes } = kafkajs;
const text = { key: stringSerde, value: stringSerde };
const minute = 60_000;

/**
 * Closed tumbling windows leave no tombstones in their changelog (TaskStore.expire; the topic
 * drops them by retention). A task restored from that changelog on an empty state directory
 * gets the closed windows back, and must neither forward them again (emit at close) nor count
 * into them: they are swept when the operator opens, by the restored stream time.
 */
test('closed windows restored from a changelog without tombstones are not forwarded again', async () => {
  const input = uniqueName('closed-windows-in');
  const output = uniqueName('closed-windows-out');
  await createTopics([input, output], { partitions: 1 });
  const applicationId = uniqueName('closed-windows');
  const pipeline = new Pipeline();
  pipeline
    .source(input, text)
    .groupByKey({ name: 'by-key', serdes: text })
    .windowedBy(tumblingWindows({ sizeMs: minute, graceMs: 0 }))
    .count({ name: 'counts', emit: 'close' })
    .toStream()
    .map((r) => r.withKey(`${r.key.key}@${r.key.start}`).withValue(String(r.value)))
    .to(output, text);
  /**
   * Runs the job on each group of records in turn, a few commits apart (so a window is in the
   * changelog before the record that closes it), and returns the output topic: `finals`
   * records, and no more.
   */
  const run = async (
    groups: { key: string; value: string; timestamp: number }[][],
    finals: number,
  ) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'closed-windows-'));
    const job = new StreamJob({
      pipeline,
      applicationId,
      connection,
      guarantee: 'exactly-once',
      commitIntervalMs: 100,
      stateDir,
      logger: pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
    });
    await job.start();
    try {
      let sent = 0;
      for (const records of groups) {
        await produceAll({ topic: input, serdes: text, records });
        sent += records.length;
        await waitFor(() => job.stats().processed >= sent, 'the job to read its input', 60_000);
        await sleep(1_000);
      }
      await readRaw(output, finals, { timeoutMs: 60_000 });
      // Then a while longer for any record beyond them (a window forwarded twice).
      return await readRaw(output, finals + 1, { timeoutMs: 5_000 });
    } finally {
      await job.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  const t0 = 100 * minute;
  // Windows [t0, t0+1m) of a and b close when the record at t0+1m arrives; [t0+1m, ..) stays open.
  const first = await run(
    [
      [
        { key: 'a', value: '1', timestamp: t0 + 1_000 },
        { key: 'a', value: '2', timestamp: t0 + 2_000 },
        { key: 'b', value: '3', timestamp: t0 + 3_000 },
      ],
      [{ key: 'a', value: '4', timestamp: t0 + minute + 1_000 }],
    ],
    2,
  );
  assert.deepEqual(
    first.map((r) => `${r.key?.toString() ?? ''}=${r.value?.toString() ?? ''}`).sort(),
    [`a@${t0}=2`, `b@${t0}=1`],
  );
  // A fresh state directory: everything comes back from the changelog, closed windows included.
  const second = await run(
    [
      [
        { key: 'b', value: '5', timestamp: t0 + minute + 2_000 },
        { key: 'a', value: '6', timestamp: t0 + 2 * minute + 1_000 },
      ],
    ],
    4,
  );
  assert.deepEqual(
    second.map((r) => `${r.key?.toString() ?? ''}=${r.value?.toString() ?? ''}`).sort(),
    [`a@${t0}=2`, `a@${t0 + minute}=1`, `b@${t0}=1`, `b@${t0 + minute}=1`],
    'each window forwarded once, the open window restored with its count',
  );

  const admin = testKafka('closed-windows-admin').admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: changelogTopic(applicationId, 'counts') },
      ],
    });
    const config = new Map(
      (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
    );
    assert.equal(config.get('cleanup.policy'), 'compact,delete');
    assert.equal(config.get('retention.ms'), String(minute + 24 * 3_600_000));
  } finally {
    await admin.disconnect();
  }
});
