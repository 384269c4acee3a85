import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { seededRandom } from '../../operators/index.js';
import {
  defaultReferenceParams,
  userFeaturesBatch,
  userFeaturesDifferences,
  type ReferenceEngagement,
  type ReferenceVideo,
  type ReferenceWatch,
} from '../../pipelines/reference/userFeaturesBatch.js';
import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import {
  defaultMovieLensDir,
  loadMovieLens,
  movieLensAvailable,
} from '../replay/movieLensLoader.js';
import { movieLensIds } from '../replay/movieLensIds.js';
import type { ReplayEvent } from '../replay/replayEvent.js';
import { sortRatings } from '../replay/ratingOrder.js';
import { examplesFromArrowFile } from './arrowExamples.js';
import { exportMovieLensExamples, movieLensRatingOf } from './exportExamples.js';
import { readWithPyarrow } from './pyarrowRead.js';

// Point checks on the MovieLens replay: the first 4,000 ratings (five days of the data set,
// about 12 s on one core) through the training-examples job on the TestDriver; 20 random examples
// (seeded) have the features of the batch computation over the user's events strictly before
// the example's time, in the stream and in the Arrow files; no example of any user has a
// feature from an event at or after its time; every rating comes out once with its stars.

const ratingsReplayed = 4_000;
const points = 20;
const seed = 19;

/** The replayed events, each user's, as the batch computation wants them. */
class EventsSoFar {
  readonly catalogue = new Map<string, ReferenceVideo>();
  readonly watches = new Map<string, ReferenceWatch[]>();
  readonly engagements = new Map<string, ReferenceEngagement[]>();
  private arrival = 0;

  add(event: ReplayEvent): void {
    const arrival = this.arrival++;
    if (event.kind === 'videoUpload') {
      const { videoId, category, creatorId, durationMs } = event.value;
      this.catalogue.set(videoId, { category, creatorId, durationMs });
    } else if (event.kind === 'watchEnd' && event.value.watchedMs > 0) {
      const v = event.value;
      push(this.watches, v.userId, {
        videoId: v.videoId,
        watchedMs: v.watchedMs,
        playerDurationMs: v.videoDurationMs,
        time: v.eventTime,
        arrival,
      });
    } else if (event.kind === 'engagement') {
      const v = event.value;
      push(this.engagements, v.userId, {
        videoId: v.videoId,
        creatorId: v.creatorId,
        type: v.type,
        time: v.eventTime,
        arrival,
      });
    }
  }

  /** The batch features of the user over the events strictly before `time`. */
  before(userId: string, time: number, creators: number) {
    return userFeaturesBatch(userId, {
      watches: (this.watches.get(userId) ?? []).filter((w) => w.time < time),
      engagements: (this.engagements.get(userId) ?? []).filter((e) => e.time < time),
      catalogue: (videoId) => this.catalogue.get(videoId),
      params: { ...defaultReferenceParams, creators },
    });
  }
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [item]);
  } else {
    list.push(item);
  }
}

const exampleKey = (e: TrainingExample): string => `${e.userId} ${e.requestId} ${e.videoId}`;

test('MovieLens export: 20 random examples equal the batch computation over the events strictly before them, in the stream and in the Arrow files; no leakage; pyarrow reads the files', async (t) => {
  if (!(await movieLensAvailable(defaultMovieLensDir))) {
    t.skip(`MovieLens-100K is not in ${defaultMovieLensDir}; the replay point checks did not run`);
    return;
  }
  const data = await loadMovieLens(defaultMovieLensDir);
  const sorted = sortRatings(data.ratings);
  const untilMs = (sorted[ratingsReplayed] as (typeof sorted)[number]).timestamp * 1000;
  const replayed = sorted.filter((r) => r.timestamp * 1000 < untilMs);
  // One creator per movie: raise the bound so that every creator is kept on both sides and
  // the values compare exactly (as `check-replay` does; eviction has its own golden test).
  const creatorLimit = data.movies.size;
  const events = new EventsSoFar();
  const streamed: TrainingExample[] = [];
  const outDir = mkdtempSync(join(tmpdir(), 'movielens-examples-'));
  try {
    const summary = await exportMovieLensExamples({
      data,
      outDir,
      untilMs,
      userFeatures: { creatorLimit },
      onEvent: (event) => events.add(event),
      onExamples: (examples) => streamed.push(...examples),
    });

    // Every rating once, with its stars.
    assert.equal(summary.ratings, replayed.length);
    assert.equal(streamed.length, replayed.length);
    const stars = new Map(
      replayed.map((r) => [
        `${movieLensIds.user(r.userId)} ${movieLensIds.request(r.userId, r.timestamp)} ${movieLensIds.video(r.movieId)}`,
        r,
      ]),
    );
    for (const example of streamed) {
      const rating = stars.get(exampleKey(example));
      assert.ok(rating !== undefined, `an example of no rating: ${exampleKey(example)}`);
      assert.equal(example.exampleTime, rating.timestamp * 1000);
      assert.equal(example.rating, rating.rating);
      assert.equal(example.positive, rating.rating >= 4);
      assert.equal(example.disliked, rating.rating <= 2);
    }
    assert.equal(new Set(streamed.map(exampleKey)).size, streamed.length, 'no rating twice');

    // No leakage, in every example: each feature's time is before the example's.
    let withFeatures = 0;
    for (const example of streamed) {
      const f = example.features;
      if (f === null) {
        continue;
      }
      withFeatures++;
      const times = [
        f.updatedTime,
        ...f.lastWatched.map((w) => w.eventTime),
        ...f.recentNegatives.map((n) => n.eventTime),
        ...Object.values(f.categoryAffinity).map((a) => a.updatedTime),
        ...Object.values(f.creatorAffinity).map((a) => a.updatedTime),
      ];
      const late = times.filter((time) => time >= example.exampleTime);
      assert.deepEqual(late, [], `${exampleKey(example)} uses events at or after its time`);
    }
    assert.ok(withFeatures > streamed.length / 2, `${withFeatures} examples have features`);

    // The files hold the same examples.
    const fromFiles = new Map<string, TrainingExample>();
    for (const file of summary.files) {
      const rows = examplesFromArrowFile(readFileSync(file.path));
      assert.equal(rows.length, file.examples);
      for (const row of rows) {
        assert.ok(
          row.exampleTime >= file.partitionStart && row.exampleTime < file.partitionEnd,
          `${exampleKey(row)} in the partition of its time`,
        );
        fromFiles.set(exampleKey(row), row);
      }
    }
    assert.equal(fromFiles.size, streamed.length);

    // Point checks: 20 random examples with history against the batch computation.
    const random = seededRandom(seed);
    const pool = streamed.filter((e) => e.features !== null);
    const chosen = new Set<TrainingExample>();
    while (chosen.size < points) {
      chosen.add(pool[Math.floor(random() * pool.length)] as TrainingExample);
    }
    for (const example of chosen) {
      const expected = events.before(example.userId, example.exampleTime, creatorLimit);
      assert.ok(expected !== undefined, `${exampleKey(example)}: the batch has no events`);
      const fromFile = fromFiles.get(exampleKey(example));
      assert.ok(
        fromFile !== undefined && fromFile.features !== null,
        `${exampleKey(example)} is in the files`,
      );
      for (const [where, actual] of [
        ['stream', example.features],
        ['file', fromFile.features],
      ] as const) {
        assert.ok(actual !== null);
        assert.deepEqual(
          userFeaturesDifferences(actual, expected),
          [],
          `${where}: ${exampleKey(example)} at ${new Date(example.exampleTime).toISOString()}`,
        );
      }
    }
    t.diagnostic(
      `${summary.ratings} ratings, ${summary.records} records, ${summary.examples} examples ` +
        `(${withFeatures} with features) in ${summary.files.length} files, ` +
        `${summary.seconds.toFixed(1)} s; ${points} point checks equal`,
    );

    // pyarrow reads every file, with the rows and labels written.
    const reading = readWithPyarrow(summary.files.map((f) => f.path));
    if (!reading.ok) {
      t.diagnostic(`pyarrow not checked: ${reading.skipped}`);
      return;
    }
    assert.deepEqual(
      reading.files.map((f) => [f.rows, f.ratingSum]),
      summary.files.map((file) => {
        const rows = [...fromFiles.values()].filter(
          (r) => r.exampleTime >= file.partitionStart && r.exampleTime < file.partitionEnd,
        );
        return [rows.length, rows.reduce((sum, r) => sum + (r.rating ?? 0), 0)];
      }),
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('movieLensRatingOf: the stars of each watch ratio the replay writes', () => {
  const end = (watchedMs: number, videoDurationMs: number) => ({
    userId: 'u',
    videoId: 'v',
    sessionId: 's',
    watchedMs,
    videoDurationMs,
    reason: 'SWIPED_AWAY' as const,
    requestId: null,
    eventTime: 0,
  });
  assert.deepEqual(
    [3_700, 9_250, 18_500, 29_600, 37_000].map((ms) => movieLensRatingOf(end(ms, 37_000))),
    [1, 2, 3, 4, 5],
  );
  assert.equal(movieLensRatingOf(end(1_000, 0)), null);
});
