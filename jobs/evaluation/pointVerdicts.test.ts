import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pointVerdicts } from './pointVerdicts.js';

test('points differing only in creator affinity count as within the bound only when creators fill it', () => {
  const creatorScore = 'creator ml-c299 score: -1 != -1.15';
  const creatorSet = 'creators: missing [ml-c1], extra [ml-c2]';
  assert.deepEqual(
    pointVerdicts([
      { differences: [], expectedCreators: 12 },
      { differences: [creatorScore, creatorSet], expectedCreators: 50 },
      // Fewer creators than the bound: nothing was evicted, so this is a real difference.
      { differences: [creatorScore], expectedCreators: 20 },
      // Any other field is a real difference too.
      { differences: [creatorScore, 'watchCount: 270 != 269'], expectedCreators: 50 },
    ]),
    { equal: 1, creatorBoundOnly: 1, other: 2 },
  );
});
