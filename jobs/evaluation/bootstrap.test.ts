import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom } from '../../operators/support/seededRandom.js';
import { bootstrapClusteredMean, bootstrapMean, bootstrapPairedDifference } from './bootstrap.js';

const random = seededRandom(7);
const values = Array.from({ length: 300 }, () => (random() < 0.2 ? random() : 0));

test('the same values and seed give the same interval; another seed another', () => {
  const a = bootstrapMean(values, { seed: 1, resamples: 1000 });
  const b = bootstrapMean(values, { seed: 1, resamples: 1000 });
  const c = bootstrapMean(values, { seed: 2, resamples: 1000 });
  assert.deepEqual(a, b);
  assert.equal(a.mean, c.mean);
  assert.notDeepEqual([a.lower, a.upper], [c.lower, c.upper]);
});

test('the 95 % interval contains the mean and narrows with the level', () => {
  const ci = bootstrapMean(values);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.equal(ci.mean, mean);
  assert.equal(ci.n, 300);
  assert.ok(ci.lower < mean && mean < ci.upper, JSON.stringify(ci));
  // Roughly mean ± 1.96 standard errors.
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  const halfWidth = (ci.upper - ci.lower) / 2;
  const se = sd / Math.sqrt(values.length);
  assert.ok(halfWidth > 1.6 * se && halfWidth < 2.3 * se, `${halfWidth} vs se ${se}`);
  const narrow = bootstrapMean(values, { level: 0.5 });
  assert.ok(narrow.lower >= ci.lower && narrow.upper <= ci.upper);
});

test('constant values give a zero-width interval; percentile indices', () => {
  assert.deepEqual(bootstrapMean([0.25, 0.25, 0.25], { resamples: 10 }), {
    mean: 0.25,
    lower: 0.25,
    upper: 0.25,
    n: 3,
  });
  // One value: every resample is that value.
  assert.deepEqual(bootstrapMean([3]), { mean: 3, lower: 3, upper: 3, n: 1 });
  // Two values 0 and 1, one resample each of size 2: means lie in {0, 0.5, 1}.
  const two = bootstrapMean([0, 1], { resamples: 200, level: 0.9 });
  assert.ok([0, 0.5, 1].includes(two.lower) && [0, 0.5, 1].includes(two.upper));
  assert.ok(two.lower <= 0.5 && two.upper >= 0.5);
});

test('paired differences resample users, keeping the pairs', () => {
  const better = values.map((v) => v + 0.01);
  const diff = bootstrapPairedDifference(better, values);
  assert.ok(Math.abs(diff.mean - 0.01) < 1e-12);
  assert.ok(Math.abs(diff.lower - 0.01) < 1e-12 && Math.abs(diff.upper - 0.01) < 1e-12);
  assert.throws(() => bootstrapPairedDifference([1], [1, 2]), RangeError);
});

test('bad input is refused', () => {
  assert.throws(() => bootstrapMean([]), RangeError);
  assert.throws(() => bootstrapMean([1], { resamples: 0 }), RangeError);
  assert.throws(() => bootstrapMean([1], { level: 1 }), RangeError);
});

test('a clustered bootstrap with one unit per cluster is the plain one', () => {
  const units = values.map((value, index) => ({ cluster: index, value }));
  assert.deepEqual(bootstrapClusteredMean(units), bootstrapMean(values));
});

test('a clustered bootstrap does not count a cluster seen twice as two independent units', () => {
  // Every user evaluated twice with the same value: the units-as-independent interval is
  // narrower than it should be; resampling users gives back the one-unit-per-user interval.
  const twice = values.flatMap((value, index) => [
    { cluster: index, value },
    { cluster: index, value },
  ]);
  const clustered = bootstrapClusteredMean(twice);
  const once = bootstrapMean(values);
  const naive = bootstrapMean(twice.map((unit) => unit.value));
  assert.equal(clustered.n, 600);
  assert.ok(Math.abs(clustered.mean - once.mean) < 1e-12);
  assert.ok(Math.abs(clustered.lower - once.lower) < 1e-12, `${clustered.lower} ${once.lower}`);
  assert.ok(Math.abs(clustered.upper - once.upper) < 1e-12, `${clustered.upper} ${once.upper}`);
  assert.ok(naive.upper - naive.lower < 0.85 * (once.upper - once.lower));
  assert.throws(() => bootstrapClusteredMean([]), RangeError);
});
