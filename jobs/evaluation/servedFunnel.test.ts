import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chooseRankerBlend, rankerBlendWeights } from './servedFunnel.js';

test('the funnel blend weight: the model alone first, the best wins, the first on a tie', async () => {
  assert.equal(rankerBlendWeights[0], 0);
  const tried: number[] = [];
  const chosen = await chooseRankerBlend((w) => {
    tried.push(w);
    return Promise.resolve(w >= 1 && w <= 2 ? 0.3 : 0.1);
  });
  assert.deepEqual(tried, [...rankerBlendWeights]);
  assert.equal(chosen.blendWeight, 1);
  assert.equal(chosen.score, 0.3);
  assert.match(chosen.report, /objective: 0: 0\.1000, 0\.25: 0\.1000, .* → 1$/);
  await assert.rejects(
    chooseRankerBlend(() => Promise.resolve(0), []),
    /no values to try/,
  );
});
