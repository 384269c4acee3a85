import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ratingOfWatch } from './demoTwoTower.js';

test('ratingOfWatch: the stars a generated watch stands for, by the share watched', () => {
  const stars = (watchedMs: number, videoDurationMs = 10_000): number =>
    ratingOfWatch({ watchedMs, videoDurationMs });
  assert.equal(stars(10_000), 5);
  assert.equal(stars(8_000), 5);
  assert.equal(stars(7_999), 4);
  assert.equal(stars(4_000), 4);
  assert.equal(stars(3_999), 3);
  assert.equal(stars(1_500), 3);
  assert.equal(stars(1_499), 2);
  assert.equal(stars(0), 2);
  // A video without a duration: nothing known to have been watched.
  assert.equal(stars(5_000, 0), 2);
});
