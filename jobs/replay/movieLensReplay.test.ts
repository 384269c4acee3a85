import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultMovieLensDir, loadMovieLens, movieLensAvailable } from './movieLensLoader.js';
import { runReplay } from './movieLensReplay.js';
import type { MovieLensData } from './movieLensTypes.js';
import { ReplayPacer, parseSpeed } from './replayPacer.js';
import { planReplay } from './replayPlan.js';
import { silentProgress, type ReplayProgressState } from './replayProgress.js';
import { CountingSink } from './replaySink.js';

const skipShared = (await movieLensAvailable())
  ? false
  : `MovieLens-100K not found in ${defaultMovieLensDir}`;

const data: MovieLensData = {
  ratings: [
    { userId: 1, movieId: 1, rating: 5, timestamp: 1_000 },
    { userId: 1, movieId: 2, rating: 1, timestamp: 4_600 },
    { userId: 2, movieId: 1, rating: 3, timestamp: 8_200 },
  ],
  movies: new Map(
    [1, 2].map((movieId) => [movieId, { movieId, title: '', releaseTime: 0, genres: [] }]),
  ),
  users: new Map(),
  genres: ['unknown'],
};

test('--speed parses a positive factor or max', () => {
  assert.equal(parseSpeed('max'), 'max');
  assert.equal(parseSpeed('MAX'), 'max');
  assert.equal(parseSpeed('60'), 60);
  assert.equal(parseSpeed('0.5'), 0.5);
  assert.equal(parseSpeed('0'), undefined);
  assert.equal(parseSpeed('-3'), undefined);
  assert.equal(parseSpeed('fast'), undefined);
});

test('the pacer compresses event time by the speed factor', () => {
  let now = 500;
  const pacer = new ReplayPacer({ speed: 3600, now: () => now });
  assert.equal(pacer.delayFor(1_000_000), 0);
  assert.equal(pacer.delayFor(1_000_000 + 3_600_000), 1_000);
  now += 400;
  assert.equal(pacer.delayFor(1_000_000 + 3_600_000), 600);
  now += 5_000;
  assert.equal(pacer.delayFor(1_000_000 + 7_200_000), 0);
  assert.equal(new ReplayPacer({ speed: 'max', now: () => 0 }).delayFor(1e15), 0);
});

test('a paced replay waits the compressed gaps and counts what it wrote', async () => {
  let now = 0;
  const waits: number[] = [];
  const states: ReplayProgressState[] = [];
  const sink = new CountingSink();
  const summary = await runReplay({
    plan: planReplay(data, { mode: 'original', nowMs: 0 }),
    sink,
    speed: 3_600,
    progress: { update: (s) => states.push(s), stop: () => undefined },
    now: () => now,
    wait: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
  });
  // 7,200 s of data (plus the last rating's ~1 min of events) at 3,600× is a bit over 2 s.
  const waited = waits.reduce((a, b) => a + b, 0);
  assert.ok(waited >= 2_000 && waited < 2_100, `waited ${waited} ms`);
  assert.equal(summary.ratings, 3);
  assert.equal(summary.records, sink.sent);
  assert.equal(sink.counts.get('videoUpload'), 2);
  assert.equal(sink.counts.get('impression'), 3);
  assert.equal(sink.counts.get('engagement'), 2);
  assert.equal(summary.firstEventTimeMs, 1_000_000);
  assert.equal(summary.lastEventTimeMs, 8_200_000);
  const last = states[states.length - 1];
  assert.equal(last?.ratings, 3);
  assert.equal(last.events, summary.records);
});

test('the whole shared data set maps at full speed', { skip: skipShared }, async () => {
  const movieLens = await loadMovieLens(defaultMovieLensDir);
  const sink = new CountingSink();
  const summary = await runReplay({
    plan: planReplay(movieLens, { mode: 'shifted', nowMs: Date.now() }),
    sink,
    speed: 'max',
    progress: silentProgress,
  });
  assert.equal(summary.ratings, 96_340);
  assert.equal(sink.counts.get('impression'), 96_340);
  assert.equal(sink.counts.get('watchEnd'), 96_340);
  assert.equal(sink.counts.get('videoUpload'), 1_682);
  // Likes (5 stars) and dislikes (1–2 stars) of the held-back copy.
  const engagements = movieLens.ratings.filter((r) => r.rating === 5 || r.rating <= 2).length;
  assert.equal(sink.counts.get('engagement'), engagements);
  assert.ok((summary.lastEventTimeMs ?? Infinity) < Date.now() - 3_600_000);
});
