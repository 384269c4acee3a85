import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom } from '../../operators/support/seededRandom.js';
import { defaultModelParameters } from './modelParameters.js';
import { PopularityModel } from './popularityModel.js';

function model(): PopularityModel {
  const popularity = new PopularityModel(defaultModelParameters, 2);
  for (let rank = 0; rank < 1_000; rank++) {
    popularity.add({ category: rank % 2, rank });
  }
  return popularity;
}

function share(popularity: PopularityModel, video: number): number {
  const random = seededRandom(5);
  let hits = 0;
  for (let i = 0; i < 50_000; i++) {
    hits += popularity.sample(random) === video ? 1 : 0;
  }
  return hits / 50_000;
}

test('Zipf at the start: rank 0 is drawn about twice as often as rank 1', () => {
  const popularity = model();
  assert.ok(Math.abs(share(popularity, 0) / share(popularity, 1) - 2) < 0.25);
  const random = seededRandom(1);
  for (let i = 0; i < 1_000; i++) {
    assert.equal(popularity.sampleInCategory(random, 1) % 2, 1);
  }
});

test('a viral video takes its peak share of exposure, then decays back', () => {
  const popularity = model();
  const video = 900;
  assert.ok(share(popularity, video) < 0.002);
  popularity.startViral(video);
  const peak = share(popularity, video);
  assert.ok(Math.abs(peak - defaultModelParameters.viralPeakShare) < 0.005, `peak share ${peak}`);
  popularity.decayVirals(defaultModelParameters.viralHalfLifeMs);
  assert.ok(share(popularity, video) < peak * 0.6);
  popularity.decayVirals(20 * defaultModelParameters.viralHalfLifeMs);
  assert.deepEqual(popularity.viralVideos(), []);
});

test('drift moves popularity over time', () => {
  const popularity = model();
  const before = Array.from({ length: 1_000 }, (_, i) => popularity.weight(i));
  const random = seededRandom(2);
  for (let step = 0; step < 100; step++) {
    popularity.drift(random);
  }
  const changed = before.filter((w, i) => w !== popularity.weight(i)).length;
  assert.ok(changed > 800, `${changed} of 1000 weights drifted`);
});
