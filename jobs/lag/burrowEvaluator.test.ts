import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  evaluateGroup,
  evaluatePartition,
  type EvaluatorSettings,
  type Evaluation,
} from './burrowEvaluator.js';
import type { PartitionSample } from './partitionSample.js';

const settings: EvaluatorSettings = { windowMs: 60_000, allowedLag: 0, minSamples: 3 };

/** Samples 10 s apart ending at `end`, from [offset, lag] pairs. */
function samples(
  pairs: readonly (readonly [number | null, number | null])[],
  options: { end?: number; stepMs?: number; owned?: boolean } = {},
): PartitionSample[] {
  const end = options.end ?? 1_000_000;
  const step = options.stepMs ?? 10_000;
  return pairs.map(([offset, lag], i) => ({
    atMs: end - (pairs.length - 1 - i) * step,
    offset,
    logEndOffset: offset === null || lag === null ? null : offset + lag,
    lag,
    owned: options.owned ?? true,
  }));
}

function evaluate(
  pairs: readonly (readonly [number | null, number | null])[],
  options: { end?: number; stepMs?: number; owned?: boolean; now?: number } = {},
  custom: EvaluatorSettings = settings,
): Evaluation {
  return evaluatePartition(
    samples(pairs, options),
    options.now ?? options.end ?? 1_000_000,
    custom,
  );
}

describe('OK', () => {
  test('current lag zero is OK even after a stalled window', () => {
    assert.deepEqual(
      evaluate([
        [5, 3],
        [5, 3],
        [5, 3],
        [8, 0],
      ]),
      {
        status: 'OK',
        reason: 'CAUGHT_UP',
      },
    );
  });

  test('lag within the allowance counts as caught up', () => {
    const allowing = { ...settings, allowedLag: 10 };
    assert.equal(
      evaluate(
        [
          [1, 12],
          [1, 11],
          [1, 10],
        ],
        {},
        allowing,
      ).reason,
      'CAUGHT_UP',
    );
    assert.equal(
      evaluate(
        [
          [1, 12],
          [1, 11],
          [1, 11],
        ],
        {},
        allowing,
      ).reason,
      'STALL',
    );
  });

  test('zero lag at any point in the window is OK (Burrow rule 1)', () => {
    assert.deepEqual(
      evaluate([
        [0, 5],
        [5, 0],
        [5, 4],
        [5, 9],
      ]),
      { status: 'OK', reason: 'CAUGHT_UP' },
    );
  });

  test('no committed offset is OK with reason NO_OFFSET', () => {
    assert.deepEqual(evaluate([[null, null]]), { status: 'OK', reason: 'NO_OFFSET' });
  });

  test('too few samples in the window are not judged', () => {
    assert.deepEqual(
      evaluate([
        [5, 3],
        [5, 3],
      ]),
      { status: 'OK', reason: 'INSUFFICIENT_DATA' },
    );
  });

  test('lag that shrinks is CATCHING_UP', () => {
    assert.deepEqual(
      evaluate([
        [0, 100],
        [50, 80],
        [120, 30],
      ]),
      {
        status: 'OK',
        reason: 'CATCHING_UP',
      },
    );
  });

  test('samples older than the window do not count', () => {
    // The stall is 100 s old; inside the 60 s window the consumer catches up.
    const pairs = [
      [5, 9],
      [5, 9],
      [5, 9],
      [5, 9],
      [5, 9],
      [9, 8],
      [15, 5],
      [20, 3],
    ] as const;
    assert.equal(evaluate(pairs, { stepMs: 20_000 }).reason, 'CATCHING_UP');
  });
});

describe('WARN: offsets advance but lag never shrinks', () => {
  test('lag strictly rising', () => {
    assert.deepEqual(
      evaluate([
        [0, 10],
        [10, 20],
        [20, 30],
        [30, 40],
      ]),
      {
        status: 'WARN',
        reason: 'SLOW',
      },
    );
  });

  test('lag constant while offsets move (keeping pace, never catching up)', () => {
    assert.equal(
      evaluate([
        [0, 50],
        [10, 50],
        [20, 50],
      ]).status,
      'WARN',
    );
  });

  test('lag rising with plateaus', () => {
    assert.equal(
      evaluate([
        [0, 5],
        [1, 5],
        [2, 7],
        [3, 7],
        [4, 9],
      ]).status,
      'WARN',
    );
  });

  test('irregular sample spacing (cron runs drift)', () => {
    const irregular: PartitionSample[] = [
      { atMs: 1_000, offset: 10, logEndOffset: 20, lag: 10, owned: true },
      { atMs: 9_000, offset: 11, logEndOffset: 23, lag: 12, owned: true },
      { atMs: 31_000, offset: 30, logEndOffset: 45, lag: 15, owned: true },
      { atMs: 55_000, offset: 31, logEndOffset: 46, lag: 15, owned: true },
    ];
    assert.equal(evaluatePartition(irregular, 56_000, settings).status, 'WARN');
  });

  test('just above the allowance', () => {
    const allowing = { ...settings, allowedLag: 100 };
    assert.equal(
      evaluate(
        [
          [0, 101],
          [5, 101],
          [9, 102],
        ],
        {},
        allowing,
      ).status,
      'WARN',
    );
  });

  test('offsets advancing only at the end of the window still warn', () => {
    assert.equal(
      evaluate([
        [7, 3],
        [7, 4],
        [7, 5],
        [8, 6],
      ]).status,
      'WARN',
    );
  });

  test('large offsets and lags', () => {
    const base = 9_000_000_000_000;
    assert.equal(
      evaluate([
        [base, 1_000_000],
        [base + 500_000, 1_200_000],
        [base + 900_000, 1_200_000],
      ]).status,
      'WARN',
    );
  });

  test('one shrink inside the window is enough for OK', () => {
    assert.equal(
      evaluate([
        [0, 10],
        [10, 20],
        [25, 15],
        [30, 40],
      ]).status,
      'OK',
    );
  });
});

describe('ERR', () => {
  test('STALL: offset frozen across the window while lag > 0', () => {
    assert.deepEqual(
      evaluate([
        [5, 3],
        [5, 4],
        [5, 9],
      ]),
      { status: 'ERR', reason: 'STALL' },
    );
  });

  test('STALL, not STOP, while a member still owns the partition however long it lasts', () => {
    const pairs = Array.from({ length: 20 }, () => [5, 3] as const);
    assert.equal(evaluate(pairs, { owned: true }).reason, 'STALL');
  });

  test('STOP: no owner and no offset change for longer than the window', () => {
    const pairs = Array.from({ length: 8 }, () => [5, 3] as const); // 70 s of the same offset
    assert.deepEqual(evaluate(pairs, { owned: false }), { status: 'ERR', reason: 'STOP' });
  });

  test('STOP is judged on time even with few samples (a cron run after a long gap)', () => {
    const gap: PartitionSample[] = [
      { atMs: 0, offset: 5, logEndOffset: 8, lag: 3, owned: false },
      { atMs: 90_000, offset: 5, logEndOffset: 9, lag: 4, owned: false },
    ];
    assert.equal(evaluatePartition(gap, 90_000, settings).reason, 'STOP');
  });

  test('no STOP when recently caught up (the topic was idle, then got a record)', () => {
    const idle: PartitionSample[] = [
      { atMs: 0, offset: 5, logEndOffset: 5, lag: 0, owned: false },
      { atMs: 50_000, offset: 5, logEndOffset: 5, lag: 0, owned: false },
      { atMs: 90_000, offset: 5, logEndOffset: 6, lag: 1, owned: false },
    ];
    assert.notEqual(evaluatePartition(idle, 90_000, settings).reason, 'STOP');
  });

  test('no STOP before the window has passed since the last offset change', () => {
    const pairs = [[1, 3], ...Array.from({ length: 7 }, () => [5, 3] as const)] as const;
    assert.equal(evaluate(pairs, { owned: false }).reason, 'STALL');
  });

  test('REWIND: offset went back and has not recovered', () => {
    assert.deepEqual(
      evaluate([
        [100, 10],
        [100, 12],
        [0, 115],
        [20, 95],
      ]),
      {
        status: 'ERR',
        reason: 'REWIND',
      },
    );
  });

  test('a rewind that has recovered past the old offset is no longer REWIND', () => {
    assert.notEqual(
      evaluate([
        [100, 10],
        [0, 115],
        [120, 5],
        [130, 6],
      ]).reason,
      'REWIND',
    );
  });
});

test('a group is as bad as its worst partition', () => {
  assert.deepEqual(
    evaluateGroup([
      { status: 'OK', reason: 'CAUGHT_UP' },
      { status: 'WARN', reason: 'SLOW' },
      { status: 'ERR', reason: 'STALL' },
      { status: 'WARN', reason: 'SLOW' },
    ]),
    { status: 'ERR', reason: 'STALL' },
  );
  assert.deepEqual(evaluateGroup([]), { status: 'OK', reason: 'CAUGHT_UP' });
});

test("an all-OK group takes the reason of its partition that is behind, not its first one's", () => {
  // One partition caught up, one 8 records behind with too few samples to judge: the group is
  // not caught up, and its summary must not say so.
  assert.deepEqual(
    evaluateGroup([
      { status: 'OK', reason: 'CAUGHT_UP' },
      { status: 'OK', reason: 'INSUFFICIENT_DATA' },
    ]),
    { status: 'OK', reason: 'INSUFFICIENT_DATA' },
  );
  assert.deepEqual(
    evaluateGroup([
      { status: 'OK', reason: 'CAUGHT_UP' },
      { status: 'OK', reason: 'CATCHING_UP' },
      { status: 'OK', reason: 'NO_OFFSET' },
    ]),
    { status: 'OK', reason: 'CATCHING_UP' },
  );
  // A partition that never committed says nothing about a group that is caught up elsewhere.
  assert.deepEqual(
    evaluateGroup([
      { status: 'OK', reason: 'NO_OFFSET' },
      { status: 'OK', reason: 'CAUGHT_UP' },
    ]),
    { status: 'OK', reason: 'CAUGHT_UP' },
  );
});

test('a negative lag in the window is not "caught up"', () => {
  // Committed beyond the log end earlier in the window, now 20 behind and not moving: STALL,
  // not CAUGHT_UP because of the negative samples.
  assert.deepEqual(
    evaluate([
      [150, -50],
      [150, -50],
      [150, 20],
      [150, 20],
    ]),
    { status: 'ERR', reason: 'STALL' },
  );
});
