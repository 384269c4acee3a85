import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatPeakMemory, PeakMemorySampler } from './peakMemory.js';
import { benchCacheBytes, reelstreamNodeArgs } from './reelstreamNodeArgs.js';

test('node flags come first, then the profiler; anything not a flag is refused', () => {
  assert.deepEqual(reelstreamNodeArgs({}), []);
  assert.deepEqual(
    reelstreamNodeArgs({
      REELSTREAM_BENCH_NODE_FLAGS: ' --max-old-space-size=1024  --max-semi-space-size=32 ',
      REELSTREAM_BENCH_PROFILE: '/tmp/p',
    }),
    [
      '--max-old-space-size=1024',
      '--max-semi-space-size=32',
      '--cpu-prof',
      '--cpu-prof-dir=/tmp/p',
    ],
  );
  assert.throws(
    () => reelstreamNodeArgs({ REELSTREAM_BENCH_NODE_FLAGS: '--inspect rm' }),
    /"rm" is not a flag/,
  );
});

test('the cache budget is a positive integer or unset', () => {
  assert.equal(benchCacheBytes({}), undefined);
  assert.equal(benchCacheBytes({ REELSTREAM_BENCH_CACHE_BYTES: '10485760' }), 10_485_760);
  for (const bad of ['0', '-1', '1.5', '10MiB', '']) {
    assert.throws(() => benchCacheBytes({ REELSTREAM_BENCH_CACHE_BYTES: bad }), /positive integer/);
  }
});

test('the sampler keeps the look with the highest RSS, split into heap, external and the rest', () => {
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
