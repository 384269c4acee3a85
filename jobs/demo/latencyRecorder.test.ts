import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LatencyRecorder } from './latencyRecorder.js';

test('the summary gives the percentiles, the replies by outcome and each failure reason with when', () => {
  const recorder = new LatencyRecorder();
  for (let ms = 1; ms <= 100; ms += 1) {
    recorder.record(ms, ms % 4 === 0 ? 'degraded (features)' : 'personalised');
  }
  for (const at of [0.25, 0.5, 1, 2, 3, 4, 5]) {
    recorder.fail('no reply within 2000 ms', at);
  }
  recorder.fail('arrived 12 ms after its deadline', 9.04);
  const lines = recorder.describe().split('\n');
  assert.equal(
    lines[0],
    'requests answered        100: P50 51.0 ms, P99 100.0 ms; failed or timed out 8',
  );
  assert.equal(
    lines[1],
    '    7 × no reply within 2000 ms (sent at 0.3 s, 0.5 s, 1.0 s, 2.0 s, 3.0 s, …)',
  );
  assert.equal(lines[2], '    1 × arrived 12 ms after its deadline (sent at 9.0 s)');
  assert.equal(lines[3], '  replies                  75 personalised, 25 degraded (features)');
});

test('with no requests, the summary says so rather than printing numbers', () => {
  assert.equal(
    new LatencyRecorder().describe(),
    'requests answered        0: P50 - ms, P99 - ms; failed or timed out 0\n  replies                  none',
  );
});
