import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ratingEvents, replayModelVersion } from './ratingEvents.js';

const t = 881_250_949;

test('a 5-star rating: impression, click, heartbeats, completed watch end, like', () => {
  const events = ratingEvents({
    rating: { userId: 196, movieId: 242, rating: 5, timestamp: t },
    position: 2,
    durationMs: 25_000,
    offsetMs: 1_000,
  });
  const at = t * 1000 + 1_000;
  const requestId = `ml-r196-${t}`;
  const ids = { userId: 'ml-u196', videoId: 'ml-m242' };
  const session = { ...ids, sessionId: 'ml-s196-242' };
  assert.deepEqual(events, [
    {
      kind: 'impression',
      value: {
        requestId,
        ...ids,
        position: 2,
        surface: 'HOME_FEED',
        modelVersion: replayModelVersion,
        eventTime: at,
        predictedClick: null,
        explored: false,
      },
    },
    {
      kind: 'click',
      value: { requestId, ...ids, position: 2, surface: 'HOME_FEED', eventTime: at + 1_000 },
    },
    { kind: 'watchHeartbeat', value: { ...session, watchedMs: 10_000, eventTime: at + 11_000 } },
    { kind: 'watchHeartbeat', value: { ...session, watchedMs: 20_000, eventTime: at + 21_000 } },
    {
      kind: 'watchEnd',
      value: {
        ...session,
        watchedMs: 25_000,
        videoDurationMs: 25_000,
        reason: 'COMPLETED',
        requestId,
        eventTime: at + 26_000,
      },
    },
    {
      kind: 'engagement',
      value: {
        ...ids,
        creatorId: 'ml-c242',
        type: 'LIKE',
        requestId,
        eventTime: at + 27_000,
      },
    },
  ]);
});

test('watch ratio follows the stars; 1-2 stars add a dislike, 3-4 stars nothing', () => {
  const summary = [1, 2, 3, 4].map((stars) => {
    const events = ratingEvents({
      rating: { userId: 1, movieId: 1, rating: stars, timestamp: t },
      position: 0,
      durationMs: 100_000,
      offsetMs: 0,
    });
    const end = events.find((e) => e.kind === 'watchEnd');
    return {
      watchedMs: end?.kind === 'watchEnd' ? end.value.watchedMs : -1,
      reason: end?.kind === 'watchEnd' ? end.value.reason : undefined,
      heartbeats: events.filter((e) => e.kind === 'watchHeartbeat').length,
      engagement: events.flatMap((e) => (e.kind === 'engagement' ? [e.value.type] : [])),
    };
  });
  assert.deepEqual(summary, [
    { watchedMs: 10_000, reason: 'SWIPED_AWAY', heartbeats: 1, engagement: ['DISLIKE'] },
    { watchedMs: 25_000, reason: 'SWIPED_AWAY', heartbeats: 2, engagement: ['DISLIKE'] },
    { watchedMs: 50_000, reason: 'SWIPED_AWAY', heartbeats: 5, engagement: [] },
    { watchedMs: 80_000, reason: 'SWIPED_AWAY', heartbeats: 8, engagement: [] },
  ]);
});

test("a rating's events are in event-time order, all at or after the rating", () => {
  for (let stars = 1; stars <= 5; stars++) {
    const times = ratingEvents({
      rating: { userId: 3, movieId: 7, rating: stars, timestamp: t },
      position: 0,
      durationMs: 37_000,
      offsetMs: 0,
    }).map((e) => e.value.eventTime);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.equal(times[0], t * 1000);
  }
});
