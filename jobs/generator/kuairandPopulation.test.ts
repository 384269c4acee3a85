import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { defaultKuairandDir, hasKuairand, kuairandPopulation } from './kuairandPopulation.js';
import { TrafficGenerator, take } from './trafficGenerator.js';

const dir = process.env['REELSTREAM_KUAIRAND_DIR'] ?? defaultKuairandDir;
const skip = hasKuairand(dir)
  ? false
  : `KuaiRand-Pure tables not found in ${dir} (set REELSTREAM_KUAIRAND_DIR): skipped`;
const startTime = Date.UTC(2024, 4, 1, 12);

describe('KuaiRand-Pure population', { skip }, () => {
  const population = kuairandPopulation({ dir, seed: 1, startTime });

  test('takes every user and video of the tables', () => {
    assert.equal(population.users.length, 27_285);
    assert.equal(population.videos.length, 7_583);
    assert.equal(population.users[0]?.id, 'ku-0');
    // video 0: author 7349781, 87,433 ms, tag 39
    const first = population.videos[0];
    assert.equal(first?.id, 'kv-0');
    assert.equal(first.creatorId, 'kc-7349781');
    assert.equal(first.durationMs, 87_433);
    assert.equal(population.categories[first.categoryIndex], 'kr-39');
    assert.equal(new Set(population.creators.map((c) => c.id)).size, 6_510);
    assert.ok(population.videos.every((v) => v.uploadTime < startTime && v.durationMs > 0));
  });

  test('derives activity from user_active_degree, and is deterministic', () => {
    const again = kuairandPopulation({ dir, seed: 1, startTime });
    assert.deepEqual(
      again.users.slice(0, 100).map((u) => [u.region, [...u.interests], u.activity]),
      population.users.slice(0, 100).map((u) => [u.region, [...u.interests], u.activity]),
    );
    assert.equal(population.users[0]?.activity, 4); // full_active
  });

  test('drives the generator', () => {
    const traffic = new TrafficGenerator({
      seed: 1,
      rate: 200,
      scale: 0.001,
      startTime,
      population,
    });
    const events = [...take(traffic.events(), 5_000)];
    assert.ok(events.some((e) => e.kind === 'impressions' && e.value.videoId.startsWith('kv-')));
    assert.ok(events.some((e) => e.kind === 'watchEnds' && e.value.userId.startsWith('ku-')));
  });
});
