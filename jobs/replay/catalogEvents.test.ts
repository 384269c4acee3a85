import assert from 'node:assert/strict';
import { test } from 'node:test';

import { genreSlug, movieToVideoUpload, syntheticDurationMs } from './catalogEvents.js';

test('genre names become category slugs', () => {
  assert.deepEqual(["Children's", 'Sci-Fi', 'Film-Noir', 'Action', 'unknown'].map(genreSlug), [
    'childrens',
    'sci-fi',
    'film-noir',
    'action',
    'unknown',
  ]);
});

test('a movie becomes a catalogue record: first known genre, all genres as tags', () => {
  const catalogTimeMs = Date.UTC(2026, 4, 7);
  const offsetMs = 10_000 * 86_400_000;
  const upload = movieToVideoUpload(
    {
      movieId: 2,
      title: 'GoldenEye (1995)',
      releaseTime: Date.UTC(1995, 0, 1),
      genres: ['unknown', 'Action', 'Adventure'],
    },
    { catalogTimeMs, offsetMs },
  );
  assert.deepEqual(upload, {
    videoId: 'ml-m2',
    creatorId: 'ml-c2',
    durationMs: syntheticDurationMs(2),
    category: 'action',
    tags: ['unknown', 'action', 'adventure'],
    region: 'us',
    uploadTime: Date.UTC(1995, 0, 1) + offsetMs,
    eventTime: catalogTimeMs,
  });
});

test('upload time is never after the catalogue time; unknown release date or genre', () => {
  const time = { catalogTimeMs: Date.UTC(1997, 8, 20), offsetMs: 0 };
  const late = movieToVideoUpload(
    { movieId: 5, title: 'x', releaseTime: Date.UTC(1998, 9, 23), genres: ['Drama'] },
    time,
  );
  assert.equal(late.uploadTime, time.catalogTimeMs);
  const unknown = movieToVideoUpload(
    { movieId: 267, title: 'unknown', releaseTime: undefined, genres: ['unknown'] },
    time,
  );
  assert.equal(unknown.uploadTime, time.catalogTimeMs);
  assert.equal(unknown.category, 'unknown');
  const none = movieToVideoUpload({ movieId: 6, title: 'y', releaseTime: 0, genres: [] }, time);
  assert.equal(none.category, 'unknown');
  assert.deepEqual(none.tags, []);
});

test('synthetic durations: whole seconds in 20..120 s, fixed per movie, spread out', () => {
  const durations = Array.from({ length: 1682 }, (_, i) => syntheticDurationMs(i + 1));
  assert.ok(durations.every((d) => d >= 20_000 && d <= 120_000 && d % 1000 === 0));
  assert.equal(syntheticDurationMs(242), syntheticDurationMs(242));
  assert.ok(new Set(durations).size > 90);
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  assert.ok(mean > 60_000 && mean < 80_000, `mean ${mean}`);
});
