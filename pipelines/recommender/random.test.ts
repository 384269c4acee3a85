import assert from 'node:assert/strict';
import { test } from 'node:test';

import { betaSample, gammaSample, seededRandom } from './random.js';

function moments(draws: readonly number[]): { mean: number; variance: number } {
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
  const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
  return { mean, variance };
}

test('a seed gives the same sequence; another seed another one; draws in [0, 1)', () => {
  const a = seededRandom('req-1');
  const b = seededRandom('req-1');
  const c = seededRandom('req-2');
  const first = Array.from({ length: 100 }, () => a());
  assert.deepEqual(
    Array.from({ length: 100 }, () => b()),
    first,
  );
  assert.notDeepEqual(
    Array.from({ length: 100 }, () => c()),
    first,
  );
  assert.ok(first.every((x) => x >= 0 && x < 1));
});

test('Beta draws have the distribution’s mean and variance', () => {
  const random = seededRandom('beta');
  const n = 40_000;
  for (const [alpha, beta] of [
    [1, 1],
    [2, 5],
    [0.5, 0.5],
    [3, 120],
  ] as const) {
    const draws = Array.from({ length: n }, () => betaSample(alpha, beta, random));
    const { mean, variance } = moments(draws);
    const expectedMean = alpha / (alpha + beta);
    const expectedVariance = (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
    // Five standard errors of the mean; the variance within 5% (n is large).
    assert.ok(
      Math.abs(mean - expectedMean) < 5 * Math.sqrt(expectedVariance / n),
      `Beta(${alpha}, ${beta}) mean ${mean} vs ${expectedMean}`,
    );
    assert.ok(
      Math.abs(variance / expectedVariance - 1) < 0.05,
      `Beta(${alpha}, ${beta}) variance ${variance} vs ${expectedVariance}`,
    );
    assert.ok(draws.every((x) => x >= 0 && x <= 1));
  }
});

test('Gamma draws (Marsaglia–Tsang, and the boost below shape 1): mean and variance = shape', () => {
  const random = seededRandom('gamma');
  const n = 40_000;
  for (const shape of [0.3, 1, 4.5, 50]) {
    const { mean, variance } = moments(Array.from({ length: n }, () => gammaSample(shape, random)));
    assert.ok(Math.abs(mean - shape) < 5 * Math.sqrt(shape / n), `shape ${shape}: mean ${mean}`);
    assert.ok(Math.abs(variance / shape - 1) < 0.06, `shape ${shape}: variance ${variance}`);
  }
  assert.throws(() => gammaSample(0, random), RangeError);
});
