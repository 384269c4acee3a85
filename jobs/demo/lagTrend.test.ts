import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lagTrendPerMinute } from './lagTrend.js';

test('lag trend: the least-squares slope in records per minute', () => {
  // Rising by 100 records every 30 s: 200 a minute, whatever the offset.
  const rising = [0, 30, 60, 90].map((seconds) => ({ seconds, lag: 5_000 + (seconds / 30) * 100 }));
  assert.equal(lagTrendPerMinute(rising), 200);
  // Nearly flat, with noise: a high sample late barely moves the trend (the first
  // two-instance run of docs/load.md).
  const flat = [9_800, 7_500, 8_100, 7_200, 10_400, 10_800, 10_200, 10_900, 7_400].map(
    (lag, i) => ({ seconds: (i + 1) * 60, lag }),
  );
  const trend = lagTrendPerMinute(flat);
  assert.ok(trend !== undefined && Math.abs(trend) < 300, `flat run's trend ${trend}`);
  // A run that falls behind: the single-instance run of docs/load.md.
  const growing = [6_000, 9_200, 14_000, 7_100, 16_000, 23_000, 30_000, 46_000, 59_000].map(
    (lag, i) => ({ seconds: (i + 1) * 60, lag }),
  );
  assert.ok((lagTrendPerMinute(growing) ?? 0) > 5_000);
  assert.equal(lagTrendPerMinute([{ seconds: 60, lag: 1 }]), undefined);
  assert.equal(
    lagTrendPerMinute([
      { seconds: 60, lag: 1 },
      { seconds: 60, lag: 2 },
    ]),
    undefined,
  );
});
