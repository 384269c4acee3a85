import assert from 'node:assert/strict';
import { test } from 'node:test';

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
