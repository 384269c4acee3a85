import assert from 'node:assert/strict';
import { test } from 'node:test';

import { staleTestTopics, testTopicCreatedAt } from './pruneTestTopics.js';
import { uniqueName } from './integration.js';

test('a test topic name carries its creation time; other names carry none', () => {
  const before = Date.now();
  const name = uniqueName('vector-search');
  const at = testTopicCreatedAt(name);
  assert.ok(at !== undefined && at >= before && at <= Date.now());
  assert.equal(testTopicCreatedAt(`${name}-calibration-labels-changelog`), at);
  assert.equal(testTopicCreatedAt(`${name}.dlq`), at);
  assert.equal(testTopicCreatedAt('features.user'), undefined);
  assert.equal(testTopicCreatedAt('reelstream-features-co-visitation-changelog'), undefined);
  assert.equal(testTopicCreatedAt('test.words'), undefined);
});

test('only test topics created before the cut-off are stale', () => {
  const old = 'test.requests.mxdekcgs.3d0ffe';
  const fresh = uniqueName('requests');
  const stale = staleTestTopics(
    [old, `${old}.replies`, fresh, 'events.impressions', 'bench.input'],
    Date.now() - 3_600_000,
  );
  assert.deepEqual(stale, [old, `${old}.replies`]);
});
