import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';
import { Registry } from 'prom-client';

import { avroSerde, seededRandom, stringSerde, TopicClient } from '../../operators/index.js';
import { allScope, calibrationWindowSerdes } from '../../pipelines/calibrationMonitor.js';
import type { CalibrationWindow } from '../../schemas/generated/calibrationWindow.js';
import type { Click } from '../../schemas/generated/click.js';
import type { Impression } from '../../schemas/generated/impression.js';
import { topicCatalog } from '../../schemas/topics.js';
import { connection, createTopics, uniqueName } from '../../test/support/integration.js';
import { calibrationGauges } from './calibrationGauges.js';
import { calibrationJob } from './calibrationJob.js';
import { calibrationExitCodes } from './calibrationReport.js';

// The monitor as a Kafka job on the local stack: served impressions with predictions and their
// clicks on real topics (Avro through the registry), the windows it writes, its gauges, and the
// on-call command's exit code read from the topic it wrote.

const minute = 60_000;
const feedbackWindowMs = 2 * minute;
const t0 = Date.UTC(2026, 0, 5, 12);
const minutes = 6;
const perMinute = 1_500;

const topics = {
  impressions: uniqueName('calibration.impressions'),
  clicks: uniqueName('calibration.clicks'),
  output: uniqueName('calibration.windows'),
};
const stateDir = mkdtempSync(join(tmpdir(), 'calibration-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

/** Calibrated for three minutes, then users click 60 % less than predicted. */
function traffic(): { impressions: Impression[]; clicks: Click[] } {
  const random = seededRandom(41);
  const impressions: Impression[] = [];
  const clicks: Click[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let r = 0; r < perMinute / 10; r++) {
      const at = t0 + m * minute + Math.floor(random() * minute);
      const requestId = `r-${m}-${r}`;
      const first = Math.floor(random() * 400);
      for (let position = 0; position < 10; position++) {
        const predicted = 0.02 + 0.2 * Math.pow(random(), 2);
        const impression: Impression = {
          requestId,
          userId: `u-${r % 97}`,
          videoId: `v-${(first + 41 * position) % 400}`,
          position,
          surface: 'HOME_FEED',
          modelVersion: 'mmoe-it',
          eventTime: at,
          predictedClick: predicted,
          explored: false,
        };
        impressions.push(impression);
        if (random() < predicted * (m >= 3 ? 0.4 : 1)) {
          const clickAt = at + 1_000 + Math.floor(random() * 30_000);
          clicks.push({ ...impression, eventTime: clickAt, surface: 'HOME_FEED' });
        }
      }
    }
  }
  // Past every window's end, feedback window and grace, on every partition: all windows close.
  // Lists no model ranked (no prediction): they move time on without counting.
  const end = t0 + (minutes + 1) * minute + feedbackWindowMs + 10_000;
  for (const at of [end, end + feedbackWindowMs + minute]) {
    for (let v = 0; v < 8; v++) {
      impressions.push({
        requestId: `sentinel-${at}-${v}`,
        userId: 'u-sentinel',
        videoId: `v-sentinel-${v}`,
        position: 0,
        surface: 'HOME_FEED',
        modelVersion: 'blend',
        eventTime: at,
        predictedClick: null,
        explored: false,
      });
    }
  }
  return { impressions, clicks };
}

test('the calibration monitor on Kafka: windows with their verdicts, gauges, and the on-call command’s alert', async () => {
  await createTopics([topics.impressions, topics.clicks], { partitions: 2 });
  await createTopics([topics.output], { partitions: 1 });
  const client = await TopicClient.connect(connection);
  const registry = new Registry();
  const job = calibrationJob({
    connection,
    stateDir,
    applicationId: uniqueName('calibration-job'),
    logger: pino({ level: process.env['REELSTREAM_TEST_LOG'] ?? 'warn' }),
    monitor: {
      windowMs: minute,
      feedbackWindowMs,
      graceMs: 10_000,
      topics,
      onWindow: calibrationGauges(registry),
    },
  });
  try {
    const { impressions, clicks } = traffic();
    // Each topic in time order; the topics are written one after the other, as independent
    // producers would (the operator takes a click read before its impression too).
    await client.send(
      topics.impressions,
      { key: stringSerde, value: avroSerde(topicCatalog.impressions.value) },
      impressions
        .sort((a, b) => a.eventTime - b.eventTime)
        .map((value) => ({ key: value.videoId, value, timestamp: value.eventTime })),
    );
    await client.send(
      topics.clicks,
      { key: stringSerde, value: avroSerde(topicCatalog.clicks.value) },
      clicks
        .sort((a, b) => a.eventTime - b.eventTime)
        .map((value) => ({ key: value.videoId, value, timestamp: value.eventTime })),
    );
    await job.start();
    let windows: CalibrationWindow[] = [];
    const deadline = Date.now() + 90_000;
    while (windows.length < minutes) {
      assert.ok(Date.now() < deadline, `only ${windows.length} windows after 90 s`);
      await sleep(500);
      windows = (await client.readAll(topics.output, calibrationWindowSerdes))
        .map((r) => r.value)
        .filter((w) => w.scope === allScope && w.windowStart < t0 + minutes * minute);
    }
    windows.sort((a, b) => a.windowStart - b.windowStart);
    assert.deepEqual(
      windows.map((w) => [w.windowStart - t0, w.impressions]),
      Array.from({ length: minutes }, (_, m) => [m * minute, perMinute]),
    );
    assert.deepEqual(
      windows.map((w) => w.drifting),
      [false, false, false, true, true, true],
      JSON.stringify(windows.map((w) => [w.predictedCtr, w.actualCtr, w.zScore])),
    );
    const scraped = await registry.metrics();
    assert.match(scraped, /reelstream_calibration_drifting\{scope="model:mmoe-it"\} \d/);
    assert.match(scraped, /reelstream_calibration_impressions\{scope="all"\} \d+/);

    // The on-call command reads the topic: its latest window drifts, so --alert exits 1.
    const cli = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '..', 'cli', 'main.ts'),
        'calibration',
        ...['--topic', topics.output, '--scope', allScope, '--alert'],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(cli.status, calibrationExitCodes.drifting, cli.stderr + cli.stdout);
    assert.match(cli.stdout, /ALERT: drifting in all/);
    const none = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '..', 'cli', 'main.ts'),
        'calibration',
        ...['--topic', topics.output, '--scope', 'model:unknown', '--alert'],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(none.status, calibrationExitCodes.noWindows, none.stderr + none.stdout);
  } finally {
    await job.stop();
    await client.close();
  }
});
