import assert from 'node:assert/strict';
import { test } from 'node:test';

import { dueBounds, parseTimerKey, timerKey } from '../../operators/timers/timerLayout.js';

test('timer keys sort by kind, then time (negative times included), then key bytes', () => {
  const times = [-5_000, -1, 0, 1, 1_700_000_000_000, Number.MAX_SAFE_INTEGER - 1];
  const keys = times.flatMap((time) => [
    timerKey('eventTime', time, Buffer.from('b')),
    timerKey('eventTime', time, Buffer.from('a')),
  ]);
  const sorted = [...keys].sort((a, b) => Buffer.compare(a, b)).map(parseTimerKey);
  assert.deepEqual(
    sorted.map((t) => [t.timestamp, t.key.toString()]),
    times.flatMap((time) => [
      [time, 'a'],
      [time, 'b'],
    ]),
  );
  assert.ok(
    Buffer.compare(
      timerKey('eventTime', Number.MAX_SAFE_INTEGER - 1, Buffer.from('z')),
      timerKey('processingTime', -5, Buffer.alloc(0)),
    ) < 0,
    'each kind is its own range',
  );
});

test('the due bounds of a time hold exactly the timers at or before it', () => {
  const { gte, lt } = dueBounds('processingTime', 100);
  const inside = (key: Buffer): boolean =>
    Buffer.compare(key, gte) >= 0 && Buffer.compare(key, lt) < 0;
  assert.ok(inside(timerKey('processingTime', 100, Buffer.from([0xff, 0xff]))));
  assert.ok(inside(timerKey('processingTime', -3, Buffer.alloc(0))));
  assert.ok(!inside(timerKey('processingTime', 101, Buffer.alloc(0))));
  assert.ok(!inside(timerKey('eventTime', 50, Buffer.from('k'))));
  assert.throws(() => timerKey('eventTime', 1.5, Buffer.alloc(0)), /must be an integer/);
});
