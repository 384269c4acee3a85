import assert from 'node:assert/strict';
import { test } from 'node:test';

import { judgeLag, type LagPoint } from './lagVerdict.js';
import { leastSquares, studentT975 } from './trend.js';

/** Deterministic noise in [0, 1): the tests must not depend on the run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Ten minutes of looks every 5 s at a group that receives 5,000 records/s and commits every
 * second: lag is a sawtooth (0 to 5,000 records above a floor of `floor`), looked at a random
 * phase, plus `risePerMinute` records a minute.
 */
function run(options: { floor: number; risePerMinute: number; seed: number }): LagPoint[] {
  const random = noise(options.seed);
  const points: LagPoint[] = [];
  for (let seconds = 5; seconds <= 600; seconds += 5) {
    points.push({
      seconds,
      lag: Math.round(options.floor + random() * 5_000 + (options.risePerMinute * seconds) / 60),
      logEnd: 5_000 * seconds,
    });
  }
  return points;
}

test('lag verdict: a sawtooth around a steady level is bounded', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const verdict = judgeLag(run({ floor: 5_000, risePerMinute: 0, seed }));
    assert.equal(verdict.verdict, 'bounded', `seed ${seed}: ${JSON.stringify(verdict)}`);
    assert.equal(verdict.bins, 10);
    assert.equal(Math.round(verdict.arrivalPerMinute), 300_000);
    assert.ok(verdict.slopeLow < 0 && verdict.slopeHigh > 0);
  }
});

test('lag verdict: lag rising by 2% of the arrival rate is growing', () => {
  // 6,000 records a minute against 300,000 arriving: the job processes 98% of its input.
  for (const seed of [1, 2, 3]) {
    const verdict = judgeLag(run({ floor: 5_000, risePerMinute: 6_000, seed }));
    assert.equal(verdict.verdict, 'GROWING', `seed ${seed}: ${JSON.stringify(verdict)}`);
    assert.ok(Math.abs(verdict.slopePerMinute - 6_000) < 600);
  }
});

test('lag verdict: a rise near the tolerance, or too few bins, is not decided either way', () => {
  const near = judgeLag(run({ floor: 5_000, risePerMinute: 3_000, seed: 7 }));
  assert.equal(near.verdict, 'undecided', JSON.stringify(near));
  const short = judgeLag(run({ floor: 5_000, risePerMinute: 0, seed: 1 }).slice(0, 3));
  assert.equal(short.verdict, 'too short to judge');
  const idle = judgeLag([5, 10, 15, 20, 25, 30].map((seconds) => ({ seconds, lag: 0, logEnd: 7 })));
  assert.equal(idle.verdict, 'too short to judge', 'nothing arrived: nothing to keep up with');
});

test('lag verdict: a run under five minutes is not judged; one of five gets six bins', () => {
  const points = run({ floor: 5_000, risePerMinute: 0, seed: 1 });
  const minute = judgeLag(points.filter((p) => p.seconds <= 60));
  assert.equal(minute.verdict, 'too short to judge');
  assert.equal(minute.bins, 6);
  const five = judgeLag(points.filter((p) => p.seconds <= 305));
  assert.equal(five.verdict, 'bounded');
  assert.equal(five.bins, 6);
  assert.ok(Math.abs(five.binSeconds - 50) < 1e-9);
});

test('least squares: exact on a line; Student t from its table', () => {
  const fit = leastSquares([0, 1, 2, 3].map((x) => ({ x, y: 3 + 2 * x })));
  assert.ok(fit !== undefined);
  assert.equal(fit.slope, 2);
  assert.equal(fit.intercept, 3);
  assert.equal(fit.slopeStandardError, 0);
  assert.equal(leastSquares([{ x: 1, y: 1 }]), undefined);
  assert.equal(studentT975(8), 2.306);
  assert.equal(studentT975(1_000), 1.962);
  assert.equal(studentT975(60), 2);
  assert.equal(studentT975(0), Number.POSITIVE_INFINITY);
});
