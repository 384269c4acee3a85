import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ArrivalDelays } from './arrivalDelays.js';

const stamped = (...timestamps: number[]) => timestamps.map((timestamp) => ({ timestamp }));

test('each named topic: fetch time minus record timestamp, as quantiles', () => {
  const delays = new ArrivalDelays(['requests', 'events']);
  // 100 records sent 1..100 ms before their fetch reached the job.
  delays.record(
    'requests',
    stamped(...Array.from({ length: 100 }, (_, i) => 1_000 - (i + 1))),
    1_000,
  );
  delays.record('other', stamped(0), 1_000);
  const summary = delays.summary();
  assert.deepEqual(Object.keys(summary), ['requests']);
  assert.deepEqual(summary['requests'], {
    records: 100,
    kept: 100,
    p50Ms: 51,
    p99Ms: 100,
    maxMs: 100,
  });
});

test('the quantiles cover the most recent records once the ring is full', () => {
  const delays = new ArrivalDelays(['t'], 4);
  delays.record('t', stamped(0, 0, 0, 0), 500); // 500 ms late each, then overwritten
  delays.record('t', stamped(90, 80, 70, 60), 100);
  const summary = delays.summary()['t'];
  assert.equal(summary?.records, 8);
  assert.equal(summary?.kept, 4);
  assert.equal(summary?.maxMs, 40);
  assert.equal(summary?.p50Ms, 30);
});

test('a capacity that is not a positive integer is refused', () => {
  assert.throws(() => new ArrivalDelays(['t'], 0), /positive integer/);
  assert.throws(() => new ArrivalDelays(['t'], 1.5), /positive integer/);
});

test('a summary is reused until records arrive, then made again', () => {
  const delays = new ArrivalDelays(['t']);
  delays.record('t', stamped(90), 100);
  const first = delays.summary()['t'];
  assert.equal(delays.summary()['t'], first, 'the same object: nothing sorted again');
  delays.record('t', stamped(0), 100);
  assert.deepEqual(delays.summary()['t'], {
    records: 2,
    kept: 2,
    p50Ms: 100,
    p99Ms: 100,
    maxMs: 100,
  });
});
