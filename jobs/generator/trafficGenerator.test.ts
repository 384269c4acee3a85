import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { WatchEnd } from '../../schemas/generated/watchEnd.js';
import type { WatchHeartbeat } from '../../schemas/generated/watchHeartbeat.js';
import type { EventKind, EventValues, GeneratedEvent } from './generatedEvent.js';
import { TrafficGenerator, take, until } from './trafficGenerator.js';

const noon = Date.UTC(2024, 4, 1, 12);
const hour = 3_600_000;

function generator(overrides: Partial<ConstructorParameters<typeof TrafficGenerator>[0]> = {}) {
  return new TrafficGenerator({ seed: 7, rate: 500, scale: 0.002, startTime: noon, ...overrides });
}

/** One shared hour of traffic for the statistical tests (about 1.8 million events). */
const shared = (() => {
  const traffic = generator();
  const events = [...until(traffic.events(), noon + hour)];
  return { traffic, events };
})();

/** The values of one kind of event (the kind check makes the cast sound). */
function ofKind<TKind extends EventKind>(
  events: readonly GeneratedEvent[],
  kind: TKind,
): EventValues[TKind][] {
  return events.filter((e) => e.kind === kind).map((e) => e.value as EventValues[TKind]);
}

describe('TrafficGenerator', () => {
  test('is deterministic under a seed, and the seed matters', () => {
    const first = JSON.stringify([...take(generator().events(), 20_000)]);
    const again = JSON.stringify([...take(generator().events(), 20_000)]);
    const other = JSON.stringify([...take(generator({ seed: 8 }).events(), 20_000)]);
    assert.equal(first, again);
    assert.notEqual(first, other);
    assert.deepEqual(
      [...take(generator().catalogSnapshot(), 50)],
      [...take(generator().catalogSnapshot(), 50)],
    );
  });

  test('emits events in event-time order, from the start time on', () => {
    let previous = noon;
    for (const event of shared.events) {
      assert.ok(event.value.eventTime >= previous, 'event time went backwards');
      previous = event.value.eventTime;
    }
    const kinds = new Set(shared.events.map((e) => e.kind));
    assert.deepEqual([...kinds].sort(), [
      'clicks',
      'engagements',
      'impressions',
      'videoCatalog',
      'watchEnds',
      'watchHeartbeats',
    ]);
  });

  test('produces the requested rate (diurnal cycle off)', () => {
    const traffic = generator({ rate: 400, model: { diurnalAmplitude: 0 } });
    const minutes = 20;
    const count = [...until(traffic.events(), noon + minutes * 60_000)].length;
    const perSecond = count / (minutes * 60);
    assert.ok(Math.abs(perSecond - 400) / 400 < 0.1, `${perSecond.toFixed(0)} events/s`);
  });

  test('follows a diurnal cycle: the peak hour is much busier than the trough', () => {
    const traffic = generator({ rate: 5, startTime: Date.UTC(2024, 4, 1) });
    const perHour = new Array<number>(24).fill(0);
    for (const event of until(traffic.events(), Date.UTC(2024, 4, 2))) {
      const h = new Date(event.value.eventTime).getUTCHours();
      perHour[h] = (perHour[h] ?? 0) + 1;
    }
    const peak = perHour[20] ?? 0; // diurnalPeakHourUtc
    const trough = perHour[8] ?? 0;
    assert.ok(peak > 2 * trough, `peak hour ${peak} events, trough hour ${trough}`);
  });

  test('shows position bias: CTR falls with the position in the list', () => {
    const shown = new Array<number>(10).fill(0);
    const clicked = new Array<number>(10).fill(0);
    for (const impression of ofKind(shared.events, 'impressions')) {
      shown[impression.position] = (shown[impression.position] ?? 0) + 1;
    }
    for (const click of ofKind(shared.events, 'clicks')) {
      clicked[click.position] = (clicked[click.position] ?? 0) + 1;
    }
    const ctr = shown.map((n, i) => (clicked[i] ?? 0) / n);
    for (let i = 1; i < ctr.length; i++) {
      assert.ok(
        (ctr[i] ?? 0) < (ctr[i - 1] ?? 0),
        `CTR by position ${ctr.map((c) => c.toFixed(3)).join(' ')}`,
      );
    }
    assert.ok((ctr[0] ?? 0) > 3 * (ctr[9] ?? 1));
  });

  test('watch ratio rises with user–video affinity', () => {
    const buckets = [0, 0.3, 0.5, 0.7, 1.01].map(() => ({ sum: 0, n: 0 }));
    const bounds = [0.3, 0.5, 0.7, 1.01];
    for (const end of ofKind(shared.events, 'watchEnds')) {
      const a = shared.traffic.affinityOf(end.userId, end.videoId);
      assert.ok(a !== undefined);
      const bucket = buckets[bounds.findIndex((b) => a < b)];
      assert.ok(bucket !== undefined);
      bucket.sum += Math.min(end.watchedMs / end.videoDurationMs, 1);
      bucket.n++;
    }
    const means = buckets.slice(0, 4).map((b) => b.sum / b.n);
    for (let i = 1; i < means.length; i++) {
      assert.ok((means[i] ?? 0) > (means[i - 1] ?? 0), `mean ratios ${means.join(' ')}`);
    }
    assert.ok((means[3] ?? 0) - (means[0] ?? 0) > 0.25, `mean ratios ${means.join(' ')}`);
  });

  test('engagements follow affinity: likes from liked videos, dislikes from disliked ones', () => {
    let likeAffinity = 0;
    let likes = 0;
    let dislikeAffinity = 0;
    let dislikes = 0;
    for (const engagement of ofKind(shared.events, 'engagements')) {
      const a = shared.traffic.affinityOf(engagement.userId, engagement.videoId) ?? 0;
      assert.equal(engagement.creatorId, shared.traffic.video(engagement.videoId)?.creatorId);
      if (engagement.type === 'LIKE') {
        likeAffinity += a;
        likes++;
      } else if (engagement.type === 'DISLIKE' || engagement.type === 'DISMISS') {
        dislikeAffinity += a;
        dislikes++;
      }
    }
    assert.ok(likes > 100 && dislikes > 100, `${likes} likes, ${dislikes} dislikes/dismisses`);
    assert.ok(likeAffinity / likes > dislikeAffinity / dislikes + 0.2);
  });

  test('sends a heartbeat every 10 s of playback and a consistent watch end', () => {
    const beats = new Map<string, WatchHeartbeat[]>();
    for (const heartbeat of ofKind(shared.events, 'watchHeartbeats')) {
      const list = beats.get(heartbeat.sessionId) ?? [];
      list.push(heartbeat);
      beats.set(heartbeat.sessionId, list);
    }
    const ends = new Map<string, WatchEnd>(
      ofKind(shared.events, 'watchEnds').map((end) => [end.sessionId, end]),
    );
    let checked = 0;
    for (const [sessionId, list] of beats) {
      const first = list[0];
      assert.ok(first !== undefined);
      // Playbacks that started during the warm-up before the start time begin mid-way.
      const playbackStart = first.eventTime - first.watchedMs;
      list.forEach((heartbeat, i) => {
        assert.equal(heartbeat.watchedMs, first.watchedMs + i * 10_000);
        assert.equal(heartbeat.eventTime, playbackStart + heartbeat.watchedMs);
        assert.equal(heartbeat.userId, first.userId);
        assert.equal(heartbeat.videoId, first.videoId);
      });
      const end = ends.get(sessionId);
      const last = list[list.length - 1];
      // Sessions cut by the end of the hour have no watch end yet.
      if (end === undefined || last === undefined) {
        continue;
      }
      assert.equal(first.watchedMs / 10_000 + list.length, Math.ceil(end.watchedMs / 10_000));
      assert.ok(end.watchedMs > last.watchedMs && end.watchedMs <= last.watchedMs + 10_000);
      assert.equal(end.eventTime, playbackStart + end.watchedMs);
      assert.equal(end.videoId, first.videoId);
      assert.equal(end.reason === 'COMPLETED', end.watchedMs >= end.videoDurationMs);
      checked++;
    }
    assert.ok(checked > 1_000);
    for (const [sessionId, end] of ends) {
      if (end.eventTime - end.watchedMs >= noon) {
        assert.ok(beats.has(sessionId), `watch end of ${sessionId} without heartbeats`);
      }
    }
    // About 2 % of playbacks lose their watch end (lostWatchEndProbability).
    const lost = 1 - ends.size / beats.size;
    assert.ok(lost > 0.005 && lost < 0.06, `lost ${lost}`);
  });

  test('uploads arrive at 100k per hour times the scale', () => {
    const uploadsPerHour = (scale: number): number => {
      const traffic = generator({ scale, rate: 20, population: shared.traffic.population });
      return ofKind([...until(traffic.events(), noon + 2 * hour)], 'videoCatalog').length / 2;
    };
    const small = uploadsPerHour(0.002); // 200 per hour expected
    const large = uploadsPerHour(0.02); // 2,000 per hour expected
    assert.ok(Math.abs(small - 200) < 45, `${small} uploads/hour at scale 0.002`);
    assert.ok(Math.abs(large - 2_000) < 150, `${large} uploads/hour at scale 0.02`);
  });

  test('new uploads are catalogue records with realistic durations, and get shown', () => {
    const uploads = ofKind(shared.events, 'videoCatalog');
    assert.ok(uploads.length > 100);
    for (const upload of uploads) {
      assert.equal(upload.uploadTime, upload.eventTime);
      assert.ok(shared.traffic.population.categories.includes(upload.category));
    }
    const uploaded = new Set(uploads.map((u) => u.videoId));
    const shownFresh = ofKind(shared.events, 'impressions').filter((i) => uploaded.has(i.videoId));
    assert.ok(shownFresh.length > 100, `${shownFresh.length} impressions of new uploads`);
    const seconds = shared.traffic.population.videos
      .map((v) => v.durationMs / 1000)
      .sort((a, b) => a - b);
    const share = seconds.filter((s) => s >= 10 && s <= 60).length / seconds.length;
    assert.ok(share > 0.7, `${share} of videos last 10-60 s`);
    assert.ok((seconds[seconds.length - 1] ?? 0) > 300, 'a long tail of several minutes');
  });
});
