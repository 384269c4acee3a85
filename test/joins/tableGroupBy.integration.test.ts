import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { float64Serde, nullable, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import type { RawRecord } from '../../operators/runtime/rawRecord.js';
import { seededRandom } from '../../operators/support/seededRandom.js';
import { connection, createTopics, uniqueName } from '../support/integration.js';
import { decodeAll, produceAll, readRaw } from '../support/records.js';

// Table re-aggregation on the real broker, exactly-once, 3 partitions: videos change category
// and are deleted; the changes cross the repartition topic with their old and new values to
// the task of each category. Then the job is started again on an empty state directory, so
// both stores are restored from their changelogs, and more rows move. Every output appears
// exactly once (no duplicate, none lost), and the last count per category equals the count
// computed here from the same updates.

const logger = pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'warn' });
const videosSerdes = { key: stringSerde, value: nullable(stringSerde) };
const counts = { key: stringSerde, value: float64Serde };

test('Table.groupBy().count() on Kafka, exactly-once: category changes and deletes, restored from its changelogs', async () => {
  const videos = uniqueName('groupby-videos');
  const output = uniqueName('groupby-out');
  await createTopics([videos, output], { partitions: 3 });
  const random = seededRandom(21);
  const first: { key: string; value: string | null }[] = [];
  for (let i = 0; i < 150; i += 1) {
    first.push({ key: `v${i}`, value: `c${Math.floor(random() * 5)}` });
  }
  const moves = (n: number): { key: string; value: string | null }[] =>
    Array.from({ length: n }, () => ({
      key: `v${Math.floor(random() * 170)}`,
      value: random() < 0.2 ? null : `c${Math.floor(random() * 5)}`,
    }));
  first.push(...moves(250));
  // After a restart with the state directory wiped: the table's and the counts' stores come
  // back from their changelogs, and the same rows move again.
  const second = moves(200);
  const model = new Model();
  const firstOutputs = model.apply(first);
  const secondOutputs = model.apply(second);

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
  const applicationId = uniqueName('groupby-job');
  const run = async (
    records: { key: string; value: string | null }[],
    total: number,
  ): Promise<RawRecord[]> => {
    const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-groupby-'));
    const job = new StreamJob({
      pipeline,
      applicationId,
      connection,
      stateDir,
      commitIntervalMs: 200,
      guarantee: 'exactly-once',
      logger,
    });
    await job.start();
    try {
      await produceAll({ topic: videos, serdes: videosSerdes, records });
      return await readRaw(output, total, { timeoutMs: 60_000 });
    } finally {
      await job.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  await run(first, firstOutputs);
  await run(second, firstOutputs + secondOutputs);
  // Read again, asking for one more than expected: a duplicate would show up here.
  const raw = await readRaw(output, firstOutputs + secondOutputs + 1, { timeoutMs: 5_000 });
  assert.equal(
    raw.length,
    firstOutputs + secondOutputs,
    'every change of a group is output exactly once',
  );
  const latest = new Map<string, number>();
  // Per partition in offset order: a category's updates are all in its partition.
  const ordered = [...raw].sort(
    (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
  );
  for (const { key, value } of await decodeAll(ordered, counts)) {
    latest.set(key, value);
  }
  assert.deepEqual([...latest].sort(), [...model.counts].sort());
});

/** The expected counts per category and the number of outputs, from the updates alone. */
class Model {
  readonly counts = new Map<string, number>();
  private readonly table = new Map<string, string>();

  /** Applies the updates; returns how many outputs they cause. */
  apply(updates: readonly { key: string; value: string | null }[]): number {
    let outputs = 0;
    for (const { key, value } of updates) {
      const old = this.table.get(key);
      if (old !== undefined) {
        this.counts.set(old, (this.counts.get(old) ?? 0) - 1);
      }
      if (value !== null) {
        this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
        this.table.set(key, value);
      } else {
        this.table.delete(key);
      }
      // A new or deleted row, or one that stays in its category, changes one group; a row
      // that moves changes two; deleting a row the table lacks, none.
      outputs +=
        old === undefined ? (value === null ? 0 : 1) : value === null || value === old ? 1 : 2;
    }
    return outputs;
  }
}
