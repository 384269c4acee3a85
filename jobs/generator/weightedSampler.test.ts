import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom } from '../../operators/support/seededRandom.js';
import { WeightedSampler } from './weightedSampler.js';

function frequencies(sampler: WeightedSampler, draws: number): number[] {
  const random = seededRandom(3);
  const counts = new Array<number>(sampler.size).fill(0);
  for (let i = 0; i < draws; i++) {
    const index = sampler.sample(random);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts.map((c) => c / draws);
}

test('samples in proportion to the weights, after updates and growth', () => {
  const sampler = new WeightedSampler(2); // grows while pushing
  for (const weight of [1, 2, 3, 4]) {
    sampler.push(weight);
  }
  const before = frequencies(sampler, 100_000);
  [0.1, 0.2, 0.3, 0.4].forEach((p, i) => assert.ok(Math.abs((before[i] ?? 0) - p) < 0.01));
  sampler.set(3, 0);
  sampler.set(0, 4);
  assert.equal(sampler.total, 9);
  const after = frequencies(sampler, 100_000);
  [4 / 9, 2 / 9, 3 / 9, 0].forEach((p, i) => assert.ok(Math.abs((after[i] ?? 0) - p) < 0.01));
});

test('an empty or all-zero sampler draws -1; an unknown index is refused', () => {
  const sampler = new WeightedSampler();
  assert.equal(sampler.sample(Math.random), -1);
  sampler.push(0);
  assert.equal(sampler.sample(Math.random), -1);
  assert.throws(() => sampler.set(5, 1), RangeError);
});
