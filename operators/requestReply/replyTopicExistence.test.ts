import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ReplyTopicExistence } from './replyTopicExistence.js';

/** A broker whose topics the test sets, counting the lookups asked of it. */
function fakeBroker(topics: Iterable<string>): {
  existing: Set<string>;
  lookups: string[][];
  lookup: (asked: readonly string[]) => Promise<ReadonlySet<string>>;
} {
  const existing = new Set(topics);
  const lookups: string[][] = [];
  return {
    existing,
    lookups,
    lookup: (asked) => {
      lookups.push([...asked]);
      return Promise.resolve(new Set(asked.filter((topic) => existing.has(topic))));
    },
  };
}

test('a topic seen for the first time is looked up before the answer, once for all of a send', async () => {
  const broker = fakeBroker(['a']);
  const cache = new ReplyTopicExistence(broker.lookup, { clock: () => 0 });
  assert.deepEqual(await cache.missing(new Set(['a', 'b'])), new Set(['b']));
  assert.deepEqual(broker.lookups, [['a', 'b']]);
  assert.deepEqual(await cache.missing(new Set(['a', 'b'])), new Set(['b']));
  assert.equal(broker.lookups.length, 1, 'fresh answers come from the cache');
});

test('an answer older than refreshMs is given at once and looked up again in the background', async () => {
  let now = 0;
  const broker = fakeBroker(['a']);
  const cache = new ReplyTopicExistence(broker.lookup, { refreshMs: 1_000, clock: () => now });
  await cache.missing(new Set(['a']));
  broker.existing.delete('a'); // its client closed
  now = 1_000;
  assert.deepEqual(await cache.missing(new Set(['a'])), new Set(), 'the old answer, at once');
  assert.equal(broker.lookups.length, 2, 'and a lookup under way');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(await cache.missing(new Set(['a'])), new Set(['a']), 'gone from then on');
});

test('missingNow and forget ask the broker again', async () => {
  const broker = fakeBroker(['a']);
  const cache = new ReplyTopicExistence(broker.lookup, { clock: () => 0 });
  await cache.missing(new Set(['a']));
  broker.existing.delete('a');
  assert.deepEqual(await cache.missingNow(new Set(['a'])), new Set(['a']));
  broker.existing.add('a');
  cache.forget(['a']);
  assert.deepEqual(await cache.missing(new Set(['a'])), new Set());
  assert.equal(broker.lookups.length, 3);
});

test('topics unused for forgetAfterMs are forgotten, and never more than maxTopics are kept', async () => {
  let now = 0;
  const broker = fakeBroker([]);
  const cache = new ReplyTopicExistence(broker.lookup, {
    forgetAfterMs: 60_000,
    maxTopics: 100,
    clock: () => now,
  });
  await cache.missing(new Set(Array.from({ length: 250 }, (_, i) => `t${i}`)));
  assert.equal(cache.size, 100, 'the newest 100 of a flood of names');
  now = 30_000;
  await cache.missing(new Set(['t249']));
  now = 60_000;
  await cache.missing(new Set(['t249']));
  assert.equal(cache.size, 1, 'only the topic still in use');
});
