import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { TrainingExample } from '../../pipelines/trainingExamples.js';
import type { UserFeatures } from '../../schemas/generated/userFeatures.js';
import { exampleColumnNames, examplesFromArrowFile, examplesToArrowFile } from './arrowExamples.js';
import { dayMs, PartitionedExampleWriter } from './exampleFiles.js';
import { readWithPyarrow } from './pyarrowRead.js';

const day0 = Date.UTC(1997, 8, 20);

const features: UserFeatures = {
  userId: 'u1',
  lastWatched: [
    { videoId: 'v2', watchedMs: 8_000, watchRatio: 0.8, eventTime: day0 + 5_000 },
    { videoId: 'v1', watchedMs: 1_000, watchRatio: 0.1, eventTime: day0 + 1_000 },
  ],
  categoryAffinity: {
    drama: { score: 0.55, updatedTime: day0 + 5_000 },
    action: { score: -0.15, updatedTime: day0 + 1_000 },
  },
  creatorAffinity: { k2: { score: 0.55, updatedTime: day0 + 5_000 } },
  affinityHalfLifeMs: 3 * dayMs,
  averageWatchRatio: 0.45,
  watchCount: 2,
  recentNegatives: [{ videoId: 'v1', creatorId: 'k1', type: 'DISLIKE', eventTime: day0 + 2_000 }],
  updatedTime: day0 + 5_000,
};

function example(
  at: number,
  user: string,
  options: { features?: UserFeatures | null; rating?: number; clicked?: boolean | null } = {},
): TrainingExample {
  const rating = options.rating ?? 5;
  return {
    userId: user,
    videoId: `v-${at}`,
    requestId: `r-${user}-${at}`,
    position: 1,
    exampleTime: at,
    labelTime: at + 30_000,
    watchedMs: 20_000,
    videoDurationMs: 20_000,
    rating,
    positive: rating >= 4,
    disliked: rating <= 2,
    clicked: options.clicked === undefined ? true : options.clicked,
    features: options.features === undefined ? { ...features, userId: user } : options.features,
  };
}

test('an example file reads back as the examples written, features included', () => {
  const examples = [
    example(day0 + 10_000, 'u1'),
    example(day0 + 20_000, 'u2', { features: null, rating: 1, clicked: false }),
    example(day0 + 30_000, 'u3', { clicked: null }),
  ];
  const back = examplesFromArrowFile(examplesToArrowFile(examples));
  assert.deepEqual(back, examples);
});

test('files are partitioned by the examples’ UTC day, written once, rows in a fixed order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'examples-'));
  try {
    const writer = new PartitionedExampleWriter(dir);
    writer.add([example(day0 + dayMs + 5, 'u2'), example(day0 + 7, 'u1'), example(day0 + 5, 'u3')]);
    assert.deepEqual(writer.flushBefore(day0 + dayMs - 1), [], 'day 0 is not over');
    const [first, ...none] = writer.flushBefore(day0 + dayMs);
    assert.deepEqual(none, []);
    assert.equal(first?.examples, 2);
    assert.throws(() => writer.add([example(day0 + 9, 'u4')]), /after its partition was written/);
    writer.close();
    assert.deepEqual(readdirSync(dir).sort(), [
      'examples-1997-09-20.arrow',
      'examples-1997-09-21.arrow',
    ]);
    const rows = examplesFromArrowFile(readFileSync(join(dir, 'examples-1997-09-20.arrow')));
    assert.deepEqual(
      rows.map((r) => [r.userId, r.exampleTime]),
      [
        ['u3', day0 + 5],
        ['u1', day0 + 7],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pyarrow reads the files: rows, columns, labels and list features', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'examples-'));
  try {
    const writer = new PartitionedExampleWriter(dir, { partitionMs: 6 * 3_600_000 });
    const examples = [
      example(day0 + 1_000, 'u1', { rating: 4 }),
      example(day0 + 2_000, 'u2', { features: null, rating: 2 }),
      example(day0 + 7 * 3_600_000, 'u1', { rating: 3 }),
    ];
    writer.add(examples);
    const files = writer.close();
    const reading = readWithPyarrow(files.map((f) => f.path));
    if (!reading.ok) {
      t.skip(reading.skipped);
      return;
    }
    assert.deepEqual(
      reading.files.map((f) => [f.path.slice(dir.length + 1), f.rows, f.ratingSum, f.positives]),
      [
        ['examples-1997-09-20T00-00.arrow', 2, 6, 1],
        ['examples-1997-09-20T06-00.arrow', 1, 3, 0],
      ],
    );
    const file = reading.files[0];
    assert.deepEqual(
      file?.columns.map((c) => c.split(':')[0]),
      exampleColumnNames,
    );
    assert.ok(file?.columns.includes('exampleTime:timestamp[ms]'));
    assert.ok(file?.columns.includes('lastWatchedVideoIds:list<item: string not null>'));
    assert.equal(file?.lastWatchedItems, 2, 'the cold-start row has no list');
    assert.ok(Math.abs((file?.creatorScoreSum ?? 0) - 0.55) < 1e-12);
    assert.equal(file?.firstUserId, 'u1');
    assert.equal(file?.metadata['reelstream.examples.version'], '2');
    assert.ok(file?.columns.includes('clicked:bool'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
