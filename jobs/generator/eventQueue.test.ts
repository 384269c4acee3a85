import assert from 'node:assert/strict';
import { test } from 'node:test';

import { seededRandom } from '../../operators/support/seededRandom.js';
import { EventQueue } from './eventQueue.js';

test('pops by time, and items of equal time in insertion order', () => {
  const queue = new EventQueue<string>();
  const random = seededRandom(11);
  const pushed: { time: number; item: string }[] = [];
  for (let i = 0; i < 2_000; i++) {
    const time = Math.floor(random() * 100);
    queue.push(time, `item-${i}`);
    pushed.push({ time, item: `item-${i}` });
  }
  // A stable sort by time is the expected order.
  const expected = [...pushed].sort((a, b) => a.time - b.time);
  assert.equal(queue.peekTime(), expected[0]?.time);
  const popped: { time: number; item: string }[] = [];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    popped.push(next);
  }
  assert.deepEqual(popped, expected);
  assert.equal(queue.size, 0);
  assert.equal(queue.peekTime(), Infinity);
});
