import assert from 'node:assert/strict';
import { test } from 'node:test';

import { scoreWeights } from '../../pipelines/recommender/scoring.js';
import { chooseWeights, servedWeightGrid, twoTowerWeightGrid } from './servedTuning.js';

test('the served blend grid: the defaults first, only co-visitation and popular in region vary', () => {
  const grid = servedWeightGrid();
  assert.equal(grid.length, 40);
  assert.deepEqual(grid[0], scoreWeights);
  for (const weights of grid) {
    assert.deepEqual(
      { ...weights, coVisitation: 0, popularInRegion: 0 },
      { ...scoreWeights, coVisitation: 0, popularInRegion: 0 },
    );
  }
});

test('chooseWeights: the best score wins, the first in grid order on a tie', async () => {
  const tried: string[] = [];
  const chosen = await chooseWeights((weights) => {
    tried.push(`${weights.coVisitation}/${weights.popularInRegion}`);
    // Best (0.5) at popular 1.2 for two co-visitation weights: the first of them wins.
    return Promise.resolve(
      weights.popularInRegion === 1.2 && weights.coVisitation <= 0.2 ? 0.5 : 0.1,
    );
  });
  assert.equal(tried.length, 40);
  assert.equal(chosen.weights.coVisitation, 0.2);
  assert.equal(chosen.weights.popularInRegion, 1.2);
  assert.equal(chosen.score, 0.5);
  assert.match(
    chosen.report,
    /^ {2}served blend, co-visitation\/popular weights: 0\.4\/0\.15: 0\.1000, /,
  );
  assert.match(chosen.report, /→ co-visitation 0\.2, popular 1\.2$/);
});

test('the two-tower weight: chosen over its grid alone, the rest as the served row chose', async () => {
  const base = { ...scoreWeights, coVisitation: 0.1, popularInRegion: 2.4 };
  const grid = twoTowerWeightGrid(base);
  assert.deepEqual(
    grid.map((w) => w.twoTower),
    [0.4, 0.025, 0.05, 0.1, 0.2, 0.8, 1.6, 3.2],
  );
  for (const weights of grid) {
    assert.deepEqual({ ...weights, twoTower: 0 }, { ...base, twoTower: 0 });
  }
  const chosen = await chooseWeights(
    (weights) => Promise.resolve(weights.twoTower >= 0.8 ? 0.3 : 0.2),
    grid,
  );
  assert.equal(chosen.weights.twoTower, 0.8);
  assert.equal(chosen.weights.popularInRegion, 2.4);
  assert.match(
    chosen.report,
    /^ {2}served two-tower blend, two-tower weights \(co-visitation 0\.1, popular 2\.4\): 0\.4: 0\.2000, .* → two-tower 0\.8$/,
  );
});
