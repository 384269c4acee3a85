import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PartitionGroup } from './partitionGroup.js';
import type { RawRecord } from './rawRecord.js';

function record(topic: string, offset: number, timestamp: number): RawRecord {
  return {
    topic,
    partition: 0,
    offset: String(offset),
    key: null,
    value: null,
    timestamp,
    headers: {},
  };
}

/** A fetch of `topic` holding records at these timestamps, from `offset` on. */
function fetch(topic: string, offset: number, timestamps: number[]): RawRecord[] {
  return timestamps.map((timestamp, i) => record(topic, offset + i, timestamp));
}

/** A round mark the test passes by hand (a fetch delivered). */
function marks(): { mark: () => { passed: () => boolean }; deliver: () => void } {
  let delivered = 0;
  return {
    mark: () => {
      const at = delivered;
      return { passed: () => delivered > at };
    },
    deliver: () => {
      delivered++;
    },
  };
}

/** A group of inputs `a` and `b` (unless `topics` says otherwise). */
function group(options: {
  topics?: string[];
  round?: ReturnType<typeof marks>;
  maxIdleMs?: number;
  waitForWritersMs?: number;
}): PartitionGroup {
  return new PartitionGroup({
    topics: options.topics ?? ['a', 'b'],
    roundMark: (options.round ?? marks()).mark,
    maxIdleMs: options.maxIdleMs ?? 1e9,
    ...(options.waitForWritersMs === undefined
      ? {}
      : { waitForWritersMs: options.waitForWritersMs }),
  });
}

function taken(records: readonly RawRecord[]): string[] {
  return records.map((r) => `${r.topic}@${r.timestamp}`);
}

describe('PartitionGroup', () => {
  it('takes the records of its inputs in timestamp order, ties to the first topic', () => {
    const inputs = group({});
    inputs.add('a', fetch('a', 0, [1, 5, 9]), { nextOffset: 3n, highWatermark: 3n });
    inputs.add('b', fetch('b', 10, [2, 5, 7]), { nextOffset: 13n, highWatermark: 13n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['a@1', 'b@2', 'a@5', 'b@5', 'b@7', 'a@9']);
    assert.deepEqual(inputs.positions(), [
      { topic: 'a', offset: 3n },
      { topic: 'b', offset: 13n },
    ]);
  });

  it('waits for an empty input that is behind, until a fetch has been delivered', () => {
    const round = marks();
    const inputs = group({ round });
    // b's fetch stopped short of its end: what comes next may be older than a's records.
    inputs.add('b', fetch('b', 0, [1]), { nextOffset: 1n, highWatermark: 50n });
    inputs.add('a', fetch('a', 0, [2, 3]), { nextOffset: 2n, highWatermark: 2n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['b@1']);
    assert.equal(inputs.waiting, true);
    inputs.add('b', fetch('b', 1, [2]), { nextOffset: 2n, highWatermark: 50n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['a@2', 'b@2']);
    // A fetch delivered nothing for b: it was at its end after all.
    round.deliver();
    assert.deepEqual(taken(inputs.take(0, 100)), ['a@3']);
    assert.equal(inputs.forcedWithoutData, 0);
  });

  it('does not wait for an empty input whose last fetch reached its end', () => {
    const inputs = group({});
    inputs.add('b', fetch('b', 0, [1]), { nextOffset: 1n, highWatermark: 1n });
    inputs.add('a', fetch('a', 0, [2, 3]), { nextOffset: 2n, highWatermark: 2n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['b@1', 'a@2', 'a@3']);
  });

  it('while an input is empty, takes a record once a fetch started waitForWritersMs after its arrival is in', () => {
    const round = marks();
    const inputs = group({ round, waitForWritersMs: 200 });
    inputs.skip('a', { nextOffset: 0n, highWatermark: 0n });
    inputs.add('b', fetch('b', 0, [1]), { nextOffset: 1n, highWatermark: 1n, deliveredAt: 0 });
    assert.deepEqual(taken(inputs.take(0, 100)), []);
    assert.equal(inputs.waiting, true);
    // The time is up, but a fetch that started since then must come first.
    assert.deepEqual(taken(inputs.take(200, 100)), []);
    round.deliver();
    assert.deepEqual(taken(inputs.take(201, 100)), ['b@1']);
    assert.equal(inputs.waiting, false);
    // a's writer wrote a's records first; b's (older) come in the next fetch.
    inputs.add('a', fetch('a', 0, [9]), { nextOffset: 1n, highWatermark: 1n, deliveredAt: 5_000 });
    assert.deepEqual(taken(inputs.take(5_000, 100)), []);
    inputs.add('b', fetch('b', 1, [3]), { nextOffset: 2n, highWatermark: 2n, deliveredAt: 5_010 });
    // Both have records: timestamp order, no wait; then b is empty and a@9 waits again.
    assert.deepEqual(taken(inputs.take(5_010, 100)), ['b@3']);
    assert.deepEqual(taken(inputs.take(5_200, 100)), []);
    round.deliver();
    assert.deepEqual(taken(inputs.take(5_201, 100)), ['a@9']);
    assert.equal(inputs.forcedWithoutData, 0);
  });

  it('does not wait for writers when no input is empty, or when waitForWritersMs is 0', () => {
    const both = group({ waitForWritersMs: 200 });
    both.add('a', fetch('a', 0, [1, 4]), { nextOffset: 2n, highWatermark: 2n, deliveredAt: 0 });
    both.add('b', fetch('b', 0, [2, 3]), { nextOffset: 2n, highWatermark: 2n, deliveredAt: 0 });
    assert.deepEqual(taken(both.take(0, 100)), ['a@1', 'b@2', 'b@3']);
    const off = group({});
    off.skip('a', { nextOffset: 0n, highWatermark: 0n });
    off.add('b', fetch('b', 0, [1]), { nextOffset: 1n, highWatermark: 1n, deliveredAt: 0 });
    assert.deepEqual(taken(off.take(0, 100)), ['b@1']);
  });

  it('stops waiting after maxIdleMs, and counts it', () => {
    const inputs = group({ maxIdleMs: 500 });
    inputs.add('a', fetch('a', 0, [2]), { nextOffset: 1n, highWatermark: 1n });
    assert.deepEqual(taken(inputs.take(1_000, 100)), []);
    assert.deepEqual(taken(inputs.take(1_499, 100)), []);
    assert.deepEqual(taken(inputs.take(1_500, 100)), ['a@2']);
    assert.equal(inputs.forcedWithoutData, 1);
  });

  it('never waits for an empty input when maxIdleMs is negative, and counts nothing', () => {
    const inputs = group({ maxIdleMs: -1 });
    // b's fetch stopped short of its end; with a wait, a@2 would be held for the next fetch.
    inputs.add('b', fetch('b', 0, [1]), { nextOffset: 1n, highWatermark: 50n });
    inputs.add('a', fetch('a', 0, [2, 3]), { nextOffset: 2n, highWatermark: 2n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['b@1', 'a@2', 'a@3']);
    assert.equal(inputs.waiting, false);
    assert.equal(inputs.forcedWithoutData, 0);
    // Both buffered: still timestamp order.
    inputs.add('b', fetch('b', 1, [5, 7]), { nextOffset: 3n, highWatermark: 50n });
    inputs.add('a', fetch('a', 2, [6]), { nextOffset: 3n, highWatermark: 3n });
    assert.deepEqual(taken(inputs.take(0, 100)), ['b@5', 'a@6', 'b@7']);
  });

  it('drops records fetched again and moves past transaction markers', () => {
    const inputs = group({ topics: ['a'], maxIdleMs: 0 });
    inputs.add('a', fetch('a', 0, [1, 2]), { nextOffset: 3n, highWatermark: 3n });
    assert.deepEqual(taken(inputs.take(0, 1)), ['a@1']);
    assert.deepEqual(inputs.positions(), [{ topic: 'a', offset: 1n }]);
    // After a rebalance kafkajs fetches from the committed offset again.
    assert.equal(inputs.add('a', fetch('a', 0, [1, 2]), { nextOffset: 3n, highWatermark: 3n }), 2);
    assert.deepEqual(taken(inputs.take(0, 100)), ['a@2']);
    // The batch ended with a marker at offset 2: the position is after it.
    assert.deepEqual(inputs.positions(), [{ topic: 'a', offset: 3n }]);
    inputs.skip('a', { nextOffset: 5n, highWatermark: 5n });
    assert.deepEqual(inputs.positions(), [{ topic: 'a', offset: 5n }]);
    assert.equal(inputs.size, 0);
  });
});
