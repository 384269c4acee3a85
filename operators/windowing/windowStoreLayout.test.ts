import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixedWindowBound, fixedWindowKey, parseFixedWindowKey } from './windowStoreLayout.js';

test('fixed window keys: the start as 8 bytes big-endian after the tag, read back, for starts beyond 32 bits', () => {
  for (const start of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 1_765_000_000_000, 2 ** 53 - 1]) {
    const expected = Buffer.alloc(10);
    expected[0] = 0x01;
    expected.writeBigUInt64BE(BigInt(start), 1);
    expected[9] = 0x6b;
    const key = fixedWindowKey(start, Buffer.from('k'));
    assert.ok(key.equals(expected), `start ${start}: ${key.toString('hex')}`);
    assert.equal(parseFixedWindowKey(key).start, start);
    assert.equal(Buffer.from(parseFixedWindowKey(key).key).toString(), 'k');
    assert.ok(fixedWindowBound(start).equals(expected.subarray(0, 9)));
  }
});

test('fixed window keys: bounds below 0 are 0; a negative or fractional start is refused', () => {
  assert.ok(fixedWindowBound(-5).equals(fixedWindowBound(0)));
  assert.throws(() => fixedWindowKey(-1, Buffer.from('k')), /non-negative integer, not -1/);
  assert.throws(() => fixedWindowKey(1.5, Buffer.from('k')), /not 1.5/);
});
