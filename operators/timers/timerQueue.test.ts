import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TimerQueue, type QueuedTimer } from './timerQueue.js';

const order = (a: QueuedTimer, b: QueuedTimer): number =>
  a.timestamp - b.timestamp || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

test('TimerQueue: due timers come out in time order, then key bytes; cancelled ones never', () => {
  const queue = new TimerQueue();
  queue.add(30, 'b');
  queue.add(10, 'z');
  queue.add(30, 'a');
  queue.add(20, '\u00ff'); // byte 0xff sorts after every ASCII key of the same time
  queue.add(20, 'x');
  queue.add(10, 'z'); // the same timer again: still one
  queue.remove(20, 'x');
  assert.equal(queue.size, 4);
  assert.equal(queue.peek()?.timestamp, 10);
  const due: string[] = [];
  for (let t = queue.takeDue(25); t !== undefined; t = queue.takeDue(25)) {
    due.push(`${t.timestamp}:${t.key}`);
  }
  assert.deepEqual(due, ['10:z', '20:\u00ff']);
  assert.equal(queue.peek()?.timestamp, 30, 'later timers stay');
  assert.equal(queue.size, 2);
});

test('TimerQueue: 20,000 random adds, removes and takes match a sorted reference', () => {
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const queue = new TimerQueue();
  const reference = new Map<string, QueuedTimer>();
  for (let step = 0; step < 20_000; step++) {
    const timestamp = Math.floor(random() * 1_000);
    const key = String.fromCharCode(Math.floor(random() * 256), Math.floor(random() * 4));
    const action = random();
    if (action < 0.5) {
      queue.add(timestamp, key);
      reference.set(`${timestamp}/${key}`, { timestamp, key });
    } else if (action < 0.8) {
      // Removing a timer that is not there changes nothing.
      queue.remove(timestamp, key);
      reference.delete(`${timestamp}/${key}`);
    } else {
      const upTo = Math.floor(random() * 1_000);
      const expected = [...reference.values()].sort(order)[0];
      const taken = queue.takeDue(upTo);
      if (expected === undefined || expected.timestamp > upTo) {
        assert.equal(taken, undefined);
      } else {
        assert.deepEqual(taken, expected);
        reference.delete(`${expected.timestamp}/${expected.key}`);
      }
    }
    assert.equal(queue.size, reference.size);
  }
  const rest: QueuedTimer[] = [];
  for (let t = queue.takeDue(Infinity); t !== undefined; t = queue.takeDue(Infinity)) {
    rest.push(t);
  }
  assert.deepEqual(rest, [...reference.values()].sort(order));
});
