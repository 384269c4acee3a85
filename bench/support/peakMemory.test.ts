import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatPeakMemory, PeakMemorySampler } from './peakMemory.js';

test('the memory at peak RSS is split into heap, external and the rest', () => {
  const sampler = new PeakMemorySampler(5);
  const held = Buffer.alloc(32 * 1024 * 1024, 1); // external memory the peak must include
  const peak = sampler.stop();
  assert.ok(held.length > 0);
  assert.ok(peak.rssMib >= peak.heapTotalMib, 'RSS holds the heap');
  assert.ok(peak.externalMib >= 32, `external ${peak.externalMib} MiB holds the 32 MiB Buffer`);
  // Each figure is rounded to 0.1 MiB on its own.
  assert.ok(Math.abs(peak.rssMib - peak.heapTotalMib - peak.externalMib - peak.restMib) <= 0.2);
  assert.match(
    formatPeakMemory(peak),
    /^heap [\d.]+ \(used [\d.]+\), external [\d.]+, rest -?[\d.]+ MiB of RSS [\d.]+$/,
  );
});
