import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import { nullable, Pipeline, StreamJob, stringSerde } from '../../operators/index.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { decodeAll, produceAll, readRaw } from '../support/records.js';

// Joins on the real broker: a stream–table join across 3 co-partitioned partitions, and a
// global-table join whose table is loaded before the job starts, followed while it runs and
// checkpointed for the next start.

const text = { key: stringSerde, value: stringSerde };
const withTombstones = { key: stringSerde, value: nullable(stringSerde) };
const logger = pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'warn' });

test('stream–table join: clicks get the profile of their user, deleted profiles none', async () => {
  const profiles = uniqueName('join-profiles');
  const clicks = uniqueName('join-clicks');
  const output = uniqueName('join-out');
  await createTopics([profiles, clicks, output], { partitions: 3 });
  const users = 60;
  const pipeline = new Pipeline();
  const table = pipeline.table(profiles, text, { name: 'profiles' });
  pipeline
    .source(clicks, text)
    .join(table, (click, profile) => `${click}/${profile}`, { name: 'enrich' })
    .to(output, text);
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-join-'));
  const job = new StreamJob({
    pipeline,
    applicationId: uniqueName('join-job'),
    connection,
    stateDir,
    commitIntervalMs: 200,
    // Under exactly-once the table's changelog writes go in the task's transactions.
    guarantee: 'exactly-once',
    logger,
  });
  await job.start();
  try {
    // Profiles first, and processed, so the clicks find them: a job reads both topics at once
    // and does not order them by time.
    const updates = [
      ...Array.from({ length: users }, (_, i) => ({ key: `u${i}`, value: `p${i}` })),
      ...Array.from({ length: users / 2 }, (_, i) => ({ key: `u${2 * i}`, value: `p${2 * i}b` })),
      { key: 'u1', value: null },
    ];
    await produceAll({ topic: profiles, serdes: withTombstones, records: updates });
    await waitFor(() => job.stats().processed >= updates.length, 'the profiles to be processed');
    await produceAll({
      topic: clicks,
      serdes: text,
      records: Array.from({ length: users }, (_, i) => ({ key: `u${i}`, value: `c${i}` })),
    });
    const expected = Array.from({ length: users }, (_, i) => i)
      .filter((i) => i !== 1)
      .map((i) => `u${i}=c${i}/p${i}${i % 2 === 0 ? 'b' : ''}`)
      .sort();
    const raw = await readRaw(output, expected.length, { timeoutMs: 30_000 });
    const joined = (await decodeAll(raw, text)).map(({ key, value }) => `${key}=${value}`).sort();
    assert.deepEqual(joined, expected);
    assert.equal(job.stats().tasks.length, 3, 'one task per partition, stream and table together');
  } finally {
    await job.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('global-table join: loaded before the first record, followed while running, resumed after a restart', async () => {
  const videos = uniqueName('join-videos');
  const heartbeats = uniqueName('join-heartbeats');
  const output = uniqueName('join-global-out');
  await createTopics([videos], { partitions: 2 });
  await createTopics([heartbeats, output], { partitions: 3 });
  // The table is written before the job starts, the heartbeats right after: every heartbeat
  // must find its video, because the table is loaded before the job consumes anything.
  const titles = 200;
  await produceAll({
    topic: videos,
    serdes: withTombstones,
    records: [
      ...Array.from({ length: titles }, (_, i) => ({ key: `v${i}`, value: `title ${i}` })),
      { key: 'v0', value: null },
    ],
  });
  await produceAll({
    topic: heartbeats,
    serdes: text,
    records: Array.from({ length: titles }, (_, i) => ({ key: `user${i % 7}`, value: `v${i}` })),
  });
  const pipeline = new Pipeline();
  const table = pipeline.globalTable(videos, text, { name: 'titles' });
  pipeline
    .source(heartbeats, text)
    .joinGlobal(table, (video, title) => `${video}:${title}`, {
      name: 'with-title',
      key: (r) => r.value,
    })
    .to(output, text);
  const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-global-'));
  const applicationId = uniqueName('join-global-job');
  const loads: { resumed?: boolean; records?: number }[] = [];
  const start = async (): Promise<StreamJob> => {
    const job = new StreamJob({
      pipeline,
      applicationId,
      connection,
      stateDir,
      commitIntervalMs: 200,
      // Keeps what the global state manager says about each load.
      logger: pino(
        { level: 'info' },
        {
          write: (line: string) => {
            const entry = JSON.parse(line) as {
              table?: string;
              resumed?: boolean;
              records?: number;
            };
            if (entry.table === 'titles' && entry.resumed !== undefined) {
              loads.push(entry);
            }
          },
        },
      ),
    });
    await job.start();
    return job;
  };
  let job = await start();
  try {
    // At least once: a rebalance before the job's first commit may repeat outputs, so the
    // check is on the distinct heartbeats joined, each of which names its own video.
    const first = await decodeAll(
      await readRaw(output, titles - 1, {
        timeoutMs: 30_000,
        identity: (r) => Buffer.from(r.value ?? []).toString(),
      }),
      text,
    );
    const joinedVideos = new Set(first.map(({ value }) => value.split(':')[0]));
    assert.equal(joinedVideos.has('v0'), false, 'v0 was deleted: no output for it');
    assert.equal(joinedVideos.size, titles - 1, 'every other heartbeat found its video');
    for (const { key, value } of first) {
      const video = value.split(':')[0] ?? '';
      assert.equal(value, `${video}:title ${video.slice(1)}`);
      assert.match(key, /^user\d$/);
    }

    // While the job runs, the table follows its topic.
    await produceAll({ topic: videos, serdes: text, records: [{ key: 'v5', value: 'renamed' }] });
    let renamed = false;
    for (let attempt = 0; attempt < 100 && !renamed; attempt++) {
      await produceAll({
        topic: heartbeats,
        serdes: text,
        records: [{ key: 'probe', value: 'v5' }],
      });
      const raw = await readRaw(output, titles, { timeoutMs: 500 + attempt * 100 });
      renamed = (await decodeAll(raw, text)).some(({ value }) => value === 'v5:renamed');
    }
    assert.ok(renamed, 'an update of the global topic reaches lookups');
    await job.stop();

    const checkpoint = join(stateDir, 'global', 'titles', 'checkpoint.json');
    assert.ok(existsSync(checkpoint));
    const offsets = (JSON.parse(readFileSync(checkpoint, 'utf8')) as { offsets: object }).offsets;
    const applied = Object.values(offsets).reduce((sum: number, o) => sum + Number(o), 0);
    assert.equal(applied, titles + 2, 'every record of the topic was applied and checkpointed');

    // A restart resumes from the checkpoint: local state already holds the renamed video.
    job = await start();
    assert.deepEqual(
      loads.map(({ resumed, records }) => ({ resumed, records })),
      [
        { resumed: false, records: titles + 1 },
        { resumed: true, records: 0 },
      ],
    );
    await produceAll({ topic: heartbeats, serdes: text, records: [{ key: 'after', value: 'v5' }] });
    await waitFor(() => job.stats().processed >= 1, 'the restarted job to process', 30_000);
    const all = await decodeAll(await readRaw(output, titles + 1, { timeoutMs: 30_000 }), text);
    assert.ok(all.some(({ key, value }) => key === 'after' && value === 'v5:renamed'));
  } finally {
    await job.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
