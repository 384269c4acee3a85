import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import pino from 'pino';

import {
  Pipeline,
  StreamJob,
  StreamRecord,
  stringSerde,
  type RestoreReport,
} from '../../operators/index.js';
import type { ConsumerSession } from '../../operators/connectors/kafka/streamClient.js';
import { connection, createTopics, uniqueName, waitFor } from '../support/integration.js';
import { client, produceAll } from '../support/records.js';

const text = { key: stringSerde, value: stringSerde };

/**
 * Schedules what each record's value asks for: `event:<delay>` an event-time timer `delay` ms
 * after the record, `wall:<delay>` a processing-time timer `delay` ms from now. Every timer that
 * fires is written out as `<kind>:<key>`.
 */
function reminders(input: string, output: string): Pipeline {
  const pipeline = new Pipeline();
  pipeline
    .source(input, text)
    .process<string, string>(
      () => ({
        process(record, ctx) {
          const [kind, delay] = record.value.split(':');
          if (kind === 'event') {
            ctx.timers.scheduleEventTime(record.key, record.timestamp + Number(delay));
          } else if (kind === 'wall') {
            ctx.timers.scheduleProcessingTime(record.key, ctx.wallClockTime() + Number(delay));
          }
        },
        onTimer(timer, ctx) {
          ctx.forward(
            StreamRecord.of({
              key: timer.key,
              value: `${timer.kind}:${timer.key}`,
              timestamp: timer.timestamp,
            }),
          );
        },
      }),
      { name: 'reminders', timers: { key: stringSerde } },
    )
    .to(output, text);
  return pipeline;
}

/** Collects what is written to `topic` while the test runs. */
async function watch(topic: string): Promise<{ values: string[]; session: ConsumerSession }> {
  const values: string[] = [];
  const session = client.consumer({
    groupId: uniqueName('timer-watch'),
    topics: [topic],
    fromBeginning: true,
    commitIntervalMs: 5_000,
    concurrency: 1,
  });
  await session.start({
    onBatch: (batch) => {
      values.push(...batch.records.map((r) => Buffer.from(r.value ?? []).toString()));
      return Promise.resolve();
    },
    onRebalancing: () => undefined,
    onAssigned: () => Promise.resolve(),
    onCrash: () => undefined,
  });
  return { values, session };
}

const cases = [
  { stateDirAfterStop: 'kept', guarantee: 'at-least-once' },
  { stateDirAfterStop: 'deleted', guarantee: 'exactly-once' },
] as const;

for (const { stateDirAfterStop, guarantee } of cases) {
  test(`timers scheduled before a restart fire after it (state dir ${stateDirAfterStop}, ${guarantee})`, async () => {
    const input = uniqueName('timers-in');
    const output = uniqueName('timers-out');
    await createTopics([input, output]);
    const pipeline = reminders(input, output);
    const applicationId = uniqueName('timers-job');
    const stateDir = mkdtempSync(join(tmpdir(), 'reelstream-timers-'));
    const restores: RestoreReport[] = [];
    const job = (): StreamJob =>
      new StreamJob({
        pipeline,
        applicationId,
        connection,
        stateDir,
        guarantee,
        commitIntervalMs: 200,
        timerTickMs: 50,
        onRestore: (report) => restores.push(report),
        logger: pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'error' }),
      });
    const out = await watch(output);
    const t0 = Date.now();
    try {
      const before = job();
      await before.start();
      await produceAll({
        topic: input,
        serdes: text,
        records: [
          { key: 'a', value: 'event:1000', timestamp: t0 }, // fires at stream time t0 + 1000
          { key: 'b', value: 'wall:4000', timestamp: t0 }, // fires 4 s after it was processed
        ],
      });
      await waitFor(() => before.stats().processed === 2, 'the first run to process both');
      await before.stop();
      assert.deepEqual(out.values, [], 'nothing fired before the restart');
      if (stateDirAfterStop === 'deleted') {
        rmSync(stateDir, { recursive: true, force: true });
      }

      const after = job();
      await after.start();
      try {
        // No input arrives: the restored task's wall-clock timer fires on its own.
        await waitFor(
          () => out.values.includes('processingTime:b'),
          'the wall-clock timer',
          30_000,
        );
        assert.ok(Date.now() - t0 >= 4_000, 'not before its time');
        assert.deepEqual(out.values, ['processingTime:b']);
        // A record that moves stream time past t0 + 1000 fires the event-time timer.
        await produceAll({
          topic: input,
          serdes: text,
          records: [{ key: 'c', value: 'nothing', timestamp: t0 + 1_000 }],
        });
        await waitFor(() => out.values.includes('eventTime:a'), 'the event-time timer');
        assert.deepEqual(out.values, ['processingTime:b', 'eventTime:a'], 'each fired once');
      } finally {
        await after.stop();
      }
      const restored = restores.at(-1);
      assert.deepEqual(restored?.stores, ['reminders-timers']);
      if (stateDirAfterStop === 'deleted') {
        assert.equal(restored?.fullRestoreReason, 'no local state');
        assert.ok((restored?.records ?? 0) >= 2, 'the timers came back from the changelog');
      } else {
        assert.equal(restored?.fullRestoreReason, undefined, 'resumed from local RocksDB');
      }
    } finally {
      await out.session.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
