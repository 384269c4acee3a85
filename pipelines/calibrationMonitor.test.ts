import assert from 'node:assert/strict';
import { test } from 'node:test';

import { avroSerde, Pipeline, seededRandom, stringSerde, TestDriver } from '../operators/index.js';
import type { CalibrationWindow } from '../schemas/generated/calibrationWindow.js';
import type { Click } from '../schemas/generated/click.js';
import type { Impression } from '../schemas/generated/impression.js';
import { topicCatalog } from '../schemas/topics.js';
import { readDrift } from './calibrationDrift.js';
import { allScope, calibrationMonitor, calibrationWindowSerdes } from './calibrationMonitor.js';

// Served predictions against their clicks, window by window: the alert is raised when the label
// rate moves away from the predictions, and stays down over windows of calibrated traffic with
// its ordinary noise.

const t0 = Date.UTC(2026, 0, 5, 12);
const minute = 60_000;
const feedbackWindowMs = 2 * minute;

interface Traffic {
  /** Windows of traffic, one minute each. */
  readonly minutes: number;
  /** Impressions per minute. */
  readonly perMinute: number;
  /** The click probability's factor on the prediction in minute `m` (1: calibrated). */
  readonly shift: (minute: number) => number;
  readonly seed: number;
}

/** Runs the monitor (two partitions, like the real topics) over generated served traffic. */
async function monitor(traffic: Traffic): Promise<CalibrationWindow[]> {
  const pipeline = new Pipeline();
  calibrationMonitor(pipeline, { windowMs: minute, feedbackWindowMs, graceMs: 10_000 });
  const driver = await TestDriver.start(pipeline, { partitions: 2 });
  try {
    const impressions = driver.input(topicCatalog.impressions.name, {
      key: stringSerde,
      value: avroSerde(topicCatalog.impressions.value),
    });
    const clicks = driver.input(topicCatalog.clicks.name, {
      key: stringSerde,
      value: avroSerde(topicCatalog.clicks.value),
    });
    const output = driver.output(topicCatalog.calibration.name, calibrationWindowSerdes);
    const random = seededRandom(traffic.seed);
    // Events in time order, as the topics would hold them: impressions, then their clicks a
    // few seconds to a minute later.
    const events: ({ at: number } & (
      { kind: 'impression'; value: Impression } | { kind: 'click'; value: Click }
    ))[] = [];
    let requests = 0;
    for (let m = 0; m < traffic.minutes; m++) {
      for (let i = 0; i < traffic.perMinute; i += 10) {
        const at = t0 + m * minute + Math.floor(random() * minute);
        const requestId = `r-${requests++}`;
        const first = Math.floor(random() * 500);
        for (let position = 0; position < 10; position++) {
          // Ten different videos per list (a video is shown once per request).
          const videoId = `v-${(first + 37 * position) % 500}`;
          // Predictions spread like a ranker's: mostly a few percent, a tail to 30 %.
          const predicted = 0.01 + 0.29 * Math.pow(random(), 3);
          const value: Impression = {
            requestId,
            userId: `u-${requests % 300}`,
            videoId,
            position,
            surface: 'HOME_FEED',
            modelVersion: 'mmoe-test',
            eventTime: at,
            predictedClick: predicted,
            explored: false,
          };
          events.push({ kind: 'impression', at, value });
          if (random() < Math.min(1, predicted * traffic.shift(m))) {
            const clickAt = at + 2_000 + Math.floor(random() * minute);
            events.push({
              kind: 'click',
              at: clickAt,
              value: {
                requestId,
                userId: value.userId,
                videoId,
                position,
                surface: 'HOME_FEED',
                eventTime: clickAt,
              },
            });
          }
        }
      }
    }
    // Past the last window, its feedback window and grace, on every partition: everything closes.
    const end = t0 + (traffic.minutes + 1) * minute + feedbackWindowMs + 10_000;
    for (const [k, at] of [end, end + feedbackWindowMs + minute].flatMap((time) =>
      Array.from({ length: 8 }, (_, v) => [v, time] as const),
    )) {
      events.push({
        kind: 'impression',
        at,
        value: {
          requestId: `sentinel-${at}-${k}`,
          userId: 'u-sentinel',
          videoId: `v-sentinel-${k}`,
          position: 0,
          surface: 'HOME_FEED',
          modelVersion: 'mmoe-test',
          eventTime: at,
          predictedClick: 0.05,
          explored: false,
        },
      });
    }
    events.sort((a, b) => a.at - b.at);
    for (const event of events) {
      if (event.kind === 'impression') {
        await impressions.pipe(event.value.videoId, event.value, { timestamp: event.at });
      } else {
        await clicks.pipe(event.value.videoId, event.value, { timestamp: event.at });
      }
    }
    assert.deepEqual(driver.drain(driver.deadLetterTopic), []);
    return (await output.readValues())
      .filter((w) => w.scope === allScope && w.windowStart < t0 + traffic.minutes * minute)
      .sort((a, b) => a.windowStart - b.windowStart);
  } finally {
    await driver.close();
  }
}

test('calibrated traffic: every window labelled, its noise never raises the alert', async () => {
  const windows = await monitor({ minutes: 8, perMinute: 4_000, shift: () => 1, seed: 23 });
  assert.deepEqual(
    windows.map((w) => w.windowStart),
    Array.from({ length: 8 }, (_, m) => t0 + m * minute),
    'one window per minute of impressions, in impression time',
  );
  for (const w of windows) {
    assert.equal(w.impressions, 4_000);
    assert.equal(w.drifting, false, JSON.stringify(w));
    // The noise is there (the test is not of a constant): CTRs differ window to window.
    assert.ok(Math.abs(w.zScore) < 4);
  }
  assert.ok(new Set(windows.map((w) => w.clicks)).size > 1);
});

test('the label rate shifts: the alert is raised from the shifted windows on, not before', async () => {
  // From minute 4, users click 40 % less than the model predicts (a feed change, say).
  const windows = await monitor({
    minutes: 8,
    perMinute: 4_000,
    shift: (m) => (m >= 4 ? 0.6 : 1),
    seed: 29,
  });
  assert.equal(windows.length, 8);
  assert.deepEqual(
    windows.map((w) => w.drifting),
    [false, false, false, false, true, true, true, true],
    JSON.stringify(windows.map((w) => [w.predictedCtr, w.actualCtr, w.zScore])),
  );
  for (const w of windows.slice(4)) {
    assert.ok(w.actualCtr < w.predictedCtr);
    assert.equal(w.verdict, 'drifting');
  }
});

test('the drift rule: small samples and small gaps do not alert', () => {
  const sums = (impressions: number, clicks: number, p: number) => ({
    impressions,
    clicks,
    predictedClicks: impressions * p,
    variance: impressions * p * (1 - p),
  });
  // Half the predicted clicks, but 100 impressions: no judgement.
  assert.equal(readDrift(sums(100, 2, 0.05)).drifting, false);
  assert.match(readDrift(sums(100, 2, 0.05)).verdict, /too few/);
  // 2 million impressions, 5.0 % vs 5.2 %: significant (z ≈ 13) but a 4 % gap.
  const small = readDrift(sums(2_000_000, 104_000, 0.05));
  assert.ok(small.zScore > 4);
  assert.equal(small.drifting, false);
  // 5,000 impressions, 5 % predicted, 3 % clicked: z ≈ -6.5, gap -40 %.
  const drift = readDrift(sums(5_000, 150, 0.05));
  assert.ok(drift.zScore < -6);
  assert.equal(drift.drifting, true);
});

test('describe() shows the DAG (snapshot): labels, partial windows, one combine task', () => {
  const pipeline = new Pipeline();
  calibrationMonitor(pipeline);
  assert.equal(
    pipeline.describe('reelstream-calibration'),
    [
      'Sub-topology 0',
      '  Source: calibration-impressions (topics: [events.impressions]; key: string, value: avro(reelstream.events.Impression))',
      '    --> calibration-predicted',
      '  Source: calibration-clicks (topics: [events.clicks]; key: string, value: avro(reelstream.events.Click))',
      '    --> calibration-click-events',
      '  Processor: calibration-predicted (filter)',
      '    --> calibration-impression-events',
      '    <-- calibration-impressions',
      '  Processor: calibration-impression-events (mapValues)',
      '    --> calibration-events',
      '    <-- calibration-predicted',
      '  Processor: calibration-click-events (mapValues)',
      '    --> calibration-events',
      '    <-- calibration-clicks',
      '  Processor: calibration-events (merge)',
      '    --> calibration-labels',
      '    <-- calibration-impression-events, calibration-click-events',
      '  Processor: calibration-labels (process; stores: [calibration-labels, calibration-labels-timers])',
      '    --> calibration-scopes',
      '    <-- calibration-events',
      '  Processor: calibration-scopes (mapValues)',
      '    --> calibration-partials',
      '    <-- calibration-labels',
      '  Processor: calibration-partials (process; stores: [calibration-partials, calibration-partials-timers])',
      '    --> calibration-partials-all-repartition-sink',
      '    <-- calibration-scopes',
      '  Sink: calibration-partials-all-repartition-sink (topic: reelstream-calibration-calibration-partials-all-repartition; key: string, value: json)',
      '    <-- calibration-partials',
      'Sub-topology 1',
      '  Source: calibration-partials-all-repartition-source (topics: [reelstream-calibration-calibration-partials-all-repartition]; key: string, value: json)',
      '    --> calibration-combine',
      '  Processor: calibration-combine (process; stores: [calibration-combine])',
      '    --> calibration-verdicts',
      '    <-- calibration-partials-all-repartition-source',
      '  Processor: calibration-verdicts (mapValues)',
      '    --> calibration-out',
      '    <-- calibration-combine',
      '  Sink: calibration-out (topic: monitoring.calibration; key: string, value: avro(reelstream.monitoring.CalibrationWindow))',
      '    <-- calibration-verdicts',
      'Internal topics',
      '  reelstream-calibration-calibration-partials-all-repartition (partitions: as upstream)',
    ].join('\n'),
  );
});
