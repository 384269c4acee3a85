import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  avroSerde,
  Pipeline,
  stringSerde,
  TestDriver,
  type TestInputTopic,
} from '../operators/index.js';
import type { VideoUpload } from '../schemas/generated/videoUpload.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../schemas/generated/watchHeartbeat.js';
import type { WatchSession } from '../schemas/generated/watchSession.js';
import { topicCatalog } from '../schemas/topics.js';
import { watchSessions } from './watchSessions.js';

const serdes = {
  heartbeats: { key: stringSerde, value: avroSerde(topicCatalog.watchHeartbeats.value) },
  ends: { key: stringSerde, value: avroSerde(topicCatalog.watchEnds.value) },
  catalog: { key: stringSerde, value: avroSerde(topicCatalog.videoCatalog.value) },
  sessions: { key: stringSerde, value: avroSerde(topicCatalog.watchSessions.value) },
};

const gapMs = 60_000;
const graceMs = 30_000;
const t0 = 1_700_000_000_000;
const s = (seconds: number): number => t0 + seconds * 1000;

/** One input event, in the order it is piped (arrival order). */
type Event =
  | { readonly kind: 'hb'; readonly value: WatchHeartbeat }
  | { readonly kind: 'end'; readonly value: WatchEnd };

function hb(ids: string, atSeconds: number, watchedMs: number): Event {
  const [userId = '', videoId = '', sessionId = ''] = ids.split('/');
  return {
    kind: 'hb',
    value: { userId, videoId, sessionId, watchedMs, eventTime: s(atSeconds) },
  };
}

function end(ids: string, atSeconds: number, watched: { ms: number; durationMs: number }): Event {
  const [userId = '', videoId = '', sessionId = ''] = ids.split('/');
  return {
    kind: 'end',
    value: {
      userId,
      videoId,
      sessionId,
      watchedMs: watched.ms,
      videoDurationMs: watched.durationMs,
      reason: 'SWIPED_AWAY',
      requestId: `req-${sessionId}`,
      eventTime: s(atSeconds),
    },
  };
}

/**
 * The batch computation: the sessions closed after the events of `arrived` (in arrival order),
 * and how many events were dropped as late, written from the definition (one partition, so one
 * stream time: the highest event time arrived so far).
 *
 * A session closes when a watch end of it arrives, or as soon as stream time reaches its latest
 * accepted event + gap + grace. An event is dropped when its session is closed at its arrival
 * (stream time counted with the event itself), or when it would open a session whose own time
 * + gap + grace is already behind stream time.
 */
function batchSessions(
  arrived: readonly Event[],
  durations: ReadonlyMap<string, number>,
): { sessions: WatchSession[]; late: number } {
  interface Acc {
    events: WatchHeartbeat[];
    end?: WatchEnd;
    closed: boolean;
  }
  const accs = new Map<string, Acc>();
  const closedList: [string, Acc][] = [];
  let streamTime = Number.NEGATIVE_INFINITY;
  let late = 0;
  const lastOf = (acc: Acc): number => Math.max(...acc.events.map((e) => e.eventTime));
  for (const event of arrived) {
    streamTime = Math.max(streamTime, event.value.eventTime);
    for (const [id, acc] of accs) {
      if (!acc.closed && acc.events.length > 0 && lastOf(acc) + gapMs + graceMs <= streamTime) {
        acc.closed = true;
        closedList.push([id, acc]);
      }
    }
    const id = `${event.value.userId}/${event.value.videoId}/${event.value.sessionId}`;
    const acc = accs.get(id);
    if (acc?.closed === true) {
      late += 1;
      continue;
    }
    if (acc === undefined && event.value.eventTime + gapMs + graceMs <= streamTime) {
      late += 1;
      continue;
    }
    const current = acc ?? { events: [], closed: false };
    accs.set(id, current);
    if (event.kind === 'end') {
      current.end = event.value;
      current.closed = true;
      closedList.push([id, current]);
    } else {
      current.events.push(event.value);
    }
  }
  const sessions = closedList.map(([id, acc]): WatchSession => {
    const [userId = '', videoId = '', sessionId = ''] = id.split('/');
    const times = acc.events.map((e) => e.eventTime);
    const endEvent = acc.end;
    const duration = endEvent?.videoDurationMs ?? durations.get(videoId) ?? null;
    return {
      userId,
      videoId,
      sessionId,
      totalWatchMs: endEvent?.watchedMs ?? Math.max(...acc.events.map((e) => e.watchedMs)),
      videoDurationMs: duration,
      heartbeats: acc.events.length,
      startTime: Math.min(...times, endEvent?.eventTime ?? Number.POSITIVE_INFINITY),
      endTime: endEvent?.eventTime ?? Math.max(...times),
      closedReason: endEvent === undefined ? 'INACTIVITY' : 'WATCH_END',
      requestId: endEvent?.requestId ?? null,
    };
  });
  return { sessions, late };
}

/** Pipes one event into its topic, stamped with its event time as producers do. */
async function pipe(
  inputs: {
    heartbeats: TestInputTopic<string, WatchHeartbeat>;
    ends: TestInputTopic<string, WatchEnd>;
  },
  event: Event,
): Promise<void> {
  if (event.kind === 'hb') {
    await inputs.heartbeats.pipe(event.value.userId, event.value, {
      timestamp: event.value.eventTime,
    });
  } else {
    await inputs.ends.pipe(event.value.userId, event.value, { timestamp: event.value.eventTime });
  }
}

const byId = (a: WatchSession, b: WatchSession): number =>
  `${a.userId}/${a.sessionId}`.localeCompare(`${b.userId}/${b.sessionId}`);

function video(videoId: string, durationMs: number): VideoUpload {
  return {
    videoId,
    creatorId: 'c1',
    durationMs,
    category: 'cat-01',
    tags: [],
    region: 'eu-west',
    uploadTime: 0,
    eventTime: 0,
  };
}

// Arrival order, with what each step exercises.
const events: readonly Event[] = [
  hb('u1/v1/s1', 0, 0),
  hb('u2/v1/s3', 5, 0),
  hb('u1/v1/s1', 10, 10_000),
  hb('u2/v3/s4', 0, 0), // out of order (stream time is 10): a new session, on time
  hb('u2/v1/s3', 15, 10_000),
  hb('u1/v1/s1', 20, 20_000),
  hb('u2/v3/s4', 10, 10_000),
  end('u1/v1/s1', 25, { ms: 25_000, durationMs: 30_000 }), // closes s1 at once
  hb('u1/v2/s2', 30, 0),
  end('u3/v2/s5', 40, { ms: 12_000, durationMs: 60_000 }), // watch end before its heartbeats
  hb('u3/v2/s5', 30, 0), // late: s5 is closed
  hb('u1/v2/s2', 40, 10_000),
  hb('u1/v2/s2', 60, 30_000), // 60 arrives before 50
  hb('u1/v2/s2', 50, 20_000), // out of order, counted
  end('u3/v5/s7', 70, { ms: 4_000, durationMs: 9_000 }), // a watch end without heartbeats
  hb('u4/v9/s9', 95, 0), // video v9 is not in the catalogue
  hb('u4/v9/s9', 100, 10_000), // stream time 100: s4 (last 10) closes (10 + 90 <= 100)
  hb('u2/v1/s3', 25, 20_000), // late but within grace: s3 (last 15, closes at 105) is open
  hb('u2/v3/s4', 20, 20_000), // beyond grace: s4 closed, dropped
  hb('u3/v4/s6', 10, 0), // a session first seen long after: 10 + 90 <= 100, dropped
  hb('u4/v8/s8', 120, 0), // stream time 120: s3 (last 25) closes at 115
  hb('u4/v8/s8', 130, 10_000),
  hb('u4/v8/s8', 140, 20_000), // s2 (last 60) closes at 150, not yet
  hb('u5/v1/s10', 150, 0), // stream time 150: s2 closes
  // A jump: s8 (last 140) and s9 (100) close, and so does s10 (150): this very record moved
  // stream time past 150 + 90, so it is late for its own, closed, session.
  hb('u5/v1/s10', 300, 10_000),
];

test('watch sessions equal the batch computation after every event, late events included', async () => {
  const pipeline = new Pipeline();
  watchSessions(pipeline, { inactivityGapMs: gapMs, graceMs });
  const driver = await TestDriver.start(pipeline);
  const catalog = [video('v1', 30_000), video('v2', 60_000), video('v8', 45_000)];
  await driver
    .input(topicCatalog.videoCatalog.name, serdes.catalog)
    .pipeMany(catalog.map((value) => ({ key: value.videoId, value, timestamp: 0 })));
  const durations = new Map(catalog.map((v) => [v.videoId, v.durationMs]));
  const heartbeats = driver.input(topicCatalog.watchHeartbeats.name, serdes.heartbeats);
  const ends = driver.input(topicCatalog.watchEnds.name, serdes.ends);
  const output = driver.output(topicCatalog.watchSessions.name, serdes.sessions);
  const seen: WatchSession[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    assert.ok(event !== undefined);
    await pipe({ heartbeats, ends }, event);
    const records = await output.readRecords();
    for (const record of records) {
      assert.equal(record.key, record.value.userId, 'keyed by user');
      assert.equal(record.timestamp, record.value.endTime, 'stamped with the session end');
    }
    // Avro decodes to instances of a generated class: compare plain fields.
    seen.push(...records.map((r) => ({ ...r.value })));
    const batch = batchSessions(events.slice(0, i + 1), durations);
    assert.deepEqual(
      [...seen].sort(byId),
      [...batch.sessions].sort(byId),
      `after event ${i}: the sessions closed so far`,
    );
    assert.equal(driver.counter('lateWatchEvents'), batch.late, `after event ${i}: late events`);
  }
  // The scenario covers every path: both close reasons, late within and beyond grace, a
  // catalogue duration and an unknown video.
  const reasons = new Set(seen.map((x) => `${x.sessionId}:${x.closedReason}`));
  for (const expected of ['s1:WATCH_END', 's5:WATCH_END', 's7:WATCH_END', 's2:INACTIVITY']) {
    assert.ok(reasons.has(expected), expected);
  }
  const s3 = seen.find((x) => x.sessionId === 's3');
  assert.deepEqual([s3?.heartbeats, s3?.totalWatchMs, s3?.endTime], [3, 20_000, s(25)]);
  assert.equal(seen.find((x) => x.sessionId === 's2')?.videoDurationMs, 60_000, 'from catalogue');
  assert.equal(seen.find((x) => x.sessionId === 's9')?.videoDurationMs, null, 'unknown video');
  assert.equal(driver.counter('lateWatchEvents'), 4);
  assert.equal(seen.length, 9, 'every session but s6 (dropped whole) closed');
  await driver.close();
});

test('a closed session is remembered until its stragglers are late by time alone', async () => {
  const pipeline = new Pipeline();
  watchSessions(pipeline, { inactivityGapMs: gapMs, graceMs });
  const driver = await TestDriver.start(pipeline);
  const heartbeats = driver.input(topicCatalog.watchHeartbeats.name, serdes.heartbeats);
  const ends = driver.input(topicCatalog.watchEnds.name, serdes.ends);
  const output = driver.output(topicCatalog.watchSessions.name, serdes.sessions);
  const inputs = { heartbeats, ends };
  await pipe(inputs, hb('u1/v1/s1', 0, 0));
  await pipe(inputs, end('u1/v1/s1', 10, { ms: 10_000, durationMs: 20_000 }));
  // A heartbeat after the watch end, in its gap (the player sent it late): dropped, not a
  // second session, though 15 + gap + grace is ahead of stream time.
  await pipe(inputs, hb('u1/v1/s1', 15, 15_000));
  // Long after: the tombstone has expired (10 + 2 * 60 + 30 = 160), and a straggler within
  // the gap of the end is late by its own time.
  await pipe(inputs, hb('u9/v9/s9', 400, 0));
  await pipe(inputs, hb('u1/v1/s1', 20, 20_000));
  const out = await output.readValues();
  assert.deepEqual(
    out.map((x) => [x.sessionId, x.closedReason, x.totalWatchMs]),
    [['s1', 'WATCH_END', 10_000]],
  );
  assert.equal(driver.counter('lateWatchEvents'), 2);
  await driver.close();
});

test('describe() shows the DAG (snapshot): stateful steps, internal topics, global tables', () => {
  const pipeline = new Pipeline();
  watchSessions(pipeline);
  assert.equal(
    pipeline.describe('features'),
    [
      'Sub-topology 0',
      '  Source: watch-sessions-heartbeats (topics: [events.watch-heartbeats]; key: string, value: avro(reelstream.events.WatchHeartbeat))',
      '    --> watch-sessions-heartbeat-events',
      '  Source: watch-sessions-ends (topics: [events.watch-ends]; key: string, value: avro(reelstream.events.WatchEnd))',
      '    --> watch-sessions-end-events',
      '  Processor: watch-sessions-heartbeat-events (mapValues)',
      '    --> watch-sessions-events',
      '    <-- watch-sessions-heartbeats',
      '  Processor: watch-sessions-end-events (mapValues)',
      '    --> watch-sessions-events',
      '    <-- watch-sessions-ends',
      '  Processor: watch-sessions-events (merge)',
      '    --> watch-sessions',
      '    <-- watch-sessions-heartbeat-events, watch-sessions-end-events',
      '  Processor: watch-sessions (process; stores: [watch-sessions, watch-sessions-timers])',
      '    --> watch-sessions-duration',
      '    <-- watch-sessions-events',
      '  Processor: watch-sessions-duration (leftJoin global table watch-sessions-catalog)',
      '    --> watch-sessions-out',
      '    <-- watch-sessions',
      '  Sink: watch-sessions-out (topic: features.watch-sessions; key: string, value: avro(reelstream.features.WatchSession))',
      '    <-- watch-sessions-duration',
      'Global tables',
      '  watch-sessions-catalog (topic: catalog.videos; key: string, value: avro(reelstream.events.VideoUpload))',
    ].join('\n'),
  );
});
