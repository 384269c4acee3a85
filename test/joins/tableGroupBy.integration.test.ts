import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { float64Serde, nullable, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { decodeAll, produceAll, readRaw } from '../support/records.js';

// Table re-aggregation on the real broker, exactly-once, 3 partitions: videos change category
// and are deleted; the changes cross the repartition topic with their old and new values to
// the task of each category. Every output appears exactly once (no duplicate, none lost), and
// the last count per category equals the count computed here from the same updates.

const logger = pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'warn' });
const videosSerdes = { key: stringSerde, value: nullable(stringSerde) };
const counts = { key: stringSerde, value: float64Serde };

test('Table.groupBy().count() on Kafka, exactly-once: category changes and deletes', async () => {
  const videos = uniqueName('groupby-videos');
  const output = uniqueName('groupby-out');
  await createTopics([videos, output], { partitions: 3 });
  const random = seededRandom(21);
  const updates: { key: string; value: string | null }[] = [];
  for (let i = 0; i < 150; i += 1) {
    updates.push({ key: `v${i}`, value: `c${Math.floor(random() * 5)}` });
  }
  for (let i = 0; i < 250; i += 1) {
    const id = `v${Math.floor(random() * 170)}`;
    updates.push({ key: id, value: random() < 0.2 ? null : `c${Math.floor(random() * 5)}` });
  }
  // The expected outputs, from the updates alone: a new or deleted row, or one that stays in
  // its category, changes one group; a row that moves changes two.
  const table = new Map<string, string>();
  const expected = new Map<string, number>();
  let outputs = 0;
  for (const { key, value } of updates) {
    const old = table.get(key);
    if (old !== undefined) {
      expected.set(old, (expected.get(old) ?? 0) - 1);
    }
    if (value !== null) {
      expected.set(value, (expected.get(value) ?? 0) + 1);
      table.set(key, value);
    } else {
      table.delete(key);
    }
    outputs +=
      old === undefined ? (value === null ? 0 : 1) : value === null || value === old ? 1 : 2;
  }

  const pipeline = new Pipeline();
  pipeline
    .table(videos, { key: stringSerde, value: stringSerde }, { name: 'videos' })
    .groupBy((_id, category) => ({ key: category, value: 1 }), {
      name: 'by-category',
      serdes: { key: stringSerde, value: float64Serde },
    })
    .count({ name: 'videos-per-category' })
    .toStream()
    .to(output, counts);
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-groupby-'));
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('groupby-job'),
    connection,
    stateDir,
    commitIntervalMs: 200,
    guarantee: 'exactly-once',
    logger,
  });
  await job.start();
  try {
    await produceAll({ topic: videos, serdes: videosSerdes, records: updates });
    await readRaw(output, outputs, { timeoutMs: 60_000 });
    // Read again, asking for one more than expected: a duplicate would show up here.
    const raw = await readRaw(output, outputs + 1, { timeoutMs: 5_000 });
    assert.equal(raw.length, outputs, 'every change of a group is output exactly once');
    const latest = new Map<string, number>();
    // Per partition in offset order: a category's updates are all in its partition.
    const ordered = [...raw].sort(
      (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
    );
    for (const { key, value } of await decodeAll(ordered, counts)) {
      latest.set(key, value);
    }
    assert.deepEqual([...latest].sort(), [...expected].sort());
  } finally {
    await job.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
