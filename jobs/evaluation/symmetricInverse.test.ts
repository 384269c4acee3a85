import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom } from '../../operators/support/seededRandom.js';
import { cholesky, symmetricInverse } from './symmetricInverse.js';

test('a 2 × 2 inverse by hand', () => {
  // [[4, 2], [2, 3]]⁻¹ = [[3, −2], [−2, 4]] / 8
  const inverse = symmetricInverse(new Float64Array([4, 2, 2, 3]), 2);
  [0.375, -0.25, -0.25, 0.5].forEach((expected, index) => {
    assert.ok(Math.abs((inverse[index] ?? NaN) - expected) < 1e-15, `entry ${index}`);
  });
});

test('the Cholesky factor of a 3 × 3 matrix by hand', () => {
  // [[4, 2, 2], [2, 5, 3], [2, 3, 6]] = L·Lᵀ with L = [[2, 0, 0], [1, 2, 0], [1, 1, 2]]
  const l = cholesky(new Float64Array([4, 2, 2, 2, 5, 3, 2, 3, 6]), 3);
  assert.deepEqual([...l], [2, 0, 0, 1, 2, 0, 1, 1, 2]);
});

test('A·A⁻¹ = I for a random 60 × 60 Gram matrix plus a ridge, and the same bits twice', () => {
  const n = 60;
  const random = seededRandom(7);
  const x = Array.from({ length: 80 * n }, () => (random() < 0.2 ? 1 : 0));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = i === j ? 5 : 0;
      for (let u = 0; u < 80; u++) {
        sum += (x[u * n + i] ?? 0) * (x[u * n + j] ?? 0);
      }
      a[i * n + j] = sum;
    }
  }
  const inverse = symmetricInverse(a, n);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += (a[i * n + k] ?? 0) * (inverse[k * n + j] ?? 0);
      }
      worst = Math.max(worst, Math.abs(sum - (i === j ? 1 : 0)));
    }
  }
  assert.ok(worst < 1e-10, `largest error of A·A⁻¹ − I: ${worst}`);
  assert.deepEqual(symmetricInverse(a, n), inverse);
});

test('a matrix that is not positive definite is refused', () => {
  assert.throws(() => symmetricInverse(new Float64Array([1, 2, 2, 1]), 2), /not positive definite/);
  assert.throws(() => symmetricInverse(new Float64Array(3), 2), /has 4 entries/);
});
