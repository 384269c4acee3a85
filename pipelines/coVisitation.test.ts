import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Pipeline, TestDriver } from '../operators/index.js';
import type { CoVisitation } from '../schemas/generated/coVisitation.js';
import type { WatchEnd } from '../schemas/generated/watchEnd.js';
import {
  coVisitation,
  coVisitationStream,
  type CoVisitationOptions,
  coVisitationSerdes as serdes,
  coVisitationTopics as topics,
} from './coVisitation.js';
import { userFeaturesSerdes, userFeaturesStream, userFeaturesTopics } from './userFeatures.js';
import { watchSessions } from './watchSessions.js';

// Golden tests: after every watch end, the neighbours published for each anchor it touched
// equal a batch computation over all watch ends so far, written here from the definitions
// (pairs of one user's watches within the window; decayed counts summed over all events).

const t0 = 1_700_000_000_000;
const hour = 3_600_000;
const minute = 60_000;

interface Params {
  readonly windowMs: number;
  readonly latenessMs: number;
  readonly recentSize: number;
  readonly minWatchMs: number;
  readonly halfLifeMs: number;
  readonly candidates: number;
  readonly topK: number;
  readonly minCount: number;
}

function watch(user: string, videoId: string, at: { time: number; watchedMs?: number }): WatchEnd {
  return {
    userId: user,
    videoId,
    sessionId: `${user}-${videoId}-${at.time}`,
    watchedMs: at.watchedMs ?? 10_000,
    videoDurationMs: 20_000,
    reason: 'COMPLETED',
    requestId: null,
    eventTime: at.time,
  };
}

// ---- The batch computation -----------------------------------------------------------------

interface Visit {
  readonly user: string;
  readonly video: string;
  readonly time: number;
  readonly arrival: number;
}

interface Pair {
  readonly anchor: string;
  readonly neighbour: string;
  readonly time: number;
  readonly arrival: number;
}

/** Every view and co-visit of the watch ends, each with the arrival index it came from. */
function coVisits(events: readonly WatchEnd[], p: Params): { views: Visit[]; pairs: Pair[] } {
  const views = events
    .map((e, arrival) => ({ e, arrival }))
    .filter(({ e }) => e.watchedMs >= p.minWatchMs)
    .map(({ e, arrival }) => ({ user: e.userId, video: e.videoId, time: e.eventTime, arrival }));
  const pairs: Pair[] = [];
  for (const visit of views) {
    const earlier = views.filter((v) => v.user === visit.user && v.arrival < visit.arrival);
    if (earlier.length === 0) {
      continue;
    }
    // The user's videos by their latest watch so far (ties: the later arrival), the most
    // recent `recentSize`, of which those within window + lateness of the newest watch.
    const latest = new Map<string, Visit>();
    for (const v of earlier) {
      const seen = latest.get(v.video);
      if (seen === undefined || v.time >= seen.time) {
        latest.set(v.video, v);
      }
    }
    const newest = Math.max(...earlier.map((v) => v.time));
    const recent = [...latest.values()]
      .sort((a, b) => b.time - a.time || b.arrival - a.arrival)
      .slice(0, p.recentSize)
      .filter((v) => v.time >= newest - p.windowMs - p.latenessMs);
    for (const other of recent) {
      if (other.video !== visit.video && Math.abs(other.time - visit.time) <= p.windowMs) {
        const time = Math.max(other.time, visit.time);
        pairs.push({ anchor: visit.video, neighbour: other.video, time, arrival: visit.arrival });
        pairs.push({ anchor: other.video, neighbour: visit.video, time, arrival: visit.arrival });
      }
    }
  }
  return { views, pairs };
}

/** The anchor's neighbours over `events`, undefined when it has no co-visit. */
function expectedNeighbours(
  anchor: string,
  events: readonly WatchEnd[],
  p: Params,
): CoVisitation | undefined {
  const { views, pairs } = coVisits(events, p);
  const mine = pairs.filter((pair) => pair.anchor === anchor);
  if (mine.length === 0) {
    return undefined;
  }
  const now = t0; // any common time: the score is a ratio of counts decaying alike
  const decayed = (times: readonly number[]): number =>
    times.reduce((sum, t) => sum + 2 ** (-(now - t) / p.halfLifeMs), 0);
  const anchorViews = decayed(views.filter((v) => v.video === anchor).map((v) => v.time));
  const byNeighbour = new Map<string, Pair[]>();
  for (const pair of mine) {
    byNeighbour.set(pair.neighbour, [...(byNeighbour.get(pair.neighbour) ?? []), pair]);
  }
  const neighbours = [...byNeighbour.entries()]
    .map(([neighbour, together]) => ({
      neighbour,
      count: together.length,
      covisits: decayed(together.map((pair) => pair.time)),
    }))
    // The strongest `candidates` by decayed co-visits (equal: more co-visits, then the smaller
    // id), whatever order they came in: an evicted one that returns comes with its whole count.
    .sort(
      (a, b) =>
        (Math.abs(a.covisits - b.covisits) > 1e-9 * Math.max(a.covisits, b.covisits)
          ? b.covisits - a.covisits
          : 0) ||
        b.count - a.count ||
        (a.neighbour < b.neighbour ? -1 : 1),
    )
    .slice(0, p.candidates)
    .filter((c) => c.count >= p.minCount)
    .slice(0, p.topK)
    // The share of the anchor's (decayed) views the neighbour co-visited.
    .map((c) => ({
      videoId: c.neighbour,
      score: Math.min(1, c.covisits / anchorViews),
      count: c.count,
    }));
  return {
    videoId: anchor,
    neighbours,
    updatedTime: Math.max(...mine.map((pair) => pair.time)),
  };
}

// ---- Running -------------------------------------------------------------------------------

function assertNeighbours(published: CoVisitation, expected: CoVisitation, at: string): void {
  const actual = JSON.parse(JSON.stringify(published)) as CoVisitation;
  assert.equal(actual.videoId, expected.videoId, at);
  assert.equal(actual.updatedTime, expected.updatedTime, `${at} updatedTime`);
  assert.deepEqual(
    actual.neighbours.map((n) => [n.videoId, n.count]),
    expected.neighbours.map((n) => [n.videoId, n.count]),
    `${at} neighbours`,
  );
  actual.neighbours.forEach((n, i) => {
    const score = expected.neighbours[i]?.score ?? NaN;
    assert.ok(Math.abs(n.score - score) <= 1e-9, `${at} ${n.videoId}: ${n.score} != ${score}`);
  });
}

/**
 * Pipes each watch end alone and checks, after each, that exactly the anchors it touched were
 * published, each (its last record) equal to the batch computation. Returns the anchors checked.
 */
async function expectGolden(
  events: readonly WatchEnd[],
  options: { pipeline: CoVisitationOptions; params: Params },
): Promise<number> {
  const pipeline = new Pipeline();
  coVisitation(pipeline, options.pipeline);
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  let checked = 0;
  try {
    const input = driver.input(topics.watchEnds, serdes.watchEnds);
    const output = driver.output(topics.output, serdes.output);
    for (const [i, event] of events.entries()) {
      await input.pipe(event.userId, event, { timestamp: event.eventTime });
      const published = new Map((await output.readRecords()).map((r) => [r.key, r.value]));
      const sofar = events.slice(0, i + 1);
      const touched = new Set(
        coVisits(sofar, options.params)
          .pairs.filter((pair) => pair.arrival === i)
          .map((pair) => pair.anchor),
      );
      // A new view updates its video's anchor too, when it has neighbours to publish.
      if (
        event.watchedMs >= options.params.minWatchMs &&
        expectedNeighbours(event.videoId, sofar, options.params) !== undefined
      ) {
        touched.add(event.videoId);
      }
      const at = `after event ${i} (${event.userId} ${event.videoId})`;
      assert.deepEqual([...published.keys()].sort(), [...touched].sort(), `${at}: anchors`);
      for (const [anchor, value] of published) {
        const expected = expectedNeighbours(anchor, sofar, options.params);
        assert.ok(expected !== undefined, `${at}: ${anchor}`);
        assertNeighbours(value, expected, `${at}, anchor ${anchor}`);
        checked++;
      }
    }
  } finally {
    await driver.close();
  }
  return checked;
}

const defaults: Params = {
  windowMs: hour,
  latenessMs: hour,
  recentSize: 10,
  minWatchMs: 3_000,
  halfLifeMs: 7 * 24 * hour,
  candidates: 100,
  topK: 20,
  minCount: 1,
};

test('describe() shows the DAG (snapshot): by user, then by video, by pair, then by anchor', () => {
  const pipeline = new Pipeline();
  coVisitation(pipeline);
  assert.equal(
    pipeline.describe('features'),
    [
      'Sub-topology 0',
      '  Source: co-visitation-watch-ends (topics: [events.watch-ends]; key: string, value: avro(reelstream.events.WatchEnd))',
      '    --> co-visitation-visits',
      '  Processor: co-visitation-visits (filter)',
      '    --> co-visitation-recent',
      '    <-- co-visitation-watch-ends',
      '  Processor: co-visitation-recent (aggregate; stores: [co-visitation-recent])',
      '    --> co-visitation-to-videos',
      '    <-- co-visitation-visits',
      '  Processor: co-visitation-to-videos (flatMap)',
      '    --> co-visitation-by-video-repartition-sink',
      '    <-- co-visitation-recent',
      '  Sink: co-visitation-by-video-repartition-sink (topic: features-co-visitation-by-video-repartition; key: string, value: json)',
      '    <-- co-visitation-to-videos',
      'Sub-topology 1',
      '  Source: co-visitation-by-video-repartition-source (topics: [features-co-visitation-by-video-repartition]; key: string, value: json)',
      '    --> co-visitation-views',
      '  Processor: co-visitation-views (aggregate; stores: [co-visitation-views])',
      '    --> co-visitation-viewed, co-visitation-to-pairs',
      '    <-- co-visitation-by-video-repartition-source',
      '  Processor: co-visitation-viewed (filter)',
      '    --> co-visitation-views-records',
      '    <-- co-visitation-views',
      '  Processor: co-visitation-views-records (mapValues)',
      '    --> co-visitation-views-out',
      '    <-- co-visitation-viewed',
      '  Sink: co-visitation-views-out (topic: features.co-visitation-views; key: string, value: avro(reelstream.features.VideoViews))',
      '    <-- co-visitation-views-records',
      '  Processor: co-visitation-to-pairs (flatMap)',
      '    --> co-visitation-by-pair-repartition-sink',
      '    <-- co-visitation-views',
      '  Sink: co-visitation-by-pair-repartition-sink (topic: features-co-visitation-by-pair-repartition; key: string, value: json)',
      '    <-- co-visitation-to-pairs',
      'Sub-topology 2',
      '  Source: co-visitation-by-pair-repartition-source (topics: [features-co-visitation-by-pair-repartition]; key: string, value: json)',
      '    --> co-visitation-pairs',
      '  Processor: co-visitation-pairs (aggregate; stores: [co-visitation-pairs])',
      '    --> co-visitation-to-anchors',
      '    <-- co-visitation-by-pair-repartition-source',
      '  Processor: co-visitation-to-anchors (flatMap)',
      '    --> co-visitation-by-anchor-repartition-combine',
      '    <-- co-visitation-pairs',
      '  Processor: co-visitation-by-anchor-repartition-combine (combine)',
      '    --> co-visitation-by-anchor-repartition-sink',
      '    <-- co-visitation-to-anchors',
      '  Sink: co-visitation-by-anchor-repartition-sink (topic: features-co-visitation-by-anchor-repartition; key: string, value: json)',
      '    <-- co-visitation-by-anchor-repartition-combine',
      'Sub-topology 3',
      '  Source: co-visitation-by-anchor-repartition-source (topics: [features-co-visitation-by-anchor-repartition]; key: string, value: json)',
      '    --> co-visitation',
      '  Processor: co-visitation (aggregate; stores: [co-visitation])',
      '    --> co-visitation-has-candidates',
      '    <-- co-visitation-by-anchor-repartition-source',
      '  Processor: co-visitation-has-candidates (filter)',
      '    --> co-visitation-neighbours',
      '    <-- co-visitation',
      '  Processor: co-visitation-neighbours (mapValues)',
      '    --> co-visitation-out',
      '    <-- co-visitation-has-candidates',
      '  Sink: co-visitation-out (topic: features.co-visitation; key: string, value: avro(reelstream.features.CoVisitation))',
      '    <-- co-visitation-neighbours',
      'Internal topics',
      '  features-co-visitation-by-video-repartition (partitions: as upstream)',
      '  features-co-visitation-by-pair-repartition (partitions: as upstream)',
      '  features-co-visitation-by-anchor-repartition (partitions: as upstream)',
    ].join('\n'),
  );
});

test('golden: neighbours equal the batch computation, with late and out-of-order watches', async () => {
  const params: Params = { ...defaults, halfLifeMs: 2 * hour };
  const events: WatchEnd[] = [
    watch('u1', 'v1', { time: t0 }),
    watch('u1', 'v2', { time: t0 + 10 * minute }),
    watch('u2', 'v1', { time: t0 + 5 * minute }),
    watch('u2', 'v2', { time: t0 + 20 * minute }),
    watch('u2', 'v3', { time: t0 + 30 * minute }),
    // Out of order: before u1's other watches; pairs with both (at their times).
    watch('u1', 'v3', { time: t0 - 20 * minute }),
    watch('u3', 'v2', { time: t0 }),
    watch('u3', 'v4', { time: t0 + 2 * hour }), // too far from v2: no co-visit
    // Late (within the lateness): co-visits v2 and v4, an hour either side (inclusive).
    watch('u3', 'v1', { time: t0 + 60 * minute }),
    watch('u1', 'v4', { time: t0 + 50 * minute, watchedMs: 1_000 }), // a swipe: not a visit
    // A re-watch: v1 again with v2 and v3 (60 minutes apart: the window is inclusive).
    watch('u1', 'v1', { time: t0 + 40 * minute }),
    watch('u2', 'v5', { time: t0 + 5 * hour }), // u2's earlier watches leave the recent list
    // Later than the lateness: u2's list no longer has v3 (30 min away), so no co-visit.
    watch('u2', 'v6', { time: t0 + 1 * hour }),
    watch('u3', 'v5', { time: t0 + 130 * minute }),
    watch('u1', 'v5', { time: t0 + 45 * minute }),
    watch('u4', 'v5', { time: t0 + 6 * hour }),
    watch('u4', 'v1', { time: t0 + 6 * hour + minute }),
  ];
  const checked = await expectGolden(events, { pipeline: params, params });
  assert.ok(checked >= 20, `checked ${checked}`);
});

test('golden: bounded recent watches, top-K and the minimum count', async () => {
  const params: Params = {
    ...defaults,
    halfLifeMs: hour,
    recentSize: 2,
    topK: 2,
    minCount: 2,
  };
  const events: WatchEnd[] = [
    watch('u1', 'v1', { time: t0 }),
    watch('u1', 'v2', { time: t0 + minute }),
    watch('u1', 'v3', { time: t0 + 2 * minute }),
    watch('u1', 'v4', { time: t0 + 3 * minute }), // v1 has left u1's 2 most recent: no pair
    watch('u2', 'v1', { time: t0 + 10 * minute }),
    watch('u2', 'v2', { time: t0 + 11 * minute }),
    watch('u3', 'v1', { time: t0 + 20 * minute }),
    watch('u3', 'v3', { time: t0 + 21 * minute }),
    watch('u4', 'v1', { time: t0 + 30 * minute }),
    watch('u4', 'v2', { time: t0 + 31 * minute }),
    watch('u5', 'v3', { time: t0 + 40 * minute }),
    watch('u5', 'v1', { time: t0 + 41 * minute }),
    watch('u6', 'v2', { time: t0 + 50 * minute }),
    watch('u6', 'v3', { time: t0 + 51 * minute }),
  ];
  const checked = await expectGolden(events, { pipeline: params, params });
  assert.ok(checked >= 10, `checked ${checked}`);
});

test('golden: bounded candidates: the weakest by decayed co-visits makes room', async () => {
  const params: Params = { ...defaults, halfLifeMs: hour, candidates: 3, topK: 10 };
  const pairs: [string, string, string, number][] = [
    ['u1', 'v1', 'v2', 0],
    ['u2', 'v1', 'v2', 2],
    ['u3', 'v1', 'v3', 4],
    ['u4', 'v3', 'v1', 6],
    ['u5', 'v1', 'v5', 10],
    // v1's fourth neighbour: v5's single, older co-visit is the weakest and goes.
    ['u6', 'v6', 'v1', 20],
  ];
  const events = pairs.flatMap(([user, first, second, at]) => [
    watch(user, first, { time: t0 + at * minute }),
    watch(user, second, { time: t0 + (at + 1) * minute }),
  ]);
  const checked = await expectGolden(events, { pipeline: params, params });
  assert.ok(checked >= 10, `checked ${checked}`);
});

/** The last record published per anchor after piping `events` in order: the final table. */
async function finalTable(
  events: readonly WatchEnd[],
  options: CoVisitationOptions,
): Promise<Map<string, CoVisitation>> {
  const pipeline = new Pipeline();
  coVisitation(pipeline, options);
  const driver = await TestDriver.start(pipeline, { partitions: 3 });
  try {
    const input = driver.input(topics.watchEnds, serdes.watchEnds);
    for (const event of events) {
      await input.pipe(event.userId, event, { timestamp: event.eventTime });
    }
    const records = await driver.output(topics.output, serdes.output).readRecords();
    return new Map(
      records.map((r) => [r.key, JSON.parse(JSON.stringify(r.value)) as CoVisitation]),
    );
  } finally {
    await driver.close();
  }
}

test("the final neighbours do not depend on how users' watches interleave (views, evictions)", async () => {
  // Kafka keeps each user's watches in order (one partition), but the steps keyed by video,
  // pair and anchor read what several tasks wrote, interleaved as the tasks happened to run.
  // Two interleavings of the same watches, each user's in order, must give the same table,
  // equal to the batch computation, with candidates evicted along the way (bound 3) and
  // neighbours viewed by other users after their co-visits.
  const params: Params = { ...defaults, halfLifeMs: 2 * hour, candidates: 3, topK: 2 };
  let seed = 19;
  const next = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const perUser = users.map((user) => {
    let time = t0 + next(60) * minute;
    return Array.from({ length: 10 }, () => {
      time += (1 + next(25)) * minute;
      return watch(user, `v${1 + next(7)}`, { time });
    });
  });
  const byUser = perUser.flat();
  const roundRobin: WatchEnd[] = [];
  for (let i = 0; i < 10; i++) {
    for (const watches of [...perUser].reverse()) {
      const w = watches[i];
      if (w !== undefined) {
        roundRobin.push(w);
      }
    }
  }
  const first = await finalTable(byUser, params);
  const second = await finalTable(roundRobin, params);
  assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
  assert.ok(first.size >= 5, `anchors: ${first.size}`);
  let evicted = 0;
  for (const [anchor, published] of first) {
    const other = second.get(anchor);
    assert.ok(other !== undefined, anchor);
    // The two runs alike, first: what the test is about.
    assertNeighbours(other, published, `round robin against one after another, anchor ${anchor}`);
    const expected = expectedNeighbours(anchor, byUser, params);
    assert.ok(expected !== undefined, anchor);
    assertNeighbours(published, expected, `users one after another, anchor ${anchor}`);
    assertNeighbours(other, expected, `users round robin, anchor ${anchor}`);
    const { pairs } = coVisits(byUser, params);
    evicted +=
      new Set(pairs.filter((p) => p.anchor === anchor).map((p) => p.neighbour)).size > 3 ? 1 : 0;
  }
  assert.ok(evicted >= 2, `anchors with more neighbours than candidates: ${evicted}`);
});

test('one job can run it beside watch sessions and user features on one watch-ends source', async () => {
  const pipeline = new Pipeline();
  const watchEnds = pipeline.source(topics.watchEnds, serdes.watchEnds, { name: 'watch-ends' });
  coVisitationStream(pipeline, watchEnds).to(topics.output, serdes.output, {
    name: 'co-visitation-out',
  });
  const catalog = pipeline.globalTable(userFeaturesTopics.catalog, userFeaturesSerdes.catalog, {
    name: 'catalog',
  });
  userFeaturesStream({
    watchSessions: watchSessions(pipeline, { inputs: { watchEnds, catalog } }),
    engagements: pipeline.source(userFeaturesTopics.engagements, userFeaturesSerdes.engagements),
    catalog,
  }).to(userFeaturesTopics.output, userFeaturesSerdes.output);
  const driver = await TestDriver.start(pipeline, { partitions: 2 });
  try {
    const input = driver.input(topics.watchEnds, serdes.watchEnds);
    await input.pipe('u1', watch('u1', 'v1', { time: t0 }));
    await input.pipe('u1', watch('u1', 'v2', { time: t0 + minute }));
    const neighbours = await driver.output(topics.output, serdes.output).readValues();
    assert.deepEqual(neighbours.map((n) => n.videoId).sort(), ['v1', 'v2']);
    const users = await driver
      .output(userFeaturesTopics.output, userFeaturesSerdes.output)
      .readValues();
    assert.deepEqual(
      users.map((u) => u.lastWatched.map((w) => w.videoId)),
      [['v1'], ['v2', 'v1']],
    );
  } finally {
    await driver.close();
  }
});
