import assert from 'node:assert/strict';
import { test } from 'node:test';

import { calibrationOf } from './outputCalibration.js';

const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

test('platt: sigmoid(a · logit(p) + b)', () => {
  const identity = calibrationOf('click_probability', { method: 'platt', a: 1, b: 0 });
  close(identity(0.3), 0.3);
  const shifted = calibrationOf('click_probability', { method: 'platt', a: 2, b: -1 });
  const logit = Math.log(0.3 / 0.7);
  close(shifted(0.3), 1 / (1 + Math.exp(-(2 * logit - 1))));
  // 0 and 1 from the model still give a finite, ordered answer.
  assert.ok(shifted(0) > 0 && shifted(0) < shifted(0.3) && shifted(1) < 1 + 1e-12);
});

test('isotonic: piecewise linear between the points, flat outside them', () => {
  const f = calibrationOf('click_probability', {
    method: 'isotonic',
    thresholds: [0.1, 0.2, 0.2, 0.6],
    values: [0.05, 0.1, 0.3, 0.5],
  });
  close(f(0), 0.05);
  close(f(0.1), 0.05);
  close(f(0.15), 0.075);
  close(f(0.4), 0.4);
  close(f(0.6), 0.5);
  close(f(0.9), 0.5);
});

test('malformed entries are refused, naming the output', () => {
  assert.throws(
    () => calibrationOf('x', { method: 'isotonic', thresholds: [0.1, 0.2], values: [0.1] }),
    /calibration of x/,
  );
  assert.throws(
    () => calibrationOf('x', { method: 'isotonic', thresholds: [0.3, 0.2], values: [0.1, 0.2] }),
    /ascending/,
  );
  assert.throws(() => calibrationOf('x', { method: 'platt', a: Number.NaN, b: 0 }), /finite/);
});
